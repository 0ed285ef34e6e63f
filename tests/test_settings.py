import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="remu.settings.production",
        SECRET_KEY="k" * 20 + "-production-secret-from-the-environment-" + "z" * 20,
        ALLOWED_HOSTS="remu.example.fr",
        DATABASE_URL="sqlite:////tmp/remu-deploy-check.sqlite3",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="remu.settings.production",
        SECRET_KEY="court",
        DATABASE_URL="sqlite:////tmp/remu-deploy-check.sqlite3",
    )
    assert result.returncode != 0
    assert "SECRET_KEY doit compter au moins 50 caractères" in result.stderr
