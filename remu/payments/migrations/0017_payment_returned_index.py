"""The returned lines (rejected_on set: rejected or reissued) by enrollment, a small partial
index: a run reads the rejected lines of each chunk's enrollments to reissue them, which was a
scan of the chunk's every line (20 to 40 ms a chunk of 2,000 enrollments, 3,000 lines; 0.1 ms
with it). New lines (rejected_on empty) add no entry to it; the SEPA export leaves rejected_on
as it is (its updates stay HOT)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0017_dossier_enrollment_region_unique'),
        ('payments', '0016_ledger_composite_key'),
        ('referential', '0005_attendance_due_day_is_a_parameter'),
        ('trainees', '0006_nir_hash_unique'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(condition=models.Q(('rejected_on__isnull', False)), fields=['enrollment'], name='payment_returned'),
        ),
    ]
