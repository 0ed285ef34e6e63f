"""SEPA files of any size (remu/payments/sepa.py): streamed, validated against the XSD as a
stream, split where the region's bank caps the transactions per file, all or nothing."""

import contextlib
import datetime as dt
import io
import itertools
import re
import time
from decimal import Decimal

import pytest
import xmlschema
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from lxml import etree

from remu.core import crypto
from remu.payments import sepa, services
from remu.payments.models import PaymentRun, PaymentTransition
from remu.rules.parameters import ParameterError, _validate_options

from . import factories as f


def transfers(count):
    for i in range(count):
        yield sepa.Transfer(
            reference=f"REMU{i:020d}",
            holder="Léa Ørsted-Müller & fils",
            iban="FR7630006000011234567890189",
            bic="BNPAFRPP" if i % 2 else "",
            net=Decimal("743.84"),
            label="Rémunération de mars 2026 — « stage »",
        )


def written(count, announced=None) -> bytes:
    out = io.BytesIO()
    sepa.write(
        out,
        message_id="M1",
        debtor=sepa.Debtor("Région Centre-Val de Loire", "FR7610011000201234567890188", ""),
        execution=dt.date(2026, 4, 2),
        items=transfers(count),
        count=count if announced is None else announced,
        total=Decimal("743.84") * count,
        created=dt.datetime(2026, 4, 1, 10, 0),
    )
    return out.getvalue()


def test_a_streamed_file_is_valid_and_its_sums_hold():
    content = written(3000)
    sepa.validate(content)  # the streaming validation
    # and the reference validator of the library the project used before agrees
    xmlschema.XMLSchema(str(sepa.XSD)).validate(content.decode())
    root = etree.fromstring(content)
    ns = {"p": sepa.NAMESPACE}
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "3000"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "2231520.00"
    assert len(root.findall(".//p:CdtTrfTxInf", namespaces=ns)) == 3000
    # names and labels in the SEPA character set
    assert root.findtext(".//p:Cdtr/p:Nm", namespaces=ns) == "Lea Orsted-Muller   fils"
    assert b"\xc3" not in content


def test_a_file_whose_header_would_lie_is_never_written():
    with pytest.raises(ValueError):
        written(3, announced=4)  # announced 4, given 3


def test_an_invalid_file_is_refused_in_french():
    content = written(2).replace(b"FR7630006000011234567890189", b"pas un IBAN", 1)
    with pytest.raises(ValidationError, match="ne respecte pas le schéma pain.001.001.03"):
        sepa.validate(content)


def test_the_option_of_transactions_per_file_is_checked():
    with pytest.raises(ParameterError, match="sepa_max_transactions_per_file"):
        _validate_options({"sepa_max_transactions_per_file": 0}, "x")
    _validate_options({"sepa_max_transactions_per_file": 5000}, "x")


@pytest.fixture
def ordered_run(pay_world):
    region = pay_world["region"]
    region.sepa_debtor_name = "Région Centre-Val de Loire"
    region.sepa_debtor_iban = "FR7610011000201234567890188"
    region.save()
    run = services.start_run(
        region, PaymentRun.Kind.MONTHLY, dt.date(2026, 3, 1), pay_world["agent"]
    )
    run = services.execute_run(run.pk)
    assert run.payments.count() == 2
    return run, f.AgentFactory(region=region)


def test_the_export_splits_files_at_the_banks_limit(ordered_run, monkeypatch):
    run, agent = ordered_run
    monkeypatch.setattr(sepa, "max_per_file", lambda region: 1)
    files = sepa.export_run(run, agent)
    assert [f.count for f in files] == [1, 1]
    assert sum(f.total for f in files) == Decimal("943.84")
    assert len({f.message_id for f in files}) == 2
    for file in files:
        sepa.validate(bytes(file.content))
    assert set(run.payments.values_list("status", flat=True)) == {"sent"}
    assert all(p.transitions.get().by == agent for p in run.payments.all())
    with pytest.raises(ValidationError, match="déjà été créé par"):
        sepa.export_run(run, agent)


def test_an_invalid_file_changes_nothing(ordered_run):
    run, agent = ordered_run
    run.payments.update(iban="XX00 pas un iban")
    with pytest.raises(ValidationError, match="schéma"):
        sepa.export_run(run, agent)
    assert set(run.payments.values_list("status", flat=True)) == {"pending"}
    assert not run.sepa_files.exists()
    assert not PaymentTransition.objects.exists()


def test_a_file_whose_header_would_lie_leaves_no_validator_behind():
    out = sepa.Checked()
    with pytest.raises(ValueError), contextlib.closing(out):
        sepa.write(
            out,
            message_id="M1",
            debtor=sepa.Debtor("Région", "FR7610011000201234567890188", ""),
            execution=dt.date(2026, 4, 2),
            items=transfers(3),
            count=4,
            total=Decimal("743.84") * 4,
            created=dt.datetime(2026, 4, 1, 10, 0),
        )
    assert out.pid is None  # the child was waited for


def test_a_validating_child_finds_the_first_fault():
    out = sepa.Checked()
    with contextlib.closing(out):
        out.write(written(2000).replace(b"FR7630006000011234567890189", b"pas un IBAN", 1))
        with pytest.raises(ValidationError, match="ne respecte pas le schéma.*IBAN"):
            out.content()


@pytest.mark.parametrize("where", [10, 1500, 2999])
def test_a_fault_in_any_piece_is_found_and_placed(monkeypatch, where):
    """Validated a piece at a time (a few transactions each here): a fault in the first, a
    middle or the last piece is found, and the message names the transfer at fault (libxml2
    gives no line for a fault of the schema) — or the line in the whole file, for a fault of
    the XML itself."""
    monkeypatch.setattr(sepa, "PIECE", 4096)
    good = written(3000)
    sepa.validate(good)
    opening = [m.start() for m in re.finditer(b"<CdtTrfTxInf>", good)][where]
    bad = good[:opening] + good[opening:].replace(b"743.84", b"7 43.84", 1)
    bad = bad.replace(b"<CdtTrfTxInf>", b"\n<CdtTrfTxInf>")  # a line per transaction
    with pytest.raises(ValidationError, match=rf"InstdAmt.*\(virement REMU{where:020d}\)"):
        sepa.validate(bad)
    opening = [m.start() for m in re.finditer(b"<CdtTrfTxInf>", good)][where]
    broken = good[:opening] + good[opening:].replace(b"<Cdtr>", b"<Cdtr><", 1)
    broken = broken.replace(b"<CdtTrfTxInf>", b"\n<CdtTrfTxInf>")
    with pytest.raises(
        ValidationError, match=rf": StartTag: invalid element name.*, ligne {where + 3}\)"
    ):
        sepa.validate(broken)
    sepa.validate(good.replace(b"<CdtTrfTxInf>", b"\n<CdtTrfTxInf>"))


@pytest.mark.parametrize(
    "fault",
    [
        lambda good: good[:-20],  # cut short
        lambda good: good.replace(b"</CdtTrfTxInf>", b"</CdtTrfTxInf><!-- ", 1),  # open comment
        lambda good: good.replace(b"</PmtInf>", b"<Autre/></PmtInf>"),  # after the last one
        lambda good: good.replace(b"<CdtTrfTxInf>", b"", 1),  # a transaction left open
        lambda good: good.replace(b"</CdtTrfTxInf>", b"", 1),  # one never closed
    ],
)
def test_what_the_pieces_cannot_be_cut_into_is_still_refused(monkeypatch, fault):
    monkeypatch.setattr(sepa, "PIECE", 4096)
    with pytest.raises(ValidationError, match="ne respecte pas le schéma"):
        sepa.validate(fault(written(300)))


def test_a_file_not_cut_as_write_cuts_it_is_validated_whole(monkeypatch):
    monkeypatch.setattr(sepa, "PIECE", 4096)
    other = written(300).replace(b"<CdtTrfTxInf>", b"<CdtTrfTxInf >")  # no piece found
    sepa.validate(other)
    with pytest.raises(ValidationError, match="InstdAmt"):
        sepa.validate(other.replace(b"743.84", b"-1", 1))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's replica mode")
def test_the_export_checks_the_transitions_keys_set_wise(ordered_run, monkeypatch):
    """The status change queues no row trigger (the role may, as the test database's does),
    its keys checked once; the connection is back in its ordinary mode afterwards. A key
    added to the transitions would bring back the row checks."""
    run, agent = ordered_run
    assert sepa._replica_move()
    sepa.export_run(run, agent)
    assert PaymentTransition.objects.filter(by=agent, to_status="sent").count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
    keys = sepa.keys.foreign_keys(PaymentTransition._meta.db_table)
    extra = ("other_fk", ["run_id"], "payments_paymentrun", ["id"], ["bigint"], "s")
    monkeypatch.setattr(sepa.keys, "foreign_keys", lambda table: [*keys, extra])
    assert not sepa._replica_move()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's replica mode")
def test_the_agent_of_the_transitions_is_still_checked(ordered_run):
    run, agent = ordered_run
    agent_pk = agent.pk
    agent.pk = 10**9  # an agent no longer there
    with pytest.raises(IntegrityError, match="by_id"), transaction.atomic():
        sepa.export_run(run, agent)
    agent.pk = agent_pk
    assert set(run.payments.values_list("status", flat=True)) == {"pending"}


def test_the_export_logs_every_change_and_settles_nil_lines(ordered_run):
    run, agent = ordered_run
    nil = run.payments.get(component="entry_bonus")
    run.payments.filter(pk=nil.pk).update(net=0, offset=nil.amount)
    (file,) = sepa.export_run(run, agent)
    assert file.count == 1 and file.total == Decimal("743.84")
    nil.refresh_from_db()
    assert (nil.status, nil.mandate_number, nil.paid_on) == (
        "paid",
        "COMPENSATION",
        timezone.localdate(),
    )
    sent = run.payments.get(component="remuneration")
    assert sent.status == "sent" and sent.sent_at == file.created_at
    assert [(t.from_status, t.to_status, t.by, t.reason) for t in sent.transitions.all()] == [
        ("pending", "sent", agent, "fichier SEPA")
    ]
    assert nil.transitions.get().reason == "net nul : retenu en entier sur un trop-perçu"
    assert b"pas un IBAN" not in bytes(file.content)
    assert bytes(file.content).count(b"<CdtTrfTxInf>") == 1


@pytest.mark.parametrize("status", ["queued", "running"])
def test_a_run_still_at_work_is_not_exported(ordered_run, status):
    """Its chunks still write lines: a file now would leave out those to come."""
    run, agent = ordered_run
    PaymentRun.objects.filter(pk=run.pk).update(status=status)
    with pytest.raises(ValidationError, match="en cours de traitement"):
        sepa.export_run(run, agent)
    assert not run.sepa_files.exists()
    assert set(run.payments.values_list("status", flat=True)) == {"pending"}
    PaymentRun.objects.filter(pk=run.pk).update(status="interrupted")  # what it wrote is due
    assert sepa.export_run(run, agent)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own statistics")
def test_the_export_updates_the_lines_in_place(ordered_run):
    """No index names the status: PostgreSQL changes each line on its own page (HOT), no new
    entry in any index — what keeps the export of 100,000 lines within seconds."""
    run, agent = ordered_run
    sepa.export_run(run, agent)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
            "WHERE relname = 'payments_payment'"
        )
        updated, in_place = cursor.fetchone()
    assert updated >= 2 and in_place == updated


def test_a_returned_line_has_its_date_and_frees_the_entry_bonus(ordered_run):
    run, agent = ordered_run
    bonus = run.payments.get(component="entry_bonus")
    with pytest.raises(IntegrityError), transaction.atomic():
        run.payments.filter(pk=bonus.pk).update(status="rejected")  # no return date
    run.payments.filter(pk=bonus.pk).update(status="rejected", rejected_on=dt.date(2026, 4, 20))
    bonus.pk, bonus.reference, bonus.status, bonus.rejected_on = None, "AUTRE", "pending", None
    bonus.save()  # ordered again: the returned one no longer counts
    with pytest.raises(IntegrityError), transaction.atomic():
        bonus.pk, bonus.reference = None, "TROISIEME"
        bonus.save()


# -- the writer of main before the fast path: the file must stay byte for byte the same -----

REFERENCE_TRANSACTION = (
    "<CdtTrfTxInf><PmtId><EndToEndId>{reference}</EndToEndId></PmtId>"
    '<Amt><InstdAmt Ccy="EUR">{net:.2f}</InstdAmt></Amt>{agent}'
    "<Cdtr><Nm>{holder}</Nm></Cdtr><CdtrAcct><Id><IBAN>{iban}</IBAN></Id></CdtrAcct>"
    "<RmtInf><Ustrd>{label}</Ustrd></RmtInf></CdtTrfTxInf>"
)


def reference_write(out, *, message_id, debtor, execution, items, count, total, created):
    from xml.sax.saxutils import escape

    from text_unidecode import unidecode

    def text(value, size):
        return sepa.OUTSIDE_SEPA.sub(" ", unidecode(value or ""))[:size].strip() or "-"

    def bic(value):
        return f"<BIC>{escape(value)}</BIC>" if value else ""

    out.write(
        sepa.HEADER.format(
            namespace=sepa.NAMESPACE,
            message_id=escape(message_id),
            created=created.strftime("%Y-%m-%dT%H:%M:%S"),
            count=count,
            total=total,
            name=text(debtor.name, 70),
            execution=execution.isoformat(),
            iban=escape(debtor.iban),
            bic=bic(debtor.bic),
        ).encode()
    )
    for t in items:
        agent = f"<CdtrAgt><FinInstnId>{bic(t.bic)}</FinInstnId></CdtrAgt>" if t.bic else ""
        out.write(
            REFERENCE_TRANSACTION.format(
                reference=escape(t.reference),
                net=t.net,
                agent=agent,
                holder=text(t.holder, 70),
                iban=escape(t.iban),
                label=text(t.label, 140),
            ).encode()
        )
    out.write(sepa.FOOTER.encode())


HOLDERS = ["Léa Ørsted-Müller & fils", "Zoë <O'Brien>", "José María Ñúñez", "Ann Lee", "", "Ωμέγα"]
LABELS = ["Rémunération de mars 2026 — « stage »", "Prime d'entrée", "x" * 200, "a&b<c>"]


def varied_rows(count):
    """Lines of `count` dossiers sharing nothing (their own token, holder, amount), and a
    second line for one in three (same token and holder), as a run reads them."""
    rows = []
    for i in range(count):
        token = crypto.encrypt(f"FR76{i:023d}".encode()).decode()
        holder = f"{HOLDERS[i % len(HOLDERS)]} {i}" if i % 7 else HOLDERS[i % len(HOLDERS)]
        bic = ["", "BNPAFRPP", "AGRIFRPP&X"][i % 3]
        label = LABELS[i % len(LABELS)] + (f" n° {i}" if i % 5 == 0 else "")
        rows.append((f"REMU{i:020d}", holder, token, bic, Decimal(i * 37 % 100000) / 100, label))
        if i % 3 == 0:
            rows.append((f"REMU{i:019d}B", holder, token, bic, Decimal("42.5"), LABELS[1]))
    rows.append(("REMU-vide", "Sans IBAN", "", "", Decimal("1.00"), "ligne"))
    return rows


def both(rows, ibans=None):
    """The file of these lines written by the reference writer and by today's."""
    files = []
    for writer, items in (
        (reference_write, [sepa.Transfer(*t) for t in sepa.transfers(rows)]),
        (sepa.write, sepa.transfers(rows, ibans)),
    ):
        out = io.BytesIO()
        writer(
            out,
            message_id="M&1",
            debtor=sepa.Debtor("Région Centre-Val de Loire", "FR7610011000201234567890188", "B"),
            execution=dt.date(2026, 4, 2),
            items=items,
            count=len(rows),
            total=sum((row[4] for row in rows), Decimal(0)),
            created=dt.datetime(2026, 4, 1, 10, 0),
        )
        files.append(out.getvalue())
    return files


def test_the_file_is_byte_for_byte_the_reference_writers():
    rows = varied_rows(400)
    reference, today = both(rows)
    assert today == reference
    assert today.count(b"<CdtTrfTxInf>") == len(rows) == 400 + 134 + 1
    assert b"<IBAN>FR76" + b"0" * 20 + b"399</IBAN>" in today


def test_the_ibans_decrypted_by_a_child_are_the_same(monkeypatch):
    rows = varied_rows(300)
    monkeypatch.setattr(sepa, "FORK_FROM", 2)
    ibans = sepa.Decrypting(rows)
    assert ibans.pid  # a child decrypts
    with contextlib.closing(ibans):
        reference, today = both(rows, ibans)
    assert today == reference
    assert ibans.pid is None  # the child was waited for


def test_a_token_that_is_not_ours_stops_the_decrypting_child(monkeypatch):
    rows = varied_rows(10)
    rows[4] = (*rows[4][:2], rows[0][2][:-4] + "AAAA", *rows[4][3:])
    monkeypatch.setattr(sepa, "FORK_FROM", 2)
    ibans = sepa.Decrypting(rows)
    assert ibans.pid
    with pytest.raises(crypto.InvalidToken), contextlib.closing(ibans):
        list(sepa.transfers(rows, ibans))
    assert ibans.pid is None


def test_a_writing_that_fails_leaves_no_decrypting_child_behind(monkeypatch):
    rows = varied_rows(3000)  # more IBANs than the pipe holds: the child is left waiting
    monkeypatch.setattr(sepa, "FORK_FROM", 2)
    ibans = sepa.Decrypting(rows)
    with contextlib.closing(ibans):
        next(sepa.transfers(rows, ibans))
    assert ibans.pid is None


def test_the_export_with_a_decrypting_child(ordered_run, monkeypatch):
    run, agent = ordered_run
    monkeypatch.setattr(sepa, "FORK_FROM", 1)
    (file,) = sepa.export_run(run, agent)
    sepa.validate(bytes(file.content))
    assert bytes(file.content).count(b"<CdtTrfTxInf>") == 2
    assert set(run.payments.values_list("status", flat=True)) == {"sent"}


def test_an_invalid_file_changes_nothing_with_a_decrypting_child(ordered_run, monkeypatch):
    run, agent = ordered_run
    monkeypatch.setattr(sepa, "FORK_FROM", 1)
    run.payments.update(iban="XX00 pas un iban")
    with pytest.raises(ValidationError, match="schéma"):
        sepa.export_run(run, agent)
    assert set(run.payments.values_list("status", flat=True)) == {"pending"}
    assert not run.sepa_files.exists()
    assert not PaymentTransition.objects.exists()


def test_payment_references_are_unique_in_time_order_and_fit_an_end_to_end_id():
    references = list(itertools.islice(services.references(), 2500))  # three blocks
    assert len(set(references)) == len(references)
    # SEPA's EndToEndId: 35 characters at most, letters and digits are always accepted
    assert all(re.fullmatch(r"REMU[0-9A-F]{27}", reference) for reference in references)
    stamps = [reference[4:15] for reference in references]
    assert stamps == sorted(stamps)  # the unique index takes them at its right end
    assert abs(int(stamps[-1], 16) / 1000 - time.time()) < 60
