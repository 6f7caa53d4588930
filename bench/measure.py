"""Measurements run inside one data set (env set by bench/run.py); prints one JSON line."""

import json
import os
import random
import re
import sys
import time
from urllib.parse import quote

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yingke.settings")
os.environ["YINGKE_AXES"] = "0"
import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from yingke.core.models import User  # noqa: E402
from yingke.core.roles import Role  # noqa: E402
from yingke.customers.models import Customer, SearchKey  # noqa: E402
from yingke.customers.search import search  # noqa: E402
from yingke.customers.services import id_number_of  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary(times):
    return {"n": len(times), "p50": pct(times, 50), "p95": pct(times, 95), "max": max(times)}


def timed(fn, *args):
    t = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t) * 1000


def staff(role):
    return User.objects.filter(role=role, is_active=True).order_by("id").first()


def search_bench():
    rng = random.Random(11)
    gm, am = staff(Role.GENERAL_MANAGER), staff(Role.ACCOUNT_MANAGER)
    ids = list(Customer.objects.values_list("id", flat=True))
    sample = Customer.objects.filter(id__in=rng.sample(ids, min(400, len(ids))))
    with_id = list(Customer.objects.exclude(id_number_enc="")[:50])
    queries = []
    for c in sample:
        if c.mobile:
            queries += [("mobile", c.mobile), ("last4", c.mobile_last4)]
        queries += [("name", c.name), ("code", c.customer_code)]
        pinyin = SearchKey.objects.filter(customer=c, kind=2).values_list("key", flat=True).first()
        initials = SearchKey.objects.filter(customer=c, kind=3).values_list("key", flat=True).first()
        if pinyin:
            queries.append(("pinyin", pinyin))
        if initials:
            queries.append(("initials", initials))
        if c.card_no:
            queries.append(("card", c.card_no))
        # Hard cases: one letter, a surname in pinyin, one character (many matches each).
        if pinyin:
            queries += [("one letter", pinyin[0]), ("surname pinyin", pinyin[:4])]
        queries.append(("one character", c.name[0]))
    queries += [("id", id_number_of(c)) for c in with_id]
    rng.shuffle(queries)
    queries = queries[:800]
    times, by_kind = [], {}
    for user in (gm, am):
        user.property_ids()
        for kind, q in queries:
            t = timed(search, user, q)
            times.append(t)
            by_kind.setdefault(kind, []).append(t)
    floor = [timed(lambda i: Customer.objects.filter(pk=i).first(), i) for i in rng.sample(ids, 300)]
    result = summary(times)
    result["floor_p95"] = pct(floor, 95)
    result["by_kind"] = {k: pct(v, 95) for k, v in by_kind.items()}
    return {"search": result}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def page_time(client, url):
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - t) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(ctx.captured_queries), response


def floor_p95():
    anon = Client()
    return pct([timed(anon.get, "/login/") for _ in range(60)], 95)


def pages_bench():
    from django.db.models import Count

    gm = staff(Role.GENERAL_MANAGER)
    client = client_for(gm)
    busiest = (Customer.objects.annotate(n=Count("visits")).order_by("-n").values_list("id", flat=True)[:30])
    times, queries = [], []
    for cid in busiest:
        page_time(client, f"/customers/{cid}/")  # warm
        t, q, _r = page_time(client, f"/customers/{cid}/")
        times.append(t)
        queries.append(q)
    result = summary(times)
    result.update(queries=max(queries), floor_p95=floor_p95())
    return {"page": result}


def list_bench():
    gm = staff(Role.GENERAL_MANAGER)
    am = staff(Role.ACCOUNT_MANAGER)
    client = client_for(gm)
    tag = Customer.tags.through.objects.values_list("tag__name", flat=True).first()
    views = {
        "first page": "/customers/",
        "newest first": "/customers/?order=-created",
        "one account manager": f"/customers/?owner={am.id}",
        "tag": f"/customers/?tag={quote(str(tag))}",
    }
    out = {}
    for label, url in views.items():
        runs = [page_time(client, url) for _ in range(12)]
        out[label] = dict(summary([r[0] for r in runs[2:]]), queries=runs[-1][1])
    # Walk five keyset pages forward.
    url, runs = "/customers/", []
    for _ in range(5):
        t, q, response = page_time(client, url)
        runs.append((t, q))
        m = re.search(r'href="(\?[^"]*after=[^"]+)"', response.content.decode())
        if not m:
            break
        url = "/customers/" + m.group(1).replace("&amp;", "&")
    out["keyset pages 1-5"] = dict(summary([r[0] for r in runs]), queries=max(r[1] for r in runs))
    return {"list": out, "floor_p95": floor_p95()}


if __name__ == "__main__":
    what = sys.argv[1]
    result = {"search": search_bench, "pages": pages_bench, "list": list_bench}[what]()
    print(json.dumps(result))
