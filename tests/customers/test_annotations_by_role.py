"""Front desk and supervisor annotate (notes, preferences, dates they record) but do not
change or delete what others recorded (R-1.2); editors of the file amend everything."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from yingke.customers import services
from yingke.customers.models import Preference, SpecialDate


@pytest.fixture
def items(world):
    c = world.c_am1
    for i in range(3):  # preference and date ids must not coincide (SQLite restarts both at 1)
        services.add_preference(world.gm, world.c_am2, "tea", f"占位{i}")
    theirs = services.add_preference(world.am1, c, "tea", "龙井")
    mine = services.add_preference(world.desk, c, "pillow", "低枕")
    date_theirs = services.save_special_date(world.am1, SpecialDate(customer=c, month=2, day=3))
    date_mine = services.save_special_date(world.desk, SpecialDate(customer=c, month=4, day=5))
    return theirs, mine, date_theirs, date_mine


def test_delete_buttons_only_for_what_the_user_may_remove(client, world, items):
    theirs, mine, date_theirs, date_mine = items
    c = world.c_am1
    client.force_login(world.desk)
    html = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert reverse("customers:preference_delete", args=[c.pk, mine.pk]) in html
    assert reverse("customers:preference_delete", args=[c.pk, theirs.pk]) not in html
    assert reverse("customers:date_delete", args=[c.pk, date_mine.pk]) in html
    assert reverse("customers:date_delete", args=[c.pk, date_theirs.pk]) not in html
    client.force_login(world.am1)
    html = client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert reverse("customers:preference_delete", args=[c.pk, mine.pk]) in html
    assert reverse("customers:date_delete", args=[c.pk, date_mine.pk]) in html


@pytest.mark.parametrize("role", ["desk", "sup"])
def test_annotators_cannot_change_what_others_recorded(world, items, role):
    theirs, _mine, date_theirs, _date_mine = items
    user = getattr(world, role)
    with pytest.raises(PermissionDenied):
        services.delete_preference(user, theirs)
    date_theirs.label = "改过"
    with pytest.raises(PermissionDenied):
        services.save_special_date(user, date_theirs)
    with pytest.raises(PermissionDenied):
        services.delete_special_date(user, SpecialDate.objects.get(pk=date_theirs.pk))
    assert Preference.objects.filter(pk=theirs.pk).exists()
    assert SpecialDate.objects.get(pk=date_theirs.pk).label == ""


def test_a_date_records_who_added_it(world, items):
    _theirs, _mine, date_theirs, date_mine = items
    assert (date_theirs.created_by, date_mine.created_by) == (world.am1, world.desk)
