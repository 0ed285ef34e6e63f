"""SEPA credit-transfer files (pain.001.001.03) of a run, of any size.

The file is written as a stream (a thousand transactions at a time, never the whole tree nor
a tree per transaction: templates, every text escaped) and validated against the XSD while it
is read back as a stream (libxml2's schema validation, a piece of whole transactions at a
time under the file's own header: `_validate`): no limit on the number of elements, and
validation stays on — a file the bank rejects is worse than a slow one. A region whose bank
caps the transactions per file sets the dated option `sepa_max_transactions_per_file` (none
by default): the run's transfers are then split into several files, each with its own
message id, header and control sum.

The lines written become « sent » (each change logged in `PaymentTransition`); lines whose net
is nil (offset in full) are settled without a transfer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import itertools
import os
import re
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

import sepaxml
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from lxml import etree
from text_unidecode import unidecode

from remu.core import crypto
from remu.core.fields import raw
from remu.scales.selectors import engine

from . import keys, operations
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


class Transfer(NamedTuple):
    """One transfer (a tuple: `write` reads its fields by position)."""

    reference: str
    holder: str
    iban: str
    bic: str
    net: Decimal
    label: str


def sepa_text(value: str, size: int) -> str:
    """The SEPA character set, transliterated (é → e), at most `size` characters."""
    value = value or ""
    if not value.isascii():  # ASCII is its own transliteration: spared the per-character walk
        value = unidecode(value)
    return OUTSIDE_SEPA.sub(" ", value)[:size].strip() or "-"


def max_per_file(region) -> int | None:
    """The region's bank limit of transactions per file (dated option; none by default)."""
    options = engine(region).options(region.parameter_set, timezone.localdate())
    return options.get("sepa_max_transactions_per_file") or None


# -- reading ---------------------------------------------------------------------------------


def lines_to_send(queryset) -> list[tuple]:
    """The lines to send, in reference order: (reference, holder, IBAN token, BIC, net,
    label), read in one go, the IBAN still encrypted."""
    return list(
        queryset.order_by("pk").values_list(
            "reference", "account_holder", raw("iban"), "bic", "net", "label"
        )
    )


def _decrypt(token: str) -> str:
    return crypto.decrypt(token.encode("ascii")).decode()


class Decrypting:
    """The IBANs of these lines (`lines_to_send`), decrypted once per token — a line carries a
    copy of its dossier's token, and a trainee's lines of a run (the month, the entry bonus, a
    regularisation) share it — in the order the lines first name them.

    Decrypting is the largest part of writing the file, and tokens are independent: from
    `FORK_FROM` tokens (and with `fork`, which must come before any thread starts) a child
    process decrypts them, sending the IBANs through a pipe as it goes while this process
    writes the file. Where there is no fork, or for fewer tokens, they are decrypted here as
    they are needed. Iterate once; `close()` stops the child (idempotent)."""

    def __init__(self, rows, *, fork: bool = True):
        self.tokens = list(dict.fromkeys(row[2] for row in rows if row[2]))  # in order
        self.pid = None
        if not fork or len(self.tokens) < FORK_FROM or not hasattr(os, "fork"):
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child decrypts, sends and exits; it touches nothing else
            status = 1
            try:
                os.close(read_end)
                with os.fdopen(write_end, "wb") as out:
                    tokens = self.tokens
                    for start in range(0, len(tokens), BATCH):
                        try:
                            ibans = [_decrypt(token) for token in tokens[start : start + BATCH]]
                        except crypto.InvalidToken:
                            out.write(INVALID)
                            raise
                        if any("\n" in iban for iban in ibans):  # never an IBAN's
                            raise ValueError("saut de ligne dans un IBAN")
                        out.write(("\n".join(ibans) + "\n").encode())
                status = 0
            finally:
                os._exit(status)  # no cleanup of the parent's resources (its database link)
        os.close(write_end)
        self.pid, self.pipe = pid, os.fdopen(read_end, "rb")

    def __iter__(self):
        if self.pid is None:
            for token in self.tokens:
                yield _decrypt(token)
            return
        readline = self.pipe.readline
        for _token in self.tokens:
            line = readline()
            if not line.endswith(b"\n"):
                self.close()
                if line == INVALID:
                    raise crypto.InvalidToken
                raise RuntimeError("le déchiffrement des IBAN a échoué (processus interrompu)")
            yield line[:-1].decode()
        self.close()

    def close(self) -> None:
        if self.pid:
            pid, self.pid = self.pid, None
            self.pipe.close()
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # done already, unless the writing failed
            os.waitpid(pid, 0)


INVALID = b"\0"  # what the decrypting child sends on a token that is not ours
FORK_FROM = 2000  # tokens: below, decrypting here costs less than a process


def transfers(rows, ibans: Decrypting | None = None):
    """The transfers of these lines (`lines_to_send`), their IBANs from `ibans` (decrypted
    here if none). The one place the export reads the trainees' bank details."""
    ibans = iter(Decrypting(rows, fork=False) if ibans is None else ibans)
    known = {"": "", None: ""}
    for reference, holder, token, bic, net, label in rows:
        iban = known.get(token)
        if iban is None:
            iban = known[token] = next(ibans)
        yield Transfer(reference, holder, iban, bic, net, label)


# -- writing ---------------------------------------------------------------------------------

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
    # Each distinct value formatted once: amounts, BICs and labels repeat, and so do holders
    # and IBANs (a trainee's lines of a run).
    amounts, agents, holders, labels, ibans = {}, {"": "", None: ""}, {}, {}, {}
    batch = []
    for reference, holder, iban, bic, net, label in items:
        if (amount := amounts.get(net)) is None:
            amount = amounts[net] = f"{net:.2f}"
        if (agent := agents.get(bic)) is None:
            agent = agents[bic] = f"<CdtrAgt><FinInstnId>{_bic(bic)}</FinInstnId></CdtrAgt>"
        if (name := holders.get(holder)) is None:
            name = holders[holder] = sepa_text(holder, 70)
        if (text := labels.get(label)) is None:
            text = labels[label] = sepa_text(label, 140)
        if (account := ibans.get(iban)) is None:
            account = ibans[iban] = escape(iban)
        if "&" in reference or "<" in reference or ">" in reference:
            reference = escape(reference)
        batch.append(
            f"<CdtTrfTxInf><PmtId><EndToEndId>{reference}</EndToEndId></PmtId>"
            f'<Amt><InstdAmt Ccy="EUR">{amount}</InstdAmt></Amt>{agent}'
            f"<Cdtr><Nm>{name}</Nm></Cdtr><CdtrAcct><Id><IBAN>{account}</IBAN></Id></CdtrAcct>"
            f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></CdtTrfTxInf>"
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
    _validate(io.BytesIO(content))


OPENING, CLOSING = b"<CdtTrfTxInf>", b"</CdtTrfTxInf>"
PIECE = 1 << 20  # bytes of transactions validated at once


def _validate(source) -> None:
    """Validates the document read from the binary stream `source`, a piece at a time.

    The transactions are the bulk of a file and the schema lets them follow one another in
    any number: each piece of whole transactions (cut after a `</CdtTrfTxInf>`) is validated
    as the document made of the file's own header (all before the first `<CdtTrfTxInf>`),
    the piece and the closing tags `write` puts, and the last piece with the file's own end.
    A piece that is not a sequence of whole, valid transactions fails, so the file is valid
    exactly when every piece is. libxml2 parses and validates each one in C, where the
    streaming `iterparse` spent about as long again handing its events to Python. A document
    without that opening tag (not `write`'s, never a run's) is read whole, then validated as a
    stream."""
    header, pending, held, lines = None, b"", b"", 0
    while data := source.read(PIECE):
        pending += data
        if header is None:
            start = pending.find(OPENING)
            if start < 0:
                if len(pending) > PIECE:  # no transaction where `write` puts them
                    _validate_whole(io.BytesIO(pending + source.read()))
                    return
                continue
            header, pending = pending[:start], pending[start:]
            lines = header.count(b"\n")
        end = pending.rfind(CLOSING) + len(CLOSING)
        if end >= len(CLOSING):
            # the piece before is validated now that it is known not to be the last
            if held:
                _validate_piece(header, held, FOOTER.encode(), lines)
                lines += held.count(b"\n")
            held, pending = pending[:end], pending[end:]
    if header is None:
        _validate_whole(io.BytesIO(pending))
    else:
        _validate_piece(header, held, pending, lines)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(schema=schema(), resolve_entities=False, no_network=True)


def _validate_piece(header: bytes, piece: bytes, end: bytes, lines: int) -> None:
    """One piece (the header, transactions, an end), `lines` lines of the file before it."""
    try:
        etree.fromstring(header + piece + end, _parser())
    except etree.XMLSyntaxError as exc:
        raise _fault(header, piece, lines, exc) from exc


def _fault(header: bytes, piece: bytes, lines: int, exc) -> ValidationError:
    """The piece's first fault, found (on failure only) by validating its transactions one
    by one: the message names the transfer at fault (its end-to-end id, the line's reference)
    and, where libxml2 gives one (not for a fault of the schema found while parsing), its
    line in the whole file. A fault outside the transactions: the piece's own message."""
    closing = CLOSING + FOOTER.encode()
    for transfer in piece.split(CLOSING)[:-1]:
        try:
            etree.fromstring(header + transfer + closing, _parser())
        except etree.XMLSyntaxError as fault:
            found = re.search(rb"<EndToEndId>([^<]{1,35})</EndToEndId>", transfer)
            reference = found[1].decode("utf-8", "replace") if found else ""
            line = fault.lineno or 0
            if line > header.count(b"\n") + 1:  # past the header: in the transfer
                line += lines - header.count(b"\n")
            return _invalid(_message(fault), line, reference)
        lines += transfer.count(b"\n")
    return _invalid(_message(exc), 0)


def _message(exc) -> str:
    """libxml2's message, without the « line N: b'…' » wrapping lxml gives some."""
    wrapped = re.fullmatch(r"line \d+: b'(.*)'", exc.msg)
    return wrapped[1] if wrapped else exc.msg


def _validate_whole(source) -> None:
    tag = f"{{{NAMESPACE}}}CdtTrfTxInf"
    try:
        events = etree.iterparse(source, schema=schema(), tag=tag)
        for read, (_event, node) in enumerate(events, start=1):
            if read % BATCH == 0:
                del node.getparent()[:-1]  # the transactions read so far
    except etree.XMLSyntaxError as exc:
        raise _invalid(_message(exc), exc.lineno or 0) from exc


def _invalid(message: str, line: int, transfer: str = "") -> ValidationError:
    where = [f"virement {transfer}"] if transfer else []
    if line:
        where.append(f"ligne {line}")
    return ValidationError(
        f"Le fichier SEPA ne respecte pas le schéma {SCHEMA} : {message.rstrip('. ')}"
        + (f" ({', '.join(where)})" if where else "")
        + "."
    )


class Checked:
    """A binary stream that keeps what is written to it and has it validated meanwhile, by a
    child process (fork) reading it from a pipe as it is written: the validation runs on
    another core instead of after the writing. Where there is no fork, the content is
    validated once written. `content()` waits for the verdict: the file, or the
    ValidationError of its first fault."""

    def __init__(self):
        self.buffer = io.BytesIO()
        self.pid = None
        if not hasattr(os, "fork"):
            return
        schema()  # parsed once, before the fork: the child inherits it
        data_r, data_w = os.pipe()
        verdict_r, verdict_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child validates, answers and exits; it touches nothing else
            status = 1
            try:
                os.close(data_w)
                os.close(verdict_r)
                with os.fdopen(data_r, "rb") as source:
                    try:
                        _validate(source)
                        answer = "OK"
                    except ValidationError as exc:
                        answer = exc.messages[0]
                    while source.read(1 << 20):  # the rest: the writer is never left blocked
                        pass
                with os.fdopen(verdict_w, "wb") as verdict:
                    verdict.write(answer.encode())
                status = 0
            finally:
                os._exit(status)  # no cleanup of the parent's resources (its database link)
        os.close(data_r)
        os.close(verdict_w)
        self.pid, self.pipe, self.verdict = pid, os.fdopen(data_w, "wb"), verdict_r

    def write(self, data: bytes) -> None:
        self.buffer.write(data)
        if self.pid:
            self.pipe.write(data)

    def content(self) -> bytes:
        content = self.buffer.getvalue()
        if not self.pid:
            validate(content)
            return content
        self.pipe.close()
        with os.fdopen(self.verdict, "rb") as verdict:
            answer = verdict.read().decode()
        _pid, status = os.waitpid(self.pid, 0)
        self.pid = None
        if status or not answer:
            raise RuntimeError("la validation du fichier SEPA a échoué (processus interrompu)")
        if answer != "OK":
            raise ValidationError(answer)
        return content

    def close(self) -> None:
        """Stops the child if the writing failed (idempotent)."""
        if self.pid:
            with contextlib.suppress(OSError):
                self.pipe.close()
            with contextlib.suppress(OSError):
                os.close(self.verdict)
            os.waitpid(self.pid, 0)
            self.pid = None


# -- the export ------------------------------------------------------------------------------


SETTLED = "net nul : retenu en entier sur un trop-perçu"


def _replica_move() -> bool:
    """Whether the status change may run with no row trigger (`keys`): the role may, neither
    table has a trigger of its own, and a transition's keys are its line's and its agent's
    only (a key added later to the transitions: the row checks again)."""
    transitions = PaymentTransition._meta.db_table
    return keys.replica_allowed([Payment._meta.db_table, transitions]) and sorted(
        tuple(columns) for _name, columns, *_rest in keys.foreign_keys(transitions)
    ) == [("by_id",), ("payment_id",)]


def _move(cursor, connection, run, user, now, *, replica: bool = False) -> int:
    """The run's pending lines become « sent » (positive net) or « paid » (nil net, settled by
    an offset), each change logged: one UPDATE (in place: no index names the status), one
    INSERT … SELECT of the transitions — on PostgreSQL one statement, the INSERT fed by the
    UPDATE's RETURNING — their foreign keys checked now rather than at commit (this may run
    beside the writing). With `replica` (`_replica_move`), the statement queues no row
    trigger and the keys are checked set-wise: a row check per transition and key was most
    of PostgreSQL's work (2.8 of 4.8 CPU-s for 150,000 lines). The number of lines sent."""
    payments = Payment._meta.db_table
    at = connection.ops.adapt_datetimefield_value(now)  # the caller's connection's `ops`
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    sent, paid = Payment.Status.SENT, Payment.Status.PAID
    update = (
        f"UPDATE {payments} SET status = CASE WHEN net = 0 THEN %s ELSE %s END, sent_at = %s, "
        "paid_on = CASE WHEN net = 0 THEN %s ELSE paid_on END, "
        "mandate_number = CASE WHEN net = 0 THEN %s ELSE mandate_number END "
        "WHERE run_id = %s AND status = %s"
    )
    update_params = [paid, sent, at, today, COMPENSATION, run.pk, Payment.Status.PENDING]
    insert = (
        f"INSERT INTO {PaymentTransition._meta.db_table} "
        "(payment_id, from_status, to_status, by_id, at, reason) "
        "SELECT id, %s, status, %s, %s, CASE WHEN status = %s THEN %s ELSE %s END FROM {lines}"
    )
    insert_params = [Payment.Status.PENDING, user.pk, at, sent, "fichier SEPA", SETTLED]
    if connection.vendor == "postgresql":
        if replica:  # undone with the transaction (or savepoint) should the statement fail
            cursor.execute("SET LOCAL session_replication_role = replica")
        # One statement: the transitions made from the lines the UPDATE returns, rather than
        # read back from the table (each through its chain of versions).
        cursor.execute(
            f"WITH moved AS ({update} RETURNING id, status), "
            f"logged AS ({insert.format(lines='moved')}) "
            "SELECT count(*) FROM moved WHERE status = %s",
            update_params + insert_params + [sent],
        )
        sent_count = cursor.fetchone()[0]
        if replica:
            cursor.execute("SET LOCAL session_replication_role = origin")
            # Each transition's line is a row the UPDATE has just returned and keeps locked
            # until the commit, which is what its row check would ensure; the agent's key is
            # checked, and locked, once.
            keys.check(cursor, {PaymentTransition: [{"payment_id": None, "by_id": user.pk}]})
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the checks, here
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return sent_count
    cursor.execute(update, update_params)
    cursor.execute(
        insert.format(
            lines=f"{payments} WHERE run_id = %s AND sent_at = %s AND status IN (%s, %s)"
        ),
        insert_params + [run.pk, at, sent, paid],
    )
    cursor.execute(
        f"SELECT count(*) FROM {payments} WHERE run_id = %s AND sent_at = %s AND status = %s",
        [run.pk, at, sent],
    )
    return cursor.fetchone()[0]


class Moving:
    """`_move` beside the writing of the file, on PostgreSQL: in a thread, on the request's
    own connection (so in its transaction), which the writing does not use meanwhile — the
    Python side writes while PostgreSQL updates. Elsewhere (SQLite), done at once. `sent()`
    waits for it and gives its result, or raises its error."""

    def __init__(self, run, user, now):
        self.result, self.error, self.thread = None, None, None
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                self.result = _move(cursor, connection, run, user, now)
            return
        connection.ensure_connection()
        # this thread's Django connection (its `ops`, `vendor`) and its psycopg connection
        django_connection = connections[DEFAULT_DB_ALIAS]
        raw_connection = django_connection.connection
        replica = _replica_move()  # read here: the catalogue is read on this thread's link

        def work():
            try:
                with raw_connection.cursor() as cursor:
                    self.result = _move(cursor, django_connection, run, user, now, replica=replica)
            except BaseException as exc:  # handed to the caller
                self.error = exc

        self.thread = threading.Thread(target=work, name="sepa-export-move")
        self.thread.start()

    def sent(self) -> int:
        self.close()
        if self.error is not None:
            raise self.error
        return self.result

    def close(self) -> None:
        """Waits for the thread: nothing else may use the connection before (idempotent)."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None


def _save(files: list[SepaFile]) -> None:
    """The files, stored. On PostgreSQL the (encrypted) content is sent as a binary parameter
    (psycopg's own cursor, server-side binding) rather than spelt out in the SQL text as
    Django's client-side binding does (45 MB become 120 MB of hexadecimal to parse)."""
    if connection.vendor != "postgresql":
        SepaFile.objects.bulk_create(files)
        return
    fields = [f for f in SepaFile._meta.concrete_fields if not f.primary_key]
    sql = (
        f"INSERT INTO {SepaFile._meta.db_table} ({', '.join(f.column for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id"
    )
    with connection.connection.cursor() as cursor:
        for file in files:
            # each field's own preparation: the content encrypted, wrapped as binary
            cursor.execute(
                sql, [f.get_db_prep_save(getattr(file, f.attname), connection) for f in fields]
            )
            file.pk = cursor.fetchone()[0]
            file._state.adding = False


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
    changes nothing. `timings` (the bench) receives the seconds of each step.

    Four things at once on PostgreSQL: the status change (`Moving`: a thread, the database
    working), the decryption of the IBANs (`Decrypting`: a child process), the writing (here)
    and the validation (`Checked`: another child process)."""
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
    # The run's row is locked: of two simultaneous exports, the second sees the first's file;
    # and nothing else moves a pending line, so the lines read here are those `_move` sends.
    locked = PaymentRun.objects.select_for_update().get(pk=run.pk)
    if locked.status in (PaymentRun.Status.QUEUED, PaymentRun.Status.RUNNING):
        # its chunks are still writing lines: the file would leave out those to come
        raise ValidationError(
            "Cette série est en cours de traitement : son fichier SEPA pourra être créé "
            "quand elle sera terminée."
        )
    now = timezone.now()
    lap("lock")
    rows = lines_to_send(run.payments.filter(status=Payment.Status.PENDING, net__gt=0))
    if not rows:
        if done := run.sepa_files.select_related("created_by").first():
            raise ValidationError(
                f"Le fichier SEPA de cette série a déjà été créé par {done.created_by} le "
                f"{timezone.localtime(done.created_at):%d/%m/%Y à %H:%M}."
            )
        raise ValidationError("Aucune ligne en attente à transmettre pour cette série.")
    slices = list(_slices([row[4] for row in rows], max_per_file(region)))
    lap("read")
    debtor = Debtor(region.sepa_debtor_name, region.sepa_debtor_iban, region.sepa_debtor_bic)
    execution = timezone.localdate() + dt.timedelta(days=1)
    contents = []
    # The decrypting child and the first validating one are forked before the thread starts
    # (a fork copies one thread; each child only computes, then leaves by os._exit).
    with contextlib.ExitStack() as children:  # each closed (its child reaped) whatever happens
        ibans = children.enter_context(contextlib.closing(Decrypting(rows)))
        stream = transfers(rows, ibans)
        first = children.enter_context(contextlib.closing(Checked()))
        moving = children.enter_context(contextlib.closing(Moving(run, user, now)))
        for number, (count, total) in enumerate(slices):
            message_id = uuid.uuid4().hex[:35]
            with contextlib.closing(Checked() if number else first) as out:
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
                lap("write")
                contents.append((message_id, out.content(), count, total))
                lap("validate")  # what is left of it once the writing is done
        sent = moving.sent()
        lap("status")  # what is left of the status change once the files are done
    if sent != len(rows):  # never: the run is locked (then the transaction is undone)
        raise RuntimeError(f"{sent} lignes transmises pour {len(rows)} écrites")
    files = [
        SepaFile(
            run=run,
            created_by=user,
            created_at=now,
            message_id=message_id,
            content=content,
            count=count,
            total=total,
        )
        for message_id, content, count, total in contents
    ]
    _save(files)
    lap("save")
    for hook in operations.sent_hooks:  # e.g. the trainees' e-mails (trainee_space), once committed
        transaction.on_commit(lambda hook=hook: hook(run.pk, now))
    return files
