"""After a merge the survivor's grade in force is derived again: the override it now has (moved
from the merged-away file) wins over its computed grade (grading.apps, customers.signals.files_merged)."""

import pytest

from yingke.customers import merge as merging
from yingke.customers.models import Customer
from yingke.grading.models import GradeOverride
from yingke.grading.overrides import set_override


@pytest.mark.django_db
def test_the_merged_files_override_is_in_force_on_the_survivor(world):
    survivor, merged = world.c_am1, world.c_am2
    Customer.objects.filter(pk=survivor.pk).update(grade="C", grade_computed="C")
    Customer.objects.filter(pk=merged.pk).update(grade="D", grade_computed="D")
    set_override(world.gm, Customer.objects.get(pk=merged.pk), "B", "常客，老板的朋友")
    merging.merge(world.gm, Customer.objects.get(pk=survivor.pk), Customer.objects.get(pk=merged.pk))
    assert GradeOverride.objects.get(customer_id=survivor.pk).grade == "B"
    assert Customer.objects.values_list("grade", "grade_computed").get(pk=survivor.pk) == ("B", "C")


@pytest.mark.django_db
def test_without_an_override_the_survivor_keeps_its_computed_grade(world):
    survivor, merged = world.c_am1, world.c_am2
    Customer.objects.filter(pk=survivor.pk).update(grade="A", grade_computed="C")  # stale grade in force
    merging.merge(world.gm, Customer.objects.get(pk=survivor.pk), Customer.objects.get(pk=merged.pk))
    assert Customer.objects.values_list("grade", "grade_computed").get(pk=survivor.pk) == ("C", "C")
