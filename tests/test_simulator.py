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
    page = text(client.get(reverse("simulator:simulate"), {**BASE, "entry_bonus_granted": "on"}))
    assert "Seule la décision de la Région" in page
    assert "Rémunération estimée pour un mois complet (octobre 2026)" in page
    assert "776,42 €" in page  # national amount, more favourable than CVL's 500
    assert "98,79 €" in page  # transport allowance over 15 km
    assert "Aide forfaitaire à l'entrée (une fois, avec le premier mois ; imposable)" in page
    assert "200,00 €" in page
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


def test_the_bonus_where_the_action_grants_it_and_the_contributions_apart(client, db):
    page = text(client.get(reverse("simulator:simulate"), BASE))
    assert "Aide forfaitaire à l'entrée (une fois" not in page  # not granted: not promised
    # October 2026, 35 h: 151.55 h x 2.03 = 307.65, paid by the region, not to the trainee
    assert "la Région verse vos cotisations sociales : 307,65 €" in page
    assert "Cotisations sociales (à la charge de la Région, non versées au stagiaire)" in page


def test_a_france_travail_relay_and_a_resignation_restrict_the_month(client, db):
    relay = {**BASE, "unemployment_benefit": "oui", "benefit_end": "2026-10-15"}
    page = text(client.get(reverse("simulator:simulate"), {**relay, "entry_bonus_granted": "on"}))
    assert "France Travail continue" not in page
    assert "Aide forfaitaire à l'entrée (une fois" not in page  # not after an ARE relay
    assert "Relais France Travail : allocation jusqu'au 15/10/2026" in page
    assert "rémunération à partir du 16/10/2026" in page
    resigned = {**BASE, "region": "bourgogne-franche-comte", "resigned_contract_end": "2026-09-01"}
    page = text(client.get(reverse("simulator:simulate"), resigned))
    assert "31/10/2026" in page  # BFC: 60 days after the contract's end
    page = text(client.get(reverse("simulator:simulate"), {**BASE, "permit_end": "2150-01-01"}))
    assert "Indiquez une date entre 1950 et 2100." in page
