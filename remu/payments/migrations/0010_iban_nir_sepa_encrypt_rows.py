"""Encrypts the rows written before the field was encrypted (a data migration, apart from the
ALTERs: PostgreSQL refuses an ALTER TABLE after updates in one transaction)."""

from django.db import migrations

from remu.core import fields


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    fields.rewrite_column(connection, "payments_payment", "iban", fields.to_token)
    fields.rewrite_column(
        connection, "payments_taxrate", "nir", fields.to_token, hash_column="nir_hash"
    )
    fields.rewrite_column(connection, "payments_sepafile", "content", fields.to_token)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    fields.rewrite_column(connection, "payments_payment", "iban", fields.to_plain)
    fields.rewrite_column(connection, "payments_taxrate", "nir", fields.to_plain)
    fields.rewrite_column(connection, "payments_sepafile", "content", fields.to_plain)


class Migration(migrations.Migration):
    dependencies = [("payments", "0009_iban_nir_sepa_encrypted")]

    operations = [migrations.RunPython(forwards, backwards)]
