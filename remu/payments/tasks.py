from django_tasks import task

from . import services


@task()
def execute_payment_run(run_id: int) -> int:
    """Background work of a payment run (django-tasks; the worker starts with `make run`)."""
    return services.execute_run(run_id).pk
