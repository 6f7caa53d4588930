"""Grading pages: runs, snapshots and their export, parameters, overrides."""

urlpatterns = []
