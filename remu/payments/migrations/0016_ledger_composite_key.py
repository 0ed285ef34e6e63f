"""Fewer checks and index entries per row the monthly run writes (issue 18).

A payment line's region, enrollment and dossier are checked by one composite foreign key,
(dossier, enrollment, region) → the dossier's unique (id, enrollment, region) (dossiers 0017),
instead of three: a foreign key costs one query per row at commit (Django's are deferred), and
this one also says that the line's enrollment and region are its dossier's. The dossier's own
foreign keys keep the region and the enrollment existing. PostgreSQL only: SQLite (development)
keeps no database check of these three columns.

The enrollment's own index of the dues and of the social contributions dropped: their unique
(enrollment, month[, component]) begins with it and serves the same lookups.
"""

import django.db.models.deletion
from django.db import migrations, models


CONSTRAINT = "payment_dossier_enrollment_region_fk"


def add_composite_key(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE payments_payment ADD CONSTRAINT {CONSTRAINT} "
        "FOREIGN KEY (dossier_id, enrollment_id, region_id) "
        "REFERENCES dossiers_dossier (id, enrollment_id, region_id) "
        "DEFERRABLE INITIALLY DEFERRED"
    )


def drop_composite_key(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE payments_payment DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0017_dossier_enrollment_region_unique'),
        ('payments', '0015_payment_reference_like_index_dropped'),
        ('referential', '0005_attendance_due_day_is_a_parameter'),
        ('trainees', '0006_nir_hash_unique'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, drop_composite_key),
        migrations.AlterField(
            model_name='dueamount',
            name='enrollment',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='dues', to='trainees.enrollment'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='dossier',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='dossiers.dossier'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='enrollment',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='trainees.enrollment'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='region',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='referential.region'),
        ),
        migrations.AlterField(
            model_name='socialcontribution',
            name='enrollment',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='social_contributions', to='trainees.enrollment'),
        ),
        migrations.RunPython(add_composite_key, migrations.RunPython.noop),
    ]
