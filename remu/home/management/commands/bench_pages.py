"""`make bench-pages`: the pages at 50 concurrent users on the bench-payments data (100,000
trainees of one region, a big provider of 4,000 actions, the month's run and its SEPA file).

Builds the data (`bench_payments --keep`) unless it is there, starts a web server (DEBUG off,
as in production; two-factor login off for the bench's sessions), runs Locust headless as a
separate process (scripts/locustfile.py: never imported here), prints p50/p95/p99 per page and
the requests per second with the machine's core count, then stops the server and deletes the
data (unless --keep). Meant for PostgreSQL (DATABASE_URL)."""

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand
from django.urls import reverse

from remu.accounts.models import ProviderMembership, User
from remu.payments.models import PaymentRun
from remu.referential.models import Provider, Region
from remu.trainees.models import Trainee

ROOT = Path(settings.BASE_DIR)
TARGET_MS = 200


def session_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("count", nargs="?", type=int, default=100_000)
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--keep", action="store_true", help="keep the data afterwards")

    def handle(self, *args, count, users, seconds, port, keep, **options):
        if not Region.objects.filter(code="bench-payments").exists():
            subprocess.run(
                [sys.executable, "manage.py", "bench_payments", str(count), "--keep"], check=True
            )
        region = Region.objects.get(code="bench-payments")
        agent = User.objects.get(email="bench-payments@example.org")
        provider = Provider.objects.get(region=region, name="Bench")
        reader, _ = User.objects.get_or_create(
            email="bench-pages-of@example.org", defaults={"role": User.Role.PROVIDER}
        )
        ProviderMembership.objects.get_or_create(user=reader, provider=provider)
        run = PaymentRun.objects.filter(region=region, is_preview=False).first()
        trainees = list(Trainee.objects.filter(region=region).values_list("pk", flat=True)[:5000])
        bench = {
            "cookie": settings.SESSION_COOKIE_NAME,
            "sessions": {"agent": session_for(agent), "provider": session_for(reader)},
            "urls": {
                "provider_home": reverse("home:provider_home"),
                "statements": reverse("home:statements"),
                "dossiers": reverse("dossiers:list"),
                "agent_dashboard": reverse("home:agent_dashboard"),
                "actions": reverse("actions:list"),
                "runs": reverse("payments:runs"),
                "run": reverse("payments:run", args=[run.pk]),
                "trainees": [
                    reverse("home:trainee", args=[pk])
                    for pk in random.Random(18).sample(trainees, min(500, len(trainees)))
                ],
            },
        }
        host = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DEBUG": "false",
            "TWO_FACTOR_LOGIN": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait(host)
            self._one_user(host, bench)
            with tempfile.TemporaryDirectory() as tmp:
                locust = Path(sys.executable).with_name("locust")
                subprocess.run(
                    [
                        str(locust),
                        "-f",
                        str(ROOT / "scripts" / "locustfile.py"),
                        "--headless",
                        "--users",
                        str(users),
                        "--spawn-rate",
                        str(max(1, users // 5)),
                        "--run-time",
                        f"{seconds}s",
                        "--host",
                        host,
                        "--csv",
                        f"{tmp}/stats",
                        "--only-summary",
                        "--loglevel",
                        "WARNING",
                    ],
                    env={**os.environ, "REMU_BENCH": json.dumps(bench)},
                    check=False,
                    stdout=subprocess.DEVNULL,
                )
                self._report(Path(tmp) / "stats_stats.csv", users, seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if not keep:
                from remu.payments.management.commands.bench_payments import Command as Payments

                reader.delete()
                Payments()._clean(region)

    def _one_user(self, host, bench):
        """Each page alone, five times (the median): what a page costs without the crowd."""
        urls = bench["urls"]
        pages = [
            ("provider home", "provider", urls["provider_home"]),
            ("statements to enter", "provider", urls["statements"]),
            ("dossiers (provider)", "provider", urls["dossiers"]),
            ("agent dashboard", "agent", urls["agent_dashboard"]),
            ("action list", "agent", urls["actions"]),
            ("dossiers (agent)", "agent", urls["dossiers"] + "?status=admitted"),
            ("runs", "agent", urls["runs"]),
            ("run detail", "agent", urls["run"] + "?page=50"),
            ("trainee detail", "agent", urls["trainees"][0]),
        ]
        self.stdout.write("Un seul utilisateur (médiane de 5 requêtes, en millisecondes) :")
        for name, role, url in pages:
            request = urllib.request.Request(
                host + url, headers={"Cookie": f"{bench['cookie']}={bench['sessions'][role]}"}
            )
            times = []
            for _ in range(5):
                start = time.perf_counter()
                with urllib.request.urlopen(request, timeout=120) as response:
                    response.read()
                times.append((time.perf_counter() - start) * 1000)
            self.stdout.write(f"  {name:<26} {sorted(times)[2]:>7.0f}")

    def _wait(self, host):
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{host}/connexion/", timeout=2)
                return
            except OSError:
                time.sleep(1)
        raise RuntimeError("the bench's web server did not start")

    def _report(self, path, users, seconds):
        self.stdout.write(
            f"{users} utilisateurs simultanés pendant {seconds} s ; {os.cpu_count()} cœurs "
            f"(serveur, base et Locust sur la même machine)"
        )
        self.stdout.write(f"{'page':<28} {'req.':>6} {'err.':>5} {'p50':>6} {'p95':>6} {'p99':>6}")
        with open(path, newline="") as stats:
            for row in csv.DictReader(stats):
                name = row["Name"] if row["Name"] != "Aggregated" else "toutes les pages"
                p95 = float(row["95%"] or 0)
                mark = "" if p95 <= TARGET_MS or row["Name"] == "Aggregated" else "  > 200 ms"
                self.stdout.write(
                    f"{name:<28} {row['Request Count']:>6} {row['Failure Count']:>5} "
                    f"{row['50%']:>6} {row['95%']:>6} {row['99%']:>6}{mark}"
                )
                if row["Name"] == "Aggregated":
                    self.stdout.write(f"Requêtes par seconde : {float(row['Requests/s']):.1f}")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        self.stdout.write(
            f"(temps en millisecondes ; objectif : p95 ≤ 200 ms par page ; charge de la machine "
            f"sur 1, 5 et 15 min : {load} pour {os.cpu_count()} cœurs)"
        )
