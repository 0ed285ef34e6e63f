from django.core.management.base import BaseCommand

from remu.demo.seed import logins_table, seed_demo


class Command(BaseCommand):
    help = "Loads the demo data (Centre-Val de Loire); safe to run again."

    def add_arguments(self, parser):
        # `make run` passes the address it gives runserver, so the printed one is true.
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        for line in logins_table(logins):
            self.stdout.write(line)
        self.stdout.write(f"Serveur : http://{host}:{port}/")
