"""CPU time of processes read from /proc (Linux), for the benches' accounting: which of the
web server, the load generator and the database used the machine's cores during a run.

Standard library only (psutil is not a dependency). Fields of /proc/<pid>/stat (proc(5)):
after the command name in parentheses (which may itself hold spaces and parentheses), field
3 is the state, 4 the parent's id, 14 and 15 the user and system time of the process, 16 and
17 those of its children it has waited for; in clock ticks."""

import os
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _fields(pid: int) -> list[str] | None:
    """The fields after the command name (the first is the state, field 3), or None once the
    process is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User plus system CPU seconds of a process (0.0 once it is gone); with `children`, also
    those of the children it has reaped (a server's workers that exited)."""
    fields = _fields(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime (fields 16 and 17)
    return ticks / TICKS


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is `pid`."""
    found = []
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def tree_seconds(pid: int) -> float:
    """CPU seconds of a process, of the children it reaped and of its live children (a
    pre-fork server: its master and its workers)."""
    return cpu_seconds(pid, children=True) + sum(cpu_seconds(c) for c in children_of(pid))


def machine_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (/proc/stat's first
    line: user, nice, system, idle, iowait, irq, softirq, steal)."""
    first = (PROC / "stat").read_text().splitlines()[0].split()[1:9]
    values = [int(v) for v in first]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS
