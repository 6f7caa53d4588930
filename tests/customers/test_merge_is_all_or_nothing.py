"""R-12.4: a merge that fails half-way leaves everything as before it started."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from tests.conftest import make_customer
from yingke.customers import merge as merging
from yingke.customers import services
from yingke.customers.models import Customer, MergeRecord
from yingke.customers.signals import files_merged
from yingke.visits.models import Visit


def everything():
    """Every row of every table the merge touches, as plain values."""
    state = {"customers": list(Customer.objects.order_by("pk").values()),
             "history": Customer.history.count(), "merges": MergeRecord.objects.count()}
    for rel in merging.relations():
        if rel.model is not None:
            state[rel.label] = sorted(rel.model._base_manager.values_list("pk", rel.field + "_id"))
    return state


@pytest.fixture
def two(world):
    w = world
    a = make_customer(w.h1, "M001", "赵敏", owner=w.am1, mobile="13800003333")
    b = make_customer(w.h1, "M002", "赵敏", owner=w.am1, mobile="13800003333", employer="明教")
    for c in (a, b):
        Visit.objects.create(property=w.h1, customer=c, occurred_at=timezone.now() - dt.timedelta(days=3),
                             amount=Decimal("100.00"), doc_no=f"D{c.pk}")
        services.add_note(w.gm, c, "老客人")
        c.tags.set(services.tags_from_names(w.h1, ["VIP", f"T{c.pk}"]))
    w.a, w.b = a, b
    return w


class Boom(Exception):
    pass


def test_a_failure_at_the_very_end_undoes_everything(two):
    """A receiver of files_merged runs after every row has moved, the merged file is deleted
    and the survivor saved — the latest point before the record is written."""
    w = two
    before = everything()

    def fail(**kwargs):
        assert not Customer.objects.filter(pk=w.b.pk).exists()  # it really got that far
        raise Boom

    files_merged.connect(fail, dispatch_uid="test-boom")
    try:
        with pytest.raises(Boom):
            merging.merge(w.gm, w.a, w.b, {"employer": "merged"})
    finally:
        files_merged.disconnect(dispatch_uid="test-boom")
    assert everything() == before
    assert merging.survivor_of(w.b.pk) is None


def test_a_bad_chosen_value_changes_nothing(two):
    """A date of birth that contradicts the kept ID number is refused by the normal save
    path, after the rows were moved: all of it is undone."""
    w = two
    from tests.customers.test_merge_keeps_every_row import ID_A

    services.save_customer(w.gm, Customer.objects.get(pk=w.a.pk), id_number=ID_A)
    b = Customer.objects.get(pk=w.b.pk)
    b.birth_date = dt.date(1970, 1, 1)
    b.save()
    before = everything()
    with pytest.raises(ValidationError) as e:
        merging.merge(w.gm, Customer.objects.get(pk=w.a.pk), b, {"birth_date": "merged"})
    assert "birth_date" in e.value.message_dict
    assert everything() == before


def test_unknown_or_bad_choices_are_refused_before_anything_moves(two):
    w = two
    before = everything()
    for choices in ({"nonsense": "kept"}, {"name": "both"}, {"id_number_enc": "merged"}, ["name"]):
        with pytest.raises(ValidationError):
            merging.merge(w.gm, w.a, w.b, choices)
    assert everything() == before


def test_everything_helper_sees_changes(two):
    """The comparison above can fail: a merge that succeeds changes the state."""
    w = two
    before = everything()
    merging.merge(w.gm, w.a, w.b)
    assert everything() != before
    assert isinstance(Customer._meta.get_field("tags"), models.ManyToManyField)
