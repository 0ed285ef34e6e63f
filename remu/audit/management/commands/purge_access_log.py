from django.core.management.base import BaseCommand
from django.utils import timezone

from remu.audit.services import kept_months, purge
from remu.referential.models import Region


class Command(BaseCommand):
    help = "Deletes access-log events older than each region's period (access_log_months)."

    def handle(self, *args, **options):
        today = timezone.localdate()
        for region in Region.objects.order_by("code"):
            count = purge(region, today)
            months = kept_months(region, today)
            self.stdout.write(f"{region.name} : {count} accès de plus de {months} mois supprimé(s)")
