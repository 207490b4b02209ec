"""Sensitivity sweeps: many variants of one scenario, solved locally or on Dask, stored so a
stopped sweep resumes, and analysed (Sobol, Morris, tornado). `em.sweep` is the function
`energymodel.sweeps.sweep` (the package is plural so that its name never hides it).

    import energymodel as em
    table = em.sweep("sweeps/baseline_sobol.yaml")            # DataFrame, one row per point
    table = em.sweep(spec, executor=Dask("tcp://host:8786")) # on a Dask cluster
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from energymodel._lazy import attributes

# Public names load on first use: the leverage and uncertainty studies need the executors
# only, not SALib and scipy.stats (about 1 s of imports in every `energymodel run`).
_HOME = {"analyze": "analysis", "Dask": "executors", "InProcess": "executors",
         "Processes": "executors", "executor": "executors", "plan": "run", "sweep": "run",
         "SweepSpec": "spec", "load_sweep": "spec", "validate_sweep": "spec", "Store": "store"}

if TYPE_CHECKING:
    from energymodel.sweeps.analysis import analyze
    from energymodel.sweeps.executors import Dask, InProcess, Processes, executor
    from energymodel.sweeps.run import plan, sweep
    from energymodel.sweeps.spec import SweepSpec, load_sweep, validate_sweep
    from energymodel.sweeps.store import Store

__all__ = ["Dask", "InProcess", "Processes", "Store", "SweepSpec", "analyze", "executor",
           "load_sweep", "plan", "sweep", "validate_sweep"]

__getattr__ = attributes("energymodel.sweeps", _HOME)
