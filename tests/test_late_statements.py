"""The late and to-enter statement-months, computed in SQL (issue 18 §3): the same rows, in the
same order, as one month at a time would give; counted without building them, a page at a
time; the agents' list paged and grouped by provider."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from remu.attendance.models import AttendanceLine, AttendanceStatement
from remu.attendance.selectors import late_statements, statements_to_enter_and_late
from remu.core.tenancy import Tenant
from remu.dossiers.models import Dossier
from remu.invoicing.models import Declaration
from remu.invoicing.selectors import (
    late_declaration_months,
    late_declarations,
    late_declarations_count,
)

from . import factories as f
from .utils import text

TODAY = dt.date(2026, 6, 10)  # May is late (due on 5 June), June is to enter (5 July)


def admitted_action(region, provider, number, start=dt.date(2026, 3, 2)):
    action = f.TrainingActionFactory(
        region=region, provider=provider, number=number, planned_start=start
    )
    enrollment = f.EnrollmentFactory(action=action)
    Dossier.objects.create(
        region=region, action=action, enrollment=enrollment, kind="RS1", status="admitted",
        rate_category="JOB_SEEKER", weekly_hours=Decimal(35), number=f"N-{number}",
    )  # fmt: skip
    return action, enrollment


@pytest.fixture
def world(region, agent):
    # code-point order: « Zèbre » before « alpha » (what the Python sort gave)
    zebre = f.ProviderFactory(region=region, name="Zèbre")
    alpha = f.ProviderFactory(region=region, name="alpha")
    a1, _ = admitted_action(region, zebre, "Z-2")
    a2, enrollment = admitted_action(region, zebre, "Z-10", start=dt.date(2026, 5, 20))
    a3, _ = admitted_action(region, alpha, "A-1", start=dt.date(2026, 4, 1))
    f.TrainingActionFactory(region=region, provider=alpha, number="A-0")  # nobody admitted
    done = AttendanceStatement.objects.create(
        action=a1, month=dt.date(2026, 4, 1), created_by=agent
    )
    draft = AttendanceStatement.objects.create(
        action=a2, month=dt.date(2026, 5, 1), created_by=agent
    )
    dossier = Dossier.objects.get(enrollment=enrollment)
    AttendanceLine.objects.create(
        statement=draft, enrollment=enrollment, dossier=dossier, full_time=True
    )
    return {"zebre": zebre, "alpha": alpha, "a1": a1, "a2": a2, "a3": a3, "done": done}


def summary(rows):
    return [
        (r["provider"].name, r["action"].number, f"{r['month']:%Y-%m}", r["missing"], r["drafts"])
        for r in rows
    ]


def test_the_rows_their_order_and_their_pages(world, region):
    tenant = Tenant(region=region, is_agent=True)
    late = late_statements(tenant, TODAY)
    expected = [
        ("Zèbre", "Z-10", "2026-05", False, 1),  # a draft line left
        ("Zèbre", "Z-2", "2026-03", True, 0),
        ("Zèbre", "Z-2", "2026-05", True, 0),  # April is validated
        ("alpha", "A-1", "2026-04", True, 0),
        ("alpha", "A-1", "2026-05", True, 0),
    ]
    assert late.count() == len(late) == 5
    assert summary(late) == expected
    assert summary(late[1:3]) == expected[1:3] and summary(late[4:]) == expected[4:]
    assert late[0]["due"] == dt.date(2026, 6, 5) and late.oldest_month() == dt.date(2026, 3, 1)
    assert late.per_provider() == {world["zebre"].pk: 3, world["alpha"].pk: 2}
    to_enter, late_too = statements_to_enter_and_late(
        Tenant(region=region, provider=world["alpha"]), TODAY
    )
    assert summary(to_enter) == [("alpha", "A-1", "2026-06", True, 0)]
    assert to_enter.first_due() == dt.date(2026, 7, 5) and summary(late_too) == expected[3:]


def test_counted_as_listed_with_odd_dates(world, region, agent):
    """The counts (actions by start and by end, less the months done) give the rows' number
    in every case: an action whose real start is after its planned end, a finished statement
    outside its action's months (the action shortened since), an action begun mid-month."""
    odd, _ = admitted_action(region, world["alpha"], "A-9", start=dt.date(2026, 3, 2))
    odd.planned_end, odd.real_start = dt.date(2026, 3, 10), dt.date(2026, 3, 20)
    odd.save()  # from the 20th to the 10th: March only, as the rows' join has it
    world["a1"].real_end = dt.date(2026, 3, 20)  # its April statement (finished) now outside
    world["a1"].save()
    for tenant in (
        Tenant(region=region, is_agent=True),
        Tenant(region=region, provider=world["alpha"]),
        Tenant(region=region, provider=world["zebre"]),
    ):
        for day in (dt.date(2026, 3, 1), dt.date(2026, 4, 5), TODAY, dt.date(2027, 1, 6)):
            to_enter, late = statements_to_enter_and_late(tenant, day)
            assert late.count() == len(list(late)) and to_enter.count() == len(list(to_enter))
            assert sum(late.per_provider().values()) == late.count()
    late = late_statements(Tenant(region=region, is_agent=True), TODAY)
    assert [r for r in summary(late) if r[1] == "A-9"] == [("alpha", "A-9", "2026-03", True, 0)]
    assert ("Zèbre", "Z-2", "2026-05", True, 0) not in summary(late)  # ended in March


def test_late_declarations_counted_as_listed(world, region):
    tenant = Tenant(region=region, is_agent=True)
    for day in (TODAY, dt.date(2026, 4, 20), dt.date(2026, 12, 1)):
        assert late_declarations_count(tenant, day) == len(late_declarations(tenant, day))


def _declared(rows):
    return [(r["provider"].name, r["action"].number, r["month"], r["due"]) for r in rows]


def test_the_agents_late_declarations_are_built_a_page_at_a_time(
    client, world, region, agent, monkeypatch, django_assert_max_num_queries
):
    """The agents' « Déclarations de réalisé en retard »: the rows the month-by-month list
    gives, in its order, built in SQL a page at a time (never every action in Python), each
    provider with its total over every page."""
    Declaration.objects.create(
        action=world["a1"], month=dt.date(2026, 4, 1), status=Declaration.Status.CONFIRMED,
        confirmed_at=timezone.now(), confirmed_by=agent,
    )  # fmt: skip
    tenant = Tenant(region=region, is_agent=True)
    day = dt.date(2026, 8, 20)
    expected = _declared(late_declarations(tenant, day))
    late = late_declaration_months(tenant, day)
    assert len(expected) > 5 and late.count() == len(expected)
    assert _declared(late) == expected
    assert _declared(late[2:5]) == expected[2:5]
    assert dt.date(2026, 4, 1) not in [m for _, n, m, _ in expected if n == "Z-2"]
    monkeypatch.setattr("remu.invoicing.views.timezone.localdate", lambda: day)
    monkeypatch.setattr("remu.invoicing.selectors.timezone.localdate", lambda: day)
    client.force_login(agent)
    with django_assert_max_num_queries(14):
        page = text(client.get(reverse("invoicing:late")))
    zebre = sum(1 for row in expected if row[0] == "Zèbre")
    assert f"Zèbre ({zebre})" in page and f"alpha ({len(expected) - zebre})" in page
    assert f"{len(expected)} résultats" in page
    assert ">Z-2</a> – mai 2026, due le 15/06/2026" in page
    assert ">Z-2</a> – avril 2026" not in page  # confirmed


def test_the_agents_list_is_paged_by_provider(client, world, region, agent, monkeypatch):
    monkeypatch.setattr("remu.attendance.views.timezone.localdate", lambda: TODAY)
    client.force_login(agent)
    page = text(client.get(reverse("attendance:late")))
    assert "Zèbre (3)" in page and "alpha (2)" in page and "5 résultats" in page
    assert page.index("Zèbre (3)") < page.index("alpha (2)")
    assert "1 ligne(s) non validée(s)" in page and "état non créé" in page


def test_reminders_give_each_provider_its_count_and_first_months(
    world, region, monkeypatch, django_assert_max_num_queries
):
    """`send_attendance_reminders`: each provider with users gets its number of late months
    and the first of them (the rows of the whole region are never built at once)."""
    import io

    from django.core import mail
    from django.core.management import call_command

    monkeypatch.setattr("remu.attendance.management.commands.send_attendance_reminders.SHOWN", 2)
    monkeypatch.setattr("remu.attendance.selectors.timezone.localdate", lambda: TODAY)
    f.ProviderUserFactory(email="b@zebre.example", providers=[world["zebre"]])
    f.ProviderUserFactory(email="a@zebre.example", providers=[world["zebre"]])
    f.ProviderUserFactory(email="gone@zebre.example", providers=[world["zebre"]], is_active=False)
    # alpha has no user: no e-mail
    with django_assert_max_num_queries(20):
        call_command("send_attendance_reminders", stdout=io.StringIO())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@zebre.example", "b@zebre.example"]
    assert message.subject == "Remu – 3 état(s) de présence en retard"
    assert "- Z-10 – " in message.body and "mai 2026 (dû le 05/06/2026), 1 stagiaire(s)" in (
        message.body
    )
    assert "mars 2026 (dû le 05/04/2026), état non créé" in message.body
    assert "- et 1 autre(s) : la liste complète" in message.body
    assert "A-1" not in message.body
