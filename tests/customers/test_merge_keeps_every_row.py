"""A merge moves every related row of the merged-away file to the survivor (R-2.8): build a
file with one of every kind of related row, merge, count everything on the survivor; the
chosen values go through the normal save path (R-12.3); the record of the merge."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import make_customer
from yingke.core.permissions import SYSTEM
from yingke.customers import merge as merging
from yingke.customers import services
from yingke.customers.crypto import blind_index
from yingke.customers.duplicates import dismiss
from yingke.customers.models import (
    ContactLink,
    Customer,
    DuplicateDismissal,
    MergeRecord,
    Note,
    Preference,
    SearchKey,
    SpecialDate,
)
from yingke.visits.models import Visit


def _valid_id(first17):
    from yingke.customers.identity import id_check_char

    return first17 + id_check_char(first17)


ID_A = _valid_id("11010119900307001")
ID_B = _valid_id("11010119850512002")


def visit(customer, when, amount, **stay):
    return Visit.objects.create(property=customer.property, customer=customer, occurred_at=when, amount=amount,
                                **stay)


def rows_pointing_at(customer_id):
    """{relation label: rows whose customer key is this id}, for every relation the merge moves."""
    out = {}
    for rel in merging.relations():
        if rel.how in ("move", "pairs", "rebuild"):
            n = rel.model._base_manager.filter(**{rel.field: customer_id}).count()
            if n:
                out[rel.label] = n
    return out


@pytest.fixture
def pair(world):
    """Two files of one guest, each with every kind of related row."""
    w = world
    gm = w.gm
    now = timezone.now()
    vip, biz, old = (services.tags_from_names(w.h1, [n])[0] for n in ("VIP", "商务", "老客"))
    kept = make_customer(w.h1, "K001", "王小明", owner=w.am1, mobile="13800001111", employer="迎客科技")
    gone = make_customer(w.h1, "K002", "王晓明", owner=w.am1, mobile="13800002222", employer="迎客科技",
                         job_title="总经理", email="wxm@example.com")
    services.save_customer(gm, gone, id_number=ID_A)
    kept.tags.set([vip, biz])
    gone.tags.set([biz, old])  # 商务 on both: kept once
    for c, n in ((kept, 1), (gone, 2)):
        visit(c, now - dt.timedelta(days=10 * n), Decimal("388.00"), doc_no=f"D{c.pk}")
        visit(c, now - dt.timedelta(days=20 * n), Decimal("-50.00"), doc_no=f"R{c.pk}")
        visit(c, now - dt.timedelta(days=30 * n), Decimal("1280.00"), doc_no=f"S{c.pk}",
              arrival=dt.date(2026, 1, n), departure=dt.date(2026, 1, n + 2), room_type="豪华大床房", channel="携程")
        services.add_note(gm, c, f"备注{n}")
        services.add_preference(gm, c, Preference.Category.TEA, f"茶{n}")
        services.save_special_date(gm, SpecialDate(customer=c, month=5, day=n))
    # Contact links in both directions: the merged person is the contact of two organisations,
    # one of which already has the survivor as its contact (a duplicate link, kept once).
    org1 = make_customer(w.h1, "O001", "迎客科技", owner=w.am1, kind=Customer.Kind.ORGANISATION)
    org2 = make_customer(w.h1, "O002", "迎客地产", owner=w.am1, kind=Customer.Kind.ORGANISATION)
    services.link_contact(gm, org1, kept, title="经理")
    services.link_contact(gm, org1, gone, title="总经理")
    services.link_contact(gm, org2, gone, title="顾问")
    # A group link on the merged file only, and a dismissed pair with a third file.
    twin_h2 = make_customer(w.h2, "K900", "王晓明", mobile="13800002222")
    services.link_group_files(SYSTEM, gone, twin_h2)
    third = make_customer(w.h1, "K003", "王小敏", owner=w.am1, mobile="13800001111")
    dismiss(gm, gone, third)
    # An earlier merge into the file that is now merged away.
    earlier = make_customer(w.h1, "K004", "王晓明", owner=w.am1)
    merging.merge(gm, gone, earlier)
    w.kept, w.gone, w.org1, w.org2, w.third, w.twin_h2, w.earlier_id = kept, gone, org1, org2, third, twin_h2, \
        earlier.pk
    return w


def test_every_related_row_ends_on_the_survivor(pair):
    w = pair
    kept, gone = w.kept, w.gone
    before_kept, before_gone = rows_pointing_at(kept.pk), rows_pointing_at(gone.pk)
    # The fixture really built one of every kind the merge moves (a relation added later
    # without rows here still has to pass test_merge_moves_every_relation).
    for label in ("visits.Visit.customer", "visits.HistoricalVisit.customer", "customers.Note.customer",
                  "customers.HistoricalNote.customer", "customers.Preference.customer",
                  "customers.SpecialDate.customer", "customers.Customer_tags.customer",
                  "customers.ContactLink.person", "customers.HistoricalContactLink.person",
                  "customers.MergeRecord.survivor", "customers.DuplicateDismissal.customer_a"):
        assert before_gone.get(label), label

    record = merging.merge(w.gm, kept, gone, {"job_title": "merged", "email": "merged", "id_number": "merged"})

    assert not Customer.objects.filter(pk=gone.pk).exists()
    assert rows_pointing_at(gone.pk) == {}
    after = rows_pointing_at(kept.pk)
    dropped = record.moved.get("dropped", {})
    for label in set(before_kept) | set(before_gone):
        if label == "customers.SearchKey.customer":
            continue  # rebuilt from the survivor's name
        expected = before_kept.get(label, 0) + before_gone.get(label, 0) - dropped.get(label, 0)
        if label == "customers.MergeRecord.survivor":
            expected += 1  # this merge's own record
        model_label, field = label.rsplit(".", 1)
        if ".Historical" in model_label:  # each removed duplicate's deletion is recorded
            expected += dropped.get(model_label.replace(".Historical", ".") + "." + field, 0)
        if label.startswith("customers.DuplicateDismissal"):
            # the pair (gone, third) is now (kept, third), its lower id first
            assert DuplicateDismissal.objects.filter(customer_a=min(kept.pk, w.third.pk),
                                                     customer_b=max(kept.pk, w.third.pk)).exists()
            continue
        assert after.get(label, 0) == expected, label
    # The concrete counts a member of staff would check.
    assert kept.visits.count() == 6 and kept.visits.filter(arrival__isnull=False).count() == 2
    assert Note.objects.filter(customer=kept).count() == 2
    assert Preference.objects.filter(customer=kept).count() == 2
    assert SpecialDate.objects.filter(customer=kept).count() == 2
    assert sorted(kept.tags.values_list("name", flat=True)) == sorted(["VIP", "商务", "老客"])
    assert dropped == {"customers.Customer_tags.customer": 1, "customers.ContactLink.person": 1}
    # Contact links: org1 has the person once (its own link kept), org2 now points at the survivor.
    assert list(ContactLink.objects.filter(organisation=w.org1).values_list("person_id", flat=True)) == [kept.pk]
    assert ContactLink.objects.get(organisation=w.org2).person_id == kept.pk
    # The group link moved with the file; the earlier merge now answers with the survivor.
    kept.refresh_from_db()
    assert kept.group_account_id is not None
    assert kept.group_account_id == Customer.objects.get(pk=w.twin_h2.pk).group_account_id
    assert merging.survivor_of(w.earlier_id) == kept.pk
    assert merging.survivor_of(gone.pk) == kept.pk


def test_chosen_values_go_through_the_normal_save_path(pair):
    w = pair
    kept, gone = w.kept, w.gone
    merging.merge(w.gm, kept, gone, {"name": "merged", "job_title": "merged", "id_number": "merged"})
    kept.refresh_from_db()
    # The ID number came over encrypted again, with its hash and mask; birth date and gender from it.
    assert kept.id_number_hash == blind_index(ID_A)
    assert services.id_number_of(kept) == ID_A and ID_A not in kept.id_number_enc
    assert kept.id_number_masked == "1101**********" + ID_A[-4:]
    assert kept.birth_date == dt.date(1990, 3, 7) and kept.gender == "M"
    assert (kept.name, kept.job_title, kept.mobile) == ("王晓明", "总经理", "13800001111")
    # Search keys rebuilt: the survivor is found by the chosen name's pinyin.
    assert SearchKey.objects.filter(customer=kept, key="wangxiaoming").exists()
    # History: the change is recorded with the actor and the reason "merge".
    last = kept.history.order_by("-history_date", "-history_id").first()
    assert (last.history_user_id, last.history_change_reason) == (w.gm.pk, "merge")
    gone_last = Customer.history.filter(id=gone.pk).order_by("-history_date", "-history_id").first()
    assert (gone_last.history_type, gone_last.history_change_reason, gone_last.history_user_id) == \
        ("-", "merge", w.gm.pk)


def test_the_consumption_profile_is_refreshed(pair):
    """visits.profile is told through customers.signals.files_merged (customers does not
    import visits): the survivor's profile is derived from both files' visits."""
    from yingke.visits.profile import refresh_profiles

    w = pair
    refresh_profiles([w.kept.pk, w.gone.pk])
    fields = ["visit_count", "total_spend", "stay_count", "nights", "refund_count", "refund_total"]
    a, b = (Customer.objects.values(*fields).get(pk=c.pk) for c in (w.kept, w.gone))
    assert a["stay_count"] == b["stay_count"] == 1
    merging.merge(w.gm, w.kept, w.gone)
    after = Customer.objects.values(*fields).get(pk=w.kept.pk)
    assert after == {f: a[f] + b[f] for f in fields}


def test_the_merge_record_says_who_merged_what(pair):
    w = pair
    record = merging.merge(w.gm, w.kept, w.gone, {"id_number": "merged"})
    record = MergeRecord.objects.get(merged_id=w.gone.pk)
    assert (record.survivor_id, record.merged_by_id, record.merged_code, record.merged_name) == \
        (w.kept.pk, w.gm.pk, "K002", "王晓明")
    assert record.choices["id_number"] == "merged" and record.choices["name"] == "kept"
    assert record.moved["visits.Visit.customer"] == 3
    assert record.snapshot["mobile"] == "13800002222"
    assert record.snapshot["id_number_masked"] == "1101**********" + ID_A[-4:]
    text = str(record.snapshot)
    assert ID_A not in text and "id_number_enc" not in text and "id_number_hash" not in text


def test_an_id_number_only_on_the_merged_file_is_offered_by_default(pair):
    w = pair
    assert merging.default_choices(w.kept, w.gone)["id_number"] == "merged"
    assert merging.default_choices(w.kept, w.gone)["mobile"] == "kept"


def test_two_id_numbers_the_survivor_keeps_its_own_by_default(pair):
    w = pair
    services.save_customer(w.gm, Customer.objects.get(pk=w.kept.pk), id_number=ID_B)
    kept = Customer.objects.get(pk=w.kept.pk)
    merging.merge(w.gm, kept, w.gone)
    kept.refresh_from_db()
    assert services.id_number_of(kept) == ID_B
