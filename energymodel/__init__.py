"""energymodel: Russian natural-gas export choices against decarbonisation demand curves.

    import energymodel as em
    scenario = em.load_scenario("scenarios/baseline.yaml")
    results = em.solve(scenario.updated(discount_rate=0.10))
    results.flows            # tidy DataFrame: route x year, units in column names
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from energymodel.errors import EnergyModelError, InputError, SolveError
from energymodel.scenario import Override, Scenario, load_scenario

if TYPE_CHECKING:
    from energymodel.api import solve
    from energymodel.results import Results


def __getattr__(name: str):
    """`solve` and `Results` are imported on first use: they bring in the solver stack."""
    if name == "solve":
        from energymodel.api import solve

        return solve
    if name == "Results":
        from energymodel.results import Results

        return Results
    raise AttributeError(f"module 'energymodel' has no attribute {name!r}")

__all__ = ["EnergyModelError", "InputError", "Override", "Results", "Scenario", "SolveError",
           "load_scenario", "solve"]
