from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from remu.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restores an archive written by `backup` on a fresh install: checks every SHA-256 first, "
        "then replaces the database and copies the uploaded files back."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, archive, **options):
        try:
            manifest = restore(Path(archive))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Restauration terminée : sauvegarde du {manifest['created_at']}, "
            f"{len(manifest['files']) - 1} fichier(s) déposé(s)."
        )
