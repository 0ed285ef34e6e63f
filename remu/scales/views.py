"""The region's rate scales: every version, readable per date; rules administrators add a
dated version or a revaluation by coefficient, with a preview of every amount first."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from remu.core.tenancy import require_agent
from remu.rules.money import cents
from remu.rules.parameters import HOURLY_DIVISOR

from . import forms, services
from .models import ScaleVersion
from .selectors import engine


def _table(version):
    rows = []
    for name, label, value in forms.amount_fields(version):
        hourly = ""
        if name.split("__")[1] not in ("hourly", "floor", "ceiling", "hourly_from_monthly"):
            hourly = cents(value / HOURLY_DIVISOR)
        rows.append({"label": label, "amount": value, "hourly": hourly, "name": name})
    return rows


def _chain(pset):
    while pset is not None:
        yield pset
        pset = pset.parent


def scale_list(request):
    require_agent(request)
    region = request.tenant.region
    rules = engine(region)
    pset = rules.sets.get(region.parameter_set)
    stored = set(ScaleVersion.objects.for_tenant(request.tenant).values_list("start", flat=True))
    groups = []
    for owner in _chain(pset):
        versions = [
            {
                "version": v,
                "rows": _table(v),
                "stored": owner is pset and v.start in stored,
            }
            for v in reversed(owner.versions)
        ]
        groups.append({"set": owner, "versions": versions, "own": owner is pset})
    return render(
        request,
        "scales/scale_list.html",
        {"pset": pset, "groups": groups, "can_edit": request.user.is_rules_admin},
    )


def _base(pset, start):
    return pset.own_version_at(start) or pset.version_at(start)


def _next_month():
    today = dt.date.today()
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def scale_version_create(request):
    """A new dated version, every amount prefilled from the version in force."""
    require_agent(request)
    services.require_rules_admin(request.user)
    region = request.tenant.region
    pset = engine(region).sets[region.parameter_set]
    head = forms.VersionHeadForm(request.POST or None)
    start = head.cleaned_data["start"] if head.is_valid() else _next_month()
    base = _base(pset, start)
    form = forms.VersionForm(request.POST or None, base=base, initial={"start": start})
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            version = services.edited(
                base, form.cleaned_data["start"], form.cleaned_data["label"], form.amounts()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if "confirm" in request.POST:
                return _store(request, region, version)
            preview = _preview(base, version)
    return render(
        request,
        "scales/scale_form.html",
        {"form": form, "base": base, "preview": preview, "title": "Nouvelle version du barème"},
    )


def scale_revaluation(request):
    """A revaluation by coefficient of the version in force (R6341-24-8)."""
    require_agent(request)
    services.require_rules_admin(request.user)
    region = request.tenant.region
    pset = engine(region).sets[region.parameter_set]
    form = forms.RevaluationForm(request.POST or None, initial={"start": _next_month()})
    preview = None
    base = _base(pset, _next_month())
    if request.method == "POST" and form.is_valid():
        base = _base(pset, form.cleaned_data["start"])
        version = services.revalued(
            base,
            form.cleaned_data["start"],
            form.cleaned_data["coefficient"],
            form.cleaned_data["label"],
        )
        if "confirm" in request.POST:
            return _store(request, region, version)
        preview = _preview(base, version)
    return render(
        request,
        "scales/scale_form.html",
        {"form": form, "base": base, "preview": preview, "title": "Revalorisation du barème"},
    )


def _preview(base, version):
    old = {row["name"]: row["amount"] for row in _table(base)}
    return [{**row, "old": old.get(row["name"])} for row in _table(version)]


def _store(request, region, version):
    try:
        services.store_version(region=region, version=version, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("scales:list")
    messages.success(
        request, f"La version « {version.label} » s'applique à partir du {version.start:%d/%m/%Y}."
    )
    return redirect("scales:list")
