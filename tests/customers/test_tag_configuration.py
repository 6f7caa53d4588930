"""Tags of a property at /settings/tags/ (R-1.2, R-12.3): list with counts, rename, merge,
delete — each recorded in the history of every affected file, in bulk."""

from django.test import Client

from tests.conftest import make_customer
from yingke.core.models import AuditEvent
from yingke.core.permissions import SYSTEM
from yingke.customers import tags as tag_services
from yingke.customers.models import Customer, Tag
from yingke.customers.views.changes import history_for


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_list_shows_each_tag_with_its_file_count(world):
    vip = Tag.objects.create(property=world.h1, name="VIP")
    Tag.objects.create(property=world.h1, name="商务")
    Tag.objects.create(property=world.h2, name="H2专用")
    world.c_am1.tags.add(vip)
    world.c_pool.tags.add(vip)
    page = client_for(world.gm).get("/settings/tags/")
    rows = {t.name: t.files for t in page.context["page"].object_list}
    assert rows == {"VIP": 2, "商务": 0}
    text = page.content.decode()
    assert "H2专用" not in text and "张三" not in text  # no other property, no customer data
    empty = client_for(world.gm2).get("/settings/tags/").content.decode()
    assert "H2专用" in empty and "VIP" not in empty


def test_rename_through_the_page_is_in_each_file_history(world):
    vip = Tag.objects.create(property=world.h1, name="VIP")
    world.c_am1.tags.add(vip)
    client = client_for(world.admin)
    response = client.post(f"/settings/tags/{vip.pk}/", {"name": " 贵宾 "})
    assert response.status_code == 302
    vip.refresh_from_db()
    assert vip.name == "贵宾"
    record = world.c_am1.history.order_by("-history_id").first()
    assert record.history_user == world.admin and "VIP" in record.history_change_reason
    assert [t.tag.name for t in record.tags.all()] == ["贵宾"]
    # The file's change history says what happened to its tag.
    changes = history_for(Customer.objects.get(pk=world.c_am1.pk), world.gm)
    assert any(c.action == "changed" and "VIP" in c.after and "贵宾" in c.after for c in changes), changes
    event = AuditEvent.objects.get(action="config.tag.rename")
    assert event.details["before"] == {"name": "VIP"} and event.details["files"] == 1


def test_bad_rename_changes_nothing(world):
    vip = Tag.objects.create(property=world.h1, name="VIP")
    Tag.objects.create(property=world.h1, name="商务")
    client = client_for(world.gm)
    for name in ["", "   ", "商务", "x" * 31, "a\x00b"]:
        response = client.post(f"/settings/tags/{vip.pk}/", {"name": name})
        assert response.status_code == 422, name
        assert response.context["rename"].errors, name
    assert Tag.objects.get(pk=vip.pk).name == "VIP"
    assert not AuditEvent.objects.exists()


def test_merge_and_delete_through_the_pages(world):
    vip = Tag.objects.create(property=world.h1, name="VIP")
    dup = Tag.objects.create(property=world.h1, name="vip")
    other = Tag.objects.create(property=world.h2, name="VIP")
    world.c_am1.tags.add(vip, dup)
    world.c_am2.tags.add(dup)
    client = client_for(world.gm)
    # Into a tag of another property: not offered, refused.
    assert client.post(f"/settings/tags/{dup.pk}/merge/", {"into": other.pk}).status_code == 422
    assert client.post(f"/settings/tags/{dup.pk}/merge/", {"into": dup.pk}).status_code == 422
    response = client.post(f"/settings/tags/{dup.pk}/merge/", {"into": vip.pk})
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=dup.pk).exists()
    assert set(vip.customers.values_list("pk", flat=True)) == {world.c_am1.pk, world.c_am2.pk}
    # Delete needs the confirmation box.
    assert client.post(f"/settings/tags/{vip.pk}/delete/", {}).status_code == 422
    assert Tag.objects.filter(pk=vip.pk).exists()
    response = client.post(f"/settings/tags/{vip.pk}/delete/", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"].endswith("?property=H1")
    assert not Tag.objects.filter(pk=vip.pk).exists() and Tag.objects.filter(pk=other.pk).exists()
    for c in (world.c_am1, world.c_am2):
        last = c.history.order_by("-history_id").first()
        assert list(last.tags.all()) == [] and last.history_user == world.gm
    assert client.get(f"/settings/tags/{vip.pk}/").status_code == 404


def test_merge_of_a_tag_on_many_files_takes_few_queries(world, django_assert_max_num_queries):
    src = Tag.objects.create(property=world.h1, name="旧")
    dst = Tag.objects.create(property=world.h1, name="新")
    files = [make_customer(world.h1, f"M{i:03d}", f"客人{i}") for i in range(120)]
    Customer.tags.through.objects.bulk_create([Customer.tags.through(customer=c, tag=src) for c in files])
    with django_assert_max_num_queries(25):
        tag_services.merge_tags(SYSTEM, src, dst)
    assert dst.customers.count() == 120
    assert all(c.history.filter(history_change_reason__contains="旧").count() == 1 for c in files[:5])
