"""Dossiers admitted before the dossier deadlines passed their reception: complete from then
(a data migration of its own: PostgreSQL cannot alter a table in the transaction that updated
it)."""

from django.db import migrations, models


def complete_when_admitted(apps, schema_editor):
    Dossier = apps.get_model("dossiers", "Dossier")
    Dossier.objects.filter(status="admitted", complete_on__isnull=True).update(
        complete_on=models.F("reception_date")
    )


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0008_special_publics_deadlines_hours")]

    operations = [migrations.RunPython(complete_when_admitted, migrations.RunPython.noop)]
