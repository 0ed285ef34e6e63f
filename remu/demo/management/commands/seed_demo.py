from django.core.management.base import BaseCommand

from remu.demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Loads the demo data (Centre-Val de Loire); safe to run again."

    def handle(self, *args, **options):
        logins = seed_demo()
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        for login in logins:
            self.stdout.write(f"  {login.email:<28} {login.role}")
        self.stdout.write("Application : http://127.0.0.1:8000/")
