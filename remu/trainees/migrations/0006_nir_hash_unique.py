from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("trainees", "0005_nir_encrypt_rows")]

    operations = [
        migrations.AddConstraint(
            model_name="trainee",
            constraint=models.UniqueConstraint(
                condition=models.Q(("nir_hash", ""), _negated=True),
                fields=("region", "nir_hash"),
                name="unique_trainee_nir",
            ),
        ),
    ]
