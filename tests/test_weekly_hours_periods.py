"""Weekly hours that change during a training (seed 001 §1.6): dated changes recorded on the
dossier; a month mixing full and part time is entered in hours and paid in thirtieths for its
full-time days and by the hour for its part-time days, the same on the line and in the run."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from remu.dossiers.models import WeeklyHoursChange
from remu.payments.models import Payment

from . import factories as f
from .admitted import admitted_dossier, run, use_set, validate_next_month
from .utils import text


def test_a_training_switching_from_35_to_20_hours_pays_each_part_of_the_month(
    client, region, provider, provider_user
):
    use_set(region, "national", "NAT")
    agent = f.AgentFactory(region=region)
    dossier = admitted_dossier(region, provider, agent)
    client.force_login(agent)
    client.post(
        reverse("dossiers:hours_change", args=[dossier.pk]),
        {"valid_from": "2026-04-16", "weekly_hours": "20"},
    )
    assert WeeklyHoursChange.objects.get().weekly_hours == Decimal(20)
    page = text(client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "À partir du 16 avril 2026 : 20 h par semaine" in page

    march = validate_next_month(dossier, provider_user)
    assert march.full_time and march.paid_thirtieths == 29
    # April: 1-15 full time, 16-30 at 20 h. The line is entered in hours, one per calendar
    # week (1-5, 6-12, 13-19, 20-26, 27-30); the week of the 13th counts for its 4 days from
    # the 16th (14 h × 4/7 = 8 h), so the part-time hours are 8 + 20 + 16 = 44 h.
    april = validate_next_month(dossier, provider_user, part_time=["0", "0", "14", "20", "16"])
    # National job seeker aged 26 or more, April 2026: 776.42 a month. Full-time part:
    # 15/30 × 776.42 = 388.21. Part-time part: hourly rate 776.42 / 151.67 = 5.12, × 44 h =
    # 225.28 (cap 20 × 4.33 = 86.60 h). The month: 388.21 + 225.28 = 613.49.
    assert not april.full_time
    assert april.amount == Decimal("613.49")
    assert (april.paid_thirtieths, april.paid_hours) == (15, Decimal(44))
    explanation = " ".join(april.explanation)
    assert "Période du 01/04/2026 au 15/04/2026, 35 h par semaine : 388,21 €" in explanation
    assert "Période du 16/04/2026 au 30/04/2026, 20 h par semaine : 225,28 €" in explanation
    # May is all part time: paid by the hour.
    may = validate_next_month(dossier, provider_user, part_time=["4", "20", "20", "20", "16"])
    assert not may.full_time and may.paid_hours == Decimal(80)

    run(region, agent, dt.date(2026, 5, 1))
    paid = {p.month: p.amount for p in Payment.objects.filter(component="remuneration")}
    assert paid == {
        dt.date(2026, 3, 1): march.amount,
        dt.date(2026, 4, 1): april.amount,
        dt.date(2026, 5, 1): may.amount,
    }


def test_who_records_a_change_of_weekly_hours_and_bad_dates(
    client, region, provider, provider_user
):
    agent = f.AgentFactory(region=region)
    draft = admitted_dossier(region, provider, agent, status="draft")
    admitted = admitted_dossier(region, provider, agent)
    client.force_login(provider_user)
    url = reverse("dossiers:hours_change", args=[draft.pk])
    page = text(client.post(url, {"valid_from": "2026-01-10", "weekly_hours": "20"}))
    assert "La date doit suivre l'entrée (02/03/2026)" in page
    page = text(client.post(url, {"valid_from": "2026-05-01", "weekly_hours": "75"}))
    assert "inférieure ou égale à 60" in page
    client.post(url, {"valid_from": "2026-05-01", "weekly_hours": "20"})
    assert draft.hours_changes.count() == 1
    # Once the dossier is validated, only the region's agents record changes.
    admitted_url = reverse("dossiers:hours_change", args=[admitted.pk])
    assert client.get(admitted_url).status_code == 403
    client.force_login(agent)
    assert client.get(admitted_url).status_code == 200
