from django.core.management.base import BaseCommand
from django.utils import timezone

from remu.home.retention import anonymise_expired


class Command(BaseCommand):
    help = (
        "Anonymises the trainees whose last payment or overpayment activity is older than "
        "the region's retention period (retention_years); the amounts are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Counts only, writes nothing.")

    def handle(self, *args, dry_run=False, **options):
        outcome = anonymise_expired(timezone.localdate(), dry_run=dry_run)
        verb = "à anonymiser" if dry_run else "anonymisé(s)"
        self.stdout.write(
            f"{outcome.anonymised} stagiaire(s) {verb}, {outcome.kept} conservé(s) "
            "(formation en cours ou indu ouvert)"
        )
