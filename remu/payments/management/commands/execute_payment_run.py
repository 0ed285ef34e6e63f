import os
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
            help="seconds to wait after each chunk (lets a test kill the process mid-run)",
        )

    def handle(self, *args, run_id, chunk, pause, **options):
        def after_chunk(done):
            self.stdout.write(f"{done} dossiers traités", ending="\n")
            self.stdout.flush()
            if pause:
                time.sleep(pause)

        run = services.execute_run(run_id, chunk=chunk, after_chunk=after_chunk)
        self.stdout.write(f"Série {run.pk} : {run.get_status_display()} (pid {os.getpid()})")
