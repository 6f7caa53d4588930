"""R-2.6, R-8.4: what guests wrote on the public page is read by staff — also praise and
suggestions that joined no file — under the complaints' rule: through the guest's file, or
(anonymous) by the property-wide roles of the property."""

import pytest
from django.urls import reverse

from yingke.complaints import feedback
from yingke.core.models import Outlet

LIST = reverse("complaints:feedback")


@pytest.fixture
def messages_in(world):
    outlet = Outlet.objects.filter(property=world.h1).first()
    feedback.submit(world.h1, outlet=outlet, location="8", kind="praise", text="早餐很好吃，谢谢！", name="王先生")
    feedback.submit(world.h1, outlet=None, location="", kind="suggestion", text="希望增加儿童座椅",
                    mobile=world.c_am1.mobile, consent=True)
    feedback.submit(world.h2, outlet=None, location="", kind="praise", text="酒楼环境很好")
    return world


def bodies(client, user, **params):
    client.force_login(user)
    r = client.get(LIST, params)
    assert r.status_code == 200
    return r.content.decode()


@pytest.mark.parametrize("who, sees", [
    ("gm", {"早餐很好吃", "希望增加儿童座椅"}), ("desk", {"早餐很好吃", "希望增加儿童座椅"}),
    ("sup", {"早餐很好吃", "希望增加儿童座椅"}), ("am1", {"希望增加儿童座椅"}), ("sm", {"希望增加儿童座椅"}),
    ("am2", set()), ("admin", set()), ("gm2", {"酒楼环境很好"}),
])
def test_who_reads_which_message(client, messages_in, who, sees):
    body = bodies(client, getattr(messages_in, who))
    for text in ("早餐很好吃", "希望增加儿童座椅", "酒楼环境很好"):
        assert (text in body) == (text in sees), (who, text)


def test_a_joined_message_links_the_file_and_the_kind_filters(client, messages_in):
    body = bodies(client, messages_in.gm, kind="suggestion")
    assert reverse("customers:detail", args=[messages_in.c_am1.pk]) in body and "早餐很好吃" not in body
    assert "王先生" in bodies(client, messages_in.gm, kind="praise")
    assert "早餐很好吃" in bodies(client, messages_in.gm, kind="nonsense")  # an unknown kind is all


def test_export_goes_through_the_export_helper(client, messages_in):
    client.force_login(messages_in.desk)
    assert client.get(reverse("complaints:feedback_export", args=["csv"])).status_code == 403
    client.force_login(messages_in.gm)
    r = client.get(reverse("complaints:feedback_export", args=["csv"]))
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert r.status_code == 200 and "早餐很好吃" in text and "酒楼环境很好" not in text


def test_empty_state_and_query_count(client, world, django_assert_max_num_queries):
    assert "还没有" in bodies(client, world.gm) or "No guest" in bodies(client, world.gm)
    for i in range(12):
        feedback.submit(world.h1, outlet=None, location=str(i), kind="praise", text=f"好{i}")
    client.force_login(world.gm)
    with django_assert_max_num_queries(8):
        assert client.get(LIST).status_code == 200
