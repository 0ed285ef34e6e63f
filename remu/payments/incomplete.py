"""A dossier incomplete at the trainee's exit is not paid where the region says so (BFC, seed
004: « les dossiers incomplets à la date de sortie [...] ne sont pas instruits »): the run
orders nothing for it and lists it as an anomaly."""

from __future__ import annotations

from remu.dossiers.deadlines import incomplete_at_exit

__all__ = ["incomplete_at_exit", "incomplete_text"]


def incomplete_text(payable) -> str:
    return (
        f"{payable.name} : dossier incomplet à la date de sortie du "
        f"{payable.exit_date:%d/%m/%Y} (pièces obligatoires non toutes acceptées) : "
        "rien n'est versé"
    )
