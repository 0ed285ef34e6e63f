from collections import defaultdict

from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.template.loader import render_to_string
from django.utils import timezone

from remu.accounts.models import ProviderMembership
from remu.core.tenancy import Tenant
from remu.execution.selectors import surveys_due
from remu.referential.models import Region


class Command(BaseCommand):
    help = (
        "E-mails every provider user the follow-up surveys (exit, 6 months, 1 year) that are "
        "due and not filled (run daily, like send_attendance_reminders)."
    )

    def handle(self, *args, **options):
        sent, today = 0, timezone.localdate()
        for region in Region.objects.all():
            by_provider = defaultdict(list)
            for row in surveys_due(Tenant(region=region, is_agent=True), today):
                by_provider[row.enrollment.action.provider_id].append(row)
            for provider_id, rows in by_provider.items():
                recipients = list(
                    ProviderMembership.objects.filter(
                        provider_id=provider_id, user__is_active=True
                    ).values_list("user__email", flat=True)
                )
                if not recipients:
                    continue
                body = render_to_string(
                    "execution/emails/survey_reminder.txt",
                    {
                        "provider": rows[0].enrollment.action.provider,
                        "rows": rows,
                        "region": region,
                    },
                )
                send_mail(
                    f"Remu – {len(rows)} enquête(s) de suivi à renseigner", body, None, recipients
                )
                sent += 1
        self.stdout.write(f"{sent} rappel(s) envoyé(s).")
