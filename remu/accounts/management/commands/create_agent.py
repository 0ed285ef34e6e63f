import secrets

from django.core.management.base import BaseCommand, CommandError

from remu.accounts.models import User
from remu.referential.models import Region


class Command(BaseCommand):
    help = (
        "Creates a regional agent with a temporary password, to be changed at first login "
        "(the agents' accounts are managed by the installation's administrators)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="region code, e.g. centre-val-de-loire")
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--rules-admin", action="store_true")

    def handle(self, *args, **options):
        try:
            region = Region.objects.get(code=options["region"])
        except Region.DoesNotExist as exc:
            raise CommandError(f"Région inconnue : {options['region']}") from exc
        if User.objects.filter(email__iexact=options["email"]).exists():
            raise CommandError(f"Un compte existe déjà pour {options['email']}.")
        password = secrets.token_urlsafe(12)
        User.objects.create_user(
            options["email"],
            password,
            role=User.Role.AGENT,
            region=region,
            first_name=options["first_name"],
            last_name=options["last_name"],
            is_rules_admin=options["rules_admin"],
            must_change_password=True,
        )
        self.stdout.write(
            f"Agent créé : {options['email']} – mot de passe provisoire : {password} "
            "(à changer à la première connexion)"
        )
