from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from remu.core.backup import backup


class Command(BaseCommand):
    help = "Backs up the database and the uploaded files into one checksummed tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument(
            "archive",
            nargs="?",
            help="the archive to write (default: var/backups/remu-<date>-<time>.tar.gz)",
        )

    def handle(self, *args, archive=None, **options):
        name = f"remu-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz"
        path = Path(archive) if archive else Path(settings.BASE_DIR) / "var" / "backups" / name
        manifest = backup(path)
        self.stdout.write(
            f"Sauvegarde écrite : {path} (base {manifest['database']['kind']}, "
            f"{len(manifest['files']) - 1} fichier(s) déposé(s))."
        )
