"""Re-encrypts every encrypted column (NIRs, IBANs, SEPA files, and their change history) with
the first key of FIELD_ENCRYPTION_KEYS. The procedure (docs/architecture.md « Data
protection »): put the new key first, keep the old ones after it, restart the application,
run this command, then remove the old keys. Rows are rewritten batch by batch; the command can
be stopped and run again (a token already under the new key is simply re-encrypted)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection

from remu.core import fields


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000, help="lignes par requête")

    def handle(self, *args, batch, **options):
        total = 0
        for model, field in fields.encrypted_columns(apps):
            table = model._meta.db_table
            count = fields.rewrite_column(
                connection,
                table,
                field.column,
                fields.to_new_key,
                batch=max(1, batch),
                pk=model._meta.pk.column,  # history tables: history_id
            )
            total += count
            self.stdout.write(f"{table}.{field.column} : {count} valeur(s) rechiffrée(s)")
        self.stdout.write(self.style.SUCCESS(f"Rotation terminée : {total} valeur(s)."))
