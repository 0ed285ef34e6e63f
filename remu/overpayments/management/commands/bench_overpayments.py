"""`make bench-overpayments`: after the 100,000-trainee monthly run of `bench_payments`, 5,000
dropouts validated at once (`attendance.services.validate_withdrawals`: the claims computed
through the engine by batches of 500, a fixed number of queries each), then the next run, which
deducts those claims and withholds 5,000 other claims from the April pay of other trainees.
Prints the time of each step. Run it on PostgreSQL (DATABASE_URL); its data is deleted
afterwards."""

import datetime as dt
import subprocess
import sys
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from remu.accounts.models import User
from remu.attendance import services as attendance
from remu.attendance.models import AttendanceLine, AttendanceStatement, Withdrawal
from remu.payments import services
from remu.payments.management.commands.bench_payments import MONTH
from remu.payments.management.commands.bench_payments import Command as PaymentsBench
from remu.payments.models import PaymentRun
from remu.referential.models import Region
from remu.trainees.models import Enrollment

from ...models import (
    Instalment,
    Overpayment,
    OverpaymentItem,
    OverpaymentTransition,
    Recovery,
    WaiverRequest,
)

APRIL = dt.date(2026, 4, 1)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("count", nargs="?", type=int, default=100_000)
        parser.add_argument("--dropouts", type=int, default=5_000)
        parser.add_argument(
            "--one-by-one", action="store_true", help="validate each dropout alone (to compare)"
        )

    def handle(self, *args, count, dropouts, one_by_one, **options):
        self.stdout.write(f"Base de données : {connection.vendor}")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "bench_payments", str(count), "--build-only"],
            check=True,
        )
        region = Region.objects.get(code="bench-payments")
        # The national set has no 5-week rule: every dropout after the exit date is a claim.
        region.parameter_set = "national"
        region.save(update_fields=["parameter_set"])
        agent = User.objects.get(email="bench-payments@example.org")
        self.stdout.write(f"{count} stagiaires créés en {time.perf_counter() - start:.1f} s")
        try:
            self._timed("Série de mars", lambda: self._run(region, agent, MONTH))
            ids = list(
                Enrollment.objects.filter(action__region=region)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            leaving, paid_later = ids[:dropouts], ids[dropouts : 2 * dropouts]
            declared = []
            self._timed(
                f"{len(leaving)} abandons déclarés",
                lambda: declared.extend(self._declare(agent, leaving)),
            )
            if one_by_one:
                self._timed(
                    f"{len(leaving)} abandons validés un par un",
                    lambda: [
                        attendance.decide_withdrawal(w, accept=True, comment="", user=agent)
                        for w in declared
                    ],
                )
            else:
                self._timed(
                    f"{len(leaving)} abandons validés ensemble (indus calculés par lots)",
                    lambda: attendance.validate_withdrawals(declared, user=agent),
                )
            self._april(region, agent, paid_later)
            self._timed(
                "Série d'avril (déductions et retenues)", lambda: self._run(region, agent, APRIL)
            )
            claims = Overpayment.objects.filter(region=region)
            self.stdout.write(
                f"{claims.filter(source='dropout').count()} indus d'abandon, "
                f"{Recovery.objects.filter(overpayment__region=region, kind='offset').count()} "
                "retenues sur la paie d'avril"
            )
        finally:
            self._clean(region)

    def _timed(self, what, work):
        start = time.perf_counter()
        work()
        self.stdout.write(f"{what} : {time.perf_counter() - start:.1f} s")

    def _run(self, region, agent, month):
        run = services.start_run(region, PaymentRun.Kind.MONTHLY, month, agent)
        services.execute_run(run.pk)

    def _declare(self, agent, enrollment_ids):
        return [
            attendance.declare_withdrawal(
                enrollment, reason="job", exit_date=dt.date(2026, 3, 20), comment="", user=agent
            )
            for enrollment in Enrollment.objects.filter(pk__in=enrollment_ids)
        ]

    def _april(self, region, agent, enrollment_ids):
        """Other trainees owe 50 € (recorded claims) and have April validated: the run withholds
        it from their pay."""
        with transaction.atomic():
            enrollments = list(Enrollment.objects.filter(pk__in=enrollment_ids))
            statements = {
                s.action_id: s
                for s in AttendanceStatement.objects.bulk_create(
                    AttendanceStatement(action_id=a, month=APRIL, created_by=agent)
                    for a in {e.action_id for e in enrollments}
                )
            }
            march = dict(
                AttendanceLine.objects.filter(enrollment__in=enrollments).values_list(
                    "enrollment_id", "dossier_id"
                )
            )
            AttendanceLine.objects.bulk_create(
                (
                    AttendanceLine(
                        statement=statements[e.action_id],
                        enrollment=e,
                        dossier_id=march[e.pk],
                        full_time=True,
                        status="validated",
                        presence="full_month",
                        amount=Decimal(0),
                    )
                    for e in enrollments
                ),
                batch_size=5000,
            )
            Overpayment.objects.bulk_create(
                (
                    Overpayment(
                        region=region,
                        trainee_id=e.trainee_id,
                        enrollment=e,
                        source="wrong_information",
                        amount=Decimal("50.00"),
                        remaining=Decimal("50.00"),
                        label="Bench",
                    )
                    for e in enrollments
                ),
                batch_size=5000,
            )

    def _clean(self, region):
        with transaction.atomic():
            claims = Overpayment.objects.filter(region=region)
            Recovery.objects.filter(overpayment__in=claims).delete()
            WaiverRequest.objects.filter(overpayment__in=claims).delete()
            Instalment.objects.filter(overpayment__in=claims).delete()
            OverpaymentItem.objects.filter(overpayment__in=claims).delete()
            OverpaymentTransition.objects.filter(overpayment__in=claims).delete()
            claims.delete()
            Withdrawal.objects.filter(enrollment__action__region=region).delete()
        PaymentsBench()._clean(region)
