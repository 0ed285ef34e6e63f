import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from stdnum.fr import nir, siret

from remu.accounts.models import User
from remu.actions.models import TrainingAction
from remu.demo.seed import DEMO_PASSWORD
from remu.dossiers.models import Dossier
from remu.referential.models import Campaign, Programme, Provider, Region
from remu.trainees.models import Enrollment, Trainee

from .utils import todo_items


def test_seed_demo_builds_the_region_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    counts = [
        m.objects.count()
        for m in (Region, Campaign, Programme, Provider, TrainingAction, Trainee, Enrollment, User)
    ]
    call_command("seed_demo")
    assert [
        m.objects.count()
        for m in (Region, Campaign, Programme, Provider, TrainingAction, Trainee, Enrollment, User)
    ] == counts
    assert counts[:7] == [1, 2, 4, 3, 12, 150, 150]
    actions = TrainingAction.objects.all()
    assert {a.kind for a in actions} == {"market", "off_market"}
    assert {a.is_full_time for a in actions} == {True, False}
    assert any(a.fse_cofunded for a in actions)
    assert all(nir.is_valid(t.nir) for t in Trainee.objects.all())
    assert all(siret.is_valid(p.siret) for p in Provider.objects.all())
    out = capsys.readouterr().out
    assert "agent@cvl.remu.local" in out and DEMO_PASSWORD in out


def test_printed_demo_logins_work(client, db):
    call_command("seed_demo")
    for email in ("agent@cvl.remu.local", "of1@demo.remu.local"):
        response = client.post("/connexion/", {"username": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.get("/", follow=True).status_code == 200
        client.post("/deconnexion/")


def test_seed_demo_prints_the_logins_and_the_address_it_is_given(db, capsys):
    call_command("seed_demo", host="0.0.0.0", port="8123")
    out = capsys.readouterr().out
    assert "Serveur : http://0.0.0.0:8123/" in out
    assert "of1@demo.remu.local" in out and "Organisme : AFPA Centre-Val de Loire" in out
    assert "regles@cvl.remu.local" in out and "administrateur des règles" in out


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_seeds_with_its_host_and_port():
    """`make run` prints the demo logins and the address runserver really listens on."""
    root = Path(__file__).resolve().parent.parent
    plan = subprocess.run(
        ["make", "-n", "run", "HOST=0.0.0.0", "PORT=8123"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "manage.py seed_demo --host '0.0.0.0' --port '8123'" in plan
    assert "runserver 0.0.0.0:8123" in plan


def test_the_demo_homes_have_something_to_do(client, db):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # twice: nothing more to do
    client.force_login(User.objects.get(email="agent@cvl.remu.local"))
    items = todo_items(client.get(reverse("home:agent_dashboard")))
    assert items["Dossiers à instruire"][0] == 3
    assert items["Abandons à décider"][0] == 1
    received = Dossier.objects.get(status="received")
    provider_user = received.action.provider.memberships.first().user
    client.force_login(provider_user)
    items = todo_items(client.get(reverse("home:provider_home")))
    assert items["Dossiers avec des pièces demandées par la Région"][0] == 1
