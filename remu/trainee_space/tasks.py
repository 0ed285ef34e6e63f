from datetime import datetime

from django_tasks import task

from . import notifications


@task()
def notify_payments_sent(run_id: int, sent_at: str) -> int:
    """The e-mails of a SEPA export to its trainees (django-tasks: the worker sends them)."""
    return notifications.payments_sent(run_id, datetime.fromisoformat(sent_at))
