"""Amounts owed by trainees, as a payment run sees them: what the ledger deducts from what was
ordered, the claims a negative difference creates, and the offsets withheld from positive lines.

The overpayments app (a layer above) owns the claims and registers its `Claims` here in its
`AppConfig.ready()`; a run only calls the functions below (docs/architecture.md, « Layers »).

Offsets: an open claim of the trainee (on any enrollment of the region) is withheld from each
later positive line, oldest claim first, within the region's cap per line (the dated option
`overpayment_offset_cap_percent` of the net before offset; by default the whole line)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from remu.rules.money import cents

Key = tuple[int, dt.date, str]  # enrollment, month, component
ZERO = Decimal("0.00")


@dataclass(slots=True)
class OpenClaim:
    """An open claim of a trainee, shared by all the trainee's enrollments of a chunk."""

    id: int
    remaining: Decimal  # claimed and not yet recovered
    written_off: Decimal  # written off, still withheld from later pay
    takes: list[tuple[str, Decimal]] = field(default_factory=list)  # (payment reference, amount)

    @property
    def available(self) -> Decimal:
        return self.remaining + self.written_off - sum((t for _, t in self.takes), ZERO)


@dataclass(slots=True)
class NewClaim:
    """A negative difference a run found: what was ordered exceeds what is due."""

    enrollment_id: int
    month: dt.date
    component: str
    paid: Decimal
    due: Decimal
    label: str

    @property
    def amount(self) -> Decimal:
        return self.paid - self.due


class Claims(Protocol):
    def deducted(self, bounds) -> tuple[dict[Key, Decimal], set[Key]]:
        """What the chunk's claims deduct from what was ordered per key, and the forfeited keys
        (not to be paid again)."""

    def open_claims(self, region, bounds, *, lock: bool) -> dict[int, list[OpenClaim]]:
        """The open claims of the trainees of the chunk's enrollments, by enrollment id."""

    def record(self, run, new_claims: list[NewClaim], open_claims) -> None:
        """Writes the run's new claims and the offsets taken."""

    def of_run(self, run):
        """The claims a run detected (for its page and summary)."""


_claims: Claims | None = None


def register(claims: Claims) -> None:
    global _claims
    _claims = claims


def claims() -> Claims:
    if _claims is None:
        raise RuntimeError("remu.overpayments must be installed: it keeps the amounts owed.")
    return _claims


def deduct(bounds, ordered: dict[Key, Decimal], read=None) -> set[Key]:
    """Deducts from what was ordered what the claims took back; returns the forfeited keys.
    `read`: what `claims().deducted(bounds)` gives, when already read."""
    deducted, forfeited = read if read is not None else claims().deducted(bounds)
    for key, amount in deducted.items():
        ordered[key] = ordered.get(key, ZERO) - amount
    return forfeited


def cap_percent(options: dict) -> Decimal:
    """The most of a line's net an offset may take, in percent (a region option)."""
    return Decimal(str(options.get("overpayment_offset_cap_percent", 100)))


def capped(percent: Decimal, net: Decimal) -> Decimal:
    """The most that may be withheld from a line whose net before offset is `net`, the
    region's percent read once a month (`cap_percent`)."""
    return min(net, cents(net * percent / 100))


def take(open_claims: list[OpenClaim], limit: Decimal, reference: str) -> Decimal:
    """Withholds up to `limit` from a line for the trainee's open claims, oldest first; each
    claim keeps what it took and from which line."""
    offset = ZERO
    for claim in open_claims:
        part = min(claim.available, limit - offset)
        if part <= 0:
            continue
        claim.takes.append((reference, part))
        offset += part
    return offset
