"""The trainee's access (issue 15 §1-2): codes issued at admission, the identifier login
(throttled), the forced change at the first login, the e-mailed invitation (single use,
expiring), the password reset by e-mail, and a trainee's login kept out of agents' and
providers' pages."""

import datetime as dt
import re

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse

from remu.accounts.models import User
from remu.dossiers import decisions, services
from remu.dossiers.models import Dossier

from . import factories as f
from .test_admission import received
from .test_cross_tenant import OBJECT_URLS, PAGE_URLS, world  # noqa: F401 (the fixture)
from .utils import text

IBAN = "FR7630006000011234567890189"
NEW = "Mon-propre-secret-2026"


@pytest.fixture
def cvl(region):
    region.parameter_set, region.number_prefix = "centre-val-de-loire", "CVL"
    region.save()
    return region


def admitted(cvl, agent, email="", capture=None):
    """Admits a received RS1 (the service, as the decision page does); returns the dossier and
    the codes the decision's first download prints."""
    dossier = received(cvl, agent)
    if email:
        trainee = dossier.trainee
        trainee.email = email
        trainee.save()

    def admit():
        services.admit(
            dossier,
            agent,
            category="JOB_SEEKER",
            proposed="JOB_SEEKER",
            reason="",
            holder="Léa Martin",
            iban=IBAN,
            bic="BNPAFRPP",
            exception_reason="Pièces vérifiées",
        )

    if capture is not None:
        with capture(execute=True):
            admit()
    else:
        admit()
    decision = dossier.decisions.get()
    return dossier, decision.login, decisions.deliver(decision, agent).password


def login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_first_login_with_the_identifier_forces_the_password_change(client, cvl, agent):
    dossier, identifier, password = admitted(cvl, agent)
    user = dossier.trainee.user
    assert user.email == f"{identifier}@stagiaires.remu.local"
    assert re.fullmatch(r"cvl-[a-z2-9]{8}", identifier)
    assert not mail.outbox  # no address on the dossier: no invitation

    # The identifier as printed (any case, surrounding spaces) logs in.
    response = login(client, f"  {identifier.upper()} ", password)
    assert response.status_code == 302 and response.url == reverse("home:home")
    # Every page sends to the password change until the trainee chose one.
    assert client.get(reverse("home:home")).url == reverse("accounts:password_change")
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302 and response.url == reverse("home:home")
    user.refresh_from_db()
    assert not user.must_change_password
    # The one-time password is gone; the chosen one works, with the full login too.
    client.logout()
    assert login(client, identifier, password).status_code == 200
    assert login(client, user.email, NEW).status_code == 302


def test_a_wrong_identifier_is_told_in_french(client, db):
    response = login(client, "cvl-inconnu", "n'importe-quoi-42")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in text(response)
    response = login(client, "a b@", "x")
    assert "identifiant valide" in text(response)


def test_failed_logins_lock_the_identifier_however_it_is_typed(client, cvl, agent, settings):
    dossier, identifier, password = admitted(cvl, agent)
    for typed in [identifier, identifier.upper(), f"{identifier}@stagiaires.remu.local"] * 2:
        login(client, typed, "mauvais-mot-de-passe")
    # Locked: even the right password, typed either way, is refused for an hour.
    response = login(client, identifier, password)
    assert response.status_code == 429
    response = login(client, f"{identifier}@STAGIAIRES.remu.local", password)
    assert response.status_code == 429


def test_the_invitation_link_sets_the_password_once(
    client, cvl, agent, django_capture_on_commit_callbacks
):
    dossier, identifier, password = admitted(
        cvl, agent, email="lea.martin@example.org", capture=django_capture_on_commit_callbacks
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lea.martin@example.org"]
    assert identifier in message.body and password not in message.body
    assert dossier.number in message.body and "une seule fois" in message.body
    link = re.search(r"http://\S+", message.body).group(0)
    page = client.get(link, follow=True)
    assert "Activer votre compte" in text(page)
    set_url = page.redirect_chain[-1][0]
    client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    user = User.objects.get(pk=dossier.trainee.user_id)
    assert not user.must_change_password and user.check_password(NEW)
    # Single use: the link no longer works; nor does the printed one-time password.
    again = client.get(link, follow=True)
    assert "Ce lien n'est plus valable" in text(again)
    assert login(client, identifier, password).status_code == 200
    assert login(client, identifier, NEW).status_code == 302


def test_the_invitation_link_expires(
    client, cvl, agent, django_capture_on_commit_callbacks, monkeypatch
):
    admitted(cvl, agent, email="lea@example.org", capture=django_capture_on_commit_callbacks)
    link = re.search(r"http://\S+", mail.outbox[0].body).group(0)
    later = dt.datetime.now() + dt.timedelta(days=3, hours=1)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    assert "Ce lien n'est plus valable" in text(client.get(link, follow=True))


def test_reissue_invalidates_the_earlier_invitation(
    agent_client, client, cvl, agent, django_capture_on_commit_callbacks
):
    dossier, _, _ = admitted(
        cvl, agent, email="lea@example.org", capture=django_capture_on_commit_callbacks
    )
    first_link = re.search(r"http://\S+", mail.outbox[0].body).group(0)
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reverse("dossiers:reissue_codes", args=[dossier.pk]))
    assert len(mail.outbox) == 2
    agent_client.logout()
    assert "Ce lien n'est plus valable" in text(client.get(first_link, follow=True))
    second_link = re.search(r"http://\S+", mail.outbox[1].body).group(0)
    assert "Activer votre compte" in text(client.get(second_link, follow=True))


def test_password_reset_by_email_reaches_the_trainee(client, cvl, agent):
    dossier, identifier, _ = admitted(cvl, agent, email="Lea.Martin@example.org")
    mail.outbox.clear()
    client.post(reverse("accounts:password_reset"), {"email": "lea.martin@example.org"})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lea.martin@example.org"]
    assert f"identifiant : {identifier})" in mail.outbox[0].body
    link = re.search(r"http://\S+", mail.outbox[0].body).group(0)
    page = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in text(page)
    client.post(page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    response = login(client, identifier, NEW)
    assert response.status_code == 302
    home = client.get(reverse("home:home"))  # chosen by the trainee: no forced change
    assert home.get("Location") != reverse("accounts:password_change")


def test_an_unknown_address_sends_nothing(client, cvl, agent):
    admitted(cvl, agent, email="lea@example.org")
    mail.outbox.clear()
    client.post(reverse("accounts:password_reset"), {"email": "autre@example.org"})
    assert not mail.outbox


def test_reissue_keeps_the_identifier_and_reuses_the_account(cvl, agent):
    dossier, identifier, _ = admitted(cvl, agent)
    decision = decisions.reissue(dossier, agent)
    assert decision.login == identifier
    assert User.objects.filter(role=User.Role.TRAINEE).count() == 1


def test_a_trainee_cannot_reach_agent_or_provider_pages(client, world):  # noqa: F811
    """Every agent, provider or shared page answers 403 to a trainee's login (the trainee of
    the victim's own admitted dossier): only their space and their account remain."""
    objects, _, _ = world
    trainee = objects["trainee"]
    user = User.objects.create_user(
        email="cvl-abcdefgh@stagiaires.remu.local", password=NEW, role=User.Role.TRAINEE
    )
    trainee.user = user
    trainee.save()
    client.force_login(user)
    # Their own space answers them (tests/test_trainee_space.py); everything else refuses.
    own = ("accounts:", "trainee_space:", "oidc:")
    urls = [
        reverse(name, args=[objects[key].pk])
        for name, (_, key) in OBJECT_URLS.items()
        if not name.startswith(own)
    ]
    urls += [
        reverse(name) for name in PAGE_URLS if not name.startswith(own) and name != "home:home"
    ]
    for url in urls:
        # A POST-only view of the account pages may refuse the GET first (405).
        statuses = {client.get(url).status_code, client.post(url).status_code}
        assert 403 in statuses and statuses <= {403, 405}, f"{url} as a trainee: {statuses}"
    assert client.get(reverse("accounts:password_change")).status_code == 200


def test_a_second_admission_keeps_the_password_the_trainee_chose(cvl, agent):
    dossier, identifier, _ = admitted(cvl, agent)
    user = dossier.trainee.user
    user.set_password(NEW)
    user.must_change_password = False
    user.save()
    action = f.TrainingActionFactory(
        region=cvl, planned_start=dt.date(2026, 10, 5), planned_end=dt.date(2027, 3, 31)
    )
    enrollment = f.EnrollmentFactory(action=action, trainee=dossier.trainee)
    second = Dossier.objects.create(
        region=cvl,
        action=action,
        enrollment=enrollment,
        kind="RS1",
        status="admitted",
        rate_category="JOB_SEEKER",
        number="CVL-2026-999999",
    )
    decision = decisions.issue_on_admission(second, agent)
    assert decision.login == identifier and decision.sealed_password == ""
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.must_change_password
    assert "déjà choisi son mot de passe" in decisions.deliver(decision, agent).note
