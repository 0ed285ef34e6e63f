"""Dossier deadlines (issue 12 §2): Centre-Val de Loire's dossier due 72 h after the entry,
late ones flagged on the agents' dossier list; Bourgogne-Franche-Comté's dossier incomplete at
the exit date not paid (the run lists it, orders nothing)."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from remu.dossiers import deadlines, nir
from remu.dossiers.models import SupportingDocument
from remu.dossiers.services import receive, required_documents
from remu.payments.models import Payment

from . import factories as f
from .admitted import admitted_dossier, run, use_set, validate_next_month
from .test_dossiers import complete_data, create
from .utils import text


@pytest.fixture
def recent_action(region, provider):
    use_set(region, "centre-val-de-loire", "CVL")
    today = timezone.localdate()
    return f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=today - dt.timedelta(days=30),
        planned_end=today + dt.timedelta(days=180),
    )


def submit(client, action, entry: dt.date, name="Martin", order="123"):
    dossier = create(client, action)
    prefix = nir.prefix("MME", dt.date(1996, 4, 12), "37261") + order
    url = reverse("dossiers:detail", args=[dossier.pk])
    data = complete_data(
        dossier,
        **{
            "banner-real_start": entry.isoformat(),
            "banner-real_end": action.end_date.isoformat(),
            "civil-birth_name": name,
            "civil-nir": prefix + nir.key_for(prefix),
        },
    )
    response = client.post(url, {**data, "validate": "1"})
    assert response.url == reverse("dossiers:confirm", args=[dossier.pk])
    client.post(response.url)
    dossier.refresh_from_db()
    assert dossier.status == "submitted"
    return dossier


def test_cvl_dossier_handed_over_more_than_72_hours_after_entry_is_flagged_late(
    client, provider_user, recent_action, region
):
    today = timezone.localdate()
    client.force_login(provider_user)
    late = submit(client, recent_action, today - dt.timedelta(days=4), "Tardif")
    on_time = submit(client, recent_action, today - dt.timedelta(days=2), "Ponctuel", "124")
    draft = create(client, recent_action)  # still a draft, entered 30 days ago
    draft.real_start = recent_action.start_date
    draft.save()
    assert late.submitted_late and not on_time.submitted_late
    client.force_login(f.AgentFactory(region=region))
    inbox = text(client.get(reverse("dossiers:list")))
    assert inbox.count(">en retard</span>") == 1  # the submitted list: the late one only
    flagged = text(client.get(reverse("dossiers:list"), {"late": "1", "status": ""}))
    assert late.number in flagged and draft.number in flagged
    assert on_time.number not in flagged
    detail = text(client.get(reverse("dossiers:detail", args=[late.pk])))
    assert "En retard" in detail


def test_regions_without_the_deadline_flag_nothing(client, provider_user, recent_action, region):
    use_set(region, "national", "NAT")
    today = timezone.localdate()
    client.force_login(provider_user)
    dossier = submit(client, recent_action, today - dt.timedelta(days=20))
    assert not dossier.submitted_late and not deadlines.is_late(dossier)


def test_bfc_dossier_incomplete_at_exit_is_not_paid(region, provider, provider_user, agent):
    use_set(region, "bourgogne-franche-comte", "BFC")
    incomplete = admitted_dossier(region, provider, agent, exit_date=dt.date(2026, 4, 30))
    complete = admitted_dossier(
        region, provider, agent, exit_date=dt.date(2026, 4, 30), complete_on=dt.date(2026, 3, 5)
    )
    for dossier in (incomplete, complete):
        validate_next_month(dossier, provider_user)
    done = run(region, agent, dt.date(2026, 3, 1))
    ordered = set(Payment.objects.values_list("dossier_id", flat=True))
    assert ordered == {complete.pk}
    kinds = {a["kind"]: a for a in done.summary["anomalies"]}
    assert kinds["incomplete"]["dossier"] == incomplete.pk
    assert "dossier incomplet à la date de sortie du 30/04/2026" in kinds["incomplete"]["text"]
    # Completed after the exit: still not paid.
    incomplete.complete_on = dt.date(2026, 5, 4)
    incomplete.save()
    run(region, agent, dt.date(2026, 3, 1))
    assert not Payment.objects.filter(dossier=incomplete).exists()


def test_still_in_training_an_incomplete_bfc_dossier_is_paid(
    region, provider, provider_user, agent
):
    use_set(region, "bourgogne-franche-comte", "BFC")
    dossier = admitted_dossier(region, provider, agent)
    validate_next_month(dossier, provider_user)
    run(region, agent, dt.date(2026, 3, 1))
    assert Payment.objects.filter(dossier=dossier).exists()


def test_reception_with_every_required_document_accepted_completes_the_dossier(
    region, provider, agent
):
    dossier = admitted_dossier(region, provider, agent, status="submitted")
    for doc_type in required_documents(dossier):
        document = SupportingDocument(
            dossier=dossier,
            doc_type=doc_type,
            original_name="piece.pdf",
            content_type="application/pdf",
            size=10,
            uploaded_by=agent,
        )
        document.file.save("upload", ContentFile(b"%PDF-1.4"), save=False)
        document.save()
    documents = list(dossier.documents.all())
    reviews = {d.pk: ("accepted", "") for d in documents[1:]}
    receive(dossier, agent, reception_date=dt.date(2026, 3, 4), reviews=reviews, requests=[])
    dossier.refresh_from_db()
    assert dossier.complete_on is None  # one piece still to review
    reviews[documents[0].pk] = ("accepted", "")
    receive(dossier, agent, reception_date=dt.date(2026, 3, 6), reviews=reviews, requests=[])
    dossier.refresh_from_db()
    assert dossier.complete_on == dt.date(2026, 3, 6)
