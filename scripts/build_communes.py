"""Builds remu/communes/data/communes.csv from the official open data carried by two npm packages.

- @etalab/decoupage-administratif (communes.json): the current communes, Paris/Lyon/Marseille
  municipal districts included, with their department and postal codes (COG, INSEE).
- codes-postaux (La Poste's base officielle des codes postaux): adds postal codes the first
  package may miss.

Output columns: insee_code, name, department_code, postal_codes (space-separated, sorted).
Usage: python scripts/build_communes.py NODE_MODULES_DIR OUTPUT_CSV
"""

import csv
import json
import sys
from pathlib import Path

KEPT_TYPES = {"commune-actuelle", "arrondissement-municipal"}


def build(node_modules: Path) -> list[tuple[str, str, str, str]]:
    communes = json.loads(
        (node_modules / "@etalab/decoupage-administratif/data/communes.json").read_text()
    )
    postal = json.loads((node_modules / "codes-postaux/codes-postaux.json").read_text())
    by_code: dict[str, dict] = {}
    for c in communes:
        if c["type"] in KEPT_TYPES:
            by_code[c["code"]] = {
                "name": c["nom"],
                "department": c.get("departement") or c["code"][:2],
                "postal": set(c.get("codesPostaux") or []),
            }
    for row in postal:
        commune = by_code.get(row["codeCommune"])
        if commune is not None:
            commune["postal"].add(row["codePostal"])
    return [
        (code, c["name"], c["department"], " ".join(sorted(c["postal"])))
        for code, c in sorted(by_code.items())
    ]


def main() -> None:
    node_modules, output = Path(sys.argv[1]), Path(sys.argv[2])
    rows = build(node_modules)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["insee_code", "name", "department_code", "postal_codes"])
        writer.writerows(rows)
    print(f"{len(rows)} communes written to {output}")


if __name__ == "__main__":
    main()
