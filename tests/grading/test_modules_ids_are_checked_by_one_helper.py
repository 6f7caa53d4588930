"""An id that cannot be a row id (a bool, a text, zero, negative, beyond 64 bits) finds no module,
target or reason: one helper (grading.segments.valid_id) decides, never a database error; and the
grading pages, API and module report use the one definition of the property's local day
(core.models.Property.local_today / day_start) and of a share (grading.policy.parse_share)."""

import pytest

from yingke.core.permissions import NotVisible
from yingke.customers.models import Module
from yingke.grading import segments


@pytest.mark.parametrize("pk", [True, False, "1", 1.0, 0, -1, 2**63, 2**70, None])
def test_not_an_id(pk):
    assert not segments.valid_id(pk)


@pytest.mark.parametrize("pk", [1, 2**63 - 1])
def test_an_id(pk):
    assert segments.valid_id(pk)


def test_a_bool_is_not_the_id_1(world):
    # A module with id 1 in H1 whatever the sequences say (PostgreSQL's move on between tests).
    Module.objects.filter(pk=1).exclude(property=world.h1).delete()
    module = Module.objects.filter(pk=1).first() or Module.objects.create(
        pk=1, property=world.h1, code="ONE", name="一号模块")
    assert segments.configurable_module(world.gm, 1) == module
    for finder in (segments.configurable_module, segments.readable_module, segments.configurable_target):
        with pytest.raises(NotVisible):
            finder(world.gm, True)


def test_one_definition_of_the_local_day_and_of_a_share():
    import yingke.api.grading as api_grading
    import yingke.grading.views as views

    assert not hasattr(views, "_today") and not hasattr(segments, "local_today")
    assert not hasattr(segments, "_instant")
    assert api_grading._share_in("12.5") == api_grading.policy.parse_share("12.5")
