"""The SEPA export's status change updated in place (HOT) on PostgreSQL: no index names
`status` any more (the entry-bonus uniqueness says « not returned » by the return date, which
a check ties to the status), and the payment lines' pages are kept half free (fillfactor 50) so
that each line's new version fits on its page. Measured on 30,000 lines: 0.54 s instead of
3.3 s, 3 MB of WAL instead of 36 MB. And a SEPA file's (encrypted) content is stored
uncompressed."""

from django.db import migrations, models


def storage(fillfactor, content):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # new pages only: existing ones keep their layout until rewritten
            schema_editor.execute(f"ALTER TABLE payments_payment SET (fillfactor = {fillfactor})")
            # A SEPA file is stored encrypted: PostgreSQL's attempt to compress it is wasted
            # (0.8 s for 11 MB). EXTERNAL: out of line, uncompressed.
            schema_editor.execute(
                f"ALTER TABLE payments_sepafile ALTER COLUMN content SET STORAGE {content}"
            )

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0013_iban_encrypt_rows"),
        ("payments", "0012_run_chunks"),
        ("referential", "0005_attendance_due_day_is_a_parameter"),
        ("trainees", "0006_nir_hash_unique"),
    ]

    operations = [
        migrations.RunPython(storage(50, "EXTERNAL"), storage(100, "EXTENDED")),
        migrations.RemoveConstraint(
            model_name="payment",
            name="one_entry_bonus_ordered_per_enrollment",
        ),
        migrations.RemoveIndex(
            model_name="payment",
            name="payment_run_status",
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("component", "entry_bonus"), ("rejected_on__isnull", True)),
                fields=("enrollment",),
                name="one_entry_bonus_ordered_per_enrollment",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("status__in", ["rejected", "reissued"]), ("rejected_on__isnull", False)
                    ),
                    models.Q(
                        models.Q(("status__in", ["rejected", "reissued"]), _negated=True),
                        ("rejected_on__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="returned_payment_has_date",
            ),
        ),
    ]
