"""Two agents decide the same bank-details change at once (PostgreSQL): one wins, the other is
told who won and when; the history has one decision."""

import io

from django.urls import reverse

from remu.dossiers.models import Dossier
from remu.trainee_space.models import BankDetailsChange, BankDetailsChangeTransition

from . import factories as f
from . import test_concurrency
from .test_concurrency import logged_in, post, race

# As tests/test_concurrency.py: real concurrent requests need PostgreSQL (CI runs them there).
pytestmark = test_concurrency.pytestmark

NEW_IBAN = "FR1420041010050500013M02606"


def test_validate_and_reject_a_new_rib_at_once(region, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    enrollment = f.EnrollmentFactory(action=f.TrainingActionFactory(region=region))
    dossier = Dossier.objects.create(
        region=region, action=enrollment.action, enrollment=enrollment, kind="RS1",
        status="admitted", rate_category="JOB_SEEKER", number="CVL-2026-000001",
        iban="FR7630006000011234567890189", account_holder="Léa",
    )  # fmt: skip
    change = BankDetailsChange(
        region=region, trainee=enrollment.trainee, account_holder="Léa Martin", iban=NEW_IBAN,
        document_name="rib.pdf", document_type="application/pdf",
    )  # fmt: skip
    change.document.save("upload", io.BytesIO(b"%PDF-1.4 rib"), save=False)
    change.save()
    other = f.AgentFactory(region=region, first_name="Camille", last_name="Durand")
    url = reverse("trainee_space:agent_bank_change", args=[change.pk])
    pages = race(
        change,
        post(logged_in(agent), url, {"decision": "validate"}),
        post(logged_in(other), url, {"decision": "reject", "reason": "RIB illisible"}),
    )
    change.refresh_from_db()
    decisions = BankDetailsChangeTransition.objects.filter(change=change).exclude(
        to_status="pending"
    )
    assert decisions.count() == 1
    winner = decisions.get()
    assert winner.to_status == change.status
    loser = pages[1] if winner.by == agent else pages[0]
    done = "validé" if change.status == "validated" else "refusé"
    assert f"Ce changement a déjà été {done} par {winner.by} le " in loser
    dossier.refresh_from_db()
    assert (dossier.iban == NEW_IBAN) == (change.status == "validated")
