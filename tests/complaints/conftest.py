import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def default_language():
    """Messages made outside a request come in the default language (Chinese), whatever an
    earlier request of the same worker left active."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def complaint(world):
    """An open complaint of am1's guest 张三 at H1, recorded by the front desk."""
    from yingke.complaints import services

    return services.record(world.desk, world.h1, kind="food", severity="medium", words="菜里有头发。\n很不满意",
                           customer=world.c_am1, location="A12")
