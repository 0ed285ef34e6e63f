"""E-mails to trainees, sent from the places that already notify (a SEPA export sending
payments, an agent asking for documents, an order to repay), through the hooks those lower
apps offer; registered in `TraineeSpaceConfig.ready()`. Each one respects the trainee's
preferences (`NotificationPreferences`, all on by default) and needs an address."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from remu.payments.models import Payment
from remu.trainees.models import Trainee

from .models import NotificationPreferences


def _address(trainee: Trainee) -> str:
    if trainee.anonymised_at is not None:
        return ""
    if trainee.email:
        return trainee.email
    return trainee.user.email if trainee.user_id and trainee.user else ""


def _wants(trainee: Trainee, what: str) -> bool:
    preferences = NotificationPreferences.objects.filter(trainee=trainee).first()
    return preferences is None or getattr(preferences, what)


def _send(trainee: Trainee, what: str, subject: str, template: str, context: dict) -> bool:
    address = _address(trainee)
    if not address or not _wants(trainee, what):
        return False
    context = {
        "trainee": trainee,
        "region": trainee.region,
        "url": settings.SITE_URL + reverse("trainee_space:home"),
        "preferences_url": settings.SITE_URL + reverse("trainee_space:notifications"),
        **context,
    }
    send_mail(
        subject=subject,
        message=render_to_string(template, context),
        from_email=None,
        recipient_list=[address],
    )
    return True


def queue_payments_sent(run_id: int, sent_at) -> None:
    from .tasks import notify_payments_sent

    notify_payments_sent.enqueue(run_id, sent_at.isoformat())


def payments_sent(run_id: int, sent_at) -> int:
    """After a SEPA export: one e-mail per trainee with the lines sent to the paymaster (not
    those settled without a transfer, their net offset in full)."""
    by_trainee: dict[int, list[Payment]] = {}
    for payment in (
        Payment.objects.filter(run_id=run_id, sent_at=sent_at, status=Payment.Status.SENT)
        .select_related("enrollment__trainee__region", "enrollment__trainee__user")
        .order_by("month", "pk")
    ):
        by_trainee.setdefault(payment.enrollment.trainee_id, []).append(payment)
    sent = 0
    for lines in by_trainee.values():
        trainee = lines[0].enrollment.trainee
        sent += _send(
            trainee,
            "payment_sent",
            "Remu – un paiement vous a été envoyé",
            "trainee_space/emails/payment_sent.txt",
            {"payments": lines},
        )
    return sent


def documents_requested(dossier, asked) -> bool:
    trainee = dossier.enrollment.trainee
    return _send(
        trainee,
        "document_requested",
        f"Remu – pièces demandées pour votre dossier {dossier.number}",
        "trainee_space/emails/document_requested.txt",
        {"dossier": dossier, "asked": asked},
    )


def overpayment_notified(overpayment) -> bool:
    return _send(
        overpayment.trainee,
        "overpayment_notified",
        f"Remu – somme à rembourser ({overpayment.notice_number})",
        "trainee_space/emails/overpayment_notified.txt",
        {
            "overpayment": overpayment,
            "detail_url": settings.SITE_URL
            + reverse("trainee_space:overpayment", args=[overpayment.pk]),
        },
    )


def register() -> None:
    from remu.dossiers import services as dossiers
    from remu.overpayments import services as overpayments
    from remu.payments import operations

    for hooks, hook in (
        (operations.sent_hooks, queue_payments_sent),
        (dossiers.document_request_hooks, documents_requested),
        (overpayments.notified_hooks, overpayment_notified),
    ):
        if hook not in hooks:
            hooks.append(hook)
