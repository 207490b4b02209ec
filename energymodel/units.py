"""Unit conversions: the one place that knows how units relate.

The model works in bcm/y for flows, USD/MMBtu for prices and USD bn (real, base-year) for
money. Factors and their sources live in `schema/units.csv`. The energy basis is the
market convention for Russian export gas: 1 thousand m3 = 35.8 MMBtu (gross calorific
value), so 1 bcm = 35.8 million MMBtu.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

UNITS_FILE = Path(__file__).parent / "schema" / "units.csv"


@cache
def unit_table() -> pd.DataFrame:
    """The unit table: unit -> (canonical unit, factor to canonical, source)."""
    return pd.read_csv(UNITS_FILE, dtype={"unit": str, "canonical": str}).set_index("unit")


@cache
def _factors() -> dict[str, tuple[str, float]]:
    """unit -> (canonical unit, factor to canonical)."""
    table = unit_table()
    return {unit: (str(canonical), float(f))
            for unit, canonical, f in zip(table.index, table["canonical"], table["factor"],
                                          strict=True)}


@cache
def factor(unit: str, to: str) -> float:
    """Multiplier taking a value in `unit` to `to`; ValueError if they are not compatible."""
    factors = _factors()
    if unit not in factors:
        raise ValueError(f"unknown unit '{unit}'")
    if to not in factors:
        raise ValueError(f"unknown unit '{to}'")
    (canonical, f_unit), (canonical_to, f_to) = factors[unit], factors[to]
    if canonical != canonical_to:
        raise ValueError(f"cannot convert '{unit}' to '{to}'")
    return f_unit / f_to


def convert(value: float, unit: str, to: str) -> float:
    """`value` in `unit`, expressed in `to`."""
    return value * factor(unit, to)


# 1 bcm = 1e6 thousand m3, each of 1 / factor(USD/tcm -> USD/MMBtu) = 35.8 MMBtu.
MMBTU_PER_BCM: float = round(1e6 / factor("USD/tcm", "USD/MMBtu"), 3)
# K: USD bn earned by selling 1 bcm at 1 USD/MMBtu (0.0358), the money of a flow at a price.
K: float = MMBTU_PER_BCM / 1e9

# The money basis of every projected value: real US dollars of 2025 (the model's discount
# rate is real, and the data's future prices are real estimates). Observed values of the
# hindcast are nominal US dollars of their year. The briefing, its workbook and the IAMC
# units (`USD_2025/MMBtu`, `billion USD_2025/yr`) name it from here.
MONEY_YEAR: int = 2025
MONEY_BASIS: str = f"USD_{MONEY_YEAR}"
MONEY_WORDS: str = f"real {MONEY_YEAR} US dollars"
