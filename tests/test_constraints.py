"""Invariants the database holds even when code forgets to check them."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from remu.actions.models import ActionPeriod
from remu.dossiers.models import Dossier
from remu.trainees.models import Enrollment

from . import factories as f


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_action_dates_hours_and_numbers(region):
    refused(
        lambda: f.TrainingActionFactory(
            region=region, planned_start=date(2026, 5, 1), planned_end=date(2026, 4, 1)
        )
    )
    refused(lambda: f.TrainingActionFactory(region=region, weekly_hours=0))
    refused(lambda: f.TrainingActionFactory(region=region, max_trainees=5, max_paid_trainees=6))
    refused(lambda: f.TrainingActionFactory(region=region, unit_cost_centre=-1))
    f.TrainingActionFactory(region=region, number="X-1")
    refused(lambda: f.TrainingActionFactory(region=region, number="X-1"))


def test_period_and_enrollment_dates(action):
    refused(
        lambda: ActionPeriod.objects.create(
            action=action, place="centre", start_date=date(2026, 5, 2), end_date=date(2026, 5, 1)
        )
    )
    trainee = f.TraineeFactory(region=action.region)
    refused(
        lambda: Enrollment.objects.create(
            trainee=trainee, action=action, entry_date=date(2026, 5, 2), exit_date=date(2026, 5, 1)
        )
    )


def test_unique_codes_per_region(region, other_region):
    f.CampaignFactory(region=region, code="2026")
    f.CampaignFactory(region=other_region, code="2026")
    refused(lambda: f.CampaignFactory(region=region, code="2026"))
    f.ProgrammeFactory(region=region, code="PM")
    refused(lambda: f.ProgrammeFactory(region=region, code="PM"))
    f.ProviderFactory(region=region, siret="73282932000017")
    refused(lambda: f.ProviderFactory(region=region, siret="73282932000017"))


def test_one_nir_per_region_but_many_without(region):
    f.TraineeFactory(region=region, nir="")
    f.TraineeFactory(region=region, nir="")
    t = f.TraineeFactory(region=region)
    refused(lambda: f.TraineeFactory(region=region, nir=t.nir))


def test_one_remuneration_dossier_per_enrollment(action):
    enrollment = f.EnrollmentFactory(action=action)

    def dossier(kind="RS1", status="draft"):
        return Dossier.objects.create(
            region=action.region, action=action, enrollment=enrollment, kind=kind, status=status
        )

    dossier(status="rejected")
    dossier()  # a new one after a rejection
    dossier(kind="RS2")
    refused(dossier)
