"""The home pages are to-do lists: each count links to the list of exactly those items."""

import datetime as dt
import re
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from remu.attendance import services as attendance
from remu.attendance.models import Withdrawal
from remu.attendance.selectors import late_statements
from remu.core.tenancy import Tenant
from remu.dossiers.models import DocumentRequest, Dossier, DossierTransition
from remu.home import todo
from remu.invoicing.selectors import late_declarations
from remu.overpayments.models import Overpayment
from remu.payments.models import Adjustment, Payment, PaymentRun

from . import factories as f
from .utils import text, todo_items

MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"


def _tenant(world):
    return Tenant(region=world["region"], is_agent=True)


def french(day: dt.date, with_day=True) -> str:
    month = f"{MONTHS.split()[day.month - 1]} {day.year}"
    return f"{day.day} {month}" if with_day else month


def dossier(action, status, *, agent, submitted_days_ago=None, **fields):
    enrollment = f.EnrollmentFactory(action=action)
    d = Dossier.objects.create(
        region=action.region, action=action, enrollment=enrollment, kind="RS1", status=status,
        weekly_hours=Decimal(35), **fields,
    )  # fmt: skip
    if submitted_days_ago is not None:
        at = timezone.now() - dt.timedelta(days=submitted_days_ago)
        DossierTransition.objects.create(
            dossier=d, from_status="draft", to_status="submitted", by=agent, at=at
        )
    return d


def run(region, agent, *, preview, month=dt.date(2026, 3, 1), at=None, status="done"):
    at = at or timezone.now()
    return PaymentRun.objects.create(
        region=region, kind="monthly", month=month, status=status, created_by=agent,
        is_preview=preview, created_at=at, finished_at=at,
    )  # fmt: skip


def payment(run, world, n, status="pending"):
    return Payment.objects.create(
        region=run.region, run=run, enrollment=world["enrollment"], dossier=world["dossier"],
        month=run.month, component="remuneration", amount=Decimal("100.00"), label="Rémunération",
        net=Decimal("100.00"), iban="FR7630006000011234567890189", account_holder="Léa Martin",
        reference=f"REF-{n}", status=status,
        paid_on=dt.date(2026, 4, 20) if status == "paid" else None,
    )  # fmt: skip


def agent_world(pay_world, other_region):
    """Around pay_world (an admitted trainee with a validated March 2026): two dossiers to
    instruct and one of each other state, a pending and a decided dropout, runs waiting and
    done, a payment returned, debts open and settled, and another region's to-dos."""
    world, agent = pay_world, pay_world["agent"]
    action = world["dossier"].action
    world["old"] = dossier(action, "submitted", agent=agent, submitted_days_ago=12)
    world["new"] = dossier(action, "received", agent=agent, submitted_days_ago=3)
    dossier(action, "draft", agent=agent)
    dossier(action, "rejected", agent=agent, submitted_days_ago=30)
    other_action = f.TrainingActionFactory(region=other_region)
    dossier(
        other_action, "submitted", agent=f.AgentFactory(region=other_region), submitted_days_ago=40
    )
    for status in ("declared", "validated"):
        Withdrawal.objects.create(
            enrollment=f.EnrollmentFactory(action=action), reason="job", status=status,
            exit_date=dt.date(2026, 4, 10), declared_by=world["provider_user"],
        )  # fmt: skip
    region = world["region"]
    earlier = timezone.now() - dt.timedelta(days=5)
    run(region, agent, preview=True, at=earlier)  # followed by the run below: nothing to do
    done = run(region, agent, preview=False, month=dt.date(2026, 2, 1), at=earlier)
    payment(done, world, 1, status="paid")  # exported and paid: nothing to do
    world["preview"] = run(region, agent, preview=True)  # to confirm
    world["to_export"] = run(region, agent, preview=False, month=dt.date(2026, 1, 1))
    payment(world["to_export"], world, 2)
    run(other_region, f.AgentFactory(region=other_region), preview=True)
    world["dossier"].bank_details_rejected = True
    world["dossier"].save()
    for remaining, status in (("25.00", "recovering"), ("0.00", "settled")):
        Overpayment.objects.create(
            region=region, trainee=world["enrollment"].trainee, enrollment=world["enrollment"],
            run=done, source="attendance_correction", status=status, amount=Decimal("140.00"),
            remaining=Decimal(remaining), label=f"Trop-perçu, reste {remaining}",
        )  # fmt: skip
    return world


def test_agent_home_counts_link_to_exactly_their_items(client, pay_world, other_region):
    world = agent_world(pay_world, other_region)
    Adjustment.objects.create(
        region=world["region"], enrollment=world["enrollment"], month=dt.date(2026, 3, 1),
        corrects="adjustment", amount=Decimal("10.00"), reason="À approuver",
        created_by=f.AgentFactory(region=world["region"]),
    )  # fmt: skip
    client.force_login(world["agent"])
    items = todo_items(client.get(reverse("home:agent_dashboard")))
    late = len(late_statements(_tenant(world)))
    assert {label: count for label, (count, _) in items.items()} == {
        "Dossiers à instruire": 2,
        "Abandons à décider": 1,
        "États de présence en retard": late,
        "Mois à payer (série à préparer)": 1,
        "Séries à confirmer ou à exporter (SEPA)": 2,
        "Virements rejetés : coordonnées bancaires à corriger": 1,
        "Indus à suivre": 1,
        "Ajustements à approuver (par un second agent)": 1,
        "Changements de RIB à valider": 0,
        "Déclarations de réalisé en retard (organismes)": len(late_declarations(_tenant(world))),
        "Factures d'organismes à valider": 0,
    }
    listing = text(client.get(items["Ajustements à approuver (par un second agent)"][1]))
    assert "À approuver" in listing and listing.count("Approuver<span") == 1
    page = text(client.get(reverse("home:agent_dashboard")))
    assert "le plus ancien attend depuis 12 jours" in page and "mars 2026" in page

    # Dossiers to instruct: the two waiting, oldest first, with their age.
    listing = text(client.get(items["Dossiers à instruire"][1]))
    rows = re.findall(r"<tr><td class=\"text-nowrap\"><a href=\"/dossiers/(\d+)/\"", listing)
    assert rows == [str(world["old"].pk), str(world["new"].pk)]
    assert "12 jours" in listing and "3 jours" in listing

    listing = text(client.get(items["Abandons à décider"][1]))
    pending = listing.split("En attente de décision")[1].split("Décidés")[0]
    assert pending.count("<li>") == 1

    listing = text(client.get(items["Séries à confirmer ou à exporter (SEPA)"][1]))
    linked = set(re.findall(r"/region/paiements/series/(\d+)/", listing))
    assert linked == {str(world["preview"].pk), str(world["to_export"].pk)}
    assert "Vérifier l'aperçu et lancer la série" in listing
    assert "Exporter le fichier SEPA" in listing
    assert "Mois à payer (1)" in listing and "mars 2026" in listing

    listing = text(client.get(items["Virements rejetés : coordonnées bancaires à corriger"][1]))
    assert re.findall(r"/dossiers/(\d+)/\"", listing) == [str(world["dossier"].pk)]

    listing = text(client.get(items["Indus à suivre"][1]))
    assert "Trop-perçu, reste 25.00" in listing and "reste 0.00" not in listing
    assert "25,00 €" in listing


def test_months_to_prepare_follow_validation_and_runs(pay_world):
    world, tenant = pay_world, _tenant(pay_world)
    assert todo.months_to_prepare(tenant) == [dt.date(2026, 3, 1)]
    # A run for April pays March too: nothing left to prepare.
    run(world["region"], world["agent"], preview=False, month=dt.date(2026, 4, 1))
    assert todo.months_to_prepare(tenant) == []
    # A month reopened and validated again after the run: to prepare again.
    line = world["line"]
    line.validated_at = timezone.now() + dt.timedelta(minutes=1)
    line.save()
    assert todo.months_to_prepare(tenant) == [dt.date(2026, 3, 1)]
    # A preview pays nothing.
    later = timezone.now() + dt.timedelta(minutes=2)
    run(world["region"], world["agent"], preview=True, month=dt.date(2026, 4, 1), at=later)
    assert todo.months_to_prepare(tenant) == [dt.date(2026, 3, 1)]


def test_agent_home_query_count(client, pay_world, other_region, django_assert_max_num_queries):
    world = agent_world(pay_world, other_region)
    client.force_login(world["agent"])
    # one count per to-do item; one stamp query for the region's engine (invoicing deadlines)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("home:agent_dashboard")).status_code == 200


def provider_world(region, provider, provider_user, agent):
    """An action begun this month with an admitted trainee (this month's statement to enter
    before the 5th of next month), a draft, a dossier with two documents requested and one
    with its request answered; another provider's draft."""
    today = timezone.localdate()
    start = today.replace(day=1)
    action = f.TrainingActionFactory(
        region=region, provider=provider, planned_start=start,
        planned_end=start + dt.timedelta(days=120),
    )  # fmt: skip
    dossier(action, "admitted", agent=agent, rate_category="JOB_SEEKER")
    draft = dossier(action, "draft", agent=agent)
    requested = dossier(action, "submitted", agent=agent, submitted_days_ago=2)
    answered = dossier(action, "received", agent=agent, submitted_days_ago=5)
    for doc, target, done in (("RIB", requested, None), ("ID", requested, None),
                              ("RIB", answered, timezone.now())):  # fmt: skip
        DocumentRequest.objects.create(
            dossier=target, doc_type=doc, requested_by=agent, fulfilled_at=done
        )
    other = f.TrainingActionFactory(region=region)
    dossier(other, "draft", agent=agent)
    return {"action": action, "draft": draft, "requested": requested, "start": start}


def test_provider_home_counts_link_to_exactly_their_items(
    client, region, provider, provider_user, agent
):
    world = provider_world(region, provider, provider_user, agent)
    client.force_login(provider_user)
    response = client.get(reverse("home:provider_home"))
    items = todo_items(response)
    assert {label: count for label, (count, _) in items.items()} == {
        "États de présence à saisir avant l'échéance": 1,
        "États de présence en retard": 0,
        "Dossiers avec des pièces demandées par la Région": 1,
        "Dossiers en brouillon": 1,
        "Factures rejetées par la Région": 0,
        "Enquêtes de suivi des stagiaires à renseigner": 0,
    }
    start = world["start"]
    due = (start + dt.timedelta(days=32)).replace(day=5)
    page = text(response)
    assert f"à valider avant le {french(due)}" in page and "2 pièces à envoyer" in page
    assert world["action"].number in page  # the action list stays below the to-do

    listing = text(client.get(items["États de présence à saisir avant l'échéance"][1]))
    to_enter = listing.split('id="a-saisir"')[1].split('id="en-retard"')[0]
    assert world["action"].number in to_enter and french(start, with_day=False) in to_enter
    assert french(due) in to_enter and "État non créé" in to_enter
    assert "Aucun état de présence en retard." in listing

    listing = text(client.get(items["Dossiers avec des pièces demandées par la Région"][1]))
    assert re.findall(r"/dossiers/(\d+)/\"", listing) == [str(world["requested"].pk)]
    listing = text(client.get(items["Dossiers en brouillon"][1]))
    assert re.findall(r"/dossiers/(\d+)/\"", listing) == [str(world["draft"].pk)]

    # Once the statement is created and validated, nothing is left to enter.
    statement = attendance.create_statement(world["action"], provider_user, timezone.localdate())
    attendance.declare_presence(list(statement.lines.all()), "full_month")
    attendance.validate_lines(list(statement.lines.all()), provider_user)
    items = todo_items(client.get(reverse("home:provider_home")))
    assert items["États de présence à saisir avant l'échéance"][0] == 0


def test_provider_home_query_count(
    client, region, provider, provider_user, agent, django_assert_max_num_queries
):
    provider_world(region, provider, provider_user, agent)
    client.force_login(provider_user)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("home:provider_home")).status_code == 200


def test_todo_lists_are_for_their_role(client, provider_user, agent):
    client.force_login(provider_user)
    assert client.get(reverse("overpayments:list")).status_code == 403
    assert client.get(reverse("home:runs_todo")).status_code == 403
    client.force_login(agent)
    assert client.get(reverse("home:statements")).status_code == 403


def test_dossier_page_shows_its_history_as_a_timeline_at_the_top(client, pay_world):
    world = pay_world
    d = world["dossier"]
    DossierTransition.objects.filter(dossier=d).delete()
    agent = world["agent"]
    steps = [
        ("draft", "submitted", world["provider_user"], "Validation par l'organisme"),
        ("submitted", "received", agent, ""),
        ("received", "admitted", agent, "Pièces complètes"),
    ]
    for n, (old, new, who, why) in enumerate(steps):
        DossierTransition.objects.create(
            dossier=d, from_status=old, to_status=new, by=who, reason=why,
            at=timezone.make_aware(dt.datetime(2026, 3, 2 + n, 9, 30)),
        )  # fmt: skip
    client.force_login(agent)
    page = text(client.get(reverse("dossiers:detail", args=[d.pk])))
    history = page.split('id="history-title"')[1].split("</ol>")[0]
    assert page.index('id="history-title"') < page.index('id="summary-title"')
    items = re.findall(r"<li.*?</li>", history, re.S)
    assert len(items) == 3 and "<ol" in history
    first = re.sub(r"<[^>]+>|\s+", " ", items[0])
    assert "2 mars 2026 à 09:30" in first and "Brouillon" in first and "Pré-saisi" in first
    assert world["provider_user"].get_full_name() in first
    assert "Motif : Validation par l'organisme" in first
    assert "Reçu" in items[1] and "Motif" not in items[1]
    assert "Admis" in items[2] and agent.get_full_name() in items[2]


def test_waiting_days_count_in_the_regions_time_zone():
    # Submitted at 23:30 UTC on 30 November: 1 December in Paris, the day `today` is read in.
    submitted = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    assert todo._waiting_since(dt.date(2026, 12, 3), submitted) == (
        "le plus ancien attend depuis 2 jours"
    )
    assert todo._waiting_since(dt.date(2026, 12, 3), None) == ""


def _months_to_prepare_by_aggregate(tenant):
    """The definition, as an aggregate over every validated line (what the page did before
    issue 18): the reference the indexed reads must give."""
    from django.db.models import Max

    from remu.attendance.models import AttendanceLine

    validated = (
        AttendanceLine.objects.for_tenant(tenant)
        .filter(status="validated", dossier__isnull=False)
        .values("statement__month")
        .annotate(last=Max("validated_at"))
    )
    runs = list(
        PaymentRun.objects.for_tenant(tenant)
        .filter(is_preview=False, status="done")
        .values_list("month", "finished_at")
    )
    months = []
    for row in validated:
        month = row["statement__month"]
        paid = max((at for m, at in runs if m >= month and at), default=None)
        if paid is None or (row["last"] is not None and row["last"] > paid):
            months.append(month)
    return sorted(months)


def test_months_to_prepare_read_few_lines_and_match_the_aggregate(
    client, pay_world, provider, provider_user, other_region
):
    """« Mois à payer » on the dashboard and the runs' to-do page: the months whose lines were
    validated after the last run that paid them, read from the lines validated since the
    runs (an index) and the months no run paid yet, the same months as the aggregate over
    every line, in every case below (other regions and lines without a dossier ignored)."""
    from remu.attendance.models import AttendanceLine

    from .conftest import admitted_with_validated_march

    world, tenant = pay_world, _tenant(pay_world)
    now = timezone.now()
    march, april, may = dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 5, 1)
    second = admitted_with_validated_march(
        world["region"], provider, provider_user, world["agent"], number=2
    )
    april_line = AttendanceLine.objects.get(pk=second["line"].pk)
    april_line.statement.month = april  # its statement made April's
    april_line.statement.save()
    # another region's validated months never count (May there)
    other_region.parameter_set = "centre-val-de-loire"
    other_region.save()
    other_provider = f.ProviderFactory(region=other_region)
    elsewhere = admitted_with_validated_march(
        other_region, other_provider,
        f.ProviderUserFactory(email="of@other.example", providers=[other_provider]),
        f.AgentFactory(region=other_region), number=3,
    )  # fmt: skip
    AttendanceLine.objects.get(pk=elsewhere["line"].pk).statement.__class__.objects.filter(
        lines=elsewhere["line"]
    ).update(month=may)

    def check(expected):
        assert todo.months_to_prepare(tenant) == expected
        assert _months_to_prepare_by_aggregate(tenant) == expected

    check([march, april])  # no run yet
    run(world["region"], world["agent"], preview=False, month=march, at=now)
    check([april])  # March paid, April not yet
    AttendanceLine.objects.filter(pk=april_line.pk).update(validated_at=None)
    check([april])  # a line validated before validated_at was recorded: unpaid month
    run(world["region"], world["agent"], preview=False, month=april, at=now + dt.timedelta(1))
    check([])  # April's run pays March too
    # March validated again after March's run but before April's: April's run paid it
    AttendanceLine.objects.filter(pk=world["line"].pk).update(validated_at=now)
    check([])
    AttendanceLine.objects.filter(pk=world["line"].pk).update(
        validated_at=now + dt.timedelta(days=2)
    )
    check([march])
    # a line without a dossier (not paid by the region) validated later: never a month to pay
    AttendanceLine.objects.filter(pk=world["line"].pk).update(validated_at=now)
    AttendanceLine.objects.filter(pk=april_line.pk).update(
        dossier=None, amount=None, paid_thirtieths=None, paid_hours=None,
        validated_at=now + dt.timedelta(days=3),
    )  # fmt: skip
    check([])
    # an interrupted run pays nothing; a later preview neither
    run(world["region"], world["agent"], preview=False, month=may, at=now + dt.timedelta(4),
        status="interrupted")  # fmt: skip
    run(world["region"], world["agent"], preview=True, month=may, at=now + dt.timedelta(5))
    AttendanceLine.objects.filter(pk=world["line"].pk).update(
        validated_at=now + dt.timedelta(days=6)
    )
    check([march])
    # the page shows them
    client.force_login(world["agent"])
    page = text(client.get(reverse("home:agent_dashboard")))
    assert "Mois à payer (série à préparer)" in page and "mars 2026" in page
