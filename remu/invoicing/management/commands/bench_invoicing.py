"""`make bench-invoicing`: 1,000 actions × 20 trainees × 12 months of validated attendance,
then every month's declaration of hours realised computed and confirmed and the months
invoiced and confirmed, timed, in one worker process per core. The terms are mixed: a quarter
of the actions monthly, half quarterly, a quarter in three instalments (thresholds of the
planned hours, with the quarterly fallback), and one action in ten has a subcontractor's
invoice to deduct. It prints a checksum (hours declared, invoices, amount invoiced) to
compare runs. Run it on PostgreSQL (DATABASE_URL); the data it creates is deleted
afterwards."""

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from remu.accounts.models import User
from remu.actions.models import ActionPeriod, TrainingAction
from remu.attendance.models import Absence, AttendanceLine, AttendanceStatement
from remu.dossiers.models import Dossier
from remu.invoicing import services
from remu.invoicing.models import (
    COLUMNS,
    Declaration,
    DeclarationLine,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    InvoiceTransition,
    InvoicingTerms,
    SubcontractInvoice,
    Subcontractor,
)
from remu.referential.models import Campaign, Programme, Provider, Region
from remu.trainees.models import Enrollment, Trainee

CODE = "bench-invoicing"
START = dt.date(2025, 1, 6)
END = dt.date(2025, 12, 31)
TODAY = dt.date(2026, 1, 10)
PER_ACTION = 20
CHUNK = 50  # actions per batch (one transaction)
FREQUENCIES = ("monthly", "quarterly", "quarterly", "three")  # by action number, modulo 4
SUBCONTRACTED = 10  # one action in ten has a subcontractor's invoice to deduct


def _months():
    return [dt.date(2025, m, 1) for m in range(1, 13)]


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("actions", nargs="?", type=int, default=1000)
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--worker", type=str, default="", help=argparse.SUPPRESS)
        parser.add_argument(
            "--quarterly-only",
            action="store_true",
            help="Toutes les actions trimestrielles, sans sous-traitance (le banc d'origine).",
        )

    def handle(self, *args, actions, workers, build_only, worker, quarterly_only, **options):
        if build_only:
            self._build(actions, quarterly_only)
            return
        if worker:
            self._work(*map(int, worker.split("/")))
            return
        self.stdout.write(f"Base de données : {connection.vendor} ; cœurs : {os.cpu_count()}")
        start = time.perf_counter()
        self._clean()
        subprocess.run(
            [sys.executable, "manage.py", "bench_invoicing", str(actions), "--build-only"]
            + (["--quarterly-only"] if quarterly_only else []),
            check=True,
        )
        self.stdout.write(
            f"{actions} actions × {PER_ACTION} stagiaires × 12 mois de présence créés en "
            f"{time.perf_counter() - start:.1f} s"
        )
        try:
            start = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            processes = [
                subprocess.Popen(
                    [sys.executable, "manage.py", "bench_invoicing", f"--worker={i}/{workers}"]
                )
                for i in range(workers)
            ]
            if any(p.wait() for p in processes):
                raise SystemExit("Un processus de calcul a échoué.")
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            region = Region.objects.get(code=CODE)
            lines = DeclarationLine.objects.filter(declaration__action__region=region).count()
            invoices = Invoice.objects.filter(action__region=region, status="confirmed")
            kinds = ", ".join(
                f"{n} {freq}" + (f" n° {rank}" if rank else "")
                for freq, rank, n in invoices.values("frequency", "instalment_rank")
                .annotate(n=Count("pk"))
                .order_by("frequency", "instalment_rank")
                .values_list("frequency", "instalment_rank", "n")
            )
            self.stdout.write(
                f"Réalisé et facturation : {lines} stagiaires-mois calculés et confirmés, "
                f"{invoices.count()} factures confirmées ({kinds}) en {elapsed:.1f} s "
                f"avec {workers} processus sur {os.cpu_count()} cœurs (objectif : moins de 30 s) ; "
                f"temps processeur des processus de calcul : {cpu:.1f} s ; charge de la machine : "
                f"{os.getloadavg()[0]:.1f}"
            )
            self.stdout.write(self._checksum(region))
        finally:
            self._clean()

    def _work(self, index, count):
        region = Region.objects.get(code=CODE)
        user = User.objects.get(email=f"{CODE}@example.org")
        ids = list(
            TrainingAction.objects.filter(region=region).order_by("pk").values_list("pk", flat=True)
        )[index::count]
        for start in range(0, len(ids), CHUNK):
            actions = TrainingAction.objects.filter(
                pk__in=ids[start : start + CHUNK]
            ).select_related("region", "provider__tax_profile", "invoicing_terms")
            services.batch_confirm_and_invoice(actions, user, TODAY)

    def _checksum(self, region) -> str:
        """What the run produced, to compare two runs (or two versions of the code)."""
        hours = DeclarationLine.objects.filter(declaration__action__region=region).aggregate(
            total=Sum(sum((F(c) for c in COLUMNS[1:]), F(COLUMNS[0])))
        )["total"]
        invoiced = Invoice.objects.filter(action__region=region).aggregate(
            n=Count("pk"), lines=Sum("lines_total"), ht=Sum("total_ht"), sub=Sum("subcontracted")
        )
        return (
            f"Contrôle : {hours} heures déclarées ; {invoiced['n']} factures ; "
            f"{invoiced['lines']} € facturés avant déduction, {invoiced['sub'] or 0} € de "
            f"sous-traitance déduits, {invoiced['ht']} € HT"
        )

    def _build(self, count, quarterly_only=False):
        with transaction.atomic():
            region = Region.objects.create(
                code=CODE, name="Bench", parameter_set="centre-val-de-loire", number_prefix="BI"
            )
            user = User.objects.create_user(
                f"{CODE}@example.org", role=User.Role.AGENT, region=region
            )
            campaign = Campaign.objects.create(
                region=region, code="B", label="B", start_date=START, end_date=END
            )
            programme = Programme.objects.create(region=region, code="B", name="B")
            providers = Provider.objects.bulk_create(
                [
                    Provider(region=region, name=f"Bench {i}", siret=siret)
                    for i, siret in enumerate(
                        ["73282932000017", "44306184100047", "55208131766522", "40483304800022"]
                    )
                ]
            )
            actions = TrainingAction.objects.bulk_create(
                [
                    TrainingAction(
                        region=region,
                        number=f"BI-{i:05d}",
                        title="Bench",
                        provider=providers[i % len(providers)],
                        campaign=campaign,
                        programme=programme,
                        kind="market",
                        planned_start=START,
                        planned_end=END,
                        weekly_hours=35,
                        hours_in_centre=1300,
                        hours_in_company=300,
                        max_trainees=PER_ACTION,
                        max_paid_trainees=PER_ACTION,
                        unit_cost_centre=Decimal("7.00"),
                        unit_cost_company=Decimal("1.00"),
                    )
                    for i in range(count)
                ]
            )
            InvoicingTerms.objects.bulk_create(
                [
                    InvoicingTerms(
                        action=a,
                        frequency="quarterly"
                        if quarterly_only
                        else FREQUENCIES[i % len(FREQUENCIES)],
                    )
                    for i, a in enumerate(actions)
                ]
            )
            subcontractors = Subcontractor.objects.bulk_create(
                [
                    Subcontractor(action=a, name="Sous-traitant")
                    for i, a in enumerate(actions)
                    if i % SUBCONTRACTED == 0 and not quarterly_only
                ]
            )
            SubcontractInvoice.objects.bulk_create(
                [
                    SubcontractInvoice(
                        subcontractor=s,
                        amount_ht=Decimal("1000.00"),
                        status="confirmed",
                        confirmed_at=timezone.now(),
                        created_by=user,
                    )
                    for s in subcontractors
                ]
            )
            ActionPeriod.objects.bulk_create(
                [
                    ActionPeriod(
                        action=a,
                        place=place,
                        start_date=start,
                        end_date=end,
                    )
                    for a in actions
                    for place, start, end in (
                        ("centre", START, dt.date(2025, 5, 31)),
                        ("company", dt.date(2025, 6, 1), dt.date(2025, 7, 31)),
                        ("centre", dt.date(2025, 8, 1), END),
                    )
                ],
                batch_size=5000,
            )
            statements = AttendanceStatement.objects.bulk_create(
                [
                    AttendanceStatement(action=a, month=m, created_by=user)
                    for a in actions
                    for m in _months()
                ],
                batch_size=5000,
            )
            trainees = Trainee.objects.bulk_create(
                [
                    Trainee(
                        region=region,
                        civility="MME",
                        birth_name=f"B{i}",
                        first_names="X",
                        birth_date=dt.date(1960 + i % 45, 1 + i % 12, 1 + i % 28),
                    )
                    for i in range(count * PER_ACTION)
                ],
                batch_size=5000,
            )
            enrollments = Enrollment.objects.bulk_create(
                [
                    Enrollment(trainee=t, action=actions[i // PER_ACTION], entry_date=START)
                    for i, t in enumerate(trainees)
                ],
                batch_size=5000,
            )
            dossiers = Dossier.objects.bulk_create(
                [
                    Dossier(
                        region=region,
                        action=e.action,
                        enrollment=e,
                        kind="RS1",
                        status="admitted",
                        rate_category="JOB_SEEKER",
                        weekly_hours=Decimal(35),
                        number=f"BI-{i:07d}",
                    )
                    for i, e in enumerate(enrollments)
                ],
                batch_size=5000,
            )
            lines = AttendanceLine.objects.bulk_create(
                [
                    AttendanceLine(
                        statement=statements[(i // PER_ACTION) * 12 + m],
                        enrollment=e,
                        dossier=d,
                        full_time=True,
                        status="validated",
                        presence="full_month",
                        amount=Decimal(0),
                    )
                    for i, (e, d) in enumerate(zip(enrollments, dossiers, strict=True))
                    for m in range(12)
                ],
                batch_size=5000,
            )
            Absence.objects.bulk_create(
                [
                    Absence(
                        line=line,
                        reason="SICKNESS" if i % 2 else "UNJUSTIFIED",
                        start=line_month_day(i),
                        end=line_month_day(i),
                        place="centre",
                    )
                    for i, line in enumerate(lines)
                    if i % 7 == 0
                ],
                batch_size=5000,
            )
        with connection.cursor() as cursor:
            for model in (Trainee, Enrollment, Dossier, AttendanceLine, Absence):
                cursor.execute(f"ANALYZE {model._meta.db_table}")

    def _clean(self):
        region = Region.objects.filter(code=CODE).first()
        if region is None:
            return
        with transaction.atomic():
            InvoiceTransition.objects.filter(invoice__action__region=region).delete()
            SubcontractInvoice.objects.filter(subcontractor__action__region=region).delete()
            Subcontractor.objects.filter(action__region=region).delete()
            Declaration.objects.filter(action__region=region).update(invoice=None)
            InvoiceLine.objects.filter(invoice__action__region=region).delete()
            Invoice.objects.filter(action__region=region).delete()
            InvoiceSequence.objects.filter(provider__region=region).delete()
            DeclarationLine.objects.filter(declaration__action__region=region).delete()
            Declaration.objects.filter(action__region=region).delete()
            Absence.objects.filter(line__statement__action__region=region).delete()
            AttendanceLine.objects.filter(statement__action__region=region).delete()
            AttendanceStatement.objects.filter(action__region=region).delete()
            Dossier.objects.filter(region=region).delete()
            Enrollment.objects.filter(action__region=region).delete()
            Trainee.objects.filter(region=region).delete()
            InvoicingTerms.objects.filter(action__region=region).delete()
            ActionPeriod.objects.filter(action__region=region).delete()
            TrainingAction.objects.filter(region=region).delete()
            Provider.objects.filter(region=region).delete()
            Programme.objects.filter(region=region).delete()
            Campaign.objects.filter(region=region).delete()
            User.objects.filter(region=region).delete()
            region.delete()


def line_month_day(i: int) -> dt.date:
    """A weekday of the line's month (lines are made trainee by trainee, 12 months each)."""
    day = dt.date(2025, i % 12 + 1, 10)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day
