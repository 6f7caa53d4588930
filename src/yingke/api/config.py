"""Configuration endpoints: properties, outlets, staff, tags."""

from ninja import Router

router = Router(tags=["configuration"])
