"""The pattern index (`varchar_pattern_ops`) PostgreSQL gets for the unique `Payment.reference`
dropped: no query searches references by prefix, and a run COPYs 150,000 lines a month into
that table (COPY of 50,000 lines: 2.4–2.7 s without it, 2.7–3.2 s with it, three alternate
tries, load 4 to 9). The unique index on the reference stays."""

from django.db import migrations

INDEX = "payments_payment_reference_1d502039_like"


class Migration(migrations.Migration):
    dependencies = [("payments", "0014_sepa_file_compressed")]

    operations = [
        migrations.RunSQL(
            f"DROP INDEX IF EXISTS {INDEX}",
            migrations.RunSQL.noop,
        )
    ]
