"""After a merge (R-2.8, R-12.3) the merged file's own change history stays reachable: the
survivor's history shows the merge (who, when, which file, which values were taken from
it) and the merged file's earlier records under "merged from CODE" — in the page, the API,
and through the one history code (customers.views.changes.history_for)."""

import pytest
from django.test import Client

from tests.api.helpers import token_client
from tests.conftest import make_customer
from yingke.customers import merge as merging
from yingke.customers import services
from yingke.customers.views.changes import history_for


@pytest.fixture
def merged(world):
    w = world
    w.kept = make_customer(w.h1, "R1", "黄蓉", owner=w.am1, mobile="13600006666", employer="桃花岛")
    gone = make_customer(w.h1, "C377", "黄蓉", owner=w.am1, mobile="13600007777", employer="丐帮")
    gone.job_title = "帮主"
    services.save_customer(w.am1, gone)  # a change of the merged file, made before the merge
    w.gone_id = gone.pk
    merging.merge(w.gm, w.kept, gone, {"job_title": merging.MERGED})
    return w


def test_the_survivors_history_shows_the_merge_and_the_merged_files_records(merged):
    w = merged
    changes = history_for(w.kept, w.am1)
    merge = [c for c in changes if c.action == "merged"]
    assert len(merge) == 1
    assert "C377" in merge[0].subject and "C377" in merge[0].before
    assert merge[0].who == str(w.gm) or merge[0].who == w.gm.label
    assert "job title" in merge[0].after.lower() or "职" in merge[0].after
    own = [c for c in changes if "C377" in c.subject and c.action == "changed"]
    assert any(c.after == "帮主" for c in own)  # the merged file's own change before the merge
    assert any(c.action == "created" and "C377" in c.subject for c in changes)


def test_the_page_and_the_api_show_it(merged):
    w = merged
    client = Client()
    client.force_login(w.am1)
    page = client.get(f"/customers/{w.kept.pk}/history/", {"all": "1"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "merged from c377" in page.lower() and "帮主" in page
    items = token_client(w.am1).get(f"/api/customers/{w.kept.pk}/history", {"limit": 100},
                                    **{"Accept-Language": "en"}).json()["items"]
    assert any(i["action"] == "merged" and "C377" in i["before"] for i in items)
    assert any(i["subject"] == "merged from C377" and i["after"] == "帮主" for i in items)


def test_a_file_without_merges_has_no_merge_lines(world):
    assert not [c for c in history_for(world.c_am1, world.am1) if c.action == "merged" or "merged" in c.subject]
