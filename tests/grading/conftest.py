"""Fixtures of the grading tests."""

import pytest

from tests.grading.test_grading_pages_helpers import make_run


@pytest.fixture
def run(world):
    """A run of H1 started by its general manager, with entries for its files."""
    return make_run(world.h1, user=world.gm)
