"""Retention (issue 14, RULES.md §2): once a trainee's last payment or overpayment activity is
older than the region's `retention_years`, the personal data is erased and the accounting
figures kept (dues, payments, overpayments stay with their amounts). Here, in the top layer,
because it reads trainees, dossiers, payments and overpayments together."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from remu.core.stored_files import delete_on_commit
from remu.dossiers.models import Dossier, SupportingDocument
from remu.overpayments.models import Overpayment, Recovery
from remu.payments.models import Payment
from remu.referential.models import Region
from remu.scales.selectors import engine
from remu.trainee_space.models import BankDetailsChange
from remu.trainees.models import Enrollment, Trainee

ERASED = "ANONYMISÉ"
ERASED_DOCUMENT = "pièce supprimée (durée de conservation échue)"


@dataclass
class Outcome:
    anonymised: int = 0
    kept: int = 0  # expired but protected: training in progress or open claim


def retention_years(region: Region, day: dt.date) -> int:
    """The region's dated option `retention_years`."""
    options = engine(region).options(region.parameter_set, day)
    return options["retention_years"]  # a dated option of every set (national.yaml)


def limit_day(region: Region, day: dt.date) -> dt.date:
    years = retention_years(region, day)
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def last_activity(trainee: Trainee) -> dt.date:
    """The last day something happened to the trainee's money: a payment line (ordered, paid,
    rejected), an overpayment detected or recovered; the trainee's creation without any."""
    days = [timezone.localdate(trainee.created_at)]
    pay = Payment.objects.filter(enrollment__trainee=trainee).aggregate(
        created=Max("created_at"), paid=Max("paid_on"), rejected=Max("rejected_on")
    )
    claims = Overpayment.objects.filter(trainee=trainee).aggregate(detected=Max("detected_at"))
    recovered = Recovery.objects.filter(overpayment__trainee=trainee).aggregate(on=Max("on"))
    for value in (pay["created"], claims["detected"]):
        if value is not None:
            days.append(timezone.localdate(value))
    days += [d for d in (pay["paid"], pay["rejected"], recovered["on"]) if d is not None]
    return max(days)


def is_protected(trainee: Trainee) -> bool:
    """Never anonymised: a training in progress, or a claim still owed."""
    active = Enrollment.objects.filter(trainee=trainee, status=Enrollment.Status.ACTIVE).exists()
    return active or Overpayment.objects.filter(trainee=trainee, remaining__gt=0).exists()


def anonymise_expired(day: dt.date, *, dry_run: bool = False) -> Outcome:
    """Anonymises every expired trainee of every region (one transaction each); with
    `dry_run`, only counts."""
    outcome = Outcome()
    for region in Region.objects.order_by("code"):
        limit = limit_day(region, day)
        candidates = Trainee.objects.filter(
            region=region, anonymised_at__isnull=True, created_at__date__lt=limit
        ).order_by("pk")
        for trainee in candidates.iterator():
            if last_activity(trainee) >= limit:
                continue
            if is_protected(trainee):
                outcome.kept += 1
            elif dry_run or anonymise(trainee.pk, limit):
                outcome.anonymised += 1
    return outcome


def anonymise(trainee_pk: int, limit: dt.date) -> bool:
    """Erases one trainee's personal data; re-checked under the row lock (an enrollment or a
    claim may have appeared since). The files are deleted once the rows are committed."""
    with transaction.atomic():
        trainee = Trainee.objects.select_for_update().get(pk=trainee_pk)
        if trainee.anonymised_at or is_protected(trainee) or last_activity(trainee) >= limit:
            return False
        trainee.birth_name, trainee.usage_name, trainee.first_names = ERASED, "", ERASED
        trainee.birth_date = trainee.birth_date.replace(month=1, day=1)  # the age stays
        trainee.birth_commune, trainee.birth_place = None, ""
        trainee.nir = ""  # blank is allowed and outside the unique (region, nir) constraint
        trainee.email, trainee.phone = "", ""
        trainee.address_line1, trainee.address_line2 = "", ""
        trainee.postal_code, trainee.commune = "", None
        trainee.anonymised_at = timezone.now()
        # The change history held the identity and bank details too: erased with them (the
        # anonymised state saved below becomes the only version).
        trainee.history.all().delete()
        Dossier.history.filter(enrollment__trainee_id=trainee.pk).delete()
        trainee.save()
        Dossier.objects.filter(enrollment__trainee=trainee).update(
            account_holder="", iban="", bic=""
        )
        Payment.objects.filter(enrollment__trainee=trainee).update(
            account_holder=ERASED, iban="", bic=""
        )
        documents = SupportingDocument.objects.filter(dossier__enrollment__trainee=trainee)
        files = list(documents.values_list("file", flat=True))
        documents.update(file="", original_name=ERASED_DOCUMENT)
        changes = BankDetailsChange.objects.filter(trainee=trainee)
        files += changes.values_list("document", flat=True)
        changes.update(
            account_holder=ERASED, iban="", bic="", document="", document_name=ERASED_DOCUMENT
        )
        delete_on_commit(SupportingDocument._meta.get_field("file").storage, files)
    return True
