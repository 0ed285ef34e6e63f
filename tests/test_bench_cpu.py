"""The CPU accounting of `make bench-pages` (remu.core.cpu, read from /proc): it must agree
with what the kernel reports to the process itself, survive odd command names, and follow a
server's children."""

import os
import subprocess
import sys
import time

import pytest

from remu.core import cpu

pytestmark = pytest.mark.skipif(not cpu.PROC.joinpath("self", "stat").exists(), reason="Linux")


def _burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_a_process_cpu_agrees_with_what_the_kernel_tells_it():
    before = cpu.cpu_seconds(os.getpid())
    _burn(0.3)
    after = cpu.cpu_seconds(os.getpid())
    times = os.times()
    assert after - before >= 0.2
    assert after == pytest.approx(times.user + times.system, abs=0.05)


def test_a_command_name_with_spaces_and_parentheses_is_read(tmp_path, monkeypatch):
    (tmp_path / "42").mkdir()
    # pid (comm) state ppid ... utime=250 stime=50 cutime=100 cstime=0 (fields 14 to 17)
    fields = ["S", "7", *["0"] * 9, "250", "50", "100", "0", *["0"] * 30]
    (tmp_path / "42" / "stat").write_text(f"42 (a (b) c) {' '.join(fields)}\n")
    monkeypatch.setattr(cpu, "PROC", tmp_path)
    monkeypatch.setattr(cpu, "TICKS", 100)
    assert cpu.cpu_seconds(42) == 3.0
    assert cpu.cpu_seconds(42, children=True) == 4.0
    assert cpu.children_of(7) == [42]
    assert cpu.tree_seconds(7) == 3.0  # 7 itself is gone: only its live child counts


def test_children_are_found_and_a_finished_process_counts_nothing():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in cpu.children_of(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert child.pid not in cpu.children_of(os.getpid())
    assert cpu.cpu_seconds(child.pid) == 0.0


def test_the_machine_is_busy_part_of_its_capacity():
    busy, total = cpu.machine_seconds()
    assert 0 < busy < total
