"""Admission a region can defend (issue 11 §3): the France Travail situation decides who pays,
the proposal explains itself, and a dossier with a document missing or its RIB unverified is
refused, or admitted on a written reason where the region allows it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from remu.dossiers import services
from remu.dossiers.models import Dossier, DossierTransition
from remu.payments import services as payments
from remu.payments.models import DueAmount, Payment

from . import factories as f
from .utils import text

IBAN = "FR76 3000 6000 0112 3456 7890 189"


def received(region, agent, **situation) -> Dossier:
    """A received RS1 of a trainee aged 35, on a CVL full-time action from 2 March to
    30 September 2026."""
    action = f.TrainingActionFactory(region=region, entry_bonus=True)
    enrollment = f.EnrollmentFactory(action=action)
    dossier = Dossier.objects.create(
        region=region,
        action=action,
        enrollment=enrollment,
        kind="RS1",
        status="received",
        number=f"CVL-2026-{enrollment.pk:06d}",
        real_start=action.planned_start,
        real_end=action.planned_end,
        weekly_hours=Decimal(35),
        reception_date=dt.date(2026, 2, 20),
        **situation,
    )
    DossierTransition.objects.create(
        dossier=dossier, from_status="submitted", to_status="received", by=agent
    )
    return dossier


def admit_data(**extra):
    return {
        "decision": "admit",
        "category": "JOB_SEEKER",
        "account_holder": "Léa Martin",
        "iban": IBAN,
        "bic": "BNPAFRPP",
        **extra,
    }


@pytest.fixture
def cvl(region):
    region.parameter_set, region.number_prefix = "centre-val-de-loire", "CVL"
    region.save()
    return region


# -- the France Travail situation ---------------------------------------------------------


def test_are_needs_its_end_date_before_the_dossier_is_sent(cvl, agent):
    dossier = received(cvl, agent, france_travail_benefit="ARE")
    errors = services.consistency_errors(dossier)
    assert errors["are_end_date"] == ["Indiquez la date de fin des droits ARE."]
    dossier.are_end_date = dt.date(2026, 5, 31)
    assert "are_end_date" not in services.consistency_errors(dossier)


def test_the_proposal_explains_itself(agent_client, cvl, agent):
    dossier = received(cvl, agent)
    page = text(agent_client.get(reverse("dossiers:decision", args=[dossier.pk])))
    assert "Catégorie proposée : demandeur d'emploi" in page
    # The region's own amount, the national amount compared, and which one is kept.
    # Compared in April 2026, the first full month: national 26+ revalued x 1.009 on 1 April.
    assert "500,00 € par mois" in page
    assert "776,42 € par mois" in page and "le national est retenu" in page
    assert "35 ans à l'entrée : tranche nationale « 26 ans et plus »" in page
    assert "Un mois complet (04/2026) : 776,42 € brut" in page


def test_the_proposal_shows_the_prior_salary_clamp_and_the_hours_worked(agent_client, cvl, agent):
    disabled = received(
        cvl,
        agent,
        disabled_worker=True,
        salaried_hours_12_months=1200,
        last_monthly_salary=Decimal("2500.00"),
    )
    page = text(agent_client.get(reverse("dossiers:decision", args=[disabled.pk])))
    assert "1200 h salariées sur les 12 derniers mois (seuil : 910)" not in page  # not its fact
    assert (
        "Salaire antérieur 2\xa0500,00 € ; plancher 644,17 €, plafond 1\xa0932,52 € (plafond)"
        in page
    )
    # The national ceiling, revalued each April (1,932.52 x 1.056 x 1.046 x 1.017 x 1.009 =
    # 2,190.44 in April 2026), is more favourable than the region's (issue 12).
    assert "Un mois complet (04/2026) : 2\xa0190,44 € brut" in page
    worker = received(cvl, agent, salaried_hours_12_months=1200)
    page = text(agent_client.get(reverse("dossiers:decision", args=[worker.pk])))
    assert "1200 h salariées sur les 12 derniers mois (seuil : 910)" in page


def test_a_trainee_on_are_for_the_whole_training_is_not_paid_by_the_region(
    agent_client, cvl, agent
):
    dossier = received(cvl, agent, france_travail_benefit="ARE", are_end_date=dt.date(2026, 12, 31))
    f.accept_required_documents(dossier, agent)
    decision = reverse("dossiers:decision", args=[dossier.pk])
    assert "Non rémunéré par la Région : allocation France Travail" in text(
        agent_client.get(decision)
    )
    agent_client.post(decision, admit_data())
    dossier.refresh_from_db()
    assert dossier.status == "admitted" and dossier.pay_start == dt.date(2027, 1, 1)
    page = text(agent_client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "Non rémunéré par la Région : allocation France Travail" in page


def test_a_relay_after_are_pays_from_the_day_after_and_no_entry_bonus(pay_world):
    dossier = pay_world["dossier"]
    dossier.france_travail_benefit, dossier.are_end_date = "ARE", dt.date(2026, 3, 15)
    dossier.pay_start = dt.date(2026, 3, 16)  # what admission records
    dossier.save()
    march = dt.date(2026, 3, 1)
    run = payments.start_run(pay_world["region"], "monthly", march, pay_world["agent"])
    payments.execute_run(run.pk)
    due = DueAmount.objects.get(component="remuneration")
    # 16 to 31 March: indices 16..30, 15 thirtieths of the national 769.49.
    assert due.amount == Decimal("384.75")
    assert "Rémunération par la Région à partir du 16/03/2026 (fin de l'ARE le 15/03/2026)" in (
        due.explanation
    )
    assert not Payment.objects.filter(component="entry_bonus").exists()


def test_a_disabled_worker_who_chooses_the_regional_pay_is_paid_from_entry(
    agent_client, cvl, agent
):
    dossier = received(
        cvl,
        agent,
        france_travail_benefit="ARE",
        are_end_date=dt.date(2026, 12, 31),
        disabled_worker=True,
        rqth_valid_until=dt.date(2030, 1, 1),
        disabled_chooses_regional_pay=True,
    )
    f.accept_required_documents(dossier, agent)
    decision = reverse("dossiers:decision", args=[dossier.pk])
    assert "a choisi la rémunération de la Région plutôt que l'ARE" in text(
        agent_client.get(decision)
    )
    agent_client.post(decision, admit_data(category="DISABLED"))
    dossier.refresh_from_db()
    assert dossier.status == "admitted" and dossier.pay_start is None


# -- documents and bank details ------------------------------------------------------------


def test_admission_with_a_document_missing_is_refused_where_the_region_says_so(
    agent_client, region, agent
):
    dossier = received(region, agent)  # national parameters: refused
    f.accept_required_documents(dossier, agent, except_for=("VITALE",))
    page = text(agent_client.post(reverse("dossiers:decision", args=[dossier.pk]), admit_data()))
    assert (
        "Pièces obligatoires non acceptées à la réception : Attestation de carte Vitale au nom "
        "du stagiaire. La Région n'admet pas un dossier incomplet."
    ) in page
    dossier.refresh_from_db()
    assert dossier.status == "received"


def test_admission_with_a_document_missing_needs_a_written_reason_where_allowed(
    agent_client, cvl, agent
):
    dossier = received(cvl, agent, france_travail_benefit="ARE", are_end_date=dt.date(2026, 5, 31))
    f.accept_required_documents(dossier, agent, except_for=("ARE_END",))
    decision = reverse("dossiers:decision", args=[dossier.pk])
    page = text(agent_client.post(decision, admit_data()))
    assert "Attestation de fin de droits ARE (relais de France Travail)" in page
    assert "Pour admettre malgré tout, écrivez le motif" in page
    assert Dossier.objects.get(pk=dossier.pk).status == "received"
    agent_client.post(
        decision, admit_data(exception_reason="Notification France Travail à suivre (§3.5.2)")
    )
    dossier.refresh_from_db()
    assert dossier.status == "admitted" and dossier.pay_start == dt.date(2026, 6, 1)
    assert dossier.decision_reason == "Notification France Travail à suivre (§3.5.2)"
    history = dossier.transitions.get(to_status="admitted").reason
    assert "Motif : Notification France Travail à suivre (§3.5.2)" in history
    assert "Barème régional à partir du 01/06/2026" in history
    page = text(agent_client.get(reverse("dossiers:detail", args=[dossier.pk])))
    assert "Admis malgré les pièces manquantes" in page
    assert "Notification France Travail à suivre (§3.5.2)" in page


def test_bank_details_unverified_are_told_next_to_the_iban(agent_client, region, agent):
    dossier = received(region, agent)
    f.accept_required_documents(dossier, agent)
    dossier.documents.filter(doc_type="RIB").update(review="pending")
    response = agent_client.post(reverse("dossiers:decision", args=[dossier.pk]), admit_data())
    errors = response.context["form"].errors
    assert errors["iban"] == [
        "Coordonnées bancaires non vérifiées : le RIB n'a pas été accepté à la réception. "
        "La Région n'admet pas un dossier incomplet."
    ]


def test_a_stale_decision_is_refused_under_the_lock(cvl, agent):
    dossier = received(cvl, agent)
    f.accept_required_documents(dossier, agent)
    stale = Dossier.objects.get(pk=dossier.pk)
    services.reject(dossier, agent, reason="Hors public")
    with pytest.raises(services.TransitionError, match="Le dossier a déjà été rejeté par .* le "):
        services.admit(
            stale,
            agent,
            category="JOB_SEEKER",
            proposed="JOB_SEEKER",
            reason="",
            holder="Léa Martin",
            iban=IBAN.replace(" ", ""),
            bic="",
        )
    assert Dossier.objects.get(pk=dossier.pk).status == "rejected"
    assert not dossier.transitions.filter(to_status="admitted").exists()


def test_part_time_hours_count_from_the_pay_start():
    from remu.attendance.services import build_case

    case = build_case(
        line_id=1,
        month=dt.date(2026, 3, 1),
        full_time=False,
        presence="",
        period=(None, None),
        # March 2026's weeks: the 1st, 2-8, 9-15, 16-22, 23-29, 30-31.
        weekly_hours_present=["0", "20", "20", "20", "20", "8"],
        declared_absences=[],
        parameter_set="centre-val-de-loire",
        category="JOB_SEEKER",
        birth_date=dt.date(1990, 1, 1),
        entry_date=dt.date(2026, 3, 2),
        exit_date=None,
        weekly_hours=Decimal(20),
        prior_monthly_salary=None,
        training_total_hours=600,
        pay_start=dt.date(2026, 3, 18),
    )
    # From Wednesday the 18th: 5 days of 7 of the 16-22 week, then 20 + 8 hours.
    assert case.hours_present == Decimal("42.29")
    assert case.pay_start_note == "fin de l'ARE le 17/03/2026"


@pytest.mark.django_db(transaction=True)
def test_the_former_flags_become_the_france_travail_situation(region, agent):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    dossier = received(region, agent)
    dossier.status = "admitted"
    dossier.rate_category = "JOB_SEEKER"
    dossier.save()
    before = [("dossiers", "0004_travel_situation")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("dossiers", "Dossier")
    old.objects.filter(pk=dossier.pk).update(compensated=True, rsa=True)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest schema
    dossier.refresh_from_db()
    # ARE decides who pays; an admitted one gets the training's end as its ARE end.
    assert dossier.france_travail_benefit == "ARE"
    assert dossier.are_end_date == dossier.real_end
    assert dossier.pay_start is None
