"""One foreign-key check per due and per social contribution at the run's commit (issue 18).

The dues and the social contributions get the dossier they are paid under. On PostgreSQL their
region, enrollment and dossier are then checked by one composite foreign key, (dossier,
enrollment, region) → the dossier's unique (id, enrollment, region) (dossiers 0017), as the
payment lines' (0016), instead of one key for the region and one for the enrollment: a foreign
key costs one query per row at commit (Django's are deferred), and this one also says that the
row's region is its enrollment's (its dossier's). Deleting or re-keying a dossier that has rows
is refused through the enrollment's index (the unique (enrollment, month[, component])).
SQLite keeps Django's three single foreign keys.

Existing rows take the dossier of their enrollment in their region that the runs pay under: the
admitted RS1 first (at most one RS1 not rejected per enrollment, `one_rs1_per_enrollment`);
for a P2S-only contribution the admitted P2S; else the RS1 not rejected, else the latest other
one. A row whose enrollment has no dossier in its region (no run writes one) stops the
migration: it says how many.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLES = {
    "payments_dueamount": "dueamount_dossier_enrollment_region_fk",
    "payments_socialcontribution": "socialcontribution_dossier_enrollment_region_fk",
}
SINGLE_KEYS = {  # the columns whose own foreign key the composite one replaces, and their target
    "region_id": "referential_region",
    "enrollment_id": "trainees_enrollment",
    "dossier_id": "dossiers_dossier",
}

# The dossier a row is paid under, by preference (then the latest).
PAID_FIRST = (
    "CASE WHEN d.kind = 'RS1' AND d.status = 'admitted' THEN 0 "
    "WHEN d.kind = 'RS1' AND d.status <> 'rejected' THEN 1 "
    "WHEN d.kind = 'P2S' AND d.status = 'admitted' THEN 2 ELSE 3 END, d.id DESC"
)
P2S_FIRST = (
    "CASE WHEN d.kind = 'P2S' AND d.status = 'admitted' THEN 0 "
    "WHEN d.kind = 'RS1' AND d.status = 'admitted' THEN 1 "
    "WHEN d.kind = 'RS1' AND d.status <> 'rejected' THEN 2 ELSE 3 END, d.id DESC"
)
BACKFILLS = (  # table, which rows, the order of their dossiers
    ("payments_dueamount", "TRUE", PAID_FIRST),
    ("payments_socialcontribution", "kind <> 'p2s'", PAID_FIRST),
    ("payments_socialcontribution", "kind = 'p2s'", P2S_FIRST),
)


def _single_keys(cursor, table, column):
    cursor.execute(
        "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a "
        "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.conrelid = %s::regclass AND c.contype = 'f' "
        "AND array_length(c.conkey, 1) = 1 AND a.attname = %s",
        [table, column],
    )
    return [name for (name,) in cursor.fetchall()]


def drop_single_keys_and_backfill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # before the UPDATE: no check queued for each row rewritten
            for table in TABLES:
                for column in SINGLE_KEYS:
                    for name in _single_keys(cursor, table, column):
                        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for table, rows, order in BACKFILLS:
            cursor.execute(
                f"UPDATE {table} SET dossier_id = (SELECT d.id FROM dossiers_dossier d "
                f"WHERE d.enrollment_id = {table}.enrollment_id "
                f"AND d.region_id = {table}.region_id ORDER BY {order} LIMIT 1) WHERE {rows}"
            )
        for table in TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE dossier_id IS NULL")
            (orphans,) = cursor.fetchone()
            if orphans:
                raise RuntimeError(
                    f"{table}: {orphans} rows whose enrollment has no dossier in their region; "
                    "correct them before this migration."
                )


def add_single_keys(apps, schema_editor):
    """Backwards: the region's and the enrollment's own keys again (the dossier column goes)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        for column, target in SINGLE_KEYS.items():
            if column == "dossier_id":
                continue
            schema_editor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fk FOREIGN KEY ({column}) "
                f"REFERENCES {target} (id) DEFERRABLE INITIALLY DEFERRED"
            )


def add_composite_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in TABLES.items():
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} "
            "FOREIGN KEY (dossier_id, enrollment_id, region_id) "
            "REFERENCES dossiers_dossier (id, enrollment_id, region_id) "
            "DEFERRABLE INITIALLY DEFERRED"
        )


def drop_composite_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in TABLES.items():
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


def dossier_field(null):
    return models.ForeignKey(
        db_index=False,
        null=null,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name="+",
        to="dossiers.dossier",
    )


class Migration(migrations.Migration):

    dependencies = [
        ("dossiers", "0017_dossier_enrollment_region_unique"),
        ("payments", "0018_ledger_region_indexes_dropped"),
    ]

    operations = [
        migrations.AddField(model_name="dueamount", name="dossier", field=dossier_field(True)),
        migrations.AddField(
            model_name="socialcontribution", name="dossier", field=dossier_field(True)
        ),
        migrations.RunPython(drop_single_keys_and_backfill, add_single_keys),
        migrations.AlterField(model_name="dueamount", name="dossier", field=dossier_field(False)),
        migrations.AlterField(
            model_name="socialcontribution", name="dossier", field=dossier_field(False)
        ),
        migrations.RunPython(add_composite_keys, drop_composite_keys),
    ]
