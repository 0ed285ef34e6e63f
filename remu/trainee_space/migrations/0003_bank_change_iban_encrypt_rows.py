"""Encrypts the IBANs of bank-details changes written before the field was encrypted (a data
migration, apart from the ALTER: PostgreSQL refuses an ALTER TABLE after updates in one
transaction)."""

from django.db import migrations

from remu.core import fields


def forwards(apps, schema_editor):
    fields.rewrite_column(
        schema_editor.connection, "trainee_space_bankdetailschange", "iban", fields.to_token
    )


def backwards(apps, schema_editor):
    fields.rewrite_column(
        schema_editor.connection, "trainee_space_bankdetailschange", "iban", fields.to_plain
    )


class Migration(migrations.Migration):
    dependencies = [("trainee_space", "0002_bank_change_iban_encrypted")]

    operations = [migrations.RunPython(forwards, backwards)]
