"""Filled by its builder."""

urlpatterns = []
