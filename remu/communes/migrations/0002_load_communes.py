"""Loads every French commune and its postal codes from the committed data file."""

from django.db import migrations

from remu.communes.loader import load_communes


def forwards(apps, schema_editor):
    load_communes(apps.get_model("communes", "Commune"), apps.get_model("communes", "PostalCode"))


def backwards(apps, schema_editor):
    apps.get_model("communes", "PostalCode").objects.all().delete()
    apps.get_model("communes", "Commune").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("communes", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
