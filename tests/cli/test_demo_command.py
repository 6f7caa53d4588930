"""yingke demo: deterministic for a seed, valid mobiles and resident IDs, realistic shape."""

import subprocess

import phonenumbers

from tests.cli.conftest import YINGKE

CHECK_IDS = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "yingke.settings"
django.setup()
from yingke.customers.identity import parse_resident_id
from yingke.customers.models import Customer
from yingke.customers.services import id_number_of
n = 0
for c in Customer.objects.exclude(id_number_enc=""):
    rid = parse_resident_id(id_number_of(c))
    assert (rid.birth_date, rid.gender) == (c.birth_date, c.gender), c
    assert c.id_number_masked[:4] == rid.number[:4] and c.id_number_masked[-4:] == rid.number[-4:]
    n += 1
print(n)
"""

CUSTOMERS = ("SELECT customer_code, kind, name, name_pinyin, gender, birth_date, mobile, id_number_masked, "
             "employer, email, owner_id IS NULL FROM customers_customer ORDER BY customer_code")
VISITS = ("SELECT c.customer_code, v.occurred_at, v.amount, v.covers, v.occasion, v.doc_no, v.table_no "
          "FROM visits_visit v JOIN customers_customer c ON c.id = v.customer_id ORDER BY v.doc_no")
DATES = ("SELECT c.customer_code, d.kind, d.calendar, d.year, d.month, d.day, d.leap_month "
         "FROM customers_specialdate d JOIN customers_customer c ON c.id = d.customer_id ORDER BY 1, 2, 3, 4")


def snapshot(cli):
    return [cli.sql(q) for q in (CUSTOMERS, VISITS, DATES)]


def test_demo_is_deterministic_and_valid(cli, fresh_cli):
    first = cli("demo", "--customers", "400", "--visits", "1500", "--seed", "5", "--password", "demo-pass-1")
    assert first.returncode == 0, first.output
    assert "客户 400 个，消费记录 1500 条" in first.stdout
    assert "密码均为 demo-pass-1" in first.stdout and "am1" in first.stdout
    # a fresh home (demo migrates it) with the same seed gives the same data
    second = fresh_cli("demo", "--customers", "400", "--visits", "1500", "--seed", "5", lang="en")
    assert second.returncode == 0, second.output
    assert "400 customers, 1500 visits" in second.stdout
    assert snapshot(cli) == snapshot(fresh_cli)

    customers = cli.sql(CUSTOMERS)
    mobiles = [row[6] for row in customers if row[6]]
    assert len(mobiles) > 300 and len(set(mobiles)) == len(mobiles)
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(m, "CN")) for m in mobiles)
    env = cli.env()
    checked = subprocess.run([str(YINGKE.parent / "python"), "-c", CHECK_IDS], env=env, capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert int(checked.stdout) > 40
    kinds = {row[1] for row in customers}
    assert kinds == {"person", "org"}
    assert any(row[10] for row in customers) and not all(row[10] for row in customers)  # pool and owned
    (keys,), = cli.sql("SELECT count(*) FROM customers_searchkey")
    assert keys > 3 * 400
    assert cli.sql("SELECT count(*) FROM customers_historicalcustomer") == [(0,)]
    (contacts,), = cli.sql("SELECT count(*) FROM customers_contactlink")
    (prefs,), = cli.sql("SELECT count(*) FROM customers_preference")
    (lunar,), = cli.sql("SELECT count(*) FROM customers_specialdate WHERE calendar = 'lunar'")
    assert contacts > 0 and prefs > 50 and lunar > 10
    staff = dict(cli.sql("SELECT role, count(*) FROM core_user GROUP BY role"))
    assert set(staff) == {"gm", "sales_manager", "account_manager", "front_desk", "supervisor", "admin"}
    hours = {int(row[1][11:13]) for row in cli.sql(VISITS) if row[4] != "stay"}
    assert hours <= {3, 4, 5, 9, 10, 11, 12, 13}  # lunch and dinner, Beijing time, stored in UTC

    other = fresh_cli("demo", "--property", "R9", "--kind", "restaurant", "--customers", "50", "--seed", "6")
    assert other.returncode == 0, other.output
    assert "r9_gm" in other.stdout
    assert fresh_cli.sql("SELECT kind FROM core_property WHERE code = 'R9'") == [("restaurant",)]


def test_demo_leap_month_birthdays_and_polyphonic_surnames(cli):
    proc = cli("demo", "--customers", "3000", "--visits", "0", "--seed", "2")
    assert proc.returncode == 0, proc.output
    assert cli.sql("SELECT count(*) FROM customers_specialdate WHERE leap_month") != [(0,)]
    names = [n for (n,) in cli.sql("SELECT name FROM customers_customer WHERE kind = 'person'")]
    for surname in ("单", "曾", "欧阳"):
        assert any(n.startswith(surname) for n in names), surname
    pinyin = dict(cli.sql("SELECT name, name_pinyin FROM customers_customer WHERE name LIKE '曾%' LIMIT 1"))
    assert all(p.startswith("zeng") for p in pinyin.values())
    assert cli.sql("SELECT count(*) FROM visits_visit") == [(0,)]
    again = cli("demo", "--customers", "10", "--visits", "5")  # adds to DEMO, codes continue
    assert again.returncode == 0, again.output
    assert cli.sql("SELECT max(customer_code) FROM customers_customer") == [("C0003010",)]


def test_demo_bad_numbers(cli):
    assert cli("demo", "--customers", "-1").returncode == 2
    assert cli("demo", "--customers", "many").returncode == 2
