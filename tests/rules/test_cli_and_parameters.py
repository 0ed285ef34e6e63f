import json
import subprocess
import sys
from pathlib import Path

import pytest

from remu.rules.parameters import PARAMETERS_DIR, ParameterError, load_parameter_sets

from .test_worked_examples import raw_case


def run_cli(cases, *args):
    return subprocess.run(
        [sys.executable, "-m", "remu.rules", "compute", *args],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"region": "atlantide"}, "region"),
        ({"category": "ASTRONAUT"}, "category"),
        ({"month": "2021-12"}, "month"),
        ({"birth_date": "02/06/1991"}, "birth_date"),
        ({"weekly_hours": 20}, "hours_present"),
        (
            {"absences": [{"start": "2022-03-14", "end": "2022-03-12", "reason": "UNJUSTIFIED"}]},
            "absences[0].end",
        ),
        (
            {"absences": [{"start": "2022-03-14", "end": "2022-03-15", "reason": "NAP"}]},
            "absences[0].reason",
        ),
        ({"tax_rate": 120}, "tax_rate"),
        ({"category": "ASS_PART_TIME"}, "category"),  # not in the national tables
    ],
)
def test_an_invalid_case_stops_everything_naming_case_and_field(change, field):
    good = raw_case("ok", {"birth_date": "1991-06-02", "entry_date": "2022-01-10"})
    bad = raw_case("mauvais", {"birth_date": "1991-06-02", "entry_date": "2022-01-10", **change})
    run = run_cli([good, bad])
    assert run.returncode == 2
    assert run.stdout == ""
    assert "« mauvais »" in run.stderr and f"« {field} »" in run.stderr


def test_unreadable_input_exits_2():
    run = subprocess.run(
        [sys.executable, "-m", "remu.rules", "compute"], input="[{", capture_output=True, text=True
    )
    assert run.returncode == 2 and run.stdout == ""


def copy_parameters(tmp_path: Path) -> Path:
    for path in PARAMETERS_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'JOB_SEEKER: "500.00"',
            'JOB_SEEKER: "cinq cents"',
            "centre-val-de-loire.yaml.versions[0].amounts.JOB_SEEKER: montant invalide",
        ),
        (
            "from: 2020-09-01\n    label",
            "from: 2020-09-15\n    label",
            "centre-val-de-loire.yaml.versions[0].from: une version prend effet le 1er",
        ),
        (
            'RSA_GJ: {up_to_20: "310.39", "21_25"',
            'RSA_GJ: {moins_de_20: "310.39", "21_25"',
            "centre-val-de-loire.yaml.versions[0].amounts.RSA_GJ: les tranches",
        ),
        (
            "WEATHER: {paid: true}",
            "PLUIE: {paid: true}",
            "centre-val-de-loire.yaml.options[0].absences.PLUIE: motif d'absence inconnu",
        ),
        (
            "extends: national",
            "extends: nationale",
            "centre-val-de-loire.yaml.extends: jeu de paramètres « nationale » inconnu",
        ),
    ],
)
def test_a_malformed_file_names_the_file_and_key(tmp_path, old, new, message):
    directory = copy_parameters(tmp_path)
    path = directory / "centre-val-de-loire.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ParameterError) as error:
        load_parameter_sets(directory)
    assert message in str(error.value)


def test_the_shipped_files_load_and_mark_derived_versions():
    sets = load_parameter_sets()
    assert {
        "national",
        "centre-val-de-loire",
        "bourgogne-franche-comte",
        "guadeloupe",
        "hauts-de-france",
        "mayotte",
    } <= set(sets)
    derived = [v for v in sets["national"].versions if v.coefficient is not None]
    assert [str(v.coefficient) for v in derived] == ["1.056", "1.046", "1.017", "1.009"]


def test_the_engine_imports_no_django():
    code = (
        "import sys, remu.rules.cli, remu.rules.engine, remu.rules.bench; "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_the_full_time_threshold_is_a_dated_parameter(tmp_path):
    import datetime as dt
    from decimal import Decimal

    from remu.rules.engine import Engine
    from remu.rules.parameters import load_withholding

    directory = copy_parameters(tmp_path)
    path = directory / "national.yaml"
    path.write_text(
        path.read_text().replace("full_time_weekly_hours: 30", "full_time_weekly_hours: 32")
    )
    engine = Engine(load_parameter_sets(directory), load_withholding(directory))
    day = dt.date(2026, 3, 1)
    assert not engine.is_full_time("centre-val-de-loire", day, Decimal(30))
    assert engine.is_full_time("centre-val-de-loire", day, Decimal(32))
    path.write_text(
        path.read_text().replace("full_time_weekly_hours: 32", "full_time_weekly_hours: 0")
    )
    with pytest.raises(ParameterError, match="national.yaml.options\\[0\\].full_time_weekly"):
        load_parameter_sets(directory)


def test_the_attendance_due_day_is_a_checked_parameter(tmp_path):
    directory = copy_parameters(tmp_path)
    path = directory / "centre-val-de-loire.yaml"
    path.write_text(
        path.read_text().replace(
            "  - from: 2021-05-01\n", "  - from: 2021-05-01\n    attendance_due_day: 31\n"
        )
    )
    with pytest.raises(ParameterError, match="options\\[1\\].attendance_due_day"):
        load_parameter_sets(directory)


def test_guadeloupe_has_one_boundary_between_allowances_and_defraiements(tmp_path):
    directory = copy_parameters(tmp_path)
    path = directory / "guadeloupe.yaml"
    path.write_text(
        path.read_text().replace(
            "      long_training_above_hours: 351\n",
            "      long_training_above_hours: 351\n      short_training_below_hours: 350\n",
        )
    )
    with pytest.raises(ParameterError, match="short_training_below_hours: une seule borne"):
        load_parameter_sets(directory)
