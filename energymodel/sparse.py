"""scipy.sparse, the one scipy module the package needs (matrices for Clarabel and HiGHS),
imported without pyomo's import hook on scipy.

pyomo registers a hook that, when any module first imports scipy, also imports
scipy.stats, scipy.integrate and scipy.spatial (about 0.6 s of CPU) so that pyomo's own
optional features find them loaded. The package uses none of those: the hook is set aside
while scipy.sparse loads and put back after. pyomo's deferred `scipy` still works: it
completes its own imports the first time a pyomo feature asks for scipy.
"""

from __future__ import annotations

from pyomo.common import dependencies

_hooks = dependencies.DeferredImportCallbackFinder._callbacks
_scipy_hooks = _hooks.pop("scipy", None)
try:
    import scipy.sparse as sp
finally:
    if _scipy_hooks is not None:
        _hooks["scipy"] = _scipy_hooks

__all__ = ["sp"]
