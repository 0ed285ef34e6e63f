"""Loads the committed communes file (built by scripts/build_communes.py) into the database."""

import csv
from pathlib import Path

DATA_FILE = Path(__file__).parent / "data" / "communes.csv"


def read_rows(path: Path = DATA_FILE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_communes(commune_model, postal_code_model, path: Path = DATA_FILE) -> int:
    """Inserts the communes missing from the table and their postal codes; returns how many.

    Takes the model classes as arguments so that a data migration can pass its historical models.
    """
    existing = set(commune_model.objects.values_list("insee_code", flat=True))
    rows = [r for r in read_rows(path) if r["insee_code"] not in existing]
    communes = commune_model.objects.bulk_create(
        [
            commune_model(
                insee_code=r["insee_code"], name=r["name"], department_code=r["department_code"]
            )
            for r in rows
        ],
        batch_size=2000,
    )
    if communes and communes[0].pk is None:  # backends that do not return primary keys
        ids = dict(
            commune_model.objects.filter(
                insee_code__in=[r["insee_code"] for r in rows]
            ).values_list("insee_code", "pk")
        )
    else:
        ids = {c.insee_code: c.pk for c in communes}
    postal_code_model.objects.bulk_create(
        [
            postal_code_model(code=code, commune_id=ids[r["insee_code"]])
            for r in rows
            for code in r["postal_codes"].split()
        ],
        batch_size=5000,
    )
    return len(rows)
