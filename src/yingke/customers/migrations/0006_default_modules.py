from django.db import migrations


def forwards(apps, schema_editor):
    from yingke.customers.modules import ensure_default_modules

    Module = apps.get_model("customers", "Module")
    for prop in apps.get_model("core", "Property").objects.all():
        ensure_default_modules(prop, Module)


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_grading_modules")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
