"""`make bench-rules`: the five modes (per-case, columnar from Case objects and from rows, on
one process and on several) compute the same population (per-chunk seeds) and print the same
checksum (issue 18 §4)."""

import random
from decimal import Decimal

from remu.rules import bench
from remu.rules.engine import Engine


def checksums(out: str) -> dict[str, str]:
    return {
        line.split(":")[0]: line.rsplit(" ", 1)[1]
        for line in out.splitlines()
        if "checksum of net pay: " in line
    }


def test_the_five_modes_agree_on_the_checksum(capsys):
    assert bench.main(["3000", "--processes", "2", "--chunk", "1000"]) == 0
    out = capsys.readouterr().out
    sums = checksums(out)
    assert set(sums) == {"per-case", "columnar", "rows", "parallel", "parallel-rows"}
    # The population is chunk i = make_cases(Random(SEED + i)), whatever the mode.
    engine = Engine()
    expected = sum(
        (
            engine.compute(case, False).net
            for i in range(3)
            for case in bench.make_cases(random.Random(bench.SEED + i), 1000)
        ),
        Decimal(0),
    )
    assert set(sums.values()) == {str(expected)}
    assert "machine: " in out and " cores" in out and "load average " in out
    assert "columnar path from rows, 2 processes: 3000 trainee-months in " in out
    assert "columnar path from Case objects, 2 processes: 3000 trainee-months in " in out
    assert "worker 0: 2000 trainee-months" in out and "worker 1: 1000 trainee-months" in out
    for mode in ("columnar", "rows", "parallel", "parallel-rows"):
        assert f"{mode} vs per-case: " in out


def test_the_rows_are_the_cases():
    """The bench's rows and Case objects are the same trainee-months, field by field."""
    from remu.rules.columns import row_of_case

    rows = bench.make_rows(random.Random(4), 500)
    cases = bench.make_cases(random.Random(4), 500)
    assert [row_of_case(case) for case in cases] == rows
    assert sum(bool(row[12]) for row in rows) > 100  # absences, as plain tuples


def test_the_chunks_dealt_round_robin_and_the_last_one_short():
    assert bench.chunk_sizes(2500, 1000) == [1000, 1000, 500]
    parallel = bench.run_parallel([1000, 1000, 500], 2)
    single = bench.run_chunks(range(3), [1000, 1000, 500], ["columnar", "rows"])
    for mode in ("columnar", "rows"):
        assert [w["count"] for w in parallel[mode]["workers"]] == [1500, 1000]
        assert parallel[mode]["cents"] == single[mode]["cents"] == single["columnar"]["cents"]
        assert parallel[mode]["count"] == single[mode]["count"] == 2500


def test_different_checksums_exit_non_zero(monkeypatch, capsys):
    real = bench.run_parallel

    def off_by_a_cent(sizes, processes):
        figures = real(sizes, processes)
        figures["rows"]["cents"] += 1
        return figures

    monkeypatch.setattr(bench, "run_parallel", off_by_a_cent)
    assert bench.main(["500", "--processes", "2", "--chunk", "250", "--skip-per-case"]) == 1
    assert "the checksums differ" in capsys.readouterr().err


def test_a_failing_worker_is_reported(monkeypatch):
    def broken(indices, sizes, modes):
        raise ValueError("broken")

    monkeypatch.setattr(bench, "run_chunks", broken)  # inherited by the forked workers
    try:
        bench.run_parallel([10, 10], 2)
    except RuntimeError as error:
        assert "ValueError: broken" in str(error)
    else:
        raise AssertionError("no error")
