"""Signals other apps listen to, so that customers never imports them (dependencies point
down: visits imports customers, not the other way round)."""

from django.dispatch import Signal

# Sent by customers.merge.merge inside its transaction, after every related row of the
# merged-away file has moved to the survivor: files_merged.send(sender=Customer,
# survivor=<Customer>, merged_id=<int>, actor=<user>). Receivers refresh what they derive
# from the moved rows (visits: the consumption profile, R-2.3). A receiver that raises
# undoes the whole merge.
files_merged = Signal()
