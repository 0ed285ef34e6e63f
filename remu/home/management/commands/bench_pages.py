"""`make bench-pages`: the pages at 50 concurrent users on the bench-payments data (100,000
trainees of one region, a big provider of 4,000 actions, the month's run and its SEPA file).

Builds the data (`bench_payments --keep`) unless it is there, starts the web server as in
production (gunicorn, 2 x cores + 1 sync workers, persistent database connections, DEBUG off;
two-factor login off for the bench's sessions), prints each page alone (median of 5), runs
Locust headless as a separate process (scripts/locustfile.py: never imported here), prints
p50/p95/p99 per page and the requests per second with the machine's core count, and the CPU
that the server's processes, Locust and this database's PostgreSQL backends used meanwhile
(read from /proc: `remu.core.cpu`) beside the machine's, so that a p95 over the target on a
small machine shows whether the cores were the bottleneck; then stops the server and deletes
the data (unless --keep). Meant for PostgreSQL (DATABASE_URL)."""

import csv
import json
import os
import random
import resource
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
from django.db import connection
from django.urls import reverse

from remu.accounts.models import ProviderMembership, User
from remu.audit.models import AccessEvent
from remu.core import cpu
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
        parser.add_argument(
            "--workers",
            type=int,
            default=2 * (os.cpu_count() or 1) + 1,
            help="gunicorn's worker processes (default: 2 x cores + 1)",
        )
        parser.add_argument("--keep", action="store_true", help="keep the data afterwards")

    def handle(self, *args, count, users, seconds, port, workers, keep, **options):
        if not Region.objects.filter(code="bench-payments").exists():
            subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "bench_payments",
                    str(count),
                    "--keep",
                    "--workers",
                    "1",
                ],
                check=True,
            )
        # What autovacuum does after a bulk load in production: the planner's statistics and
        # the visibility map (index-only scans) of the data just built.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")
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
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url and "CONN_MAX_AGE" not in database_url:
            # Persistent connections, as in production: one backend per worker for the run.
            database_url += ("&" if "?" in database_url else "?") + "CONN_MAX_AGE=600"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            # The settings the data was built with (its encryption keys); DEBUG off below.
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "remu.settings.dev"),
            "DEBUG": "false",
            "TWO_FACTOR_LOGIN": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [
                str(gunicorn),
                "remu.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "300",
                "--backlog",
                "2048",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait(host)
            self._one_user(host, bench, workers)
            with tempfile.TemporaryDirectory() as tmp:
                locust = Path(sys.executable).with_name("locust")
                before = self._cpu(server.pid)
                children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.monotonic()
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
                elapsed = time.monotonic() - started
                after = self._cpu(server.pid)
                # Locust is the one child reaped meanwhile: its CPU, all threads.
                children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
                locust_seconds = (children_after.ru_utime + children_after.ru_stime) - (
                    children_before.ru_utime + children_before.ru_stime
                )
                self._report(Path(tmp) / "stats_stats.csv", users, seconds, workers)
                self._report_cpu(before, after, locust_seconds, elapsed)
        finally:
            server.terminate()
            server.wait(timeout=60)
            if not keep:
                from remu.payments.management.commands.bench_payments import Command as Payments

                # the trainee pages the bench viewed logged who saw them: the bench's own rows
                # (the log protects its users, so they go first)
                AccessEvent.objects.filter(region=region).delete()
                reader.delete()
                Payments()._clean(region)

    def _one_user(self, host, bench, workers: int):
        """Each page alone, five times (the median): what a page costs without the crowd. Each
        page is first asked twice per worker, untimed: a worker's first request of a page
        loads its templates and code (provider home: 272 ms cold, 36 ms warm)."""
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
            for attempt in range(2 * workers + 5):
                start = time.perf_counter()
                with urllib.request.urlopen(request, timeout=120) as response:
                    response.read()
                if attempt >= 2 * workers:
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

    def _cpu(self, server_pid) -> dict:
        """CPU seconds so far: the server (gunicorn's master, its workers, those it reaped),
        this database's PostgreSQL backends (by process id: the database runs on this machine)
        and the whole machine."""
        backends = {}
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                backends = {pid: cpu.cpu_seconds(pid) for (pid,) in cursor.fetchall()}
        busy, total = cpu.machine_seconds()
        return {
            "server": cpu.tree_seconds(server_pid),
            "backends": backends,
            "busy": busy,
            "total": total,
        }

    def _report_cpu(self, before, after, locust_seconds, elapsed):
        """Each one's CPU during the load, in cores (CPU seconds / elapsed seconds), beside the
        machine's capacity: where the p95 misses the target, the cores were the bottleneck if
        the machine was busy nearly all of its capacity."""
        cores = os.cpu_count() or 1
        database = sum(
            seconds - before["backends"].get(pid, 0.0)  # a backend opened meanwhile: all of it
            for pid, seconds in after["backends"].items()
        )
        server = after["server"] - before["server"]
        busy = after["busy"] - before["busy"]
        capacity = after["total"] - before["total"]
        others = max(0.0, busy - server - locust_seconds - database)
        self.stdout.write(
            f"Processeur pendant la charge ({elapsed:.0f} s, {cores} cœurs ; en cœurs occupés "
            f"en moyenne, secondes CPU / secondes écoulées) :"
        )
        for label, seconds in [
            ("serveur (gunicorn)", server),
            ("Locust", locust_seconds),
            ("PostgreSQL (cette base)", database),
            ("autres processus", others),
        ]:
            self.stdout.write(f"  {label:<26} {seconds / elapsed:>5.2f}")
        self.stdout.write(
            f"  {'machine occupée':<26} {busy / elapsed:>5.2f} sur {cores} "
            f"({100 * busy / capacity if capacity else 0:.0f} % de sa capacité)"
        )

    def _report(self, path, users, seconds, workers):
        self.stdout.write(
            f"{users} utilisateurs simultanés pendant {seconds} s ; {os.cpu_count()} cœurs "
            f"(serveur gunicorn de {workers} processus, base et Locust sur la même machine)"
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
