"""A visit written by an import has no history record of its own (bulk insert): its history
starts with "imported from FILE (import #N) by USER on DATE" (R-12.3), from
visit.import_run, in the page and the API — never "No changes recorded"."""

import datetime as dt
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from tests.api.helpers import token_client
from yingke.imports.models import ImportRun
from yingke.visits.history import visit_history
from yingke.visits.models import Visit
from yingke.visits.services import correct_visit


def imported_visit(world):
    run = ImportRun.objects.create(property=world.h1, kind="visits", file_name="pos-november.csv", sha256="0" * 64,
                                   user=world.gm, state="done")
    when = timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=2), dt.time(19)))
    visit = Visit(property=world.h1, customer=world.c_am1, occurred_at=when, amount=Decimal("88.00"), covers=2,
                  doc_no="P-1", import_run=run)
    Visit.objects.bulk_create([visit])  # as the import engine writes: no history record
    return Visit.objects.get(doc_no="P-1"), run


def test_the_history_starts_with_the_import(world):
    visit, run = imported_visit(world)
    changes = visit_history(visit)
    assert len(changes) == 1 and changes[0].action == "imported"
    assert "pos-november.csv" in changes[0].after and f"#{run.pk}" in changes[0].after
    assert world.gm.label in changes[0].after


def test_a_later_correction_comes_after_it(world):
    visit, _run = imported_visit(world)
    correct_visit(world.gm, visit, amount="99")
    changes = visit_history(visit)
    assert changes[-1].action == "imported" and len(changes) == 2


def test_the_page_and_the_api_show_it(world):
    visit, run = imported_visit(world)
    client = Client()
    client.force_login(world.am1)
    page = client.get(f"/visits/customer/{world.c_am1.pk}/{visit.pk}/history/", HTTP_HX_REQUEST="true",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "pos-november.csv" in page and "No changes recorded" not in page
    items = token_client(world.am1).get(f"/api/visits/{visit.pk}/history").json()["items"]
    assert items[0]["action"] == "imported" and f"#{run.pk}" in items[0]["after"]
