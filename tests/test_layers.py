"""Every import between apps points down a layer (docs/architecture.md, « Layers »).

An app may import the apps of lower layers only: never one of its own layer, never one above.
Migrations are left out (they name models by string and are generated)."""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

REMU = Path(__file__).resolve().parent.parent / "remu"

# Bottom first; the same list is drawn in docs/architecture.md.
LAYERS = [
    ["rules"],  # the pure rules engine: a library with no Django import
    ["core"],  # tenancy and shared helpers (French money display comes from the engine)
    ["communes"],
    ["referential"],
    ["accounts"],
    ["actions", "scales"],
    ["trainees", "audit"],  # audit: the access log of sensitive data
    ["dossiers"],
    ["attendance"],
    ["payments", "execution"],  # execution: providers run their actions (issue 16)
    ["simulator", "overpayments", "invoicing"],  # invoicing: hours realised, invoices
    ["api", "trainee_space"],  # the providers' API; the trainee's own space
    ["home", "demo"],  # pages that gather several apps; the demo data
]
LAYER = {app: level for level, names in enumerate(LAYERS) for app in names}
NOT_APPS = {"settings", "static", "templates", "__pycache__"}


def imported_apps(path: Path, root: Path = REMU) -> set[str]:
    """The remu apps a module imports (absolute or relative, at any depth of the file)."""
    package = ("remu", *path.relative_to(root).parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            module = ".".join((*base, node.module or ""))
            modules = [module.rstrip(".")]
            if module.rstrip(".") == "remu":  # from remu import payments
                modules = [f"remu.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "remu" and len(parts) > 1:
                found.add(parts[1])
    return found


def upward_imports(root: Path = REMU) -> list[str]:
    wrong = []
    for path in sorted(root.glob("*/**/*.py")):
        app = path.relative_to(root).parts[0]
        if app in NOT_APPS or "migrations" in path.parts:
            continue
        for other in sorted(imported_apps(path, root) - {app}):
            if other in LAYER and LAYER[other] >= LAYER[app]:
                wrong.append(f"{path.relative_to(root)} imports remu.{other}")
    return wrong


def test_every_app_has_a_layer():
    on_disk = {
        p.name for p in REMU.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    } - NOT_APPS
    assert on_disk == set(LAYER)


def test_imports_between_apps_point_down_a_layer():
    assert upward_imports() == []


def test_core_and_the_rules_engine_import_no_other_app():
    """The engine imports no app; core imports no domain app (the engine is a library)."""
    for app, allowed in (("rules", {"rules"}), ("core", {"core", "rules"})):
        imports = set().union(*(imported_apps(p) for p in (REMU / app).rglob("*.py")))
        assert imports <= allowed, app


def test_the_check_sees_an_upward_import(tmp_path):
    """The check itself: a lower app importing a higher one, inside a function, is caught."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "views.py").write_text(
        "def f():\n    from remu.payments.models import Payment\n"
    )
    (tmp_path / "attendance").mkdir()
    (tmp_path / "attendance" / "views.py").write_text("from ..payments import selectors\n")
    (tmp_path / "payments").mkdir()
    (tmp_path / "payments" / "views.py").write_text("from remu import attendance\n")
    wrong = upward_imports(tmp_path)
    assert [w.split(" imports ")[1] for w in wrong] == ["remu.payments", "remu.payments"]


def test_model_relations_point_down_a_layer():
    """Foreign keys follow the layers too; the user model, named by a setting for « who did
    it » fields, may be pointed at from anywhere."""
    wrong = []
    for model in apps.get_models():
        app = model._meta.app_label
        if app not in LAYER:
            continue
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model):
                continue
            other = field.related_model._meta.app_label
            if field.related_model._meta.label == settings.AUTH_USER_MODEL or other == app:
                continue
            if other in LAYER and LAYER[other] >= LAYER[app]:
                wrong.append(f"{model._meta.label}.{field.name} → {other}")
    assert wrong == []
