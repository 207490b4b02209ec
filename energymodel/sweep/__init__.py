"""Sensitivity sweeps: many variants of one scenario, solved locally or on Dask, stored so a
stopped sweep resumes, and analysed (Sobol, Morris, tornado).

    import energymodel as em
    table = em.sweep("sweeps/baseline_sobol.yaml")            # DataFrame, one row per point
    table = em.sweep(spec, executor=Dask("tcp://host:8786")) # on a Dask cluster
"""

import sys
import types

from energymodel.sweep.analysis import analyze
from energymodel.sweep.executors import Dask, InProcess, Processes, executor
from energymodel.sweep.run import plan, sweep
from energymodel.sweep.spec import SweepSpec, load_sweep, validate_sweep
from energymodel.sweep.store import Store

__all__ = ["Dask", "InProcess", "Processes", "Store", "SweepSpec", "analyze", "executor",
           "load_sweep", "plan", "sweep", "validate_sweep"]


class _CallableModule(types.ModuleType):
    """`energymodel.sweep` is this package and, called, the `sweep` function: importing the
    package sets the attribute `energymodel.sweep`, so `em.sweep(...)` must work on it."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
