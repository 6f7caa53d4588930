"""A reason made only of format characters (Unicode Cf: zero-width space, right-to-left override)
is no reason: "This field is required." (core.services.clean_text); visible text with such a
character inside is kept as it was."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from yingke.core.services import clean_text
from yingke.customers.models import Customer
from yingke.grading.models import GradeOverride
from yingke.grading.overrides import set_override


@pytest.mark.parametrize("text", ["\u200b", " \u200b\u200d ", "\u202e", "\ufeff\u2060", "\u200e"])
def test_invisible_text_is_required(text):
    with translation.override("en"), pytest.raises(ValidationError) as e:
        clean_text(text, "reason", 200, required=True)
    assert e.value.message_dict == {"reason": ["This field is required."]}


def test_visible_text_is_unchanged_and_optional_text_may_be_empty():
    assert clean_text("a\u200bb", "reason", 200) == "a\u200bb"
    assert clean_text("  常客  ", "reason", 200) == "常客"
    assert clean_text("", "note", 200, required=False) == ""


@pytest.mark.django_db
def test_an_override_with_a_zero_width_reason_is_refused(world):
    customer = Customer.objects.get(pk=world.c_am1.pk)
    with translation.override("en"), pytest.raises(ValidationError) as e:
        set_override(world.gm, customer, "A", "\u200b")
    assert e.value.message_dict == {"reason": ["This field is required."]}
    assert not GradeOverride.objects.exists()
