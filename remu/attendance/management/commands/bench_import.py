"""`make bench-import`: times the import of a 510-row declarations file (30 trainees: 500
full-time rows, presence and absences, and 10 part-time rows of weekly hours) on the
configured database, inside a transaction that is rolled back."""

import datetime as dt
import os
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from remu.accounts.models import User
from remu.actions.models import TrainingAction
from remu.attendance import declarations, services
from remu.dossiers.models import Dossier
from remu.referential.models import Campaign, Programme, Provider, Region
from remu.trainees.models import Enrollment, Trainee


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                self._run()
                raise Rollback
        except Rollback:
            pass

    def _run(self):
        region = Region.objects.create(code="bench-import", name="Bench", parameter_set="national")
        user = User.objects.create_user(
            "bench-import@example.org", role=User.Role.AGENT, region=region
        )
        campaign = Campaign.objects.create(
            region=region,
            code="B",
            label="B",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
        )
        programme = Programme.objects.create(region=region, code="B", name="B")
        provider = Provider.objects.create(region=region, name="Bench", siret="73282932000017")
        action = TrainingAction.objects.create(
            region=region,
            number="BENCH",
            title="Bench",
            provider=provider,
            campaign=campaign,
            programme=programme,
            kind="market",
            planned_start=dt.date(2026, 3, 2),
            planned_end=dt.date(2026, 9, 30),
            weekly_hours=35,
            max_trainees=30,
            max_paid_trainees=30,
        )
        for i in range(30):
            trainee = Trainee.objects.create(
                region=region,
                civility="MME",
                birth_name=f"B{i}",
                first_names="X",
                birth_date=dt.date(1990, 1, 1),
            )
            enrollment = Enrollment.objects.create(
                trainee=trainee, action=action, entry_date=dt.date(2026, 3, 2)
            )
            Dossier.objects.create(
                region=region,
                action=action,
                enrollment=enrollment,
                kind="RS1",
                status="admitted",
                rate_category="JOB_SEEKER",
                weekly_hours=Decimal(35 if i < 20 else 20),
                number=f"BENCH-{i:03d}",
            )
        statement = services.create_statement(action, user, dt.date(2026, 4, 2))
        rows = []
        for i in range(20):  # full time: presence then 24 one-day absences each
            rows.append(
                {"dossier": f"BENCH-{i:03d}", "type": "PRESENCE", "presence": "TOUT_LE_MOIS"}
            )
            for day in range(2, 26):
                rows.append(
                    {
                        "dossier": f"BENCH-{i:03d}",
                        "type": "ABSENCE",
                        "motif": "UNJUSTIFIED",
                        "debut": f"{day:02d}/03/2026",
                        "fin": f"{day:02d}/03/2026",
                        "lieu": "CENTRE",
                    }
                )
        for i in range(20, 30):
            rows.append(
                {
                    "dossier": f"BENCH-{i:03d}",
                    "type": "HEURES",
                    "jours": "18",
                    # March 2026: week 1 is Sunday the 1st, before the entry on the 2nd;
                    # week 6 is Monday 30 and Tuesday 31
                    "semaine_1": "0",
                    **{f"semaine_{w}": "20" for w in range(2, 6)},
                    "semaine_6": "8",
                }
            )
        start = time.perf_counter()
        applied, errors = declarations.apply_rows(statement, rows)
        elapsed = time.perf_counter() - start
        assert not errors, errors[:3]
        part_time = sum(row["type"] == "HEURES" for row in rows)
        self.stdout.write(
            f"{applied} rows imported ({applied - part_time} full time, {part_time} part time) "
            f"in {elapsed:.2f} s ({applied / elapsed:,.0f} rows per second; target: 500 in "
            f"< 5 s; {os.cpu_count()} cores)"
        )
