from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "0010_iban_nir_sepa_encrypt_rows")]

    operations = [
        migrations.AddConstraint(
            model_name="taxrate",
            constraint=models.UniqueConstraint(
                fields=("region", "nir_hash", "valid_from"), name="one_rate_per_nir_and_date"
            ),
        ),
    ]
