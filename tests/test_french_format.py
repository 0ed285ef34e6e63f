"""Amounts, numbers and dates as French readers expect them, in pages and in printed PDFs."""

import datetime as dt
import html
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from remu.core.french import month_of
from remu.payments import services
from remu.payments.models import Payment

from .utils import text

AMOUNT = "1 234,56 €"  # with the no-break space turned into a space
ENGLISH_AMOUNT = re.compile(r"\d\.\d\d(?!\d)")  # 1234.56: an amount printed the English way
TEMPLATES = Path(__file__).resolve().parent.parent / "remu"


def readable(content: str) -> str:
    """What a reader sees: no markup, scripts or styles; no-break spaces as spaces."""
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    return re.sub(r"<[^>]+>", " ", content).replace("\xa0", " ").replace("\u202f", " ")


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    return re.sub(r"\s+", " ", readable("".join(page.extract_text() for page in pages)))


def test_numbers_amounts_and_months_in_templates():
    out = Template(
        "{% load french %}{{ n }}|{{ n|euros }}|{{ m|month_of }}|{{ a|month_of }}|{{ day|date }}"
    ).render(
        Context(
            {
                "n": Decimal("47489.56"),
                "m": dt.date(2026, 3, 1),
                "a": dt.date(2026, 8, 1),
                "day": dt.date(2026, 8, 4),
            }
        )
    )
    assert html.unescape(out) == "47\xa0489,56|47\xa0489,56 €|de mars 2026|d'août 2026|4 août 2026"


@pytest.fixture
def paid(pay_world):
    """The March 2026 run ordered; the remuneration paid, made large enough to be grouped."""
    run = services.start_run(
        pay_world["region"], "monthly", dt.date(2026, 3, 1), pay_world["agent"]
    )
    services.execute_run(run.pk)
    Payment.objects.filter(component="remuneration").update(
        status="paid",
        paid_on=dt.date(2026, 8, 4),
        mandate_number="M-1",
        amount=Decimal("1234.56"),
        withholding=Decimal("0.00"),
        net=Decimal("1234.56"),
    )
    pay_world["line"].__class__.objects.filter(pk=pay_world["line"].pk).update(
        amount=Decimal("1234.56")
    )
    return pay_world


def test_pages_print_french_amounts_and_name_the_bonus_month(client, paid):
    client.force_login(paid["agent"])
    trainee = paid["enrollment"].trainee
    page = readable(text(client.get(reverse("home:trainee", args=[trainee.pk]))))
    assert AMOUNT in page
    bonus = Payment.objects.get(component="entry_bonus")  # ordered with the admission month
    assert f"Aide forfaitaire à l'entrée, au titre {month_of(bonus.month)}" in page
    assert "Rémunération de mars 2026" in page
    assert not ENGLISH_AMOUNT.search(page), ENGLISH_AMOUNT.search(page)
    scales = readable(text(client.get(reverse("scales:list"))))
    assert "1 932,52 €" in scales  # a prior-salary ceiling of the national scale
    assert not ENGLISH_AMOUNT.search(scales), ENGLISH_AMOUNT.search(scales)


def test_pdfs_print_french_amounts_and_dates(client, paid):
    client.force_login(paid["agent"])
    payment = Payment.objects.get(component="remuneration")
    advice = pdf_text(client.get(reverse("payments:advice", args=[payment.pk])))
    assert f"Net versé {AMOUNT}" in advice and "4 août 2026" in advice
    dossier = paid["dossier"]
    dossier.last_monthly_salary = Decimal("1234.56")
    dossier.save(update_fields=["last_monthly_salary"])
    printed = pdf_text(client.get(reverse("dossiers:print", args=[dossier.pk])))
    assert f"dernier salaire {AMOUNT}" in printed
    certificate = pdf_text(
        client.get(reverse("attendance:certificate", args=[paid["line"].statement_id]))
    )
    assert AMOUNT in certificate
    for content in (advice, printed, certificate):
        assert not ENGLISH_AMOUNT.search(content), ENGLISH_AMOUNT.search(content)


def test_ids_in_templates_are_never_grouped_like_numbers():
    """With grouped numbers, {{ obj.pk }} prints « 1 234 »: ids in URLs, values and attributes
    go through |unlocalize (or {% url %}, which never groups)."""
    raw_id = re.compile(r"\{\{ *[\w.]*(\.pk|\.id|_id|page_number) *\}\}")
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group()}"
        for path in TEMPLATES.rglob("*.html")
        for match in raw_id.finditer(path.read_text())
        if "france_travail_id" not in match.group()  # a France Travail identifier is text
    ]
    assert offenders == []


def test_excel_export_has_real_dates_shown_the_french_way(provider_client, pay_world):
    action = pay_world["enrollment"].action
    response = provider_client.get(reverse("attendance:trainees_xlsx", args=[action.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    birth = sheet.cell(row=2, column=header.index("Date de naissance") + 1)
    entry = sheet.cell(row=2, column=header.index("Entrée") + 1)
    assert birth.value == dt.datetime(1990, 1, 1) and birth.number_format == "DD/MM/YYYY"
    assert entry.value == dt.datetime(2026, 3, 2) and entry.number_format == "DD/MM/YYYY"
