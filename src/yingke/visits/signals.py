"""Signals of the visits app, for what is derived from visits elsewhere (report aggregates).

visits_changed(sender=Visit, property_id=<int>, times=<list of aware datetimes> | None) –
visits of the property were recorded, corrected, voided or imported. `times` are the
occurrence times whose (local) days changed — for a correction both the old and the new
time; None means "any day" (e.g. a merge or an import whose days are not listed). Sent
inside the change's transaction: a receiver marks its aggregates stale; one that raises
undoes the change.
"""

from django.dispatch import Signal

visits_changed = Signal()
