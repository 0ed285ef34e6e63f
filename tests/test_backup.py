"""Backup and restore (issue 14 §3): one checksummed archive of the database and the uploaded
files; restored on an emptied installation, every figure is identical and every document
downloads again."""

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from remu.dossiers.models import SupportingDocument
from remu.payments import services as payments
from remu.payments.models import Payment

from . import factories as f

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# What the comparison leaves out: rebuilt by migrate, or written by the requests of the test.
SKIPPED = ["contenttypes", "auth.permission", "sessions", "axes", "audit"]


def figures() -> list:
    out = io.StringIO()
    call_command("dumpdata", natural_foreign=True, exclude=SKIPPED, stdout=out)
    return sorted(json.loads(out.getvalue()), key=lambda o: (o["model"], str(o["pk"])))


@pytest.fixture(autouse=True)
def own_media_root(settings, tmp_path):
    """The archive holds every uploaded file: only this test's."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def wipe_everything():
    """A fresh install: empty tables, no uploaded file."""
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    Path(settings.MEDIA_ROOT).mkdir(parents=True)


@pytest.mark.django_db(transaction=True)
def test_round_trip(client, pay_world, tmp_path, capsys):
    region, agent = pay_world["region"], pay_world["agent"]
    run = payments.start_run(region, "monthly", pay_world["line"].statement.month, agent)
    payments.execute_run(run.pk)
    documents = [
        SupportingDocument.objects.create(
            dossier=pay_world["dossier"],
            doc_type=doc_type,
            file=SimpleUploadedFile(f"{doc_type}.pdf", PDF + doc_type.encode()),
            original_name=f"{doc_type}.pdf",
            content_type="application/pdf",
            size=len(PDF) + len(doc_type),
            uploaded_by=pay_world["provider_user"],
        )
        for doc_type in ("RIB", "ID")
    ]
    before = figures()
    assert Payment.objects.exists()
    archive = tmp_path / "sauvegarde.tar.gz"
    call_command("backup", str(archive))
    assert "Sauvegarde écrite" in capsys.readouterr().out
    assert archive.stat().st_mode & 0o077 == 0  # personal data: not readable by others
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert len(manifest["files"]) == 3  # the database and the two documents

    wipe_everything()
    assert not Payment.objects.exists()
    call_command("restore", str(archive))
    assert "Restauration terminée" in capsys.readouterr().out
    assert figures() == before
    client.force_login(agent)
    for document in documents:
        response = client.get(reverse("dossiers:document", args=[document.pk]))
        assert b"".join(response.streaming_content) == PDF + document.doc_type.encode()
        path = Path(document.file.path)  # restored as uploaded: never readable by others
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
    assert f.AgentFactory(region=region).pk  # the sequences follow: new rows still insert


@pytest.mark.django_db(transaction=True)
def test_a_tampered_archive_is_refused_before_anything_changes(pay_world, tmp_path):
    archive = tmp_path / "sauvegarde.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    tampered = tmp_path / "modifiee.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("database"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    before = figures()
    with pytest.raises(CommandError, match="Somme de contrôle SHA-256 fausse : database"):
        call_command("restore", str(tampered))
    assert figures() == before
