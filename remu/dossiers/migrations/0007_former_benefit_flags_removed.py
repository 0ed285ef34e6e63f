from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0006_france_travail_flags_mapped'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='dossier',
            name='ass',
        ),
        migrations.RemoveField(
            model_name='dossier',
            name='compensated',
        ),
        migrations.RemoveField(
            model_name='dossier',
            name='rsa',
        ),
        migrations.AddConstraint(
            model_name='dossier',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('france_travail_benefit', 'ARE'), _negated=True), ('are_end_date__isnull', False), models.Q(('status', 'admitted'), _negated=True), _connector='OR'), name='are_dossier_has_end_date'),
        ),
    ]
