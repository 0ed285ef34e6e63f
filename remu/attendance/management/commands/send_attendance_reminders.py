from collections import defaultdict

from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.template.loader import render_to_string

from remu.accounts.models import ProviderMembership
from remu.attendance.selectors import late_statements
from remu.core.tenancy import Tenant
from remu.referential.models import Region


class Command(BaseCommand):
    help = "E-mails every provider user the attendance statements that are late (run daily)."

    def handle(self, *args, **options):
        sent = 0
        for region in Region.objects.all():
            by_provider = defaultdict(list)
            for row in late_statements(Tenant(region=region, is_agent=True)):
                by_provider[row["provider"]].append(row)
            for provider, rows in by_provider.items():
                recipients = list(
                    ProviderMembership.objects.filter(
                        provider=provider, user__is_active=True
                    ).values_list("user__email", flat=True)
                )
                if not recipients:
                    continue
                body = render_to_string(
                    "attendance/emails/reminder.txt",
                    {"provider": provider, "rows": rows, "region": region},
                )
                send_mail(
                    f"Remu – {len(rows)} état(s) de présence en retard", body, None, recipients
                )
                sent += 1
        self.stdout.write(f"{sent} rappel(s) envoyé(s).")
