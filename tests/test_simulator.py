from django.urls import reverse

from .utils import text

BASE = {
    "region": "centre-val-de-loire",
    "birth_date": "1990-05-04",
    "start_date": "2026-09-14",
    "weekly_hours": "35",
    "distance_km": "30",
    "unemployment_benefit": "non",
}


def test_anyone_can_simulate_without_logging_in(client, db):
    page = text(client.get(reverse("simulator:simulate"), BASE))
    assert "Seule la décision de la Région" in page
    assert "Rémunération estimée pour un mois complet (octobre 2026)" in page
    assert "776,42 €" in page  # national amount, more favourable than CVL's 500
    assert "98,79 €" in page  # transport allowance over 15 km
    assert "Aide forfaitaire à l'entrée (une fois)" in page and "200,00 €" in page
    assert "plus favorable" in page  # the explanation


def test_situation_questions_choose_the_category(client, db):
    page = text(
        client.get(
            reverse("simulator:simulate"),
            {**BASE, "region": "bourgogne-franche-comte", "disabled_worker": "on"},
        )
    )
    assert "Catégorie proposée : travailleur handicapé" in page
    assert "1\xa0001,02 €" in page  # French grouping, no-break space
    page = text(
        client.get(
            reverse("simulator:simulate"),
            {**BASE, "weekly_hours": "20", "birth_date": "2005-01-01"},
        )
    )
    assert "Temps partiel (20 h par semaine)" in page


def test_france_travail_allowance_and_errors(client, db):
    page = text(client.get(reverse("simulator:simulate"), {**BASE, "unemployment_benefit": "oui"}))
    assert "France Travail continue" in page
    page = text(client.get(reverse("simulator:simulate"), {**BASE, "birth_date": "2015-01-01"}))
    assert "Il faut avoir au moins 16 ans à l'entrée en formation." in page


def test_decimal_commas_are_understood(client, db):
    page = text(
        client.get(
            reverse("simulator:simulate"),
            {**BASE, "weekly_hours": "17,5", "birth_date": "2001-01-01"},
        )
    )
    assert "Temps partiel (17,5 h par semaine)" in page
