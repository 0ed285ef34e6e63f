"""Provisional admission at the minimum rate (seed 001 §2.2): admitted with the region's
minimum category while annexes are missing, marked provisional; « Confirmer l'admission »
with the final category regularises every month paid in the next run."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from remu.dossiers.models import DossierTransition
from remu.overpayments.models import OverpaymentItem
from remu.payments.models import DueAmount, Payment

from . import factories as f
from .admitted import IBAN, admitted_dossier, run, use_set, validate_next_month
from .utils import text


def admit_provisionally(client, dossier):
    return client.post(
        reverse("dossiers:decision", args=[dossier.pk]),
        {
            "decision": "admit",
            "provisional": "on",
            "category": "DISABLED",  # ignored: the region's minimum category applies
            "category_reason": "RQTH et bulletins de salaire attendus",
            "account_holder": "Léa Martin",
            "iban": IBAN,
            "bic": "BNPAFRPP",
        },
    )


def test_provisional_admission_then_confirmation_regularises_the_months_paid(
    client, region, provider, provider_user
):
    use_set(region, "centre-val-de-loire", "CVL")
    agent = f.AgentFactory(region=region)
    dossier = admitted_dossier(
        region,
        provider,
        agent,
        status="received",
        disabled_worker=True,
        last_monthly_salary=Decimal("1500.00"),
    )
    # The minimum pieces are accepted; the annexes that prove the category (RQTH, pay slips)
    # are not yet.
    f.accept_required_documents(dossier, agent, except_for=("RQTH", "PAY_SLIPS"))
    client.force_login(agent)
    page = text(client.get(reverse("dossiers:decision", args=[dossier.pk])))
    assert "Admission provisoire au taux minimum" in page
    admit_provisionally(client, dossier)
    dossier.refresh_from_db()
    assert dossier.status == "admitted" and dossier.provisional
    assert dossier.rate_category == "JOB_SEEKER"  # CVL's provisional_admission_category
    reason = DossierTransition.objects.filter(dossier=dossier).last().reason
    assert reason.startswith("Admission provisoire au taux minimum (pièces annexes manquantes)")
    assert "provisoire" in text(client.get(reverse("dossiers:list"), {"status": ""}))

    march = validate_next_month(dossier, provider_user)
    april = validate_next_month(dossier, provider_user)
    run(region, agent, dt.date(2026, 4, 1))
    first = {p.month: p.amount for p in Payment.objects.filter(component="remuneration")}
    assert first == {dt.date(2026, 3, 1): march.amount, dt.date(2026, 4, 1): april.amount}

    # The RQTH and the pay slips arrive: the agent confirms with the final category, a
    # disabled worker paid on the prior salary (1,500.00 within the floor and the ceiling).
    assert dossier.complete_on is None
    f.accept_required_documents(dossier, agent)  # the annexes are in
    confirm = reverse("dossiers:confirm_admission", args=[dossier.pk])
    assert "Confirmer l'admission" in text(client.get(confirm))
    client.post(
        confirm, {"category": "DISABLED_PRIOR_SALARY", "reason": "RQTH reçue le 20/05/2026"}
    )
    dossier.refresh_from_db()
    assert not dossier.provisional and dossier.rate_category == "DISABLED_PRIOR_SALARY"
    assert dossier.complete_on == timezone.localdate()
    history = DossierTransition.objects.filter(dossier=dossier).last()
    assert (history.from_status, history.to_status) == ("admitted", "admitted")
    assert "Admission confirmée : travailleur handicapé avec activité" in history.reason

    # The next run recomputes March and April with the final category and orders the
    # differences, labelled as regularisations.
    run(region, agent, dt.date(2026, 4, 1))
    for month in (dt.date(2026, 3, 1), dt.date(2026, 4, 1)):
        due = DueAmount.objects.get(month=month, component="remuneration").amount
        assert due > first[month]
        extra = Payment.objects.filter(month=month, component="remuneration").exclude(
            amount=first[month]
        )
        debts = OverpaymentItem.objects.filter(month=month, component="remuneration")
        regularised = sum(p.amount for p in extra) - sum(d.amount for d in debts)
        assert regularised == due - first[month]
        labels = [p.label for p in extra] + [d.overpayment.label for d in debts]
        assert labels and all(label.startswith("Régularisation") for label in labels)


def test_regions_without_a_minimum_category_offer_no_provisional_admission(
    client, region, provider
):
    use_set(region, "bourgogne-franche-comte", "BFC")
    agent = f.AgentFactory(region=region)
    dossier = admitted_dossier(region, provider, agent, status="received")
    f.accept_required_documents(dossier, agent)
    client.force_login(agent)
    assert "Admission provisoire" not in text(
        client.get(reverse("dossiers:decision", args=[dossier.pk]))
    )
    admit_provisionally(client, dossier)  # the field is ignored: an ordinary admission
    dossier.refresh_from_db()
    assert not dossier.provisional


def test_only_a_provisional_admission_is_confirmed(client, region, provider):
    use_set(region, "centre-val-de-loire", "CVL")
    agent = f.AgentFactory(region=region)
    dossier = admitted_dossier(region, provider, agent)
    client.force_login(agent)
    response = client.post(
        reverse("dossiers:confirm_admission", args=[dossier.pk]), {"category": "DISABLED"}
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.rate_category == "JOB_SEEKER"


def test_a_provisional_admission_still_needs_the_minimum_pieces(client, region, provider):
    use_set(region, "centre-val-de-loire", "CVL")
    agent = f.AgentFactory(region=region)
    dossier = admitted_dossier(region, provider, agent, status="received", disabled_worker=True)
    f.accept_required_documents(dossier, agent, except_for=("VITALE", "RQTH"))
    client.force_login(agent)
    page = text(admit_provisionally(client, dossier))
    dossier.refresh_from_db()
    assert dossier.status == "received"
    assert "Attestation de carte Vitale" in page.split("Pièces obligatoires non acceptées")[-1]
    assert "(RQTH) en cours de validité" not in page.split("Pièces obligatoires non acceptées")[-1]
