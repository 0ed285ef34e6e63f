"""The batch path (`services.batch_confirm_and_invoice`, the benchmark's) over a real
calendar: it confirms and invoices as a provider on the pages would, for each frequency
(three instalments with their thresholds and the quarterly fallback and back) and with the
subcontractors' invoices deducted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from remu.actions.models import ActionPeriod
from remu.invoicing import services
from remu.invoicing.models import Invoice, InvoicingTerms, SubcontractInvoice, Subcontractor

from . import factories as f

D = Decimal
# Monday 15 June 2026 to Friday 29 January 2027: eight months, quarters from the real start
# (June–August, September–November, December–January); a company week in October.
START, END = dt.date(2026, 6, 15), dt.date(2027, 1, 29)
TODAY = dt.date(2027, 3, 10)
JUN, JUL, AUG, SEP, OCT, NOV, DEC = (dt.date(2026, m, 1) for m in range(6, 13))
JAN = dt.date(2027, 1, 1)


def _action(region, provider, frequency, planned=None):
    action = f.TrainingActionFactory(
        region=region,
        provider=provider,
        planned_start=START,
        planned_end=END,
        unit_cost_centre=D("7.00"),
        unit_cost_company=D("1.00"),
        hours_in_centre=1100,
        hours_in_company=35,
        max_trainees=2,
        max_paid_trainees=2,
    )
    ActionPeriod.objects.create(
        action=action,
        place="company",
        start_date=dt.date(2026, 10, 5),
        end_date=dt.date(2026, 10, 9),
    )
    InvoicingTerms.objects.create(action=action, frequency=frequency, planned_hours=planned)
    f.EnrollmentFactory(action=action)
    f.EnrollmentFactory(action=action)
    return action


def _by_pages(action, user):
    """What a provider does on the pages: confirms every month, then invoices the
    declarations not yet invoiced by the smallest run of months its terms accept."""
    services.confirm_months(action, services.selectors.months_of(action), user, TODAY)
    while pending := list(services.selectors.uninvoiced(action)):
        for count in range(1, min(3, len(pending)) + 1):
            try:
                invoice = services.generate_invoice(action, [d.pk for d in pending[:count]], user)
            except ValidationError:
                continue
            services.confirm_invoice(invoice, user, TODAY)
            break
        else:
            return


def _invoices(action):
    return [
        (
            i.frequency,
            i.instalment_rank,
            [line.month for line in i.lines.order_by("month")],
            i.lines_total,
            i.subcontracted,
            i.total_ttc,
        )
        for i in Invoice.objects.filter(action=action).order_by("sequence")
    ]


@pytest.mark.parametrize("frequency", ["monthly", "quarterly", "three"])
def test_batch_invoices_as_the_pages_over_a_real_calendar(
    region, provider, provider_user, frequency
):
    user = provider_user
    planned = D(3000) if frequency == "three" else None
    batch, pages = (_action(region, provider, frequency, planned) for _ in range(2))
    assert services.batch_confirm_and_invoice([batch], user, TODAY)[0] == 8
    _by_pages(pages, user)
    assert _invoices(batch) == _invoices(pages)
    months = [(freq, rank, months) for freq, rank, months, *_ in _invoices(batch)]
    if frequency == "monthly":
        assert months == [("monthly", None, [m]) for m in (JUN, JUL, AUG, SEP, OCT, NOV, DEC, JAN)]
    elif frequency == "quarterly":
        assert months == [
            ("quarterly", None, [JUN, JUL, AUG]),
            ("quarterly", None, [SEP, OCT, NOV]),
            ("quarterly", None, [DEC, JAN]),
        ]
    else:
        # 2 trainees × 7 h a weekday: June (from the 15th) 168 h, July 322 h, August 294 h:
        # 26.1 % of 3,000 h in three months, under 30 %: paid as a quarter. September brings
        # it to 36.4 %: instalment 1 alone. October 46.7 %, November 56.5 %, December 67.2 %:
        # the 60 % threshold is crossed at the third month: instalment 2. January 77 %, under
        # 80 %: instalment 3; what remains goes to the balance.
        assert months == [
            ("quarterly", None, [JUN, JUL, AUG]),
            ("three", 1, [SEP]),
            ("three", 2, [OCT, NOV, DEC]),
            ("three", 3, [JAN]),
        ]
    numbers = list(Invoice.objects.filter(provider=provider).values_list("sequence", flat=True))
    assert sorted(numbers) == list(range(1, len(numbers) + 1))  # one counter, no gap
    assert services.batch_confirm_and_invoice([batch], user, TODAY) == (0, 0)


def test_batch_three_instalments_stop_at_the_balance(region, provider, provider_user):
    """With few planned hours the thresholds are passed month after month: June (33.6 % of
    500 h) is instalment 1, July (98 %) instalment 2; from 80 % the third is refused: the rest
    waits for the balance."""
    action = _action(region, provider, "three", D(500))
    services.batch_confirm_and_invoice([action], provider_user, TODAY)
    ranks = [(rank, months) for _, rank, months, *_ in _invoices(action)]
    assert ranks == [(1, [JUN]), (2, [JUL])]
    pages = _action(region, provider, "three", D(500))
    _by_pages(pages, provider_user)
    assert _invoices(pages) == _invoices(action)


def _subcontract(action, user, amount):
    sub = Subcontractor.objects.create(action=action, name="CEVENNES-GESTION")
    return services.confirm_subcontract(services.add_subcontract(action, sub.name, D(amount), user))


def test_batch_deducts_the_subcontractors_invoices(region, provider, provider_user):
    user = provider_user
    batch, pages = (_action(region, provider, "quarterly") for _ in range(2))
    deducted = _subcontract(batch, user, "1500.00")
    _subcontract(pages, user, "1500.00")
    services.batch_confirm_and_invoice([batch], user, TODAY)
    _by_pages(pages, user)
    assert _invoices(batch) == _invoices(pages)
    first = Invoice.objects.filter(action=batch).order_by("sequence").first()
    # June to August: 784 h × 7.00 = 5,488.00, « Dont 1 500,00 € pour CEVENNES-GESTION ».
    assert (first.lines_total, first.subcontracted, first.total_ht) == (
        D("5488.00"),
        D("1500.00"),
        D("3988.00"),
    )
    deducted.refresh_from_db()
    assert deducted.deducted_in == first
    assert Invoice.objects.filter(action=batch, subcontracted__gt=0).count() == 1


def test_batch_leaves_a_subcontract_larger_than_the_invoice_to_the_pages(
    region, provider, provider_user
):
    """A subcontractor's invoice over the next invoice's amount: the pages refuse it (« facturez
    plus de déclarations »); the batch confirms the months and invoices nothing."""
    action = _action(region, provider, "monthly")
    large = _subcontract(action, provider_user, "5000.00")
    assert services.batch_confirm_and_invoice([action], provider_user, TODAY) == (8, 0)
    large.refresh_from_db()
    assert large.deducted_in is None
    assert SubcontractInvoice.objects.get(pk=large.pk).status == "confirmed"


def test_batch_waits_for_the_invoice_confirmation_window(region, provider, provider_user):
    """Seed 003 §3.6.1.1: an invoice is confirmed in the first 15 days of a month; on the 20th
    the batch confirms nothing (as the pages refuse), on the 3rd of the next month it does."""
    action = _action(region, provider, "monthly")
    services.confirm_months(action, [JUN, JUL], provider_user, dt.date(2026, 8, 10))
    services.batch_confirm_and_invoice([action], provider_user, dt.date(2026, 8, 20))
    assert _invoices(action) == []
    services.batch_confirm_and_invoice([action], provider_user, dt.date(2026, 9, 3))
    assert [months for _, _, months, *_ in _invoices(action)] == [[JUN], [JUL], [AUG]]
