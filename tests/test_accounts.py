import re

import pytest
from django.core import mail
from django.urls import reverse

from remu.accounts.models import ProviderMembership, User

from . import factories as f
from .factories import PASSWORD
from .utils import text


def login(client, email, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_login_with_email_sends_each_role_home(client, agent, provider_user):
    response = login(client, "AGENT@region.example")
    assert response.status_code == 302
    assert client.get(reverse("home:home")).url == reverse("home:agent_dashboard")
    client.post(reverse("accounts:logout"))
    login(client, provider_user.email)
    assert client.get(reverse("home:home")).url == reverse("home:provider_home")


def test_wrong_password_says_so_in_french(client, agent):
    response = login(client, agent.email, "mauvais")
    assert "Identifiant ou mot de passe incorrect." in text(response)


def test_repeated_failures_lock_the_login_with_a_clear_message(client, agent):
    for _ in range(5):
        login(client, agent.email, "mauvais")
    response = login(client, agent.email)  # even the right password is refused now
    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in text(response)


def test_logout_ends_the_session(agent_client):
    agent_client.post(reverse("accounts:logout"))
    assert agent_client.get(reverse("home:agent_dashboard")).status_code == 302


def test_forced_password_change_at_first_login(client, agent):
    agent.must_change_password = True
    agent.save()
    login(client, agent.email)
    response = client.get(reverse("actions:list"))
    assert response.url == reverse("accounts:password_change")
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Un-nouveau-secret-42",
            "new_password2": "Un-nouveau-secret-42",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert not agent.must_change_password
    assert client.get(reverse("actions:list")).status_code == 200


def test_forgotten_password_email_lets_the_user_choose_a_new_one(client, agent):
    client.post(reverse("accounts:password_reset"), {"email": agent.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+", mail.outbox[0].body).group(0)
    page = client.get(link, follow=True)
    assert "Choisir un nouveau mot de passe" in text(page)
    client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "Autre-secret-2026", "new_password2": "Autre-secret-2026"},
    )
    assert login(client, agent.email, "Autre-secret-2026").status_code == 302


def test_agent_invites_a_provider_user_who_sets_a_password(
    agent_client, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            reverse("accounts:provider_invite", args=[provider.pk]),
            {
                "email": "Nouvelle@OF.example",
                "first_name": "Lou",
                "last_name": "Durand",
                "is_admin": "on",
            },
        )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@of.example")
    assert user.role == User.Role.PROVIDER and not user.has_usable_password()
    assert ProviderMembership.objects.get(user=user, provider=provider).is_admin
    assert len(mail.outbox) == 1 and provider.name in mail.outbox[0].body
    link = re.search(r"http://\S+", mail.outbox[0].body).group(0)
    agent_client.post(reverse("accounts:logout"))
    page = agent_client.get(link, follow=True)
    assert "Activer votre compte" in text(page)
    agent_client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "Premier-secret-2026", "new_password2": "Premier-secret-2026"},
    )
    assert login(agent_client, "nouvelle@of.example", "Premier-secret-2026").status_code == 302
    assert agent_client.get(reverse("home:home")).url == reverse("home:provider_home")


def test_inviting_an_agents_address_is_refused(agent_client, agent, provider):
    response = agent_client.post(
        reverse("accounts:provider_invite", args=[provider.pk]),
        {"email": agent.email, "first_name": "A", "last_name": "B"},
    )
    assert "n'est pas celui d'un organisme" in text(response)
    assert not ProviderMembership.objects.exists()


def test_removing_the_last_access_deactivates_the_account(agent_client, provider_user):
    membership = provider_user.memberships.get()
    agent_client.post(reverse("accounts:membership_remove", args=[membership.pk]))
    provider_user.refresh_from_db()
    assert not provider_user.is_active


def test_account_page_changes_login_with_password_check(provider_client, provider_user):
    url = reverse("accounts:account")
    response = provider_client.post(
        url, {"login-email": "autre@alpha.example", "login-password": "faux", "save_login": "1"}
    )
    assert "Mot de passe incorrect." in text(response)
    provider_client.post(
        url, {"login-email": "autre@alpha.example", "login-password": PASSWORD, "save_login": "1"}
    )
    provider_user.refresh_from_db()
    assert provider_user.email == "autre@alpha.example"


@pytest.mark.parametrize(
    ("postal_code", "commune", "error"),
    [
        ("45000", "45234", None),
        ("99999", "", "Ce code postal ne correspond à aucune commune."),
        ("45000", "37261", "Sélectionnez un choix valide."),
    ],
)
def test_provider_updates_its_address(provider_client, provider, postal_code, commune, error):
    commune_pk = f.commune(commune).pk if commune else ""
    response = provider_client.post(
        reverse("accounts:account"),
        {
            "address-address_line1": "2 rue Victor Hugo",
            "address-postal_code": postal_code,
            "address-commune": commune_pk,
            "save_address": "1",
        },
    )
    provider.refresh_from_db()
    if error:
        assert error in text(response)
        assert provider.address_line1 == ""
    else:
        assert provider.commune.name == "Orléans"
        assert provider.address_lines == ["2 rue Victor Hugo", "45000 Orléans"]


def test_a_user_of_two_providers_switches_between_them(client, region):
    alpha, beta = f.ProviderFactory(region=region), f.ProviderFactory(region=region)
    action_alpha = f.TrainingActionFactory(region=region, provider=alpha, number="ALPHA-1")
    action_beta = f.TrainingActionFactory(region=region, provider=beta, number="BETA-1")
    user = f.ProviderUserFactory(providers=[alpha, beta])
    client.force_login(user)
    home = text(client.get(reverse("home:provider_home")))
    assert "ALPHA-1" in home and "BETA-1" not in home
    assert client.get(reverse("actions:detail", args=[action_beta.pk])).status_code == 404
    client.post(reverse("accounts:switch_provider"), {"provider": beta.pk})
    home = text(client.get(reverse("home:provider_home")))
    assert "BETA-1" in home and "ALPHA-1" not in home
    assert client.get(reverse("actions:detail", args=[action_alpha.pk])).status_code == 404


def test_an_agent_without_region_is_refused_by_the_database(db):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        User.objects.create_user("sans-region@example.org", role=User.Role.AGENT)


def test_create_agent_command_gives_a_temporary_password_to_change(client, region):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "create_agent",
        region=region.code,
        email="nouvel.agent@region.example",
        rules_admin=True,
        stdout=out,
    )
    password = out.getvalue().split("mot de passe provisoire : ")[1].split()[0]
    agent = User.objects.get(email="nouvel.agent@region.example")
    assert agent.region == region and agent.is_rules_admin and agent.must_change_password
    login(client, agent.email, password)
    assert client.get(reverse("home:home")).url == reverse("accounts:password_change")
