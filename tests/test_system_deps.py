"""scripts/system_deps.sh: the make step that installs the Debian packages or names the command.

The script runs for real; only `id`, `ldconfig` and `apt-get` are replaced by small scripts put
first on PATH, and SYSTEM_DEPS_ROOT points the file checks (font, Chromium) at a directory.
"""

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "system_deps.sh"
ALL_LIBRARIES = (
    "\tlibpango-1.0.so.0 (libc6,x86-64) => /lib/libpango-1.0.so.0\n"
    "\tlibpangoft2-1.0.so.0 (libc6,x86-64) => /lib/libpangoft2-1.0.so.0\n"
    "\tlibharfbuzz-subset.so.0 (libc6,x86-64) => /lib/libharfbuzz-subset.so.0\n"
)


def fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def machine(tmp_path, *, uid, libraries=ALL_LIBRARIES, font=True, chromium=True):
    """A fake machine: which libraries ldconfig knows, which files exist, who runs."""
    bin_dir, root = tmp_path / "bin", tmp_path / "root"
    bin_dir.mkdir()
    (tmp_path / "libraries").write_text(libraries)
    fake(bin_dir, "ldconfig", f"cat {tmp_path / 'libraries'}")
    fake(bin_dir, "id", f"echo {uid}")
    fake(bin_dir, "apt-get", f'echo "$@" >> {tmp_path / "apt.log"}')
    if font:
        (root / "usr/share/fonts/truetype/dejavu").mkdir(parents=True)
        (root / "usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").write_text("")
    if chromium:
        (root / "usr/bin").mkdir(parents=True)
        fake(root / "usr/bin", "chromium", "true")
    return bin_dir, root


def run(tmp_path, bin_dir, root, want):
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SYSTEM_DEPS_ROOT": str(root),
    }
    result = subprocess.run(
        ["bash", str(SCRIPT), want], env=env, capture_output=True, text=True, timeout=30
    )
    log = tmp_path / "apt.log"
    return result, log.read_text() if log.exists() else ""


def test_nothing_to_do_when_everything_is_there(tmp_path):
    bin_dir, root = machine(tmp_path, uid=1000)
    result, apt = run(tmp_path, bin_dir, root, "test")
    assert result.returncode == 0, result.stderr
    assert result.stdout == result.stderr == "" and apt == ""


def test_a_user_gets_the_exact_command_at_once(tmp_path):
    libraries = ALL_LIBRARIES.replace("libharfbuzz-subset", "libharfbuzz")
    bin_dir, root = machine(tmp_path, uid=1000, libraries=libraries, chromium=False)
    result, apt = run(tmp_path, bin_dir, root, "test")
    assert result.returncode == 1
    assert "sudo apt-get install -y libharfbuzz-subset0 chromium\n" in result.stderr
    assert apt == ""  # nothing attempted without root


def test_make_run_does_not_ask_for_chromium(tmp_path):
    bin_dir, root = machine(tmp_path, uid=1000, chromium=False)
    result, _ = run(tmp_path, bin_dir, root, "pdf")
    assert result.returncode == 0, result.stderr


def test_root_installs_what_is_missing(tmp_path):
    bin_dir, root = machine(tmp_path, uid=0, libraries="", font=False)
    result, apt = run(tmp_path, bin_dir, root, "pdf")
    assert result.returncode == 0, result.stderr
    assert apt.splitlines() == [
        "update -qq",
        "install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core",
    ]


def test_make_run_test_and_ci_call_the_step():
    root = SCRIPT.parent.parent
    makefile = (root / "Makefile").read_text()
    assert "run: system-deps migrate" in makefile
    assert "test: system-deps-test venv" in makefile
    assert "make system-deps-test" in (root / ".ci" / "run").read_text()
