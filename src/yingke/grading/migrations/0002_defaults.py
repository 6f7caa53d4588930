from django.db import migrations


def forwards(apps, schema_editor):
    from yingke.grading.defaults import ensure_defaults

    GradingPolicy = apps.get_model("grading", "GradingPolicy")
    LossReason = apps.get_model("grading", "LossReason")
    for prop in apps.get_model("core", "Property").objects.all():
        ensure_defaults(prop, GradingPolicy, LossReason)


class Migration(migrations.Migration):
    dependencies = [("grading", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
