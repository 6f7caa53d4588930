"""Contact people are regular information of the organisation's file: editors change them,
the supervisor and the front desk do not (R-1.2, R-2.1)."""

from django.urls import reverse

from yingke.customers.models import ContactLink

HX = {"HX-Request": "true"}


def test_supervisor_may_not_add_a_contact_person(client, world, org):
    client.force_login(world.sup)
    r = client.post(reverse("customers:contact_add", args=[org.pk]), {"person": "C004", "title": "x"}, headers=HX)
    assert r.status_code == 403
    assert not ContactLink.objects.filter(organisation=org, person=world.c_pool).exists()


def test_supervisor_may_not_remove_a_contact_person(client, world, org):
    link = ContactLink.objects.get(organisation=org)
    client.force_login(world.sup)
    r = client.post(reverse("customers:contact_delete", args=[org.pk, link.pk]), headers=HX)
    assert r.status_code == 403
    assert ContactLink.objects.filter(pk=link.pk).exists()


def test_supervisor_sees_no_contact_form_or_remove_button(client, world, org):
    client.force_login(world.sup)
    html = client.get(reverse("customers:detail", args=[org.pk])).content.decode()
    assert reverse("customers:contact_add", args=[org.pk]) not in html
    link = ContactLink.objects.get(organisation=org)
    assert reverse("customers:contact_delete", args=[org.pk, link.pk]) not in html
    client.force_login(world.am1)
    html = client.get(reverse("customers:detail", args=[org.pk])).content.decode()
    assert reverse("customers:contact_delete", args=[org.pk, link.pk]) in html


def test_editor_still_adds_and_removes_contact_people(client, world, org):
    client.force_login(world.am1)
    r = client.post(reverse("customers:contact_add", args=[org.pk]), {"person": "C004", "title": "助理"},
                    headers=HX)
    assert r.status_code == 200
    link = ContactLink.objects.get(organisation=org, person=world.c_pool)
    r = client.post(reverse("customers:contact_delete", args=[org.pk, link.pk]), headers=HX)
    assert r.status_code == 200 and not ContactLink.objects.filter(pk=link.pk).exists()


