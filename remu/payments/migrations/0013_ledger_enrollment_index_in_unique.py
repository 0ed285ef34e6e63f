"""The enrollment's own index on the ledger tables dropped: the unique constraint's index
(enrollment, month[, component]) starts with it, and a run COPYs a row into each table per
enrollment and month. Written as SQL: Django's AlterField(db_index=False) would also drop the
partial unique index `one_entry_bonus_due_per_enrollment` on the same column."""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = (
    ("payments_dueamount", "payments_dueamount_enrollment_id_638dc4f9"),
    ("payments_socialcontribution", "payments_socialcontribution_enrollment_id_a992b51d"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0012_run_chunks"),
        ("trainees", "0006_nir_hash_unique"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {index}",
                    f"CREATE INDEX {index} ON {table} (enrollment_id)",
                )
                for table, index in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="dueamount",
                    name="enrollment",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dues",
                        to="trainees.enrollment",
                    ),
                ),
                migrations.AlterField(
                    model_name="socialcontribution",
                    name="enrollment",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="social_contributions",
                        to="trainees.enrollment",
                    ),
                ),
            ],
        )
    ]
