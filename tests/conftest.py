"""Shared fixtures: two properties, staff of every role, a few guest files."""

import os

import pytest

from yingke.core.models import Outlet, Property, User
from yingke.core.permissions import SYSTEM
from yingke.core.roles import Role
from yingke.customers.models import Customer
from yingke.customers.services import save_customer

PASSWORD = "Yingke-test-2026"

# Which of the world's customers each role sees, written out from the rule, not
# computed: GM, front desk and supervisor see every file of their property; the sales
# manager the team's files (am1, am2) and the pool; an account manager their own and the
# pool; the administrator nothing.
EXPECTED = {
    "gm": {"c_am1", "c_am2", "c_am3", "c_pool"},
    "sm": {"c_am1", "c_am2", "c_pool"},
    "am1": {"c_am1", "c_pool"},
    "am2": {"c_am2", "c_pool"},
    "am3": {"c_am3", "c_pool"},
    "desk": {"c_am1", "c_am2", "c_am3", "c_pool"},
    "sup": {"c_am1", "c_am2", "c_am3", "c_pool"},
    "admin": set(),
    "gm2": {"c_h2"},
    "am_h2": {"c_h2"},
}
CUSTOMERS = ["c_am1", "c_am2", "c_am3", "c_pool", "c_h2"]


def require(available: bool, what: str) -> None:
    """Skip a test whose tool is missing on a developer's machine; in CI (YINGKE_CI=1,
    set by .ci/run) fail instead, so that the suite cannot go green by skipping."""
    if available:
        return
    if os.environ.get("YINGKE_CI") == "1":
        pytest.fail(f"{what} is missing; CI must run every test (make system-deps)", pytrace=False)
    pytest.skip(f"{what} is not installed (make system-deps)")


def pytest_configure(config):
    # Real PBKDF2 costs ~0.3 s per user; tests create many. Production keeps the default.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A fixed field-encryption key: a fresh clone has none, and the key is never made
    # behind the user's back (see core/fieldkey.py).
    settings.FIELD_KEY = "yingke-test-field-key-0123456789abcdef"
    # Background jobs run when queued, in the caller (core/jobs.py); worker tests start real workers.
    settings.HUEY = {**settings.HUEY, "immediate": True}
    # One cache per test process: the production file or Redis cache is shared by every process
    # and outlives the run, so rate-limit counts would leak between workers and runs.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def make_user(username, role, prop, manager=None):
    user = User.objects.create_user(username=username, password=PASSWORD, role=role, manager=manager,
                                    display_name=username)
    if prop is not None:
        user.properties.add(prop)
    return user


def make_customer(prop, code, name, owner=None, actor=SYSTEM, **fields):
    return save_customer(actor, Customer(property=prop, customer_code=code, name=name, owner=owner, **fields))


@pytest.fixture
def world(db):
    """A small group: hotel H1 with a sales team, hotel H2 with its own staff.

    H1: gm, sm (sales manager) with am1 and am2 in the team, am3 outside it (reports to
    nobody), desk, sup, admin. H2: gm2, am_h2.
    """
    h1 = Property.objects.create(code="H1", name="迎客大酒店")
    h2 = Property.objects.create(code="H2", name="迎客酒楼", kind=Property.Kind.RESTAURANT)
    Outlet.objects.create(property=h1, code="CN", name="中餐厅", capacity=30)
    Outlet.objects.create(property=h2, code="MAIN", name="大堂", capacity=20)
    w = type("World", (), {})()
    w.h1, w.h2 = h1, h2
    w.gm = make_user("gm", Role.GENERAL_MANAGER, h1)
    w.sm = make_user("sm", Role.SALES_MANAGER, h1)
    w.am1 = make_user("am1", Role.ACCOUNT_MANAGER, h1, manager=w.sm)
    w.am2 = make_user("am2", Role.ACCOUNT_MANAGER, h1, manager=w.sm)
    w.am3 = make_user("am3", Role.ACCOUNT_MANAGER, h1)
    w.desk = make_user("desk", Role.FRONT_DESK, h1)
    w.sup = make_user("sup", Role.SUPERVISOR, h1)
    w.admin = make_user("admin", Role.ADMIN, h1)
    w.gm2 = make_user("gm2", Role.GENERAL_MANAGER, h2)
    w.am_h2 = make_user("am_h2", Role.ACCOUNT_MANAGER, h2)
    w.c_am1 = make_customer(h1, "C001", "张三", owner=w.am1, mobile="13812345678")
    w.c_am2 = make_customer(h1, "C002", "单田芳", owner=w.am2, mobile="13912340001")
    w.c_am3 = make_customer(h1, "C003", "曾国藩", owner=w.am3, mobile="13712340002")
    w.c_pool = make_customer(h1, "C004", "李四", mobile="13612340003")
    w.c_h2 = make_customer(h2, "C001", "张珊", owner=w.am_h2, mobile="13512340004")
    return w


@pytest.fixture
def org(world):
    """An organisation owned by am1 whose contact person is am2's guest 单田芳 (hidden from am1)."""
    from yingke.customers.services import link_contact

    org = make_customer(world.h1, "O001", "迎客科技", owner=world.am1, kind=Customer.Kind.ORGANISATION)
    link_contact(world.gm, org, world.c_am2, title="经理")
    return org
