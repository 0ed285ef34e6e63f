"""The load of `make bench-pages` (Locust, run headless by `manage.py bench_pages` as its own
process: never imported into Django, whose process gevent would monkey-patch).

Three kinds of users share the 50: a big provider (its home, its statements, its dossiers), a
region agent (dashboard, actions, dossiers, runs, the run's page) and a reader of trainees'
pages. Their sessions and the pages' addresses come from REMU_BENCH (JSON) set by the command.
"""

import json
import os
import random

from locust import HttpUser, between, task

BENCH = json.loads(os.environ["REMU_BENCH"])


class Base(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)
    role = ""

    def on_start(self):
        self.client.headers["Cookie"] = f"{BENCH['cookie']}={BENCH['sessions'][self.role]}"

    def page(self, url, name):
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")


class BigProvider(Base):
    role = "provider"
    weight = 2

    @task(3)
    def home(self):
        self.page(BENCH["urls"]["provider_home"], "provider home")

    @task(1)
    def home_page_2(self):
        self.page(BENCH["urls"]["provider_home"] + "?page=2", "provider home, page 2")

    @task(1)
    def statements(self):
        self.page(BENCH["urls"]["statements"], "statements to enter")

    @task(1)
    def dossiers(self):
        self.page(BENCH["urls"]["dossiers"], "dossiers (provider)")


class RegionAgent(Base):
    role = "agent"
    weight = 2

    @task(1)
    def dashboard(self):
        self.page(BENCH["urls"]["agent_dashboard"], "agent dashboard")

    @task(2)
    def actions(self):
        self.page(BENCH["urls"]["actions"], "action list")

    @task(2)
    def dossiers(self):
        self.page(BENCH["urls"]["dossiers"] + "?status=admitted", "dossiers (agent)")

    @task(1)
    def runs(self):
        self.page(BENCH["urls"]["runs"], "runs")

    @task(2)
    def run_detail(self):
        page = random.randint(1, 100)
        self.page(f"{BENCH['urls']['run']}?page={page}", "run detail")


class TraineeReader(Base):
    role = "agent"
    weight = 1

    @task
    def trainee(self):
        self.page(random.choice(BENCH["urls"]["trainees"]), "trainee detail")
