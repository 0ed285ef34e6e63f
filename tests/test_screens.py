"""Screens that must not lose or hide the user's work (issue 11 §4): RS2 journeys errors, the
signed form after validation, document requests, and the links of a preview's anomalies."""

import re

from django.urls import reverse

from . import test_dossiers
from .test_dossiers import complete_data, create
from .utils import text

off_market = test_dossiers.off_market  # the fixture: an off-market action of the provider


def words(response) -> str:
    """The page's text without its tags."""
    return re.sub(r"<[^>]+>", "", text(response))


def journey(index, **values):
    row = {
        "date": "2026-09-07",
        "purpose": "start_end",
        "origin": "Orléans",
        "destination": "Tours",
        "distance_km": "115",
        "amount": "23.40",
    }
    row.update(values)
    return {f"journeys-{index}-{k}": v for k, v in row.items()}


def rs2_data(dossier, *rows):
    data = complete_data(dossier)
    data.update(
        {
            "journeys-TOTAL_FORMS": str(len(rows)),
            "journeys-INITIAL_FORMS": "0",
            "journeys-MIN_NUM_FORMS": "0",
            "journeys-MAX_NUM_FORMS": "1000",
        }
    )
    for index, values in enumerate(rows):
        data.update(journey(index, **values))
    return data


def test_rs2_journey_errors_are_shown_and_nothing_is_saved(provider_client, off_market):
    dossier = create(provider_client, off_market, kind="RS2")
    url = reverse("dossiers:detail", args=[dossier.pk])
    response = provider_client.post(
        url, {**rs2_data(dossier, {}, {"distance_km": "12"}, {"amount": "-5"}), "save": "1"}
    )
    assert response.status_code == 200  # not redirected as if saved
    page = text(response)
    # A summary at the top says nothing was saved and lists every fault, by journey.
    assert "Le brouillon n'est pas enregistré" in page
    assert "Trajet 2 – Distance (km, aller) : Seuls les trajets de plus de 25 km" in words(response)
    assert "Trajet 3 – Montant du justificatif (€) : Le montant ne peut pas être négatif." in (
        words(response)
    )
    # The « Trajets » tab is the one shown, flagged, with each error next to its field.
    assert 'id="tab-journeys" data-bs-toggle="tab" data-bs-target="#pane-journeys"' in page
    assert 'class="nav-link active" id="tab-journeys"' in page
    assert page.count("Seuls les trajets de plus de 25 km sont remboursés.") == 2
    assert "journeys-2-amount-errors" in page
    assert not dossier.journeys.exists()
    provider_client.post(url, {**rs2_data(dossier, {}, {"distance_km": "40"}), "save": "1"})
    assert dossier.journeys.count() == 2


def test_rs2_without_journey_flags_the_journeys_tab(provider_client, off_market):
    dossier = create(provider_client, off_market, kind="RS2")
    page = text(
        provider_client.post(
            reverse("dossiers:detail", args=[dossier.pk]),
            {**rs2_data(dossier), "validate": "1"},
        )
    )
    assert "Déclarez au moins un trajet." in page
    assert 'class="nav-link active" id="tab-journeys"' in page


def test_rs2_incomplete_validation_keeps_saved_journeys_once(provider_client, off_market):
    dossier = create(provider_client, off_market, kind="RS2")
    response = provider_client.post(
        reverse("dossiers:detail", args=[dossier.pk]),
        {**rs2_data(dossier, {}), "civil-nir": "", "validate": "1"},
    )
    assert "Le brouillon est enregistré, mais le dossier n'est pas complet" in text(response)
    assert dossier.journeys.count() == 1
    # The form shows the saved journey as such: saving the page again edits it, adds nothing.
    assert response.context["journeys"].initial_form_count() == 1
