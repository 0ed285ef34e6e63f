from decimal import Decimal

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render

from remu.rules.engine import CaseError, default_engine
from remu.rules.simulation import simulate
from remu.scales.selectors import engine_for_parameter_set

from .forms import SimulatorForm


@login_not_required
def simulator(request):
    """« Simuler ma rémunération »: public, a plain GET form that works without JavaScript."""
    form = SimulatorForm(request.GET or None, sets=default_engine().sets)
    simulation = None
    error = ""
    france_travail = False
    if form.is_valid():
        data = form.cleaned_data
        if data["unemployment_benefit"] == "oui" and not data["benefit_end"]:
            france_travail = True  # no relay date: France Travail keeps paying
        else:
            rules = engine_for_parameter_set(data["region"])
            full_time = rules.is_full_time(data["region"], data["start_date"], data["weekly_hours"])
            try:
                simulation = simulate(
                    rules,
                    region=data["region"],
                    birth_date=data["birth_date"],
                    start_date=data["start_date"],
                    weekly_hours=data["weekly_hours"],
                    situation=form.situation(full_time),
                    distance_km=data["distance_km"],
                    housing=data["housing"],
                    distance_learning=data["distance_learning"],
                    training_total_hours=(
                        Decimal(data["training_total_hours"])
                        if data["training_total_hours"]
                        else None
                    ),
                    **form.facts(),
                )
            except CaseError as exc:
                error = exc.message
    return render(
        request,
        "simulator/simulator.html",
        {
            "form": form,
            "simulation": simulation,
            "error": error,
            "france_travail": france_travail,
            # the bonus comes with the first month, where the action grants it (engine's amount);
            # never after a France Travail relay (seed 001 §3.5: « ni des aides connexes »)
            "entry_bonus": simulation.entry_bonus
            if simulation
            and form.cleaned_data["entry_bonus_granted"]
            and form.cleaned_data["unemployment_benefit"] != "oui"
            else None,
        },
    )
