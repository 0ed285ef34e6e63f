"""Issue 14 §1.4: an API token dies with its creator's right to act for the provider."""

from django.urls import reverse

from remu.accounts.models import ProviderMembership
from remu.accounts.services import invite_provider_user
from remu.api.models import ApiToken

from . import factories as f
from .utils import text


def call(client, raw):
    return client.get("/api/actions", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_removing_the_creators_membership_revokes_their_tokens(
    client, agent, provider, provider_user
):
    colleague = f.ProviderUserFactory(email="collegue@alpha.example", providers=[provider])
    _, raw = ApiToken.issue(provider=provider, name="Logiciel OF", user=provider_user)
    _, kept = ApiToken.issue(provider=provider, name="Autre", user=colleague)
    assert call(client, raw).status_code == 200
    membership = ProviderMembership.objects.get(user=provider_user, provider=provider)
    client.force_login(agent)
    client.post(reverse("accounts:membership_remove", args=[membership.pk]))
    client.logout()
    response = call(client, raw)
    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton d'accès manquant ou invalide."
    assert call(client, kept).status_code == 200  # a colleague's token still works
    client.force_login(agent)
    page = text(client.get(reverse("tokens:agent", args=[provider.pk])))
    assert "Révoqué le" in page  # the list says so


def test_invited_again_the_old_token_stays_dead(client, agent, provider, provider_user):
    _, raw = ApiToken.issue(provider=provider, name="Logiciel OF", user=provider_user)
    ProviderMembership.objects.filter(user=provider_user).delete()
    invite_provider_user(
        provider=provider,
        email=provider_user.email,
        first_name="A",
        last_name="B",
        is_admin=False,
        invited_by=agent,
    )
    assert call(client, raw).status_code == 401


def test_a_deactivated_creator_revokes_their_tokens(client, provider, provider_user, agent):
    _, raw = ApiToken.issue(provider=provider, name="Logiciel OF", user=provider_user)
    _, by_agent = ApiToken.issue(provider=provider, name="Pour l'OF", user=agent)
    assert call(client, by_agent).status_code == 200
    provider_user.is_active = False
    provider_user.save()
    agent.is_active = False
    agent.save()
    assert call(client, raw).status_code == 401
    assert call(client, by_agent).status_code == 401
