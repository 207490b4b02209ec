"""Public names of a package loaded on first use (PEP 562), so that importing the package
costs nothing until a name is read: `energymodel` itself, `energymodel.sweeps` (SALib and
scipy.stats) and `energymodel.report` (matplotlib, openpyxl)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def attributes(package: str, homes: dict[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` for `package` that imports each name in `homes` (name ->
    submodule) from its submodule when first read."""

    def __getattr__(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module '{package}' has no attribute {name!r}")
        return getattr(import_module(f"{package}.{homes[name]}"), name)

    return __getattr__
