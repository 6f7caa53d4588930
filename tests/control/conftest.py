import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def default_language():
    """Messages made outside a request come in the default language (Chinese), whatever an
    earlier request of the same worker left active."""
    with translation.override("zh-hans"):
        yield
