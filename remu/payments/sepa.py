"""SEPA credit-transfer files (pain.001.001.03) of a run, of any size.

The file is written as a stream (a thousand transactions at a time, never the whole tree nor
a tree per transaction: templates, every text escaped) and validated against the XSD while it
is read back as a stream (libxml2's schema validation under `iterparse`, the transactions
dropped a thousand at a time once read): no limit on the number of elements, and validation
stays on — a file the bank rejects is worse than a
slow one. A region whose bank caps the transactions per file sets the dated option
`sepa_max_transactions_per_file` (none by default): the run's transfers are then split into
several files, each with its own message id, header and control sum.

The lines written become « sent » (each change logged in `PaymentTransition`); lines whose net
is nil (offset in full) are settled without a transfer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import itertools
import re
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import sepaxml
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from lxml import etree
from text_unidecode import unidecode

from remu.scales.selectors import engine

from . import operations
from .duties import check_sepa_export
from .models import Payment, PaymentRun, PaymentTransition, SepaFile

SCHEMA = "pain.001.001.03"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"
XSD = Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"
COMPENSATION = "COMPENSATION"  # the mandate of a line settled by an offset in full
# The SEPA character set (EPC guidelines: Latin letters, digits and / - ? : ( ) . , ' + space);
# anything else becomes a space once transliterated.
OUTSIDE_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
ROWS_PER_FETCH = 5000


@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str
    bic: str


@dataclass(frozen=True)
class Transfer:
    reference: str
    holder: str
    iban: str
    bic: str
    net: Decimal
    label: str


def sepa_text(value: str, size: int) -> str:
    """The SEPA character set, transliterated (é → e), at most `size` characters."""
    return OUTSIDE_SEPA.sub(" ", unidecode(value or ""))[:size].strip() or "-"


def max_per_file(region) -> int | None:
    """The region's bank limit of transactions per file (dated option; none by default)."""
    options = engine(region).options(region.parameter_set, timezone.localdate())
    return options.get("sepa_max_transactions_per_file") or None


# -- reading ---------------------------------------------------------------------------------


def transfers(queryset):
    """The transfers of these payment lines, in reference order, fetched a few thousand at a
    time. The one place the export reads the trainees' bank details."""
    rows = queryset.order_by("pk").values_list(
        "reference", "account_holder", "iban", "bic", "net", "label"
    )
    for reference, holder, iban, bic, net, label in rows.iterator(chunk_size=ROWS_PER_FETCH):
        yield Transfer(reference, holder, iban, bic, net, label)


# -- writing ---------------------------------------------------------------------------------

TRANSACTION = (
    "<CdtTrfTxInf><PmtId><EndToEndId>{reference}</EndToEndId></PmtId>"
    '<Amt><InstdAmt Ccy="EUR">{net:.2f}</InstdAmt></Amt>{agent}'
    "<Cdtr><Nm>{holder}</Nm></Cdtr><CdtrAcct><Id><IBAN>{iban}</IBAN></Id></CdtrAcct>"
    "<RmtInf><Ustrd>{label}</Ustrd></RmtInf></CdtTrfTxInf>"
)
HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{namespace}">'
    "<CstmrCdtTrfInitn><GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>{created}</CreDtTm>"
    "<NbOfTxs>{count}</NbOfTxs><CtrlSum>{total:.2f}</CtrlSum><InitgPty><Nm>{name}</Nm>"
    "</InitgPty></GrpHdr><PmtInf><PmtInfId>{message_id}</PmtInfId><PmtMtd>TRF</PmtMtd>"
    "<BtchBookg>true</BtchBookg><NbOfTxs>{count}</NbOfTxs><CtrlSum>{total:.2f}</CtrlSum>"
    "<PmtTpInf><SvcLvl><Cd>SEPA</Cd></SvcLvl></PmtTpInf><ReqdExctnDt>{execution}</ReqdExctnDt>"
    "<Dbtr><Nm>{name}</Nm></Dbtr><DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct>"
    "<DbtrAgt><FinInstnId>{bic}</FinInstnId></DbtrAgt><ChrgBr>SLEV</ChrgBr>"
)
FOOTER = "</PmtInf></CstmrCdtTrfInitn></Document>\n"
BATCH = 1000  # transactions encoded and written at once


def _bic(bic: str) -> str:
    return f"<BIC>{escape(bic)}</BIC>" if bic else ""


def write(
    out,
    *,
    message_id: str,
    debtor: Debtor,
    execution: dt.date,
    items,
    count: int,
    total: Decimal,
    created: dt.datetime,
) -> None:
    """Writes one pain.001.001.03 document of `count` transfers (summing to `total`) to the
    binary stream `out`, a thousand transactions at a time (never the whole document). Every
    text is escaped; names and labels are in the SEPA character set (`sepa_text`), which has
    no character XML escapes."""
    name = sepa_text(debtor.name, 70)
    header = HEADER.format(
        namespace=NAMESPACE,
        message_id=escape(message_id),
        created=created.strftime("%Y-%m-%dT%H:%M:%S"),
        count=count,
        total=total,
        name=name,
        execution=execution.isoformat(),
        iban=escape(debtor.iban),
        bic=_bic(debtor.bic),
    )
    out.write(header.encode())
    written = 0
    text = functools.lru_cache(maxsize=4096)(sepa_text)  # labels repeat: « Rémunération de… »
    batch = []
    for transfer in items:
        batch.append(
            TRANSACTION.format(
                reference=escape(transfer.reference),
                net=transfer.net,
                agent=f"<CdtrAgt><FinInstnId>{_bic(transfer.bic)}</FinInstnId></CdtrAgt>"
                if transfer.bic
                else "",
                holder=sepa_text(transfer.holder, 70),
                iban=escape(transfer.iban),
                label=text(transfer.label, 140),
            )
        )
        written += 1
        if len(batch) == BATCH:
            out.write("".join(batch).encode())
            batch = []
    out.write("".join(batch).encode())
    if written != count:  # the header would lie: never write such a file
        raise ValueError(f"{written} transfers written, {count} announced")
    out.write(FOOTER.encode())


# -- validating ------------------------------------------------------------------------------


@functools.cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def validate(content: bytes) -> None:
    """Validates a file against the pain.001.001.03 schema as a stream (each transaction
    dropped once read): any size. A French ValidationError names the first fault."""
    tag = f"{{{NAMESPACE}}}CdtTrfTxInf"
    try:
        events = etree.iterparse(io.BytesIO(content), schema=schema(), tag=tag)
        for read, (_event, node) in enumerate(events, start=1):
            if read % BATCH == 0:
                del node.getparent()[:-1]  # the transactions read so far
    except etree.XMLSyntaxError as exc:
        raise ValidationError(
            f"Le fichier SEPA ne respecte pas le schéma {SCHEMA} : {exc.msg} (ligne {exc.lineno})."
        ) from exc


# -- the export ------------------------------------------------------------------------------


def _log(run, user, now, from_status: str, to_status: str, reason: str) -> None:
    """One transition per line the export just changed (a single INSERT … SELECT)."""
    table = PaymentTransition._meta.db_table
    payments = Payment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (payment_id, from_status, to_status, by_id, at, reason) "
            f"SELECT id, %s, %s, %s, %s, %s FROM {payments} "
            f"WHERE run_id = %s AND status = %s AND sent_at = %s",
            [
                from_status,
                to_status,
                user.pk,
                connection.ops.adapt_datetimefield_value(now),
                reason,
                run.pk,
                to_status,
                connection.ops.adapt_datetimefield_value(now),
            ],
        )


def _slices(nets: list[Decimal], size: int | None):
    """(count, total) of each file: all in one, or `size` transfers a file."""
    size = size or len(nets)
    for start in range(0, len(nets), size):
        part = nets[start : start + size]
        yield len(part), sum(part, Decimal(0))


@transaction.atomic
def export_run(run, user, *, timings: dict | None = None) -> list[SepaFile]:
    """The run's SEPA file(s): its pending lines with a positive net, which become « sent »;
    the nil ones are settled (« paid », mandate COMPENSATION). All or nothing: an invalid file
    changes nothing. `timings` (the bench) receives the seconds of each step."""
    timings = {} if timings is None else timings
    clock = time.perf_counter()

    def lap(step):
        nonlocal clock
        now = time.perf_counter()
        timings[step] = timings.get(step, 0) + now - clock
        clock = now

    region = run.region
    if not (region.sepa_debtor_name and region.sepa_debtor_iban):
        raise ValidationError("Renseignez le compte payeur de la Région (titulaire et IBAN).")
    check_sepa_export(run, user)
    # The run's row is locked: of two simultaneous exports, the second sees the first's file.
    PaymentRun.objects.select_for_update().filter(pk=run.pk).first()
    now = timezone.now()
    pending = run.payments.filter(status=Payment.Status.PENDING)
    sent = pending.filter(net__gt=0).update(status=Payment.Status.SENT, sent_at=now)
    if not sent:
        if done := run.sepa_files.select_related("created_by").first():
            raise ValidationError(
                f"Le fichier SEPA de cette série a déjà été créé par {done.created_by} le "
                f"{timezone.localtime(done.created_at):%d/%m/%Y à %H:%M}."
            )
        raise ValidationError("Aucune ligne en attente à transmettre pour cette série.")
    pending.filter(net=0).update(
        status=Payment.Status.PAID,
        sent_at=now,
        paid_on=timezone.localdate(),
        mandate_number=COMPENSATION,
    )
    _log(run, user, now, "pending", "sent", "fichier SEPA")
    _log(run, user, now, "pending", "paid", "net nul : retenu en entier sur un trop-perçu")
    lines = run.payments.filter(status=Payment.Status.SENT, sent_at=now)
    size = max_per_file(region)
    if size:
        slices = list(_slices(list(lines.order_by("pk").values_list("net", flat=True)), size))
    else:
        slices = [(sent, lines.aggregate(total=Sum("net"))["total"])]
    lap("database")
    debtor = Debtor(region.sepa_debtor_name, region.sepa_debtor_iban, region.sepa_debtor_bic)
    execution = timezone.localdate() + dt.timedelta(days=1)
    files = []
    # the server-side cursor is closed inside the transaction, whatever happens
    with contextlib.closing(transfers(lines)) as stream:
        for count, total in slices:
            message_id = uuid.uuid4().hex[:35]
            out = io.BytesIO()
            write(
                out,
                message_id=message_id,
                debtor=debtor,
                execution=execution,
                items=itertools.islice(stream, count),
                count=count,
                total=total,
                created=timezone.localtime(now),
            )
            content = out.getvalue()
            lap("write")
            validate(content)
            lap("validate")
            files.append(
                SepaFile(
                    run=run,
                    created_by=user,
                    created_at=now,
                    message_id=message_id,
                    content=content,
                    count=count,
                    total=total,
                )
            )
    files = SepaFile.objects.bulk_create(files)
    lap("database")
    for hook in operations.sent_hooks:  # e.g. the trainees' e-mails (trainee_space), once committed
        transaction.on_commit(lambda hook=hook: hook(run.pk, now))
    return files
