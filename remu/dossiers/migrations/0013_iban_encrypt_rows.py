"""Encrypts the IBANs written before the field was encrypted (a data migration, apart from the
ALTER: PostgreSQL refuses an ALTER TABLE after updates in one transaction)."""

from django.db import migrations

from remu.core import fields


def forwards(apps, schema_editor):
    fields.rewrite_column(schema_editor.connection, "dossiers_dossier", "iban", fields.to_token)


def backwards(apps, schema_editor):
    fields.rewrite_column(schema_editor.connection, "dossiers_dossier", "iban", fields.to_plain)


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0012_iban_encrypted_history")]

    operations = [migrations.RunPython(forwards, backwards)]
