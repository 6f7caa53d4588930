"""API: duplicates."""

from ninja import Router

router = Router(tags=["duplicates"])
