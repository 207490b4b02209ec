"""energymodel: Russian natural-gas export choices against decarbonisation demand curves.

    import energymodel as em
    scenario = em.load_scenario("scenarios/baseline.yaml")
    results = em.solve(scenario.updated(discount_rate=0.10))
    results.flows            # tidy DataFrame: route x year, units in column names

The public names are imported on first use, so `energymodel` itself loads in milliseconds
and the command line can take charge of Ctrl-C before pyomo and pandas load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from energymodel._lazy import attributes
from energymodel._version import __version__

_HOME = {"solve": "api", "EnergyModelError": "errors", "InputError": "errors",
         "SolveError": "errors", "Results": "results", "Override": "scenario",
         "Scenario": "scenario", "load_scenario": "api", "sweep": "sweeps",
         "Session": "engine", "leverage": "decomposition", "decide": "decision",
         "Decision": "scenario", "DecisionResults": "decision",
         "last_paying_decision_year": "decision"}
__all__ = ["Decision", "DecisionResults", "EnergyModelError", "InputError", "Override",
           "Results", "Scenario", "Session", "SolveError", "__version__", "decide",
           "last_paying_decision_year", "leverage", "load_scenario", "solve", "sweep"]

if TYPE_CHECKING:
    from energymodel.api import load_scenario, solve
    from energymodel.decision import DecisionResults, decide, last_paying_decision_year
    from energymodel.decomposition import leverage
    from energymodel.engine import Session
    from energymodel.errors import EnergyModelError, InputError, SolveError
    from energymodel.results import Results
    from energymodel.scenario import Decision, Override, Scenario
    from energymodel.sweeps import sweep

__getattr__ = attributes("energymodel", _HOME)
