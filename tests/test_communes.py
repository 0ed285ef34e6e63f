from django.urls import reverse

from remu.communes.models import Commune

from .utils import text


def test_every_commune_is_loaded_overseas_included(db):
    assert Commune.objects.count() > 34_900
    assert Commune.objects.get(insee_code="97105").name == "Basse-Terre"  # Guadeloupe
    assert Commune.objects.get(insee_code="97611").name == "Mamoudzou"  # Mayotte
    assert Commune.objects.get(insee_code="2A004").name == "Ajaccio"  # Corsica
    assert Commune.objects.get(insee_code="75056").name == "Paris"


def test_postal_code_lookup_lists_its_communes(agent_client):
    page = text(agent_client.get(reverse("communes:lookup"), {"postal_code": "41100"}))
    assert "Vendôme (41269)" in page and "Naveil" in page
    assert page.count("<option") > 5


def test_lookup_reads_prefixed_fields_and_says_when_nothing_matches(agent_client):
    page = text(agent_client.get(reverse("communes:lookup"), {"address-postal_code": "97110"}))
    assert "Pointe-à-Pitre" in page
    page = text(agent_client.get(reverse("communes:lookup"), {"postal_code": "00000"}))
    assert "Aucune commune pour ce code postal" in page


def test_lookup_keeps_the_chosen_commune(agent_client):
    blois = Commune.objects.get(insee_code="41018")
    page = text(
        agent_client.get(
            reverse("communes:lookup"),
            {"training_postal_code": "41000", "training_commune": blois.pk},
        )
    )
    assert f'<option value="{blois.pk}" selected>Blois (41018)</option>' in page
