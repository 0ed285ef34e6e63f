from django.conf import settings
from django_tasks import task

from . import services


@task()
def execute_payment_run(run_id: int) -> int:
    """Background work of a payment run (django-tasks; the worker starts with `make run`)."""
    return services.execute_run(run_id).pk


def enqueue_run(run, workers: int | None = None) -> None:
    """Queues a run's work as `workers` tasks (setting PAYMENT_RUN_WORKERS, 1 by default): as
    many `db_worker` processes share its chunks. A preview is one task (one worker)."""
    if workers is None:
        workers = getattr(settings, "PAYMENT_RUN_WORKERS", 1)
    for _ in range(1 if run.is_preview else max(1, workers)):
        execute_payment_run.enqueue(run.pk)
