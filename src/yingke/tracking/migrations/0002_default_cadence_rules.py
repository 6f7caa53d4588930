"""R-7.6: the default cadence rules for every property that exists (new properties get them
from tracking.apps on creation)."""

from django.db import migrations

DEFAULTS = [
    ("购买客户：客户经理回访", "buyers", [3, 30, 60], "account_manager"),
    ("未购买客户：客户经理回访", "non_buyers", [3, 15], "account_manager"),
    ("购买客户：顾服主管回访", "buyers", [15, 30, 60], "supervisor"),
]


def forwards(apps, schema_editor):
    import datetime as dt

    Property = apps.get_model("core", "Property")
    CadenceRule = apps.get_model("tracking", "CadenceRule")
    today = dt.date.today()
    for prop in Property.objects.all():
        if not CadenceRule.objects.filter(property=prop).exists():
            CadenceRule.objects.bulk_create([
                CadenceRule(property=prop, name=name, event="file_created", buyers=buyers, offsets=offsets, role=role,
                            active_from=today) for name, buyers, offsets, role in DEFAULTS])


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial"), ("core", "0005_notification")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
