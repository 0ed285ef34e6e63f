"""The run's writes (`payments.bulk`: binary COPY on PostgreSQL, bulk_create elsewhere)
store every value exactly as the ORM stores it: awkward text, accents and emoji, amounts,
dates, time zones, JSON explanations shared or not, defaults, NULLs."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from remu.core.fields import Ciphertext
from remu.dossiers.models import Dossier
from remu.payments import bulk, contributions
from remu.payments.models import DueAmount, Payment, PaymentRun, SocialContribution

from . import factories as f

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Each is COPY's special characters or could be mistaken for one of its markers.
TEXTS = [
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "back\\slash",
    "\\N",
    "\\.",
    "\\",
    "ends with\\",
    "",
    "Léa Çàéèù « guillemets » – l’apostrophe",
    "emoji 🎉 et \u202f espace fine",
    "quotes ' \" and a\\ttab escape written out",
    "\\\\N\t\\n",
]
SHARED = ["dû « partagé »", 'citation "x"', "anti\\slash", "tab\tet\nligne", "🎉", "\\N"]
DECIMALS = [
    Decimal("1234567.89"),
    Decimal("0.1"),
    Decimal("5"),
    Decimal("12.345"),  # rounded by PostgreSQL, half away from zero
    Decimal("0.005"),
    Decimal("1E+2"),
    Decimal("743.840000"),
    Decimal("0E-8"),
]
STAMPS = [
    dt.datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 2, 30, tzinfo=PARIS),  # the spring change (no such hour in Paris)
    dt.datetime(2026, 7, 14, 12, 0, 0, 1, tzinfo=PARIS),
    dt.datetime(1999, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-9, minutes=-30))),
]


@pytest.fixture
def world(db, region, agent, provider):
    return ledger_world(region, agent, provider)


def ledger_world(region, agent, provider) -> dict:
    """An admitted RS1 dossier and a finished run to write ledger rows for."""
    action = f.TrainingActionFactory(region=region, provider=provider)
    enrollment = f.EnrollmentFactory(action=action, entry_date=dt.date(2026, 1, 5))
    dossier = Dossier.objects.create(
        region=region,
        action=action,
        enrollment=enrollment,
        kind="RS1",
        status="admitted",
        rate_category="JOB_SEEKER",
        weekly_hours=Decimal(35),
        number="CVL-2026-000001",
        iban="FR7630006000011234567890189",
        bic="BNPAFRPP",
        account_holder="Léa Martin",
    )
    run = PaymentRun.objects.create(
        region=region, kind="monthly", month=dt.date(2026, 3, 1), created_by=agent, status="done"
    )
    return {"region": region, "enrollment": enrollment, "dossier": dossier, "run": run}


def month(n: int) -> dt.date:
    return dt.date(2020 + n // 12, n % 12 + 1, 1)


def stored(model, order: str) -> list[tuple]:
    """Every column but the id of every row, as the database gives it in text."""
    quote = connection.ops.quote_name
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    selected = ", ".join(f"CAST({quote(c)} AS TEXT)" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selected} FROM {quote(model._meta.db_table)} ORDER BY {order}")
        return cursor.fetchall()


def as_the_orm_stores(model, rows, order: str) -> list[tuple]:
    """The same rows written by the ORM (in a savepoint rolled back)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        model.objects.bulk_create([model(**row) for row in rows])
        found = stored(model, order)
        transaction.set_rollback(True)
    return found


def due_rows(world, amounts=DECIMALS):
    distinct = [[text, {"détail": text, "montant": "1,5 €"}] for text in TEXTS]
    rows = []
    for n, text in enumerate(TEXTS * 2):
        rows.append(
            {
                "region_id": world["region"].pk,
                "enrollment_id": world["enrollment"].pk,
                "dossier_id": world["dossier"].pk,
                "month": month(n),
                "component": ["remuneration", "adjustment", "allowances"][n % 3],
                "amount": amounts[n % len(amounts)] * (-1 if n % 3 == 1 else 1),
                # one list shared by several rows, others each its own
                "explanation": SHARED if n % 2 else distinct[n % len(TEXTS)],
                "version_label": text,
                "computed_at": STAMPS[n % len(STAMPS)],
            }
        )
    return rows


DUE_ORDER = "enrollment_id, month, component"


@pytest.mark.parametrize("fresh", [True, False])
def test_dues_are_stored_as_the_orm_stores_them(world, fresh):
    rows = due_rows(world)
    if not fresh:  # rows already there with other values: the upsert replaces them
        bulk.upsert_dues(due_rows(world, amounts=[Decimal("1.00")]), fresh=True)
    with transaction.atomic():
        bulk.upsert_dues(rows, fresh=fresh)
    assert len(stored(DueAmount, DUE_ORDER)) == len(rows)
    assert stored(DueAmount, DUE_ORDER) == as_the_orm_stores(DueAmount, rows, DUE_ORDER)
    shared = [d.explanation for d in DueAmount.objects.order_by(*DUE_ORDER.split(", "))]
    assert shared[1] == SHARED and shared[2] == [TEXTS[2], {"détail": TEXTS[2], "montant": "1,5 €"}]


def test_a_due_for_the_same_key_written_meanwhile_is_replaced_not_doubled(world):
    rows = due_rows(world)
    bulk.upsert_dues(rows[:3], fresh=True)
    with transaction.atomic():
        bulk.upsert_dues(rows, fresh=True)  # falls back to the upsert
    assert stored(DueAmount, DUE_ORDER) == as_the_orm_stores(DueAmount, rows, DUE_ORDER)


def test_payment_lines_are_stored_as_the_orm_stores_them(world):
    rows = []
    for n, text in enumerate(TEXTS * 2):
        paid = n % 4 == 3
        rows.append(
            {
                "region_id": world["region"].pk,
                "run_id": world["run"].pk,
                "enrollment_id": world["enrollment"].pk,
                "dossier_id": world["dossier"].pk,
                "month": month(n),
                "component": ["remuneration", "allowances", "complement"][n % 3],
                "amount": DECIMALS[n % len(DECIMALS)] + 1,
                "is_regularisation": n % 2 == 0,
                "label": f"Rémunération {text}",
                "withholding": Decimal("0.1") * n,
                "offset": 0 if n % 2 else Decimal("0.00"),
                "net": DECIMALS[n % len(DECIMALS)],
                "tax_rate": Decimal("1.5"),
                "iban": Ciphertext(f"gAAAAAB{text}token"),  # a token is copied as it is
                "bic": text[:11],
                "account_holder": text,
                "reference": f"{n}:{text}"[:35],
                "status": "paid" if paid else "pending",
                "sent_at": STAMPS[n % len(STAMPS)] if paid else None,
                "paid_on": dt.date(2026, 4, n % 28 + 1) if paid else None,
                "mandate_number": text[:40],
                "created_at": STAMPS[n % len(STAMPS)],
            }
        )
    with transaction.atomic():
        bulk.insert_payments(rows)
    assert len(stored(Payment, "reference")) == len(rows)
    assert stored(Payment, "reference") == as_the_orm_stores(Payment, rows, "reference")
    holders = Payment.objects.order_by("pk").values_list("account_holder", flat=True)
    assert list(holders) == TEXTS * 2
    paid = Payment.objects.filter(reference="3:back\\slash").values_list("paid_on", flat=True)
    assert list(paid) == [dt.date(2026, 4, 4)]


def test_social_contributions_are_stored_as_the_orm_stores_them(world):
    rows = [
        {
            "region_id": world["region"].pk,
            "enrollment_id": world["enrollment"].pk,
            "dossier_id": world["dossier"].pk,
            "month": month(n),
            "kind": "paid" if n % 2 else "p2s",
            "hours": Decimal("151.67") if n % 2 else Decimal("0.125"),
            "base": Decimal("1.9"),
            "amount": DECIMALS[n % len(DECIMALS)],
            "explanation": text,
            "computed_at": STAMPS[n % len(STAMPS)],
        }
        for n, text in enumerate(TEXTS * 2)
    ]
    order = "enrollment_id, month"
    with transaction.atomic():
        bulk.upsert_social(rows, contributions.UPDATED, fresh=True)
    assert len(stored(SocialContribution, order)) == len(rows)
    assert stored(SocialContribution, order) == as_the_orm_stores(SocialContribution, rows, order)


def test_a_column_of_repeated_values_takes_new_ones_in_later_blocks(world):
    """The first block chooses a lookup for a column whose values repeat; the values that only
    come later (new amounts, a date where there was none) are converted then, each stored as
    given."""
    amounts = [Decimal(n % 10) + Decimal("0.25") for n in range(bulk.BLOCK)]
    amounts += [Decimal(n) / 100 + 1 for n in range(350)]  # each new
    rows = [
        {
            "region_id": world["region"].pk,
            "run_id": world["run"].pk,
            "enrollment_id": world["enrollment"].pk,
            "dossier_id": world["dossier"].pk,
            "month": month(0),
            "component": "remuneration",
            "amount": amount,
            "is_regularisation": False,
            "label": "Rémunération",
            "withholding": Decimal(0),
            "offset": Decimal(0),
            "net": amount,
            "tax_rate": Decimal(0),
            "iban": Ciphertext("gAAAAABtoken"),
            "bic": "",
            "account_holder": "Léa",
            "reference": f"R{n}",
            "status": "paid" if n > bulk.BLOCK and n % 3 == 0 else "pending",
            "sent_at": None,
            "paid_on": dt.date(2026, 4, 2) if n > bulk.BLOCK and n % 3 == 0 else None,
            "mandate_number": "",
            "created_at": STAMPS[0],
        }
        for n, amount in enumerate(amounts)
    ]
    with transaction.atomic():
        bulk.insert_payments(rows)
    stored_rows = Payment.objects.order_by("pk").values_list("amount", "net", "paid_on")
    assert list(stored_rows) == [(r["amount"], r["net"], r["paid_on"]) for r in rows]


def test_columns_left_out_take_their_default_and_rows_of_other_shapes_their_own(world, monkeypatch):
    """A row without `computed_at` takes the batch's one timestamp, a row with it keeps its own,
    in one COPY of several blocks (the run's dues leave it out, the ledger's tests give it)."""
    monkeypatch.setattr(bulk, "BLOCK", 3)
    before = timezone.now()
    rows = due_rows(world)
    for n, row in enumerate(rows):  # the first row has neither
        if n % 5 != 1:
            del row["computed_at"]
        if n % 7 == 0:
            del row["explanation"]
    with transaction.atomic():
        bulk.upsert_dues(rows, fresh=True)
    dues = list(DueAmount.objects.order_by(*DUE_ORDER.split(", ")))
    assert [d.version_label for d in dues] == TEXTS * 2
    stamps = [d.computed_at.timestamp() for n, d in enumerate(dues) if n % 5 == 1]
    assert stamps == [STAMPS[n % len(STAMPS)].timestamp() for n in range(1, len(rows), 5)]
    defaults = {d.computed_at for n, d in enumerate(dues) if n % 5 != 1}
    assert all(before <= stamp <= timezone.now() for stamp in defaults)
    if connection.vendor == "postgresql":
        assert len(defaults) == 1  # evaluated once for the COPY
    explanations = [d.explanation for n, d in enumerate(dues) if n % 7 == 0]
    assert explanations == [[], [], [], []]
    assert dues[1].explanation == SHARED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY of PostgreSQL")
def test_a_time_without_its_time_zone_is_refused_not_guessed(world):
    row = due_rows(world)[0] | {"computed_at": dt.datetime(2026, 3, 1, 12, 0)}
    with pytest.raises(TypeError, match="offset-naive"), transaction.atomic():
        bulk.upsert_dues([row], fresh=True)
    assert not DueAmount.objects.exists()
