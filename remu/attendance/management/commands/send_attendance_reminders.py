from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.template.loader import render_to_string

from remu.accounts.models import ProviderMembership
from remu.attendance.selectors import late_statements
from remu.core.tenancy import Tenant
from remu.referential.models import Provider, Region

# The late months listed in one provider's e-mail (a big provider has thousands: the e-mail
# gives their number and the first ones; the home page lists them all).
SHOWN = 50


class Command(BaseCommand):
    help = "E-mails every provider user the attendance statements that are late (run daily)."

    def handle(self, *args, **options):
        sent = 0
        for region in Region.objects.all():
            tenant = Tenant(region=region, is_agent=True)
            late = late_statements(tenant)
            # how many per provider, counted in SQL; the rows of the first SHOWN months of
            # each provider only (never every late month of the region built in Python)
            totals = late.per_provider()
            if not totals:
                continue
            recipients = {}
            for provider_id, email in ProviderMembership.objects.filter(
                provider__in=totals, user__is_active=True
            ).values_list("provider_id", "user__email"):
                recipients.setdefault(provider_id, []).append(email)
            providers = Provider.objects.in_bulk([pk for pk in totals if pk in recipients])
            for provider in sorted(providers.values(), key=lambda p: (p.name, p.pk)):
                total = totals[provider.pk]
                rows = late_statements(tenant, late.calendar.today, provider=provider)[:SHOWN]
                body = render_to_string(
                    "attendance/emails/reminder.txt",
                    {
                        "provider": provider,
                        "rows": rows,
                        "total": total,
                        "more": total - len(rows),
                        "region": region,
                    },
                )
                send_mail(
                    f"Remu – {total} état(s) de présence en retard",
                    body,
                    None,
                    sorted(recipients[provider.pk]),
                )
                sent += 1
        self.stdout.write(f"{sent} rappel(s) envoyé(s).")
