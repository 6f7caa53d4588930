"""`yingke grade`: grade the customers of a property (R-4)."""


def add_parsers(sub) -> None:
    """Register the grading commands on the top-level subparsers."""
