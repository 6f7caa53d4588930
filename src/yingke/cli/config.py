"""Configuration commands: outlets, staff (list, deactivate). Filled in by the configuration work."""


def register(sub, user_sub) -> None:
    """Add `outlet …` to `sub` and `user list` / `user deactivate` to `user_sub`."""
