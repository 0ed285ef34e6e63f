"""SEPA files kept compressed (zlib) before they are encrypted: a tenth to encrypt and store."""

import remu.payments.models
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0013_payment_export_hot_update"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sepafile",
            name="content",
            field=remu.payments.models.CompressedEncryptedBinaryField(),
        ),
    ]
