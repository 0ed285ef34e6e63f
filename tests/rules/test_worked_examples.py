"""RULES.md §4 worked examples E1–E7, through the engine and through the CLI."""

import json
import subprocess
import sys
from decimal import Decimal

import pytest

from remu.rules.engine import compute

EXAMPLES = [
    ("E1", {"birth_date": "1991-06-02", "entry_date": "2022-01-10"}, "685.00", 30),
    (
        "E2",
        {
            "birth_date": "1991-06-02",
            "entry_date": "2022-01-10",
            "absences": [{"start": "2022-03-14", "end": "2022-03-15", "reason": "UNJUSTIFIED"}],
        },
        "639.33",
        28,
    ),
    ("E3", {"birth_date": "2002-06-02", "entry_date": "2022-03-15"}, "266.67", 16),
    (
        "E4",
        {
            "birth_date": "1999-06-02",
            "entry_date": "2022-01-10",
            "weekly_hours": 20,
            "hours_present": 80,
        },
        "264.00",
        None,
    ),
    (
        "E5",
        {
            "region": "guadeloupe",
            "month": "2020-06",
            "birth_date": "1996-01-15",
            "entry_date": "2020-01-06",
        },
        "339.35",
        30,
    ),
    (
        "E6",
        {
            "region": "bourgogne-franche-comte",
            "month": "2023-02",
            "birth_date": "1992-05-01",
            "entry_date": "2022-09-05",
            "exit_date": "2023-02-14",
        },
        "402.73",
        14,
    ),
    (
        "E7",
        {"month": "2024-05", "birth_date": "1991-06-02", "entry_date": "2024-01-08"},
        "756.63",
        30,
    ),
]


def raw_case(name, fields):
    raw = {
        "id": name,
        "region": "national",
        "month": "2022-03",
        "category": "JOB_SEEKER",
        "weekly_hours": 35,
        "exit_date": None,
        "absences": [],
        "hours_present": None,
        "prior_monthly_salary": None,
        "distance_km": None,
        "training_total_hours": None,
        "tax_rate": None,
    }
    raw.update(fields)
    return raw


def test_the_cli_reproduces_every_worked_example(tmp_path):
    cases = [raw_case(name, fields) for name, fields, _, _ in EXAMPLES]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    run = subprocess.run(
        [sys.executable, "-m", "remu.rules", "compute", "--input", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    results = json.loads(run.stdout)
    assert [r["id"] for r in results] == [name for name, *_ in EXAMPLES]
    for (name, _, expected, thirtieths), result in zip(EXAMPLES, results, strict=True):
        assert result["remuneration"] == expected, name
        assert result["net"] == expected, name
        assert result["paid_thirtieths"] == thirtieths, name


def test_e2_explains_itself():
    from remu.rules.cli import parse_case

    result = compute(parse_case(raw_case(*EXAMPLES[1][:2]), 0))
    assert result.explanation[:3] == [
        "Barème « Décret n° 2021-672 du 28/05/2021 » en vigueur au 01/06/2021, catégorie "
        "demandeur d'emploi, 26 ans et plus à l'entrée : 685,00 €",
        "Absence non justifiée du 14/03/2022 au 15/03/2022 : 2 trentièmes retenus",
        "28/30 × 685,00 € = 639,33 €",
    ]


def test_e4_part_time_rate_and_cap():
    from remu.rules.cli import parse_case

    result = compute(parse_case(raw_case(*EXAMPLES[3][:2]), 0))
    assert result.hourly_rate == Decimal("3.30")
    assert result.paid_hours == Decimal("80.00")
    assert "plafond 20 × 4,33 = 86,60 h" in " ".join(result.explanation)


def test_e6_regional_scale_beats_the_national_one():
    from remu.rules.cli import parse_case

    result = compute(parse_case(raw_case(*EXAMPLES[5][:2]), 0))
    assert result.monthly_amount == Decimal("863.00")
    assert "plus favorable" not in " ".join(result.explanation)


@pytest.mark.parametrize(
    ("month", "expected"),
    [("2023-03", "685.00"), ("2023-04", "723.36"), ("2024-04", "756.63"), ("2025-04", "769.49")],
)
def test_revaluations_by_coefficient(month, expected):
    from remu.rules.cli import parse_case

    result = compute(
        parse_case(
            raw_case("r", {"month": month, "birth_date": "1980-01-01", "entry_date": "2023-01-02"}),
            0,
        )
    )
    assert result.monthly_amount == Decimal(expected)
    if month != "2023-03":
        assert "revalorisation par coefficient" in result.explanation[0]
