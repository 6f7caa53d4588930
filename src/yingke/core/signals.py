"""Signals sent by core for the domain apps (core imports no domain app: they listen).

outlet_renamed(sender=Outlet, outlet, old_name) – an outlet's name changed
(core.services.update_outlet). Sent inside the change's transaction; the visits app
refreshes the consumption profiles that name the outlet (R-2.3).
"""

from django.dispatch import Signal

outlet_renamed = Signal()
