"""A general manager's grade override (R-4, issue 13 point 1): only the GM of a visible file,
with a reason (1–200 characters of plain text), audited (who, when, why in the history), shown
beside the computed grade on the 360 page, and never lost at the next run; removal puts the
computed grade back. Bad input changes nothing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.grading.test_grading_pages_helpers import make_run
from yingke.core.services import Conflict
from yingke.customers.models import Customer
from yingke.grading.models import GradeOverride
from yingke.grading.overrides import override_history, remove_override, set_override


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def fresh(c):
    return Customer.objects.get(pk=c.pk)


def test_set_and_remove_are_audited(world):
    make_run(world.h1)
    c = world.c_am3  # computed C
    set_override(world.gm, c, "A", "  长期合作  大客户 ")
    assert fresh(c).grade == "A" and fresh(c).grade_computed == "C"
    o = GradeOverride.objects.get(customer=c)
    assert o.reason == "长期合作 大客户" and o.created_by == world.gm
    set_override(world.gm, c, "B", "调整")
    remove_override(world.gm, c, "误设")
    assert fresh(c).grade == "C" and not GradeOverride.objects.filter(customer=c).exists()
    history = override_history(c)
    assert [(h.history_type, h.grade, h.reason, h.history_user) for h in history] == [
        ("-", "B", "误设", world.gm), ("~", "B", "调整", world.gm), ("+", "A", "长期合作 大客户", world.gm)]


def test_the_override_survives_the_next_run(world):
    make_run(world.h1)
    set_override(world.gm, world.c_am1, "D", "拖欠")
    make_run(world.h1)  # the engine's way: computed grade written, the override stays in force
    c = fresh(world.c_am1)
    assert c.grade == "D" and c.grade_computed == "A"


def test_the_override_survives_a_real_run(world):
    from yingke.grading.services import run_grading

    set_override(world.gm, world.c_am1, "A", "重要客户")
    run_grading(world.gm, world.h1)
    c = fresh(world.c_am1)
    assert c.grade == "A" and c.grade_computed == "D"
    assert GradeOverride.objects.filter(customer=c).exists()


@pytest.mark.parametrize("role,error", [("sm", PermissionDenied), ("am1", PermissionDenied),
                                        ("desk", PermissionDenied), ("admin", Http404), ("gm2", Http404)])
def test_only_the_general_manager_may(world, role, error):
    with pytest.raises(error):
        set_override(getattr(world, role), world.c_am1, "A", "理由")
    assert not GradeOverride.objects.exists() and fresh(world.c_am1).grade == ""


@pytest.mark.parametrize("grade,reason,field", [
    ("E", "理由", "grade"), ("", "理由", "grade"), (None, "理由", "grade"), (1, "理由", "grade"),
    ("A", "", "reason"), ("A", "   ", "reason"), ("A", "x" * 201, "reason"), ("A", "坏\x00字", "reason"),
    ("A", "坏\ud800字", "reason"), ("A", None, "reason"),
])
def test_bad_input_changes_nothing(world, grade, reason, field):
    with pytest.raises(ValidationError) as e:
        set_override(world.gm, world.c_am1, grade, reason)
    assert field in e.value.message_dict
    assert not GradeOverride.objects.exists() and fresh(world.c_am1).grade == ""


def test_removing_nothing_is_a_conflict(world):
    with pytest.raises(Conflict):
        remove_override(world.gm, world.c_am1, "没有")


def test_lowercase_grade_is_read(world):
    set_override(world.gm, world.c_am1, "b", "理由")
    assert fresh(world.c_am1).grade == "B"


# ---- the 360 page's grade card ------------------------------------------------------------------

def test_card_shows_computed_grade_override_and_history(world):
    make_run(world.h1)
    set_override(world.gm, world.c_am3, "A", "董事长亲自交代")
    with translation.override("en"):
        gm = client_for(world.gm)
        page = gm.get(reverse("customers:detail", args=[world.c_am3.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert reverse("grading:grade_card", args=[world.c_am3.pk]) in page and "grade grade-a" in page
        text = gm.get(reverse("grading:grade_card", args=[world.c_am3.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="grade"' in text and "董事长亲自交代" in text and "grade grade-c" in text and "grade-lg grade-a" in text
    assert "2026-11-01" in text  # the history row
    assert reverse("grading:override_set", args=[world.c_am3.pk]) in text


@pytest.mark.parametrize("role", ["sm", "am1", "desk", "sup"])
def test_other_roles_see_the_card_without_the_form(world, role):
    make_run(world.h1)
    c = world.c_am1
    text = client_for(getattr(world, role)).get(reverse("grading:grade_card", args=[c.pk])).content.decode()
    assert 'id="grade"' in text and reverse("grading:override_set", args=[c.pk]) not in text
    response = client_for(getattr(world, role)).post(reverse("grading:override_set", args=[c.pk]),
                                                    {"grade": "A", "reason": "x"})
    assert response.status_code == 403
    response = client_for(getattr(world, role)).post(reverse("grading:override_set", args=[c.pk]),
                                                    {"grade": "Z", "reason": ""})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["admin", "gm2", "am2"])
def test_a_file_out_of_sight_is_404(world, role):
    c = world.c_am1
    user = client_for(getattr(world, role))
    assert user.post(reverse("grading:override_set", args=[c.pk]), {"grade": "A", "reason": "x"}).status_code == 404
    assert user.post(reverse("grading:override_remove", args=[c.pk]), {"reason": "x"}).status_code == 404
    assert user.get(reverse("grading:grade_card", args=[c.pk])).status_code == 404


def test_htmx_override_with_errors_then_success_then_removal(world):
    make_run(world.h1)
    gm, c = client_for(world.gm), world.c_am2
    url = reverse("grading:override_set", args=[c.pk])
    bad = gm.post(url, {"grade": "A", "reason": ""}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and 'class="error"' in bad.content.decode()
    assert fresh(c).grade == "B"
    ok = gm.post(url, {"grade": "A", "reason": "升级"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and ok["HX-Trigger"] == "customer-changed" and "升级" in ok.content.decode()
    assert fresh(c).grade == "A"
    gone = gm.post(reverse("grading:override_remove", args=[c.pk]), {"reason": "撤销"}, HTTP_HX_REQUEST="true")
    assert gone.status_code == 200 and fresh(c).grade == "B"
    again = gm.post(reverse("grading:override_remove", args=[c.pk]), {"reason": "撤销"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 422


def test_plain_post_redirects_back_or_shows_errors(world):
    gm, c = client_for(world.gm), world.c_am1
    ok = gm.post(reverse("grading:override_set", args=[c.pk]), {"grade": "C", "reason": "手动"})
    assert ok.status_code == 302 and ok["Location"].endswith(f"/customers/{c.pk}/#grade")
    bad = gm.post(reverse("grading:override_set", args=[c.pk]), {"grade": "C", "reason": "x" * 300})
    assert bad.status_code == 422 and fresh(c).grade == "C"
    assert GradeOverride.objects.get(customer=c).reason == "手动"


def test_the_grade_card_with_30_runs_takes_few_queries(world, django_assert_max_num_queries):
    import datetime as dt

    for i in range(30):
        make_run(world.h1, as_of=dt.date(2026, 1, 1) + dt.timedelta(days=i))
    set_override(world.gm, world.c_am1, "B", "理由")
    gm = client_for(world.gm)
    gm.get(reverse("customers:detail", args=[world.c_am1.pk]))
    with django_assert_max_num_queries(14):  # the 360 page's own budget (tests/visits)
        assert gm.get(reverse("customers:detail", args=[world.c_am1.pk])).status_code == 200
    with django_assert_max_num_queries(7):  # session, user, properties, file + override, rule, entries, losses
        response = gm.get(reverse("grading:grade_card", args=[world.c_am1.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert len(response.context["grade_entries"]) == 24
    assert response.context["grade_entries"][0].run.as_of == dt.date(2026, 1, 30)


def test_the_card_alone_is_a_page_without_scripts(world):
    make_run(world.h1)
    response = client_for(world.desk).get(reverse("grading:grade_card", args=[world.c_am1.pk]))
    assert response.status_code == 200 and "<html" in response.content.decode()
    assert response.context["grade_entries"][0].grade == "A"
