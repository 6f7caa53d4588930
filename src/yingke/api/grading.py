"""API: grading."""

from ninja import Router

router = Router(tags=["grading"])
