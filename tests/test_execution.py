"""Execution of training actions by providers (issue 16, seed 003 §3)."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from remu.actions.models import TrainingAction
from remu.attendance.models import AttendanceLine, AttendanceStatement
from remu.communes.models import Commune
from remu.dossiers.models import Dossier
from remu.execution import registrations, selectors, services
from remu.execution.models import ExecutionEvent, RegistrationRecord, Survey, Trainer
from remu.trainees.models import Enrollment, Trainee

from . import factories as f

START = dt.date(2026, 3, 2)
END = dt.date(2026, 9, 30)


def _people(n=1, **record):
    for i in range(n):
        trainee = Trainee(
            civility="MME",
            birth_name=f"MARTIN{i}",
            first_names="Claire",
            birth_date=dt.date(1990, 5, 17),
            address_line1="1 rue des Lilas",
            postal_code="45000",
        )
        values = {
            "sex": "F",
            "paying_body": "region",
            "level_at_entry": "4",
            "unemployment_duration": "6_12",
            "prescriber": "france_travail",
        } | record
        yield trainee, RegistrationRecord(**values)


def _register(action, user, n=1, entry=START, **record):
    return [
        services.register(action, trainee, rec, entry, user)
        for trainee, rec in _people(n, **record)
    ]


@pytest.fixture
def market(region, provider):
    return f.TrainingActionFactory(
        region=region,
        provider=provider,
        kind=TrainingAction.Kind.MARKET,
        planned_start=START,
        planned_end=END,
        max_trainees=3,
        max_paid_trainees=2,
    )


def _opened(action, user):
    services.confirm_dates(action, [("centre", START, dt.date(2026, 6, 30))], user)
    _register(action, user, 2)
    services.open_action(action, opened=True, opening_date=START, frequency="monthly", user=user)
    action.refresh_from_db()
    return action


# -- registration ------------------------------------------------------------------------


def test_registering_a_trainee_of_a_market_action_creates_the_draft_rs1(market, provider_user):
    [enrollment] = _register(market, provider_user)
    dossier = Dossier.objects.get(enrollment=enrollment)
    assert dossier.kind == "RS1" and dossier.status == "draft"
    assert dossier.real_start == START
    assert enrollment.registration.seat == 1 and enrollment.registration.paid_seat == 1
    assert ExecutionEvent.objects.filter(action=market, kind="registered").count() == 1


def test_headcounts_are_limits(market, provider_user):
    _register(market, provider_user, 2)
    with pytest.raises(ValidationError, match="effectif rémunéré"):
        _register(market, provider_user)
    _register(market, provider_user, paying_body="france_travail")
    with pytest.raises(ValidationError, match="effectif prévu"):
        _register(market, provider_user, paying_body="none")
    assert market.enrollments.count() == 3


def test_the_database_refuses_a_seat_beyond_the_headcount(market, provider_user):
    [enrollment] = _register(market, provider_user)
    record = enrollment.registration
    record.seat = 4
    with pytest.raises(IntegrityError), transaction.atomic():
        record.save()


def test_a_trainee_is_deleted_while_no_hour_is_recorded(market, provider_user):
    first, second = _register(market, provider_user, 2)
    services.unregister(first, provider_user)
    assert not Enrollment.objects.filter(pk=first.pk).exists()
    assert not Dossier.objects.filter(enrollment_id=first.pk).exists()
    dossier = second.dossiers.get()
    Dossier.objects.filter(pk=dossier.pk).update(status="submitted")
    statement = AttendanceStatement.objects.create(
        action=market, month=dt.date(2026, 3, 1), created_by=provider_user
    )
    AttendanceLine.objects.create(
        statement=statement,
        enrollment=second,
        dossier=dossier,
        full_time=True,
        presence="full_month",
    )
    with pytest.raises(ValidationError, match="heures"):
        services.unregister(second, provider_user)


def test_an_empty_statement_line_records_no_hour(market, provider_user):
    """Every registered trainee has a line from the statement's creation (seed 003 §3.5): an
    empty draft line does not keep a registration made in error."""
    [enrollment] = _register(market, provider_user)
    statement = AttendanceStatement.objects.create(
        action=market, month=dt.date(2026, 3, 1), created_by=provider_user
    )
    AttendanceLine.objects.create(statement=statement, enrollment=enrollment, full_time=True)
    services.unregister(enrollment, provider_user)
    assert not Enrollment.objects.filter(pk=enrollment.pk).exists()
    assert not statement.lines.exists()


def test_records_lock_after_opening_until_an_agent_reopens(market, provider_user, agent):
    action = _opened(market, provider_user)
    enrollment = action.enrollments.first()
    trainee, record = enrollment.trainee, enrollment.registration
    with pytest.raises(ValidationError, match="réouverture"):
        services.update_registration(enrollment, trainee, record, START, provider_user)
    services.reopen_registrations(action, "Erreur de saisie du niveau", agent)
    record.level_at_entry = "5"
    services.update_registration(enrollment, trainee, record, START, provider_user)
    assert RegistrationRecord.objects.get(pk=record.pk).level_at_entry == "5"
    event = ExecutionEvent.objects.get(kind="registrations_reopened")
    assert event.reason == "Erreur de saisie du niveau" and event.by == agent


def test_bulk_import_is_all_or_nothing_with_every_faulty_row(market, provider_user):
    rows = [
        {
            "civilite": "MME",
            "sexe": "F",
            "nom_naissance": "DURAND",
            "prenoms": "Léa",
            "date_naissance": "01/02/1995",
            "adresse": "2 rue Haute",
            "code_postal": "45000",
            "date_entree": "02/03/2026",
            "remuneration": "region",
            "niveau": "4",
            "duree_chomage": "none",
            "prescripteur": "self",
        },
        {"civilite": "X", "sexe": "F", "date_naissance": "31/02/1995"},
    ]
    done, errors = registrations.apply_rows(market, rows, provider_user)
    assert done == 0 and not market.enrollments.exists()
    assert {e.row for e in errors} == {3}
    columns = {e.column for e in errors}
    assert {"civilite", "date_naissance", "nom_naissance", "adresse"} <= columns
    done, errors = registrations.apply_rows(market, rows[:1], provider_user)
    assert (done, errors) == (1, [])
    assert market.enrollments.get().dossiers.get().kind == "RS1"


def test_import_reports_the_headcount_on_its_row(market, provider_user):
    row = next(iter(registrations.COLUMNS))  # noqa: F841 - the columns exist
    base = {
        "civilite": "M",
        "sexe": "M",
        "nom_naissance": "PETIT",
        "prenoms": "Jean",
        "date_naissance": "01/02/1995",
        "adresse": "2 rue Haute",
        "code_postal": "45000",
        "date_entree": "02/03/2026",
        "remuneration": "region",
        "niveau": "4",
        "duree_chomage": "none",
        "prescripteur": "self",
    }
    done, errors = registrations.apply_rows(market, [base, base, base], provider_user)
    assert done == 0
    assert [(e.row, e.column) for e in errors] == [(4, "remuneration")]


# -- dates and periods -------------------------------------------------------------------


def test_periods_within_the_action_and_without_overlap(market, provider_user):
    with pytest.raises(ValidationError) as exc:
        services.confirm_dates(
            market,
            [
                ("centre", START, dt.date(2026, 4, 30)),
                ("centre", dt.date(2026, 4, 15), dt.date(2026, 5, 30)),
                ("company", dt.date(2026, 9, 1), dt.date(2026, 10, 15)),
            ],
            provider_user,
        )
    text = " ".join(exc.value.messages)
    assert "se chevauchent" in text and "sort des dates" in text
    assert not market.periods.exists()


def test_dates_lock_once_saved_and_an_agent_reopens_them(market, provider_user, agent):
    periods = [("centre", START, dt.date(2026, 5, 29)), ("company", dt.date(2026, 6, 1), END)]
    services.confirm_dates(market, periods, provider_user)
    assert market.periods.count() == 2
    with pytest.raises(ValidationError, match="demande de report"):
        services.confirm_dates(market, periods, provider_user)
    with pytest.raises(ValidationError):
        services.reopen_dates(market, "  ", agent)
    services.reopen_dates(market, "Report de 15 jours accordé", agent)
    services.confirm_dates(market, periods[:1], provider_user)
    assert market.periods.count() == 1
    assert ExecutionEvent.objects.filter(kind="dates_reopened", reason__contains="15").exists()


# -- opening and closure -----------------------------------------------------------------


def test_a_collective_action_opens_on_its_planned_start(market, provider_user):
    services.confirm_dates(market, [("centre", START, END)], provider_user)
    _register(market, provider_user, entry=dt.date(2026, 3, 9))
    with pytest.raises(ValidationError) as exc:
        services.open_action(
            market,
            opened=True,
            opening_date=dt.date(2026, 3, 9),
            frequency="monthly",
            user=provider_user,
        )
    assert "contactez la Région" in str(exc.value)
    with pytest.raises(ValidationError, match="Inscrivez d'abord"):
        services.open_action(
            market, opened=True, opening_date=START, frequency="monthly", user=provider_user
        )


def test_opening_in_three_instalments_keeps_the_regions_thresholds(market, provider_user):
    services.confirm_dates(market, [("centre", START, END)], provider_user)
    _register(market, provider_user)
    services.open_action(
        market, opened=True, opening_date=START, frequency="three_instalments", user=provider_user
    )
    market.refresh_from_db()
    assert market.status == "open" and market.real_start == START
    assert market.execution.instalment_thresholds == [30, 60, 80]
    with pytest.raises(ValidationError, match="déjà été renseignée"):
        services.open_action(
            market, opened=True, opening_date=START, frequency="monthly", user=provider_user
        )


def test_closure_waits_for_every_exit_then_warns_of_an_amendment(market, provider_user):
    action = _opened(market, provider_user)
    first, second = action.enrollments.order_by("pk")
    services.record_exit(first, dt.date(2026, 9, 25), provider_user)
    with pytest.raises(ValidationError, match="sortis de formation"):
        services.close_action(action, dt.date(2026, 9, 25), provider_user)
    services.record_exit(second, dt.date(2026, 9, 25), provider_user)
    message = services.close_action(action, dt.date(2026, 9, 25), provider_user)
    assert "avenant" in message
    action.refresh_from_db()
    assert action.status == "closed" and action.real_end == dt.date(2026, 9, 25)


def test_closure_refused_while_a_month_is_not_declared(market, provider_user):
    action = _opened(market, provider_user)
    for enrollment in action.enrollments.all():
        services.record_exit(enrollment, dt.date(2026, 4, 30), provider_user)
    AttendanceStatement.objects.create(
        action=action, month=dt.date(2026, 3, 1), created_by=provider_user
    )
    with pytest.raises(ValidationError, match="avril 2026"):
        services.close_action(action, dt.date(2026, 4, 30), provider_user)


# -- surveys and summary -----------------------------------------------------------------


def test_surveys_due_at_their_dates_and_the_bilan(market, provider_user):
    action = _opened(market, provider_user)
    first, second = action.enrollments.order_by("pk")
    exit_day = timezone.localdate() - dt.timedelta(days=200)
    for e in (first, second):
        Enrollment.objects.filter(pk=e.pk).update(exit_date=exit_day, status="completed")
    tenant = type("T", (), {})  # noqa: F841
    with pytest.raises(ValidationError, match="type de contrat"):
        services.save_survey(first, "exit", "sector_job", "", provider_user)
    services.save_survey(first, "exit", "sector_job", "cdi", provider_user)
    services.save_survey(second, "exit", "other", "cdi", provider_user)
    assert Survey.objects.get(enrollment=second).contract == ""
    with pytest.raises(ValidationError, match="à partir du"):
        services.save_survey(first, "1y", "other", "", provider_user)
    services.save_survey(first, "6m", "other_job", "temporary", provider_user)
    bilan = selectors.bilan(action)
    exit_row = bilan["surveys"][0]
    assert exit_row["answered"] == 2
    assert [o["rate"] for o in exit_row["outcomes"]] == [50, 0, 50]
    TrainingAction.objects.filter(pk=action.pk).update(status="closed")
    action.refresh_from_db()
    assert selectors.bilan_complete(action)


def test_trainers_history_and_total(market, provider_user):
    trainer = services.add_trainer(
        market,
        Trainer(
            last_name="Rocher",
            first_name="Yves",
            field="gestion",
            hours=12,
            status="cdd",
            background="4 ans",
        ),
        provider_user,
    )
    services.remove_trainer(trainer, provider_user)
    with pytest.raises(ValidationError, match="déjà été retiré"):
        services.remove_trainer(trainer, provider_user)
    assert Trainer.objects.get(pk=trainer.pk).removed_by == provider_user


# -- pages -------------------------------------------------------------------------------


def test_provider_registers_by_the_form_and_gets_the_pdfs(
    provider_client, market, django_assert_max_num_queries
):
    url = reverse("execution:register", args=[market.pk])
    assert provider_client.get(url).status_code == 200
    response = provider_client.post(
        url,
        {
            "identity-civility": "M",
            "identity-birth_name": "Nadal",
            "identity-first_names": "Rafael",
            "identity-birth_date": "1986-06-03",
            "identity-nationality": "es",
            "identity-address_line1": "3 rue du Court",
            "identity-postal_code": "45000",
            "identity-commune": Commune.objects.get(insee_code="45234").pk,
            "record-entry_date": "2026-03-02",
            "record-sex": "M",
            "record-paying_body": "region",
            "record-level_at_entry": "4",
            "record-unemployment_duration": "none",
            "record-prescriber": "self",
        },
    )
    assert response.status_code == 302, (
        response.context["identity"].errors,
        response.context["form"].errors,
    )
    enrollment = market.enrollments.get()
    assert enrollment.trainee.nationality == "ES"
    assert enrollment.dossiers.get().kind == "RS1"
    page = provider_client.get(reverse("execution:registrations", args=[market.pk]))
    assert "NADAL" in page.content.decode()
    with django_assert_max_num_queries(25):
        assert provider_client.get(reverse("execution:actions")).status_code == 200
    for slug in ("formateurs", "ouverture", "fermeture", "enquete-sortie"):
        pdf = provider_client.get(reverse("execution:edition", args=[market.pk]) + f"?etat={slug}")
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    blank = provider_client.get(
        reverse("execution:blank_document", args=[market.pk]) + "?document=bordereau"
    )
    assert blank.content.startswith(b"%PDF")
    assert (
        provider_client.get(
            reverse("execution:edition", args=[market.pk]) + "?etat=nope"
        ).status_code
        == 404
    )


def test_import_page_reports_rows_in_french(provider_client, market):
    content = b"civilite;sexe;nom_naissance\nMX;F;\n"
    response = provider_client.post(
        reverse("execution:import", args=[market.pk]),
        {"file": SimpleUploadedFile("s.csv", content, content_type="text/csv")},
    )
    body = response.content.decode()
    assert "Rien n&#x27;a été importé" in body or "Rien n'a été importé" in body
    assert "code inconnu" in body
    template = provider_client.get(reverse("execution:import_template"))
    assert template.status_code == 200 and io.BytesIO(template.content).read(2) == b"PK"


def test_agent_list_filters_by_state(agent_client, market, region, django_assert_max_num_queries):
    other = f.TrainingActionFactory(region=region, status="closed", number="CLOSED-1")
    with django_assert_max_num_queries(20):
        response = agent_client.get(reverse("execution:agent_list") + "?state=closed")
    body = response.content.decode()
    assert other.number in body and market.number not in body
    response = agent_client.post(
        reverse("execution:reopen", args=[market.pk]), {"what": "dates", "reason": "x"}
    )
    assert "ne sont pas verrouillées" in response.content.decode()


def test_the_api_registers_trainees_all_or_nothing(client, market, provider_user):
    from remu.api.models import ApiToken

    _, token = ApiToken.issue(provider=market.provider, name="Logiciel", user=provider_user)
    row = {
        "civilite": "MME",
        "sexe": "F",
        "nom_naissance": "KOURNIKOVA",
        "prenoms": "Anna",
        "date_naissance": "1981-06-07",
        "adresse": "1 allée du Tennis",
        "code_postal": "45000",
        "date_entree": "2026-03-02",
        "remuneration": "region",
        "niveau": "4",
        "duree_chomage": "none",
        "prescripteur": "self",
    }
    url = reverse("api:register_trainees", args=[market.pk])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}", "content_type": "application/json"}
    bad = client.post(url, [row, row | {"niveau": "99"}], **auth)
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"ligne": 2, "colonne": "niveau", "erreur": bad.json()["errors"][0]["erreur"]}
    ]
    assert not market.enrollments.exists()
    good = client.post(url, [row], **auth)
    assert good.status_code == 201 and good.json() == {"registered": 1}
    assert market.enrollments.get().dossiers.get().kind == "RS1"


def test_due_surveys_on_the_home_and_in_the_reminders(
    provider_client, market, provider_user, mailoutbox
):
    from django.core.management import call_command

    [enrollment] = _register(market, provider_user)
    exit_day = timezone.localdate() - dt.timedelta(days=190)
    Enrollment.objects.filter(pk=enrollment.pk).update(exit_date=exit_day, status="completed")
    home = provider_client.get(reverse("home:provider_home")).content.decode()
    assert "Enquêtes de suivi des stagiaires à renseigner" in home
    page = provider_client.get(reverse("execution:surveys_due")).content.decode()
    assert page.count("Renseigner") == 2  # at exit and at 6 months; not yet at 1 year
    call_command("send_survey_reminders", stdout=io.StringIO())
    assert len(mailoutbox) == 1 and market.number in mailoutbox[0].body
    assert "MARTIN" not in mailoutbox[0].body


def test_every_execution_page_renders_with_data_and_keeps_the_csp(
    client, market, provider_user, agent
):
    from .test_csp import assert_protected

    action = _opened(market, provider_user)
    services.add_trainer(
        action,
        Trainer(
            last_name="Rocher", first_name="Yves", field="gestion", status="cdd", background="x"
        ),
        provider_user,
    )
    first, second = action.enrollments.order_by("pk")
    exit_day = START + dt.timedelta(days=10)
    Enrollment.objects.filter(pk__in=[first.pk, second.pk]).update(
        exit_date=exit_day, status="completed"
    )
    services.save_survey(first, "exit", "sector_job", "cdi", provider_user)
    services.save_survey(second, "exit", "other", "", provider_user)
    action_pages = [
        "action",
        "dates",
        "registrations",
        "trainers",
        "surveys",
        "editions",
    ]
    for user, extra in (
        (provider_user, ["opening", "closure", "register", "import"]),
        (agent, ["reopen"]),
    ):
        client.force_login(user)
        for name in action_pages + extra:
            response = client.get(reverse(f"execution:{name}", args=[action.pk]))
            assert response.status_code == 200, name
            assert_protected(response, name)
    client.force_login(provider_user)
    for name in ("registration", "exit", "survey"):
        response = client.get(reverse(f"execution:{name}", args=[first.pk]))
        assert response.status_code == 200, name
        assert_protected(response, name)
    for name in ("actions", "surveys_due"):
        assert_protected(client.get(reverse(f"execution:{name}")), name)
    body = client.get(reverse("execution:surveys", args=[action.pk])).content.decode()
    assert "50 %" in body and "<svg" in body
    opening = client.get(reverse("execution:opening", args=[action.pk])).content.decode()
    assert "Mensuel" in opening or "mensuel" in opening
    client.force_login(agent)
    assert_protected(client.get(reverse("execution:agent_list")), "agent_list")


def test_agents_correct_the_summary_on_the_action_form(agent_client, market):
    body = agent_client.get(reverse("actions:update", args=[market.pk])).content.decode()
    for label in ("Appel à projets", "Instance décisionnaire", "Numéro de marché", "Organisation"):
        assert label in body
    TrainingAction.objects.filter(pk=market.pk).update(
        call_for_projects="PRQ 2026", total_price="44590.00"
    )
    page = agent_client.get(reverse("execution:action", args=[market.pk])).content.decode()
    assert "PRQ 2026" in page and "44\xa0590,00 €" in page


def test_registration_and_survey_pages_do_not_grow_with_trainees(
    provider_client, market, provider_user, django_assert_max_num_queries
):
    TrainingAction.objects.filter(pk=market.pk).update(max_trainees=12, max_paid_trainees=12)
    market.refresh_from_db()
    _register(market, provider_user, 2)
    for name in ("registrations", "surveys", "action"):
        url = reverse(f"execution:{name}", args=[market.pk])
        with django_assert_max_num_queries(22):
            assert provider_client.get(url).status_code == 200
    _register(market, provider_user, 8)
    for name in ("registrations", "surveys", "action"):
        url = reverse(f"execution:{name}", args=[market.pk])
        with django_assert_max_num_queries(22):
            assert provider_client.get(url).status_code == 200


def test_forms_refuse_nul_bytes_and_overlong_text(provider_client, market):
    response = provider_client.post(
        reverse("execution:trainers", args=[market.pk]),
        {
            "last_name": "Ro\x00cher",
            "first_name": "Yves",
            "field": "x",
            "hours": "1e999",
            "status": "cdd",
            "background": "x" * 3000,
        },
    )
    assert response.status_code == 200
    assert not Trainer.objects.exists()
    response = provider_client.get(reverse("execution:survey", args=[1]) + "?enquete=zz")
    assert response.status_code == 404


def test_every_page_of_an_edition_names_the_action_and_the_provider(
    provider_client, market, provider_user
):
    from pypdf import PdfReader

    for i in range(60):
        Trainer.objects.create(
            action=market,
            last_name=f"F{i}",
            first_name="A",
            field="x",
            status="cdd",
            background="b",
        )
    response = provider_client.get(reverse("execution:edition", args=[market.pk]))
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) > 1
    for page in pages:
        text = page.extract_text()
        assert market.number in text and market.provider.name in text


def test_individualised_action_records_the_individual_path(provider_client, market):
    TrainingAction.objects.filter(pk=market.pk).update(organisation="individualised")
    url = reverse("execution:register", args=[market.pk])
    assert "Définition de parcours" in provider_client.get(url).content.decode()
    data = {
        "identity-civility": "MME",
        "identity-birth_name": "Parker",
        "identity-first_names": "Jessica",
        "identity-birth_date": "1990-01-02",
        "identity-nationality": "FR",
        "identity-address_line1": "1 rue",
        "identity-postal_code": "45000",
        "identity-commune": Commune.objects.get(insee_code="45234").pk,
        "record-entry_date": "2026-03-02",
        "record-sex": "F",
        "record-paying_body": "region",
        "record-level_at_entry": "4",
        "record-unemployment_duration": "none",
        "record-prescriber": "self",
        "record-planned_job": "Costumière",
        "record-path_hours_centre": "400",
        "record-path_hours_company": "140",
        "record-path_start": "2026-03-02",
        "record-path_end": "2026-07-31",
        "record-vae_considered": "false",
        "path-TOTAL_FORMS": "2",
        "path-INITIAL_FORMS": "0",
        "path-0-place": "centre",
        "path-0-start_date": "2026-03-02",
        "path-0-end_date": "2026-05-29",
        "path-1-place": "centre",
        "path-1-start_date": "2026-05-01",
        "path-1-end_date": "2026-06-30",
    }
    response = provider_client.post(url, data)
    assert "se chevauchent" in response.content.decode()
    assert not market.enrollments.exists()
    data |= {"path-1-place": "company", "path-1-start_date": "2026-06-01"}
    assert provider_client.post(url, data).status_code == 302
    record = market.enrollments.get().registration
    assert record.planned_job == "Costumière" and record.vae_considered is False
    assert [p.place for p in record.periods.all()] == ["centre", "company"]


def test_instalment_thresholds_are_a_checked_dated_option():
    from remu.rules.parameters import ParameterError, _validate_options

    _validate_options({"instalment_thresholds": [30, 60, 80]}, "test")
    for wrong in ([60, 30, 80], [30, 60], [0, 50, 80], [30, 60, 101], "30"):
        with pytest.raises(ParameterError, match="instalment_thresholds"):
            _validate_options({"instalment_thresholds": wrong}, "test")
