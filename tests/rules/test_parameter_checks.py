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
    # territory, a day of the grid's period, monthly taxable, rate (%) of withholding.yaml. Each
    # 2019-2024 point falls in a different band (or rate) under the year before, so a month
    # given the wrong year's grid fails.
    ("mainland", dt.date(2019, 6, 1), "1420", "0.5"),  # 1404 <= 1420 < 1457
    ("mainland", dt.date(2019, 6, 1), "1500", "1.5"),  # 1457 <= 1500 < 1551, 2019's own rates
    ("mainland", dt.date(2020, 6, 1), "1500", "1.3"),  # 1472 <= 1500 < 1567
    ("mainland", dt.date(2021, 6, 1), "1473", "0.5"),  # 1420 <= 1473 < 1475 (2020: 1.3 %)
    ("mainland", dt.date(2022, 6, 1), "1480", "0.5"),  # 1440 <= 1480 < 1496 (2021: 1.3 %)
    ("mainland", dt.date(2022, 6, 1), "1430", "0"),  # below 1440 (2021: 0.5 %)
    ("mainland", dt.date(2023, 6, 1), "1520", "0.5"),  # 1518 <= 1520 < 1577 (2022: 1.3 %)
    ("mainland", dt.date(2024, 6, 1), "1600", "0.5"),  # 1591 <= 1600 < 1653 (2023: 1.3 %)
    ("mainland", dt.date(2024, 6, 1), "3000", "7.5"),  # 2666 <= 3000 < 3052
    ("mainland", dt.date(2025, 3, 1), "1600", "0.5"),  # the 2024 grid until 2025-04-30
    ("gp-mq-re", dt.date(2019, 6, 1), "1650", "0.5"),  # 1610 <= 1650 < 1707
    ("gp-mq-re", dt.date(2019, 6, 1), "1800", "1.5"),  # 1707 <= 1800 < 1837
    ("gp-mq-re", dt.date(2020, 6, 1), "1800", "1.3"),  # 1724 <= 1800 < 1900
    ("gp-mq-re", dt.date(2021, 6, 1), "1727", "0.5"),  # 1629 <= 1727 < 1728 (2020: 1.3 %)
    ("gp-mq-re", dt.date(2022, 6, 1), "1740", "0.5"),  # 1652 <= 1740 < 1752 (2021: 1.3 %)
    ("gp-mq-re", dt.date(2023, 6, 1), "1800", "0.5"),  # 1741 <= 1800 < 1847 (2022: 1.3 %)
    ("gp-mq-re", dt.date(2024, 6, 1), "1900", "0.5"),  # 1825 <= 1900 < 1936 (2023: 1.3 %)
    ("gp-mq-re", dt.date(2025, 4, 1), "1840", "0.5"),  # the 2024 grid until 2025-04-30
    ("gp-mq-re", dt.date(2025, 5, 1), "1840", "0"),  # the 2025 grid: below 1858
    ("gp-mq-re", dt.date(2026, 4, 1), "1870", "0.5"),  # the 2025 grid until 2026-04-30
    ("gf-yt", dt.date(2019, 6, 1), "1800", "0.5"),  # 1724 <= 1800 < 1833
    ("gf-yt", dt.date(2019, 6, 1), "1900", "1.5"),  # 1833 <= 1900 < 1974
    ("gf-yt", dt.date(2020, 6, 1), "1900", "1.3"),  # 1883 <= 1900 < 2100
    ("gf-yt", dt.date(2021, 6, 1), "1886", "0.5"),  # 1745 <= 1886 < 1887 (2020: 1.3 %)
    ("gf-yt", dt.date(2022, 6, 1), "1900", "0.5"),  # 1769 <= 1900 < 1913 (2021: 1.3 %)
    ("gf-yt", dt.date(2023, 6, 1), "2000", "0.5"),  # 1865 <= 2000 < 2016 (2022: 1.3 %)
    ("gf-yt", dt.date(2024, 6, 1), "2100", "0.5"),  # 1955 <= 2100 < 2113 (2023: 1.3 %)
    ("gf-yt", dt.date(2024, 6, 1), "70000", "43"),  # above the last bound, 62639
    ("gf-yt", dt.date(2025, 4, 1), "1970", "0.5"),  # the 2024 grid (1955 <= 1970 < 2113)
    ("gf-yt", dt.date(2025, 5, 1), "1970", "0"),  # the 2025 grid: below 1990
    ("gf-yt", dt.date(2026, 4, 1), "2000", "0.5"),  # the 2025 grid until 2026-04-30
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
    # One grid a year for each territory, 2019 to 2026.
    for territory, items in grids.items():
        assert [g.start.year for g in items] == list(range(2019, 2027)), territory
    for year in range(len(grids["mainland"])):
        mainland, antilles, guyane = (
            grids[t][year].bounds for t in ("mainland", "gp-mq-re", "gf-yt")
        )
        assert all(m <= a <= g for m, a, g in zip(mainland, antilles, guyane, strict=True))
    # The 2019 grids had their own rates (0.5, 1.5, 2.5 ...); the finance law for 2020 set those
    # used since (0.5, 1.3, 2.1 ...).
    for territory, items in grids.items():
        assert items[0].rates[1:4] == (Decimal("0.5"), Decimal("1.5"), Decimal("2.5")), territory
        assert all(
            g.rates[1:4] == (Decimal("0.5"), Decimal("1.3"), Decimal("2.1")) for g in items[1:]
        )


def test_a_month_before_2019_uses_the_2019_grid():
    # Withholding at source began on 2019-01-01: no earlier grid exists.
    engine = Engine()
    assert default_tax_rate(engine, "mainland", dt.date(2018, 6, 1), Decimal("1500")) == Decimal(
        "1.5"
    )


# Article 204 H III: « inférieure à B1 : 0 % ; supérieure ou égale à B1 et inférieure à B2 :
# 0,5 % ; ... ; supérieure ou égale à B19 : 43 % ». A base equal to a bound takes the rate above.
BOUND_POINTS = [
    ("mainland", dt.date(2019, 6, 1), "1403.99", "0"),
    ("mainland", dt.date(2019, 6, 1), "1404", "0.5"),
    ("mainland", dt.date(2019, 6, 1), "1457", "1.5"),
    ("mainland", dt.date(2022, 6, 1), "1440", "0.5"),
    ("mainland", dt.date(2026, 6, 1), "1634.99", "0"),
    ("mainland", dt.date(2026, 6, 1), "1635", "0.5"),
    ("mainland", dt.date(2026, 6, 1), "55557.99", "38"),
    ("mainland", dt.date(2026, 6, 1), "55558", "43"),
    ("gp-mq-re", dt.date(2023, 6, 1), "1741", "0.5"),
    ("gf-yt", dt.date(2024, 6, 1), "1955", "0.5"),
    ("gf-yt", dt.date(2024, 6, 1), "1954.99", "0"),
]


@pytest.mark.parametrize(("territory", "day", "taxable", "rate"), BOUND_POINTS)
def test_a_base_equal_to_a_bound_takes_the_rate_above(territory, day, taxable, rate):
    engine = Engine()
    assert default_tax_rate(engine, territory, day, Decimal(taxable)) == Decimal(rate)


def test_the_engine_withholds_above_at_a_bound():
    # The engine skips the grid below its first bound; at the bound itself the law's next band
    # applies. A trainee of 30 paid the national full-time amount in March 2022, 685.00, with a
    # grid whose first bound is exactly 685: 10 % of 685.00 = 68.50 withheld.
    from remu.rules.engine import compute as compute_with
    from remu.rules.parameters import WithholdingGrid

    from .helpers import case

    rates = tuple(Decimal(r) for r in ["0"] + [str(10 + i) for i in range(19)])

    def engine_with_first_bound(first):
        bounds = tuple(Decimal(first) + i for i in range(19))
        grid = WithholdingGrid(dt.date(2019, 1, 1), bounds, rates)
        return Engine(withholding={"mainland": [grid]})

    trainee = case()
    at_bound = engine_with_first_bound("685").compute(trainee)
    assert at_bound.gross == Decimal("685.00")
    assert at_bound.withholding == Decimal("68.50")
    above_bound = engine_with_first_bound("685.01").compute(trainee)
    assert above_bound.withholding == 0
    assert compute_with(trainee).withholding == 0  # the real 2022 grid: 685 < 1440, 0 %


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "[1620, 1683,",
            "[1683, 1620,",
            r"grids.mainland\[6\].bounds\[1\]: 1620 n'est pas supérieur",
        ),
        ("[1620, 1683,", "[true, 1683,", r"grids.mainland\[6\].bounds\[0\]: .*booléen"),
        ("[1620, 1683,", "[1683,", r"grids.mainland\[6\].bounds: 19 bornes attendues"),
        ('"15.8", "17.9"', '"17.9", "15.8"', r"yaml.rates: des taux croissants à partir de 0"),
        ('"4.5", "6", "7.5"', '"4.5", "7.5", "6"', r"mainland\[0\].rates: des taux croissants"),
        (
            '"0", "0.5", "1.5"',
            '"0", "0.5", "1.5", "2"',
            r"mainland\[0\].bounds: 20 bornes attendues",
        ),
        ("- from: 2026-05-01", "- from: 2025-05-01", r"grids.mainland\[7\].from: une autre grille"),
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
