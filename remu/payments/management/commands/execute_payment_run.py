import os
import sys
import time

from django.core.management.base import BaseCommand

from remu.payments import services


class Command(BaseCommand):
    help = "Works a queued payment run through (what the task worker does), in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int)
        parser.add_argument("--chunk", type=int, default=services.CHUNK)
        parser.add_argument(
            "--pause",
            type=float,
            default=0.0,
            help="seconds to wait after each chunk of this process, not of its forked helpers "
            "(lets a test kill the process mid-run; with PAYMENT_RUN_PROCESSES=1)",
        )
        parser.add_argument(
            "--when-told",
            action="store_true",
            help="loaded, print « prêt » and wait for a line on stdin before working (a resident "
            "db_worker: the bench times the run, not the processes' start-up)",
        )

    def handle(self, *args, run_id, chunk, pause, when_told, **options):
        def after_chunk(done):
            self.stdout.write(f"{done} dossiers traités", ending="\n")
            self.stdout.flush()
            if pause:
                time.sleep(pause)

        if when_told:
            self.stdout.write("prêt")
            self.stdout.flush()
            sys.stdin.readline()
        run = services.execute_run(run_id, chunk=chunk, after_chunk=after_chunk)
        self.stdout.write(f"Série {run.pk} : {run.get_status_display()} (pid {os.getpid()})")
