"""Access log of sensitive data (issue 14 §2): who viewed a dossier or a trainee, downloaded a
document, exported NIRs or IBANs, and when; seen by the region's rules administrators only;
purged after the region's period."""

import datetime as dt
import importlib
from pathlib import Path

from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from remu.audit.models import AccessEvent
from remu.dossiers.models import SupportingDocument

from . import factories as f
from .utils import text

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_sensitive_reads_are_logged_and_shown_to_rules_administrators(client, pay_world):
    dossier, agent = pay_world["dossier"], pay_world["agent"]
    provider_user = pay_world["provider_user"]
    client.force_login(provider_user)
    client.get(reverse("dossiers:detail", args=[dossier.pk]))
    client.get(reverse("attendance:trainees_xlsx", args=[dossier.action_id]))
    client.force_login(agent)
    client.get(reverse("home:trainee", args=[dossier.enrollment.trainee_id]))
    document = SupportingDocument.objects.create(
        dossier=dossier,
        doc_type="RIB",
        file=SimpleUploadedFile("rib.pdf", PDF),
        original_name="rib.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=provider_user,
    )
    response = client.get(reverse("dossiers:document", args=[document.pk]))
    assert b"".join(response.streaming_content) == PDF
    events = list(AccessEvent.objects.order_by("at", "pk").values_list("user", "kind", "label"))
    assert events == [
        (provider_user.pk, "dossier", f"Dossier {dossier.number}"),
        (provider_user.pk, "export", f"Stagiaires de l'action {dossier.action.number} (tableur)"),
        (agent.pk, "trainee", f"Stagiaire n° {dossier.enrollment.trainee_id}"),
        (agent.pk, "document", f"{document.doc_label} – Dossier {dossier.number}"),
    ]
    page = text(client.get(reverse("audit:log")))
    assert "Conservé 12 mois" in page
    assert f"Dossier {dossier.number}" in page and "Export de données personnelles" in page
    assert dossier.enrollment.trainee.nir not in page
    other = f.AgentFactory(region=pay_world["region"])  # not a rules administrator
    client.force_login(other)
    assert client.get(reverse("audit:log")).status_code == 403


def test_the_log_is_paginated(client, pay_world):
    agent = pay_world["agent"]
    AccessEvent.objects.bulk_create(
        AccessEvent(region=pay_world["region"], user=agent, kind="dossier", label=f"Dossier {i}")
        for i in range(120)
    )
    client.force_login(agent)
    assert "Page 1 sur 3" in text(client.get(reverse("audit:log")))


def test_old_events_are_purged_after_the_regions_period(pay_world, capsys):
    agent, region = pay_world["agent"], pay_world["region"]
    now = timezone.now()
    old = AccessEvent.objects.create(
        region=region, user=agent, kind="dossier", label="ancien", at=now - dt.timedelta(days=400)
    )
    recent = AccessEvent.objects.create(
        region=region, user=agent, kind="dossier", label="récent", at=now - dt.timedelta(days=300)
    )
    call_command("purge_access_log")
    assert "1 accès de plus de 12 mois supprimé(s)" in capsys.readouterr().out
    assert not AccessEvent.objects.filter(pk=old.pk).exists()
    assert AccessEvent.objects.filter(pk=recent.pk).exists()


def test_uploaded_documents_are_not_readable_by_other_system_users(pay_world):
    document = SupportingDocument.objects.create(
        dossier=pay_world["dossier"],
        doc_type="ID",
        file=SimpleUploadedFile("id.pdf", PDF),
        original_name="id.pdf",
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=pay_world["provider_user"],
    )
    path = Path(document.file.path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_each_read_of_a_trainees_data_names_the_trainee_and_old_events_are_given_theirs(
    client, pay_world
):
    """The trainee's page reads their accesses by the trainee's id (an index), not by the
    labels; the migration gave the events logged before it their trainee from their label."""
    dossier, agent = pay_world["dossier"], pay_world["agent"]
    trainee_id = dossier.enrollment.trainee_id
    client.force_login(pay_world["provider_user"])
    client.get(reverse("dossiers:detail", args=[dossier.pk]))
    client.get(reverse("attendance:trainees_xlsx", args=[dossier.action_id]))  # a list: no one
    assert list(AccessEvent.objects.order_by("pk").values_list("kind", "about_trainee")) == [
        ("dossier", trainee_id),
        ("export", None),
    ]
    region, user = dossier.region, agent
    old = {  # labels as the views wrote them, without the trainee
        f"Stagiaire n° {trainee_id}": trainee_id,
        f"Fiche d'entrée de l'inscription {dossier.enrollment_id}": trainee_id,
        f"Dossier {dossier.number}": trainee_id,
        f"Pièce d'identité – Dossier {dossier.number}": trainee_id,
        f"Décision de prise en charge D-1 (codes d'accès remis) – Dossier {dossier.number}": (
            trainee_id
        ),
        f"Dossier n° {dossier.pk} (brouillon)": trainee_id,
        f"Dossier {dossier.number}9": None,  # another dossier's number, longer
        "Stagiaires de l'action 12 (tableur)": None,
        "Changement de RIB n° 999999": None,  # no such change
    }
    AccessEvent.objects.all().delete()
    for label in old:
        AccessEvent.objects.create(region=region, user=user, kind="document", label=label)
    migration = importlib.import_module("remu.audit.migrations.0002_access_event_about_trainee")
    migration.about_trainee(django_apps, None)
    assert dict(AccessEvent.objects.values_list("label", "about_trainee")) == old
    client.force_login(agent)
    page = text(client.get(reverse("home:trainee", args=[trainee_id])))
    section = page.split("Accès aux données du stagiaire")[1].split("Ajustements manuels")[0]
    assert f"Pièce d'identité – Dossier {dossier.number}" in section
    assert f"Dossier {dossier.number}9" not in section and "tableur" not in section
