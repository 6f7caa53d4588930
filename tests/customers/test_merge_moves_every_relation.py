"""One mechanism finds every relation of Customer (R-2.8): a model that a later issue points
at Customer is moved by the merge without anyone remembering it, and one the mechanism
cannot move fails here until someone decides how it moves."""

import pytest
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.test.utils import isolate_apps

from yingke.customers import merge as merging
from yingke.customers.models import Customer

KNOWN = {"move", "own_history", "rebuild", "pairs", "through", "field"}


def every_relation():
    return [f for f in Customer._meta.get_fields(include_hidden=True) if f.is_relation]


def test_every_relation_of_customer_has_a_way_to_move():
    """Walks the metadata itself: reverse foreign keys and one-to-ones (incl. hidden ones such
    as history tables), many-to-many fields and their tables, Customer's own keys."""
    for f in every_relation():
        rel = merging.classify(f)  # raises Unmovable for a relation the merge does not understand
        assert rel.how in KNOWN, (f, rel)


def test_every_reverse_foreign_key_is_moved_or_has_a_stated_reason():
    """Every table holding a key to Customer — what a later issue adds — is covered; only the
    merged file's own history and the two special tables are not plain moves."""
    reverse = [f for f in every_relation() if isinstance(f, models.ForeignObjectRel)
               and not isinstance(f, models.ManyToManyRel)]
    plan = {merging.classify(f).label: merging.classify(f).how for f in reverse}
    assert {label for label, how in plan.items() if how not in ("move",)} == {
        "customers.HistoricalCustomer_tags.customer",  # the merged file's own history
        "customers.SearchKey.customer",  # rebuilt
        "customers.DuplicateDismissal.customer_a", "customers.DuplicateDismissal.customer_b",  # pairs
    }
    for expected in ("visits.Visit.customer", "visits.HistoricalVisit.customer", "customers.Note.customer",
                     "customers.ContactLink.organisation", "customers.ContactLink.person",
                     "customers.Customer_tags.customer", "customers.MergeRecord.survivor"):
        assert plan[expected] == "move", expected


@isolate_apps("yingke.customers")  # the made-up model stays out of the real registry
def test_a_relation_the_mechanism_cannot_move_fails():
    """The checks above can fail: a generic relation (found by content type, not by a key),
    a conditional unique rule, a new key on Customer itself."""
    generic = GenericRelation("core.AuditEvent")
    generic.name = "events"
    with pytest.raises(merging.Unmovable):
        merging.classify(generic)

    new_forward = models.ForeignKey("core.Outlet", on_delete=models.SET_NULL, null=True)
    new_forward.name, new_forward.model = "favourite_outlet", Customer
    with pytest.raises(merging.Unmovable):
        merging.classify(new_forward)

    class Membership(models.Model):
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
        active = models.BooleanField(default=True)

        class Meta:
            app_label = "customers"
            constraints = [models.UniqueConstraint(fields=["customer"], condition=models.Q(active=True),
                                                   name="one_active_membership")]

        def __str__(self):
            return "membership"

    with pytest.raises(merging.Unmovable):
        merging.classify(Membership._meta.get_field("customer").remote_field)


def test_the_made_up_model_did_not_leak_into_the_real_relations():
    merging.relations()  # would raise Unmovable for Membership
