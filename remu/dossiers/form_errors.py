"""The error summary of the dossier form: every error of every tab (journeys included), in page
order, each naming its tab and field and linking to it, so that nothing is hidden in a tab the
user is not looking at."""

from __future__ import annotations

from dataclasses import dataclass

# Page order: the banner above the tabs, then the tabs as they appear.
SECTIONS = {
    "banner": ("", "Dates du stage"),
    "civil": ("civil", "État civil"),
    "situation": ("situation", "Situation à l'entrée"),
    "travel": ("situation", "Situation à l'entrée"),  # RS1: distance and housing at entry
    "journeys": ("journeys", "Trajets"),
    "protection": ("protection", "Régime de protection sociale"),
}


@dataclass(frozen=True)
class ErrorItem:
    tab: str  # the tab to show before jumping to the anchor ("" above the tabs)
    label: str  # « Trajet 2 – Distance (km, aller) », « État civil – Nom de naissance »
    message: str
    anchor: str  # the id of the field (or block) the error is about


def _form_items(form, tab: str, section: str, prefix: str = "", block: str = "") -> list:
    items = []
    for field, errors in form.errors.items():
        bound = form[field] if field in form.fields else None
        label = f"{prefix}{bound.label}" if bound is not None else prefix.rstrip(" –") or section
        anchor = bound.id_for_label if bound is not None and not bound.is_hidden else block
        items += [ErrorItem(tab, label, str(message), anchor or block) for message in errors]
    return items


def error_summary(page_forms: dict, tab_errors: dict[str, list[str]], other: dict) -> list:
    """`tab_errors`: consistency errors shown in a tab without a field (« Déclarez au moins un
    trajet »); `other`: those of no tab (missing documents), shown in the summary only."""
    items = []
    for name, (tab, section) in SECTIONS.items():
        form = page_forms.get(name)
        block = f"pane-{tab}" if tab else "dossier-form"
        if form is not None and name == "journeys":
            items += [
                ErrorItem(tab, section, str(message), block) for message in form.non_form_errors()
            ]
            for index, row in enumerate(form.forms, 1):
                items += _form_items(row, tab, section, f"Trajet {index} – ", f"journey-{index}")
        elif form is not None:
            items += _form_items(form, tab, section, f"{section} – ", block)
        items += [ErrorItem(tab, section, message, block) for message in tab_errors.get(tab, [])]
    for messages in other.values():
        items += [ErrorItem("", "Dossier", message, "docs-title") for message in messages]
    return items


def active_tab(items: list) -> str:
    """The first tab holding an error (the civil status tab when none does)."""
    return next((item.tab for item in items if item.tab), "civil")
