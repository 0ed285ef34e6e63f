"""Encrypts the rows written before the field was encrypted (a data migration, apart from the
ALTERs: PostgreSQL refuses an ALTER TABLE after updates in one transaction)."""

from django.db import migrations

from remu.core import fields


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    fields.rewrite_column(
        connection, "trainees_trainee", "nir", fields.to_token, hash_column="nir_hash"
    )


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    fields.rewrite_column(connection, "trainees_trainee", "nir", fields.to_plain)


class Migration(migrations.Migration):
    dependencies = [("trainees", "0004_nir_encrypted_history")]

    operations = [migrations.RunPython(forwards, backwards)]
