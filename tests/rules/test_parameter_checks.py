"""The checked numbers of the parameter files and the default withholding grids (article 204 H
CGI): a YAML true / false is never read as 1 / 0, and every grid is consistent."""

import datetime as dt
from decimal import Decimal

import pytest

from remu.rules.engine import Engine, default_tax_rate
from remu.rules.parameters import (
    ParameterError,
    _validate_options,
    load_parameter_sets,
    load_withholding,
)

from .test_cli_and_parameters import copy_parameters

BOOLEAN = "« true » est un booléen, pas un nombre"


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"payment_days": {"from": True, "to": 20}}, "payment_days.from"),
        ({"payment_days": {"from": 15, "to": True}}, "payment_days.to"),
        ({"attendance_due_day": True}, "attendance_due_day"),
        ({"minimum_age": True}, "minimum_age"),
        ({"declaration_due_day": True}, "declaration_due_day"),
        ({"retention_years": True}, "retention_years"),
        ({"access_log_months": True}, "access_log_months"),
        ({"sepa_max_transactions_per_file": True}, "sepa_max_transactions_per_file"),
        ({"instalment_thresholds": [True, 60, 80]}, "instalment_thresholds[0]"),
        ({"full_time_weekly_hours": True}, "full_time_weekly_hours"),
        ({"max_weekly_hours": True}, "max_weekly_hours"),
        ({"social_contributions_hourly_base": True}, "social_contributions_hourly_base"),
        ({"overpayment_offset_cap_percent": True}, "overpayment_offset_cap_percent"),
        ({"resignation": {"latency_days": True}}, "resignation.latency_days"),
        ({"sickness_complement": {"max_days": True}}, "sickness_complement.max_days"),
        ({"allowances": {"minors": {"max_age": True}}}, "allowances.minors.max_age"),
        ({"entry_bonus": {"amount": True}}, "entry_bonus.amount"),
    ],
)
def test_a_boolean_is_refused_where_a_number_is_expected(options, key):
    with pytest.raises(ParameterError) as error:
        _validate_options(options, "national.yaml.options[0]")
    message = str(error.value)
    assert message.startswith(f"national.yaml.options[0].{key}: ")
    assert BOOLEAN in message


@pytest.mark.parametrize(
    "options",
    [
        {"payment_days": {"from": 1, "to": 28}},
        {"attendance_due_day": 28},
        {"minimum_age": 16},
        {"instalment_thresholds": [30, 60, 80]},
        {"full_time_weekly_hours": "30"},
        {"max_weekly_hours": 168},
        {"social_contributions_hourly_base": "2.03"},
        {"resignation": {"latency_days": 60, "max_months": 4}},
    ],
)
def test_numbers_within_their_bounds_are_accepted(options):
    _validate_options(options, "national.yaml.options[0]")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"payment_days": {"from": 20, "to": 15}}, "payment_days: {from, to} entre le 1 et le 28"),
        ({"payment_days": {"from": 0, "to": 15}}, "payment_days: {from, to} entre le 1 et le 28"),
        ({"payment_days": {"from": "5", "to": 15}}, "payment_days.from: {from, to}"),
        ({"minimum_age": 30}, "minimum_age: un âge entier entre 1 et 29"),
        ({"minimum_age": 16.5}, "minimum_age: un âge entier entre 1 et 29"),
        ({"attendance_due_day": 0}, "attendance_due_day: un jour entre 1 et 28"),
        ({"instalment_thresholds": [60, 30, 80]}, "instalment_thresholds: trois pourcentages"),
        ({"max_weekly_hours": 0}, "max_weekly_hours: entre 1 et 168 heures"),
        ({"max_weekly_hours": 169}, "max_weekly_hours: entre 1 et 168 heures"),
    ],
)
def test_numbers_out_of_bounds_are_refused(options, message):
    with pytest.raises(ParameterError, match=message.replace("{", r"\{").replace("}", r"\}")):
        _validate_options(options, "national.yaml.options[0]")


def test_a_yaml_true_in_a_shipped_file_is_refused_when_loading(tmp_path):
    directory = copy_parameters(tmp_path)
    path = directory / "national.yaml"
    text = path.read_text()
    assert "    payment_days: {from: 15, to: 20}\n" in text
    path.write_text(
        text.replace(
            "    payment_days: {from: 15, to: 20}\n", "    payment_days: {from: true, to: 20}\n"
        )
    )
    with pytest.raises(ParameterError) as error:
        load_parameter_sets(directory)
    assert "payment_days.from" in str(error.value) and BOOLEAN in str(error.value)


def test_an_age_band_bound_cannot_be_a_boolean(tmp_path):
    directory = copy_parameters(tmp_path)
    path = directory / "national.yaml"
    text = path.read_text()
    old = "max_age: 17"
    assert old in text
    path.write_text(text.replace(old, "max_age: true", 1))
    with pytest.raises(ParameterError, match="max_age: un entier est attendu"):
        load_parameter_sets(directory)


# The default grids: consistent, and each year's grid gives its own rates. Amounts are chosen
# strictly inside a band (not on a bound), so the tests hold whichever side of a bound the
# band's limit falls on.
GRID_POINTS = [
    # territory, a day of the grid's period, monthly taxable, rate (%) of withholding.yaml
    ("mainland", dt.date(2025, 6, 1), "1650", "0.5"),  # 1620 < 1650 < 1683
    ("mainland", dt.date(2025, 6, 1), "3000", "7.5"),  # 2714 < 3000 < 3107
    ("mainland", dt.date(2026, 6, 1), "1650", "0.5"),  # 1635 < 1650 < 1698
    ("mainland", dt.date(2026, 6, 1), "1630", "0"),  # below 1635 (the 2025 grid: 0.5 %)
    ("gp-mq-re", dt.date(2025, 6, 1), "1900", "0.5"),  # 1858 < 1900 < 1971
    ("gp-mq-re", dt.date(2026, 6, 1), "1870", "0"),  # below 1875 (2025: 0.5 %)
    ("gf-yt", dt.date(2025, 6, 1), "2000", "0.5"),  # 1990 < 2000 < 2151
    ("gf-yt", dt.date(2026, 6, 1), "2000", "0"),  # below 2008 (2025: 0.5 %)
    ("gf-yt", dt.date(2026, 6, 1), "70000", "43"),  # above the last bound, 64341
]


@pytest.mark.parametrize(("territory", "day", "taxable", "rate"), GRID_POINTS)
def test_each_grid_gives_its_own_rate(territory, day, taxable, rate):
    engine = Engine()
    assert default_tax_rate(engine, territory, day, Decimal(taxable)) == Decimal(rate)


def test_the_shipped_grids_are_consistent():
    grids = load_withholding()
    assert set(grids) == {"mainland", "gp-mq-re", "gf-yt"}
    for territory, items in grids.items():
        for grid in items:
            assert grid.rates[0] == 0 and grid.rates[-1] == 43, territory
            assert list(grid.bounds) == sorted(set(grid.bounds)), (territory, grid.start)
    # The overseas grids start higher than the mainland one, band by band (the 30 % and 40 %
    # reductions of article 197 I 3), Guyane and Mayotte highest.
    for year in (0, 1):
        mainland, antilles, guyane = (
            grids[t][year].bounds for t in ("mainland", "gp-mq-re", "gf-yt")
        )
        assert all(m <= a <= g for m, a, g in zip(mainland, antilles, guyane, strict=True))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "[1620, 1683,",
            "[1683, 1620,",
            r"grids.mainland\[0\].bounds\[1\]: 1620 n'est pas supérieur",
        ),
        ("[1620, 1683,", "[true, 1683,", r"grids.mainland\[0\].bounds\[0\]: .*booléen"),
        ("[1620, 1683,", "[1683,", r"grids.mainland\[0\].bounds: 19 bornes attendues"),
        ('"15.8", "17.9"', '"17.9", "15.8"', r"rates: des taux croissants à partir de 0"),
        ("- from: 2026-05-01", "- from: 2025-05-01", r"grids.mainland\[1\].from: une autre grille"),
    ],
)
def test_an_inconsistent_grid_is_refused(tmp_path, old, new, message):
    directory = copy_parameters(tmp_path)
    path = directory / "withholding.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ParameterError, match=message):
        load_withholding(directory)
