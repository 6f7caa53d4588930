"""Rebuild the search keys of guests whose Chinese name was stored with spaces.

Names typed or imported as 毛 子轩 (or with a full-width or zero-width space) were indexed
under "毛 子轩", so the search box, which now reads 毛 子轩 and 毛子轩 alike
(customers.pinyin.name_key), did not find them by 毛子轩. The stored names are left as
they were; only their keys are rebuilt, with the current search_keys. Reversing keeps the
new keys (they are a correct index of the same names).
"""

from django.db import migrations
from django.db.models import Q

SPACES = (" ", "\u3000", "\u00a0", "\t", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
BATCH = 500


def rebuild(apps, schema_editor):
    from yingke.customers.pinyin import has_han, search_keys

    Customer = apps.get_model("customers", "Customer")
    SearchKey = apps.get_model("customers", "SearchKey")
    spaced = Q()
    for space in SPACES:
        spaced |= Q(name__contains=space)
    # Read first, then write: SQLite must not write while a read cursor is open. Such names are few.
    rows = [(cid, pid, name) for cid, pid, name in
            Customer.objects.filter(spaced).order_by("id").values_list("id", "property_id", "name")
            if has_han(name)]
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        SearchKey.objects.filter(customer_id__in=[cid for cid, _p, _n in batch]).delete()
        SearchKey.objects.bulk_create(
            SearchKey(customer_id=cid, property_id=pid, kind=kind, key=key)
            for cid, pid, name in batch for kind, key in search_keys(name))


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0002_special_date_recorded_by"),
    ]

    operations = [
        migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=True),
    ]
