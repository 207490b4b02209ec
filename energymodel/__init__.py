"""energymodel: Russian natural-gas export choices against decarbonisation demand curves.

    import energymodel as em
    scenario = em.load_scenario("scenarios/baseline.yaml")
    results = em.solve(scenario.updated(discount_rate=0.10))
    results.flows            # tidy DataFrame: route x year, units in column names
"""

__version__ = "0.1.0"

from energymodel.api import solve
from energymodel.errors import EnergyModelError, InputError, SolveError
from energymodel.results import Results
from energymodel.scenario import Override, Scenario, load_scenario
from energymodel.sweep import sweep

__all__ = ["EnergyModelError", "InputError", "Override", "Results", "Scenario", "SolveError",
           "load_scenario", "solve", "sweep"]
