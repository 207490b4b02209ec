"""Exact Shapley decomposition of a change in model outcomes over a few named drivers
(derivation: docs/derivations.md, section 8).

A driver is a switch that moves the world from a reference towards a scenario (Europe
closed, capital sunk, ...). Solving every subset of switched-on drivers gives a game
`v(S)`; the change `v(all) - v(none)` is split between the drivers by their Shapley values
(Shapley 1953), which add up to it exactly and share each joint effect equally among the
drivers that produce it. Next to them: each driver's main effect alone, the pairwise
interactions (Harsanyi dividends) and the share of the change that is interaction.

Use `subsets(drivers)` to list the 2^k worlds to solve (in a fixed order, so they can be
solved in parallel), then `decompose(drivers, values)` with a function or a mapping from
each subset to its outcome(s): a number, or several outcomes as a dict or pandas Series.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from numbers import Real
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

import numpy as np
import pandas as pd

from energymodel.errors import InputError

MAX_DRIVERS = 10
"""Most drivers decomposed at once: 2^10 = 1,024 solves. A Nash-bargaining solve of the
baseline takes about 0.2 s and a hold-up solve about 1.2 s (benchmarks/results.json), so
10 drivers cost 3.5 to 20 minutes on one core; each driver more doubles it. Above that,
group drivers into fewer switches."""

EFFICIENCY_RTOL = 1e-9
"""The Shapley values must add up to the total to this relative tolerance."""

Outcomes: TypeAlias = float | Mapping[str, float] | pd.Series
"""The outcome(s) of one subset's solve: one number, or named numbers."""

SINGLE = "value"
"""The outcome's name when a subset's value is a single number."""


def subsets(drivers: Sequence[str]) -> list[frozenset[str]]:
    """Every subset of `drivers` (2^k), in a fixed order: by size, then in the order the
    drivers are given (for a, b, c: {}, {a}, {b}, {c}, {a, b}, {a, c}, {b, c}, {a, b, c})."""
    names = _check_drivers(drivers)
    return [frozenset(c) for size in range(len(names) + 1) for c in combinations(names, size)]


def subset_label(subset: Iterable[str], drivers: Sequence[str], empty: str = "reference"
                 ) -> str:
    """A readable name of a subset, e.g. for a run folder: its drivers joined by '+' in
    the drivers' order, `empty` for the reference world."""
    chosen = set(subset)
    return "+".join(d for d in drivers if d in chosen) or empty


def from_table(table: pd.DataFrame, drivers: Sequence[str],
               outcomes: Sequence[str] | None = None, file: str | Path | None = None
               ) -> dict[frozenset[str], pd.Series]:
    """Values by subset from a table of solved worlds: one row per subset, one 0/1 (or
    boolean) column per driver saying whether it is switched on, and one column per
    outcome (`outcomes`; default every other numeric column). With `file`, errors are
    InputError naming the file and column."""
    names = _check_drivers(drivers)
    missing = [d for d in names if d not in table.columns]
    if missing:
        _fail(file, missing[0], "no column for this driver (one 0/1 column per driver)")
    if outcomes is None:
        outcomes = [c for c in table.columns if c not in names
                    and pd.api.types.is_numeric_dtype(table[c])
                    and not pd.api.types.is_bool_dtype(table[c])]
    if not outcomes:
        _fail(file, "columns", "no outcome column (a numeric column besides the drivers)")
    for column in outcomes:
        if column not in table.columns:
            _fail(file, column, "no such outcome column")
        values = pd.to_numeric(table[column], errors="coerce")
        if not np.isfinite(values.to_numpy(dtype=float)).all():
            _fail(file, column, "every row needs a finite number")
    flags = table[list(names)]
    if not flags.isin([0, 1]).all().all():
        bad = next(c for c in names if not flags[c].isin([0, 1]).all())
        _fail(file, bad, "driver columns hold 0/1 (or true/false)")
    numbers = table[list(outcomes)].apply(pd.to_numeric).to_numpy(dtype=float)
    result: dict[frozenset[str], pd.Series] = {}
    for row, on in zip(numbers, flags.to_numpy(dtype=bool), strict=True):
        subset = frozenset(d for d, active in zip(names, on, strict=True) if active)
        if subset in result:
            _fail(file, "rows", f"subset '{subset_label(subset, names)}' appears twice")
        result[subset] = pd.Series(row, index=list(outcomes))
    absent = [s for s in subsets(names) if s not in result]
    if absent:
        _fail(file, "rows", _missing_text(absent, names))
    return result


@dataclass(frozen=True)
class Decomposition:
    """A change split by driver. Every table is tidy (one row per driver or pair, and
    outcome) and carries the outcome's unit ('' if none was given).

    contributions: driver, outcome, unit, shapley, main_effect, interaction_effect
        (shapley - main_effect: the driver's share of its joint effects), share_of_total
        (shapley / total; can be negative or above 1 when drivers pull opposite ways).
    totals: outcome, unit, reference (v of no driver), scenario (v of all), total,
        sum_shapley, sum_main_effects, interaction_share (total - sum of main effects),
        pairwise_interactions, higher_order_interactions, efficiency_error, efficient.
    interactions: driver_a, driver_b, outcome, unit, interaction (the pair's Harsanyi
        dividend v(ab) - v(a) - v(b) + v(none)), shapley_interaction_index (Grabisch).
    dividends: the Harsanyi dividend of every subset (rows by `subset_label`, columns the
        outcomes); they add up to the total, and each driver's Shapley value is the sum of
        the dividends of the subsets it is in, each divided by the subset's size.
    """

    drivers: tuple[str, ...]
    contributions: pd.DataFrame
    totals: pd.DataFrame
    interactions: pd.DataFrame
    dividends: pd.DataFrame

    @property
    def efficient(self) -> bool:
        """Whether the Shapley values add up to the total for every outcome."""
        return bool(self.totals["efficient"].all())

    def shapley(self) -> pd.DataFrame:
        """The Shapley values as a wide table: drivers by outcomes."""
        return self.contributions.pivot(index="driver", columns="outcome", values="shapley"
                                        ).loc[list(self.drivers)]

    def sentences(self) -> list[str]:
        """One line per driver and outcome, e.g. 'europe_closed moves price by -0.3 USD/MMBtu
        (60% of the total -0.5): -0.2 on its own, -0.1 through interactions.'"""
        totals = self.totals.set_index("outcome")["total"]
        lines = []
        for r in self.contributions.to_dict("records"):
            unit = f" {r['unit']}" if r["unit"] else ""
            total = totals[r["outcome"]]
            share = (f"{r['share_of_total']:.0%} of the total {total:.4g}{unit}"
                     if np.isfinite(r["share_of_total"]) else f"the total is {total:.4g}{unit}")
            lines.append(f"{r['driver']} moves {r['outcome']} by {r['shapley']:.4g}{unit} "
                         f"({share}): {r['main_effect']:.4g} on its own, "
                         f"{r['interaction_effect']:.4g} through interactions.")
        return lines


def decompose(drivers: Sequence[str],
              values: Callable[[frozenset[str]], Outcomes] | Mapping[Any, Outcomes],
              units: str | Mapping[str, str] | None = None) -> Decomposition:
    """Shapley decomposition of `v(all drivers) - v(no driver)`.

    values: a function of the subset of active drivers, called once per subset in the
        order of `subsets(drivers)`, or a mapping from every subset (frozenset, set or
        tuple of driver names) to its value; a value is one number or several named
        outcomes (dict or Series, the same names for every subset).
    units: one unit for every outcome, or a unit per outcome name.
    """
    names = _check_drivers(drivers)
    order = subsets(names)
    table = _values_table(names, order, values)
    k, outcomes = len(names), list(table.columns)
    unit = _units(units, outcomes)
    v = np.empty((1 << k, len(outcomes)))  # row = bitmask of active drivers (bit j: names[j])
    v[[_mask(s, names) for s in order]] = table.to_numpy(dtype=float)
    total, shapley, main = v[-1] - v[0], _shapley(v, k), v[[1 << j for j in range(k)]] - v[0]
    dividend = _moebius(v, k)
    pairs = list(combinations(range(k), 2))
    index = _interaction_index(v, k, pairs)
    pairwise = sum((dividend[(1 << i) | (1 << j)] for i, j in pairs), np.zeros(len(outcomes)))

    scale = np.abs(v).max(axis=0)  # a total below 1e-12 of the values is rounding noise
    error = shapley.sum(axis=0) - total
    totals = pd.DataFrame({
        "outcome": outcomes, "unit": [unit[o] for o in outcomes], "reference": v[0],
        "scenario": v[-1], "total": total, "sum_shapley": shapley.sum(axis=0),
        "sum_main_effects": main.sum(axis=0), "interaction_share": total - main.sum(axis=0),
        "pairwise_interactions": pairwise,
        "higher_order_interactions": total - main.sum(axis=0) - pairwise,
        "efficiency_error": error,
        "efficient": np.abs(error) <= np.maximum(EFFICIENCY_RTOL * np.abs(total),
                                                 1e-12 * scale)})
    share = np.divide(shapley, total, out=np.full_like(shapley, np.nan),
                      where=np.abs(total) > 1e-12 * scale)
    contributions = pd.DataFrame(
        [(names[j], name, unit[name], shapley[j, o], main[j, o], shapley[j, o] - main[j, o],
          share[j, o]) for o, name in enumerate(outcomes) for j in range(k)],
        columns=["driver", "outcome", "unit", "shapley", "main_effect", "interaction_effect",
                 "share_of_total"])
    interactions = pd.DataFrame(
        [(names[i], names[j], name, unit[name], dividend[(1 << i) | (1 << j), o],
          index[p, o]) for o, name in enumerate(outcomes) for p, (i, j) in enumerate(pairs)],
        columns=["driver_a", "driver_b", "outcome", "unit", "interaction",
                 "shapley_interaction_index"])
    dividends = pd.DataFrame(dividend[[_mask(s, names) for s in order]],
                             index=[subset_label(s, names) for s in order],
                             columns=outcomes).rename_axis("subset")
    return Decomposition(names, contributions, totals, interactions, dividends)


def _shapley(v: np.ndarray, k: int) -> np.ndarray:
    """Shapley values (drivers by outcomes) of the game v indexed by bitmask: each driver's
    marginal contribution v(S + i) - v(S) weighted by |S|! (k - |S| - 1)! / k!."""
    masks, size = np.arange(1 << k), _sizes(k)
    weight = np.array([_weight(s, k - s - 1, k) for s in range(k)])
    result = np.empty((k, v.shape[1]))
    for j in range(k):
        off = masks[(masks >> j) & 1 == 0]
        result[j] = (weight[size[off]][:, None] * (v[off | (1 << j)] - v[off])).sum(axis=0)
    return result


def _interaction_index(v: np.ndarray, k: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Shapley interaction index (Grabisch 1997) of each pair (pairs by outcomes): the
    pair's second difference v(S+ab) - v(S+a) - v(S+b) + v(S) weighted by
    |S|! (k - |S| - 2)! / (k - 1)! over the subsets S without a and b."""
    masks, size = np.arange(1 << k), _sizes(k)
    weight = np.array([_weight(s, k - s - 2, k - 1) for s in range(k - 1)])
    result = np.empty((len(pairs), v.shape[1]))
    for p, (i, j) in enumerate(pairs):
        a, b = 1 << i, 1 << j
        rest = masks[(masks & (a | b)) == 0]
        second = v[rest | a | b] - v[rest | a] - v[rest | b] + v[rest]
        result[p] = (weight[size[rest]][:, None] * second).sum(axis=0)
    return result


def _weight(before: int, after: int, n: int) -> float:
    """before! after! / n!, exactly rounded."""
    return float(Fraction(math.factorial(before) * math.factorial(after), math.factorial(n)))


def _sizes(k: int) -> np.ndarray:
    return np.array([m.bit_count() for m in range(1 << k)])


def _check_drivers(drivers: Sequence[str]) -> tuple[str, ...]:
    if isinstance(drivers, str):
        raise ValueError("drivers: give a list of names, not one string")
    names = tuple(drivers)
    if not names:
        raise ValueError("drivers: at least one driver is needed")
    for d in names:
        if not isinstance(d, str) or not d:
            raise ValueError(f"drivers: {d!r} is not a name (a non-empty string)")
    seen = {d for d in names if names.count(d) > 1}
    if seen:
        raise ValueError(f"drivers: duplicate names {sorted(seen)}")
    if len(names) > MAX_DRIVERS:
        raise ValueError(
            f"drivers: {len(names)} drivers need 2^{len(names)} = {1 << len(names):,} solves; "
            f"the limit is {MAX_DRIVERS} ({1 << MAX_DRIVERS:,} solves, minutes of model "
            "time); group drivers into fewer switches")
    return names


def _values_table(names: tuple[str, ...], order: list[frozenset[str]],
                  values: Callable[[frozenset[str]], Outcomes] | Mapping[Any, Outcomes]
                  ) -> pd.DataFrame:
    """The value of every subset as a table: rows in `order`, one column per outcome."""
    if callable(values) and not isinstance(values, Mapping):
        given = {s: values(s) for s in order}
    elif isinstance(values, Mapping):
        given = {}
        for key, value in values.items():
            if isinstance(key, str) or not isinstance(key, Iterable):
                raise ValueError(f"values: key {key!r} is not a set of driver names")
            subset = frozenset(key)
            unknown = sorted(subset - set(names))
            if unknown:
                raise ValueError(f"values: subset {sorted(subset)} names unknown drivers "
                                 f"{unknown}")
            if subset in given:
                raise ValueError(f"values: subset '{subset_label(subset, names)}' given twice")
            given[subset] = value
        absent = [s for s in order if s not in given]
        if absent:
            raise ValueError(f"values: {_missing_text(absent, names)}")
    else:
        raise ValueError("values: give a function of the subset or a mapping subset -> value")
    rows = [_as_numbers(given[s], subset_label(s, names)) for s in order]
    outcomes = list(rows[0])
    for s, row in zip(order, rows, strict=True):
        if row.keys() != set(outcomes):
            raise ValueError(f"values: subset '{subset_label(s, names)}' has outcomes "
                             f"{sorted(map(str, row))}, the reference "
                             f"{sorted(map(str, outcomes))}")
    return pd.DataFrame([[row[o] for o in outcomes] for row in rows], columns=outcomes)


def _as_numbers(value: Outcomes, label: str) -> dict[str, float]:
    """One subset's outcomes as {name: number}; a single number is named SINGLE."""
    items: dict[Any, Any]  # outcome names as given (strings, by the Outcomes contract)
    if isinstance(value, pd.Series):
        if value.index.has_duplicates:
            raise ValueError(f"values: subset '{label}' repeats outcome names")
        items = dict(value.items())
    elif isinstance(value, Mapping):
        items = dict(value)
    elif isinstance(value, Real) and not isinstance(value, bool):
        items = {SINGLE: value}
    else:
        raise ValueError(f"values: subset '{label}': {type(value).__name__} is not a number, "
                         "dict or Series")
    if not items:
        raise ValueError(f"values: subset '{label}' has no outcome")
    numbers = {}
    for name, x in items.items():
        try:
            numbers[name] = float(x)
        except (TypeError, ValueError):
            numbers[name] = math.nan
        if not math.isfinite(numbers[name]):
            raise ValueError(f"values: subset '{label}': outcome '{name}' is not a finite "
                             f"number ({x!r})")
    return numbers


def _units(units: str | Mapping[str, str] | None, outcomes: list[str]) -> dict[str, str]:
    if units is None or isinstance(units, str):
        return dict.fromkeys(outcomes, units or "")
    missing = [o for o in outcomes if o not in units]
    if missing:
        raise ValueError(f"units: no unit for outcome(s) {missing}")
    return {o: str(units[o]) for o in outcomes}


def _mask(subset: Iterable[str], names: tuple[str, ...]) -> int:
    chosen = set(subset)
    return sum(1 << j for j, d in enumerate(names) if d in chosen)


def _moebius(v: np.ndarray, k: int) -> np.ndarray:
    """Harsanyi dividends m(T) = sum over S in T of (-1)^(|T|-|S|) v(S), by bitmask."""
    m = v.copy()
    masks = np.arange(1 << k)
    for j in range(k):
        on = masks[(masks >> j) & 1 == 1]
        m[on] -= m[on ^ (1 << j)]
    return m


def _missing_text(absent: list[frozenset[str]], names: tuple[str, ...]) -> str:
    shown = ", ".join(f"'{subset_label(s, names)}'" for s in absent[:3])
    more = f" and {len(absent) - 3} more" if len(absent) > 3 else ""
    return (f"{len(absent)} of the {1 << len(names)} subsets have no value ({shown}{more}); "
            "every subset of the drivers must be solved")


def _fail(file: str | Path | None, field: str, reason: str) -> NoReturn:
    if file is not None:
        raise InputError(file, field, reason)
    raise ValueError(f"{field}: {reason}")
