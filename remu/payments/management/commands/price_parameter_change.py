"""What a parameter change would cost over the stored population.

    manage.py price_parameter_change --revalue 1.02
    manage.py price_parameter_change --parameters my/centre-val-de-loire.yaml [--region CODE]

The population is the validated attendance lines of the 12 months up to `--until` (the current
month by default): each line's engine input, as the monthly run builds it, is computed with the
parameter files as they are and with the change (another file for one parameter set, whose name
is its code, or every scale amount revalued by a coefficient, half-up to the cent as a
revaluation is), both through the engine's columnar batch path (`Engine.compute_columns`,
NumPy, the per-case path for the shapes it does not cover). Stored scale versions (the rules
administrators' own) are left aside on both sides, so that the difference is the change's alone.
Progress is drawn on stderr; the summary by category (the month's gross pay: remuneration,
allowances, complement and entry bonus) on stdout.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from remu.attendance.models import AttendanceLine
from remu.attendance.services import case_for
from remu.rules.engine import CaseError, Engine
from remu.rules.money import euros
from remu.rules.parameters import (
    CATEGORIES,
    PARAMETERS_DIR,
    ParameterError,
    ParameterSet,
    load_parameter_sets,
)

CHUNK = 2000
BAR = 30


def revalued_sets(coefficient: Decimal) -> dict[str, ParameterSet]:
    """The parameter files' sets with every scale amount x coefficient, half-up to the cent."""
    sets = load_parameter_sets()
    for pset in sets.values():
        pset.versions = [
            dataclasses.replace(
                version, amounts={c: a.revalued(coefficient) for c, a in version.amounts.items()}
            )
            for version in pset.versions
        ]
    return sets


def sets_with_file(path: Path) -> dict[str, ParameterSet]:
    """The parameter files' sets, the one named like `path` replaced by it (or added)."""
    with tempfile.TemporaryDirectory() as directory:
        for existing in PARAMETERS_DIR.glob("*.yaml"):
            shutil.copy(existing, directory)
        shutil.copy(path, Path(directory) / path.name)
        return load_parameter_sets(Path(directory))


def month_arg(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError as error:
        raise CommandError(f"mois « {value} » : format AAAA-MM attendu") from error


class Progress:
    """A plain-text progress bar on a stream (stderr), redrawn in place."""

    def __init__(self, total: int, stream):
        self.total, self.done = total, 0
        self.stream = stream  # the command's stderr

    def advance(self, count: int) -> None:
        self.done += count
        share = self.done / self.total if self.total else 1
        filled = int(share * BAR)
        self.stream.write(
            ending="",
            msg=f"\r[{'#' * filled}{'.' * (BAR - filled)}] {share:4.0%} "
            f"({self.done}/{self.total} mois-stagiaires)",
        )
        if self.done >= self.total:
            self.stream.write("")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Chiffre un changement de paramètres (autre fichier de jeu de paramètres, ou "
        "revalorisation) sur la population des 12 derniers mois, par catégorie."
    )

    def add_arguments(self, parser):
        change = parser.add_mutually_exclusive_group(required=True)
        change.add_argument("--parameters", help="fichier YAML d'un jeu de paramètres modifié")
        change.add_argument("--revalue", help="coefficient de revalorisation, ex. 1.02")
        parser.add_argument("--region", help="code de la région (toutes par défaut)")
        parser.add_argument("--until", help="dernier mois AAAA-MM (le mois en cours par défaut)")
        parser.add_argument("--months", type=int, default=12)

    def handle(self, *args, parameters, revalue, region, until, months, **options):
        if revalue is not None:
            try:
                coefficient = Decimal(revalue)
            except InvalidOperation as error:
                raise CommandError(f"coefficient « {revalue} » invalide") from error
            if not coefficient.is_finite() or not 0 < coefficient <= 10:
                raise CommandError("le coefficient doit être compris entre 0 et 10")
            new_sets = revalued_sets(coefficient)
            change = f"revalorisation × {revalue}"
        else:
            path = Path(parameters)
            if not path.is_file() or path.suffix != ".yaml":
                raise CommandError(f"fichier « {parameters} » introuvable ou non YAML")
            try:
                new_sets = sets_with_file(path)
            except ParameterError as error:
                raise CommandError(str(error)) from error
            change = f"jeu de paramètres {path.name}"
        if not 1 <= months <= 120:
            raise CommandError("--months : entre 1 et 120")
        last = month_arg(until) if until else timezone.localdate().replace(day=1)
        first = last
        for _ in range(months - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)

        lines = AttendanceLine.objects.filter(
            status=AttendanceLine.Status.VALIDATED,
            dossier__isnull=False,
            statement__month__gte=first,
            statement__month__lte=last,
        ).order_by("pk")
        if region:
            lines = lines.filter(statement__action__region__code=region)
        lines = lines.select_related(
            "statement__action", "enrollment", "dossier__region"
        ).prefetch_related("absences")
        current, changed = Engine(), Engine(new_sets)
        totals: dict[str, list] = {}
        errors = 0
        progress = Progress(lines.count(), self.stderr)
        batch = []

        def safe(engine, cases):
            # The engine's columnar batch path; a case the parameters cannot compute: None.
            return engine.compute_columns(cases, errors="skip").results()

        def price(batch):
            nonlocal errors
            cases = []
            for line in batch:
                try:
                    cases.append(case_for(line))
                except CaseError:
                    errors += 1
            for case, now, new in zip(
                cases, safe(current, cases), safe(changed, cases), strict=True
            ):
                row = totals.setdefault(case.category, [0, Decimal(0), Decimal(0), 0])
                if now is None or new is None:
                    row[3] += 1
                    continue
                row[0] += 1
                row[1] += now.gross
                row[2] += new.gross
            progress.advance(len(batch))

        for line in lines.iterator(chunk_size=CHUNK):
            batch.append(line)
            if len(batch) == CHUNK:
                price(batch)
                batch = []
        if batch or not progress.total:
            price(batch)

        self.stdout.write(
            f"Chiffrage : {change}, mois de {first:%m/%Y} à {last:%m/%Y}"
            + (f", région {region}" if region else "")
        )
        header = f"{'Catégorie':<45} {'Mois':>7} {'Actuel':>16} {'Nouveau':>16} {'Écart':>16}"
        self.stdout.write(header)
        grand = [0, Decimal(0), Decimal(0)]
        for category in sorted(totals):
            count, now, new, failed = totals[category]
            grand = [grand[0] + count, grand[1] + now, grand[2] + new]
            label = CATEGORIES.get(category, category)[:45]
            note = f" ({failed} non calculables)" if failed else ""
            self.stdout.write(
                f"{label:<45} {count:>7} {euros(now):>16} {euros(new):>16} "
                f"{euros(new - now):>16}{note}"
            )
        self.stdout.write(
            f"{'Total':<45} {grand[0]:>7} {euros(grand[1]):>16} {euros(grand[2]):>16} "
            f"{euros(grand[2] - grand[1]):>16}"
        )
        if errors:
            self.stdout.write(f"{errors} lignes sans entrée calculable, ignorées")
