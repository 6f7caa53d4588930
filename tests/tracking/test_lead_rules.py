"""R-7.1 leads: who may open them and for whom, the referral and informant rules, the seven
sources, odd input refused with nothing saved; stage moves (the board's expected stage, closed
leads, `reached` the furthest stage); conversion (link an editable file, duplicates by mobile
or name + employer, hidden files only counted, the lead's follow-ups and tasks carried over and
numbered in time with the file's own)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import make_customer
from yingke.core.permissions import NotVisible
from yingke.core.services import Conflict
from yingke.customers.models import Customer
from yingke.tracking import services
from yingke.tracking.models import FollowUp, Lead, Source, Stage, Task


def lead(world, actor=None, **data):
    data = {"name": "王五", "source": Source.MARKETING, **data}
    return services.create_lead(actor or world.am1, world.h1, **data)


def fields(excinfo) -> set:
    return set(excinfo.value.message_dict)


# ---- creation ------------------------------------------------------------------------------------

def test_the_seven_sources_are_those_of_seed_001(world):
    assert set(Source.values) == {"door_to_door", "marketing", "referral", "data_lookup", "informant",
                                  "own_records", "events"}
    for source in Source.values:
        extra = {"referrer": world.c_am1} if source == "referral" else {}
        extra |= {"informant": "老周"} if source == "informant" else {}
        assert lead(world, source=source, **extra).source == source


@pytest.mark.parametrize("source", ["", None, "nonsense", "REFERRAL", 3, ["marketing"]])
def test_an_unknown_source_is_refused(world, source):
    with pytest.raises(ValidationError) as e:
        lead(world, source=source)
    assert "source" in fields(e)
    assert not Lead.objects.exists()


def test_a_referral_names_a_visible_guest_of_the_same_property(world):
    with pytest.raises(ValidationError) as e:
        lead(world, source=Source.REFERRAL)
    assert fields(e) == {"referrer"}
    for bad in (world.c_am2, world.c_h2, world.c_h2.pk, world.c_am2.pk, "abc", -1, 2**70, True, 10**6):
        with pytest.raises(ValidationError) as e:  # hidden, another property's, not a file
            lead(world, source=Source.REFERRAL, referrer=bad)
        assert fields(e) == {"referrer"}, bad
    assert not Lead.objects.exists()
    made = lead(world, source=Source.REFERRAL, referrer=world.c_am1)
    assert made.referrer == world.c_am1
    assert lead(world, source=Source.REFERRAL, referrer=world.c_pool.pk).referrer == world.c_pool
    # the sales manager sees am2's guest, so may name them
    assert lead(world, world.sm, source=Source.REFERRAL, referrer=world.c_am2).referrer == world.c_am2


def test_the_referrer_is_dropped_when_the_source_is_not_a_referral(world):
    made = lead(world, source=Source.MARKETING, referrer=world.c_am1, informant="老周")
    assert made.referrer is None and made.informant == ""
    made = services.update_lead(world.am1, lead(world, source=Source.REFERRAL, referrer=world.c_am1),
                                source=Source.EVENTS)
    assert Lead.objects.get(pk=made.pk).referrer_id is None


@pytest.mark.parametrize("informant", ["", "   ", "\u200b", "\u200b\u2060 ", None])
def test_a_delegated_informant_needs_a_name(world, informant):
    with pytest.raises(ValidationError) as e:
        lead(world, source=Source.INFORMANT, informant=informant)
    assert fields(e) == {"informant"}
    assert not Lead.objects.exists()


def test_an_informant_is_kept_with_spaces_collapsed(world):
    assert lead(world, source=Source.INFORMANT, informant="  门卫   老周 ").informant == "门卫 老周"


@pytest.mark.parametrize("name", ["", "  ", "\u200b\u200d", "王\x00五", "王\x1b五", "\ud800", "王" * 101])
def test_odd_names_are_refused_and_nothing_is_saved(world, name):
    with pytest.raises(ValidationError) as e:
        lead(world, name=name)
    assert "name" in fields(e)
    assert not Lead.objects.exists()


@pytest.mark.parametrize("name", ["王五🎉", "Zoë O’Brien", "𠀀𠀁", "王" * 100, "ا لعربية"])
def test_unusual_but_valid_names_are_kept(world, name):
    assert Lead.objects.get(pk=lead(world, name=name).pk).name == " ".join(name.split())


@pytest.mark.parametrize("data, field", [({"mobile": "12345"}, "mobile"), ({"mobile": "138 1234 5678 9"}, "mobile"),
                                         ({"email": "not-an-email"}, "email"), ({"kind": "robot"}, "kind"),
                                         ({"stage": Stage.CUSTOMER}, "stage"), ({"stage": 99}, "stage"),
                                         ({"stage": "3"}, "stage"), ({"employer": "x" * 101}, "employer"),
                                         ({"needs": "a\x07b"}, "needs")])
def test_bad_fields_are_refused(world, data, field):
    with pytest.raises(ValidationError) as e:
        lead(world, **data)
    assert field in fields(e)
    assert not Lead.objects.exists()


def test_the_mobile_is_normalised(world):
    assert lead(world, mobile="+86 138-1234-0009").mobile == "13812340009"


def test_who_may_open_leads(world):
    for user in (world.gm, world.sm, world.am1, world.am3):
        assert lead(world, user).property == world.h1
    for user in (world.desk, world.sup, world.admin, world.am_h2, world.gm2):
        with pytest.raises(PermissionDenied):
            lead(world, user)
    assert Lead.objects.count() == 4


def test_the_owner_defaults_to_the_actor_when_they_may_own_files(world):
    assert lead(world, world.am1).owner == world.am1
    assert lead(world, world.sm).owner == world.sm
    assert lead(world, world.gm).owner is None  # the general manager owns no files: the pool


@pytest.mark.parametrize("actor, allowed, refused", [
    ("gm", ["am1", "am2", "am3", "sm"], ["desk", "sup", "gm", "am_h2", "admin"]),
    ("sm", ["sm", "am1", "am2"], ["am3", "gm", "am_h2"]),
    ("am1", ["am1"], ["am2", "sm", "am3"]),
])
def test_owner_choices_per_role(world, actor, allowed, refused):
    actor = getattr(world, actor)
    for name in allowed:
        assert lead(world, actor, owner=getattr(world, name)).owner == getattr(world, name)
    for name in refused:
        with pytest.raises(ValidationError) as e:
            lead(world, actor, owner=getattr(world, name))
        assert fields(e) == {"owner"}, name
    assert Lead.objects.count() == len(allowed)
    assert lead(world, actor, owner=None).owner is None  # the pool is always a choice


def test_an_owner_given_by_id_is_taken_like_the_member(world):
    assert lead(world, world.gm, owner=world.am1.pk).owner == world.am1


@pytest.mark.parametrize("owner", ["abc", -5, 2**70, 10**9, 1.5, True])
def test_an_owner_that_is_no_member_is_a_field_error(world, owner):
    with pytest.raises(ValidationError) as e:
        lead(world, world.gm, owner=owner)
    assert fields(e) == {"owner"}


# ---- stages -----------------------------------------------------------------------------------------

def test_reached_is_the_furthest_stage(world):
    made = lead(world)
    assert (made.stage, made.reached) == (Stage.TARGET, Stage.TARGET)
    services.move_stage(world.am1, made, Stage.FINE)
    moved = services.move_stage(world.am1, made, Stage.CONTACTED, expect=Stage.FINE)
    stored = Lead.objects.get(pk=made.pk)
    assert (moved.stage, moved.reached) == (stored.stage, stored.reached) == (Stage.CONTACTED, Stage.FINE)
    services.move_stage(world.am1, made, Stage.PLAN)
    assert Lead.objects.get(pk=made.pk).reached == Stage.PLAN


def test_a_move_from_a_stale_board_is_a_conflict(world):
    made = lead(world)
    services.move_stage(world.am1, made, Stage.KEY)
    with pytest.raises(Conflict):
        services.move_stage(world.sm, made, Stage.FINE, expect=Stage.TARGET)  # saw it at "target"
    assert Lead.objects.get(pk=made.pk).stage == Stage.KEY


@pytest.mark.parametrize("stage", [Stage.CUSTOMER, 0, 8, "2", None])
def test_moving_to_customer_or_no_stage_is_refused(world, stage):
    made = lead(world)
    with pytest.raises(ValidationError):
        services.move_stage(world.am1, made, stage)
    assert Lead.objects.get(pk=made.pk).stage == Stage.TARGET


def test_a_closed_lead_does_not_move(world):
    dropped = services.drop_lead(world.am1, lead(world), "没兴趣")
    with pytest.raises(Conflict):
        services.move_stage(world.am1, dropped, Stage.CONTACTED)
    with pytest.raises(Conflict):
        services.drop_lead(world.am1, dropped, "again")
    services.reopen_lead(world.am1, dropped)
    assert services.move_stage(world.am1, dropped, Stage.CONTACTED).stage == Stage.CONTACTED
    converted = lead(world, name="新名字")
    services.convert(world.am1, converted)
    for call in (lambda: services.move_stage(world.am1, converted, Stage.KEY),
                 lambda: services.drop_lead(world.am1, converted, "x"),
                 lambda: services.convert(world.am1, converted, create_anyway=True),
                 lambda: services.reopen_lead(world.am1, converted)):
        with pytest.raises(Conflict):
            call()


def test_who_may_move_a_lead(world):
    made = lead(world)  # am1's
    for user in (world.am2, world.am3, world.gm2, world.admin):
        with pytest.raises(NotVisible):
            services.move_stage(user, made, Stage.CONTACTED)
    for user in (world.desk, world.sup):  # they see it but do not work leads
        with pytest.raises(PermissionDenied):
            services.move_stage(user, made, Stage.CONTACTED)
    services.move_stage(world.sm, made, Stage.CONTACTED)
    services.move_stage(world.gm, made, Stage.FINE)
    assert Lead.objects.get(pk=made.pk).stage == Stage.FINE


def test_a_talk_with_a_target_makes_it_contacted(world):
    made = lead(world)
    services.log_follow_up(world.am1, made, channel="phone", outcome="no_answer", summary="没人接")
    assert Lead.objects.get(pk=made.pk).stage == Stage.TARGET
    services.log_follow_up(world.am1, made, channel="phone", outcome="reached", summary="聊了")
    stored = Lead.objects.get(pk=made.pk)
    assert (stored.stage, stored.reached) == (Stage.CONTACTED, Stage.CONTACTED)


# ---- conversion ------------------------------------------------------------------------------------

def test_converting_opens_a_file_with_the_leads_details(world):
    made = lead(world, mobile="13800001111", employer="迎客科技", job_title="总监", email="w@example.com",
                needs="包间")
    file = services.convert(world.am1, made)
    assert (file.property, file.owner, file.name, file.mobile, file.employer) == \
        (world.h1, world.am1, "王五", "13800001111", "迎客科技")
    stored = Lead.objects.get(pk=made.pk)
    assert stored.customer == file and stored.stage == stored.reached == Stage.CUSTOMER
    assert stored.converted_at is not None and stored.converted_by == world.am1 and not stored.is_open


def test_converting_links_an_existing_file_the_actor_may_change(world):
    made = lead(world)
    assert services.convert(world.am1, made, customer=world.c_am1.pk) == world.c_am1
    assert Customer.objects.count() == 5


@pytest.mark.parametrize("target", ["c_am2", "c_h2", "missing", "text"])
def test_a_file_one_may_not_change_cannot_be_linked(world, target):
    made = lead(world)
    customer = {"missing": 10**9, "text": "C001"}.get(target) or getattr(world, target)
    with pytest.raises(ValidationError) as e:
        services.convert(world.am1, made, customer=customer)
    assert fields(e) == {"customer"}
    assert Lead.objects.get(pk=made.pk).is_open


def test_the_front_desk_cannot_link_a_file_it_sees(world):
    made = lead(world, world.gm)
    with pytest.raises(PermissionDenied):
        services.convert(world.desk, made, customer=world.c_pool)


@pytest.mark.parametrize("match", [{"mobile": "13812345678"}, {"name": "张三", "employer": "迎客科技"}])
def test_a_possible_duplicate_is_a_conflict_unless_confirmed(world, match):
    Customer.objects.filter(pk=world.c_am1.pk).update(employer="迎客科技")
    made = lead(world, **{"name": "张三", **match})
    found = services.possible_files(world.am1, made)
    assert found == {"visible": [world.c_am1], "hidden": 0}
    with pytest.raises(Conflict):
        services.convert(world.am1, made)
    assert Customer.objects.count() == 5 and Lead.objects.get(pk=made.pk).is_open
    file = services.convert(world.am1, made, create_anyway=True)
    assert file.pk != world.c_am1.pk and Customer.objects.count() == 6


def test_the_same_name_alone_or_another_propertys_file_is_no_duplicate(world):
    assert services.possible_files(world.am1, lead(world, name="张三")) == {"visible": [], "hidden": 0}
    assert services.possible_files(world.am1, lead(world, name="别人", mobile="13512340004")) == \
        {"visible": [], "hidden": 0}  # c_h2's mobile, another property


def test_hidden_files_are_only_counted(world):
    made = lead(world, name="王五", mobile="13912340001")  # am2's guest 单田芳, hidden from am1
    assert services.possible_files(world.am1, made) == {"visible": [], "hidden": 1}
    with pytest.raises(Conflict) as e:
        services.convert(world.am1, made)
    text = " ".join(e.value.messages)
    assert "单田芳" not in text and "C002" not in text and "am2" not in text
    assert services.possible_files(world.sm, made) == {"visible": [world.c_am2], "hidden": 0}


def test_follow_ups_and_tasks_move_to_the_file_numbered_in_time_with_its_own(world):
    now = timezone.now()
    made = lead(world)
    for days, text in ((10, "lead one"), (4, "lead two")):
        services.log_follow_up(world.am1, made, channel="phone", outcome="reached", summary=text,
                               occurred_at=now - dt.timedelta(days=days))
    task = services.add_task(world.am1, made, title="再打", due_on=world.h1.local_today() + dt.timedelta(days=2))
    for days, text in ((12, "file one"), (7, "file two"), (1, "file three")):
        services.log_follow_up(world.am1, world.c_am1, channel="visit", outcome="reached", summary=text,
                               occurred_at=now - dt.timedelta(days=days))
    services.convert(world.am1, made, customer=world.c_am1)
    rows = list(FollowUp.objects.filter(customer=world.c_am1).order_by("ordinal").values_list("summary", "ordinal"))
    assert rows == [("file one", 1), ("lead one", 2), ("file two", 3), ("lead two", 4), ("file three", 5)]
    assert not FollowUp.objects.filter(customer__isnull=True).exists()
    assert Task.objects.get(pk=task.pk).customer == world.c_am1
    # a follow-up logged on the converted lead goes to its file
    f = services.log_follow_up(world.am1, Lead.objects.get(pk=made.pk), channel="sms", outcome="reached",
                               summary="after")
    assert (f.customer, f.ordinal) == (world.c_am1, 6)


def test_a_new_file_from_a_lead_keeps_its_history(world):
    made = lead(world, mobile="13800002222")
    services.log_follow_up(world.am1, made, channel="phone", outcome="reached", summary="一")
    services.log_follow_up(world.am1, made, channel="phone", outcome="reached", summary="二")
    file = services.convert(world.am1, made)
    assert list(FollowUp.objects.filter(customer=file).order_by("ordinal").values_list("summary", "ordinal")) == \
        [("一", 1), ("二", 2)]


def test_conversion_by_someone_who_may_not_see_the_lead_is_a_404(world):
    made = lead(world)
    with pytest.raises(NotVisible):
        services.convert(world.am2, made)
    assert Lead.objects.get(pk=made.pk).is_open and Customer.objects.count() == 5


def test_a_lead_for_a_file_of_the_pool_is_converted_by_its_owner(world):
    made = lead(world, world.am3)
    file = services.convert(world.am3, made, create_anyway=True)
    assert file.owner == world.am3
    assert make_customer  # the fixture helper stays importable for other files
