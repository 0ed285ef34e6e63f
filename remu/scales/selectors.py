"""The rules engine as the application uses it: the YAML parameter sets, with the versions a
region's rules administrators stored, which take precedence from their date for that region
only (two regions following the same parameter file never see each other's versions)."""

from dataclasses import replace
from functools import lru_cache

from django.db.models import Count, Max

from remu.referential.models import Region
from remu.rules.engine import Engine, default_engine
from remu.rules.parameters import version_from_raw, with_stored_versions

from .models import ScaleVersion


@lru_cache(maxsize=64)
def _engine(region_pk: int, stamp) -> Engine:
    base = default_engine()
    region = Region.objects.get(pk=region_pk)
    code = region.parameter_set
    if code not in base.sets:
        return base
    versions = []
    for row in ScaleVersion.objects.filter(region=region).order_by("start"):
        previous = versions[-1] if versions else None
        previous = base.sets[code].version_at(row.start) if previous is None else previous
        raw = {
            "from": row.start,
            "label": row.label,
            "age_bands": row.age_bands,
            "amounts": row.amounts,
        }
        version = version_from_raw(raw, previous, code, f"version enregistrée n° {row.pk}")
        if row.coefficient is not None:
            version = replace(version, coefficient=row.coefficient, derived_from=row.derived_from)
        versions.append(version)
    return Engine(with_stored_versions(base.sets, {code: versions}), base.withholding)


def engine(region: Region | None = None) -> Engine:
    """The engine for a region's computations (its stored versions included); the files only
    without a region. One cheap query tells whether the cached engine is still current."""
    if region is None:
        return default_engine()
    stamp = ScaleVersion.objects.filter(region=region).aggregate(
        n=Count("pk"), last=Max("created_at")
    )
    return _engine(region.pk, (stamp["n"], stamp["last"], region.parameter_set))


def engine_for_parameter_set(code: str) -> Engine:
    """The public simulator names a parameter set: the region that follows it alone, if one
    does, brings its stored versions."""
    regions = list(Region.objects.filter(parameter_set=code)[:2])
    return engine(regions[0] if len(regions) == 1 else None)
