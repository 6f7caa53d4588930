"""`yingke keys …`: the field-encryption key. Filled in by the key-management work."""


def register(sub) -> None:
    """Add `keys …` to `sub`."""
