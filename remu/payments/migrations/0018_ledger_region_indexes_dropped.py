"""The region's own index of the dues and of the payment lines dropped: no query reads them by
region alone (a trainee's page, a run's page, the SEPA export, the ledger of a chunk go by
enrollment, run, reference or id), and a monthly run of 100,000 trainees writes 150,000 dues
and 150,000 lines, each an entry less. The region stays checked: the dues' own foreign key,
the lines' composite one (0016). Deleting a region (never done by the application, PROTECT)
would read these tables through."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0017_payment_returned_index'),
        ('referential', '0005_attendance_due_day_is_a_parameter'),
    ]

    operations = [
        migrations.AlterField(
            model_name='dueamount',
            name='region',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='referential.region'),
        ),
        migrations.AlterField(
            model_name='payment',
            name='region',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='referential.region'),
        ),
    ]
