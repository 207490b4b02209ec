"""Why the buyer has leverage: the change in the price it pays for the exporter's pipeline
gas, and in the NPV moved to it, from a reference world to the scenario, split by driver
with exact Shapley values (energymodel.shapley; docs/derivations.md, "The leverage
decomposition").

A driver (the scenario's `leverage.drivers`) is a set of changes that turns it off: its
reference world. The world of a subset S of drivers is the scenario with the reference
changes of every driver outside S applied; S = all is the scenario, S = none the
reference world. Each world is solved in full (one engine Session, so the later ones are
re-solves), and the outcomes below are decomposed:

    price            the buyer's mean price for the exporter's gas over the window
                     (summary mean_price) [USD/MMBtu]
    npv_to_buyer     the NPV moved to the buyer: its saving on the gas it buys in the
                     scenario, at the world's mean price in each year against the
                     reference world's, sum over the window of (p_reference,y - p_world,y)
                     x scenario volume_y x discount weight_y [USD bn] (0 in the reference
                     world; in the scenario, the total moved)
    benchmark        the mean competitive benchmark (the border price of the buyer's
                     marginal alternative) [USD/MMBtu]
    opportunity_cost the exporter's mean opportunity cost at the border [USD/MMBtu]
    volume           the exporter's mean volume to the buyer, weighted by the calendar
                     years of each period [bcm/y]

    lng_at_margin    the share of the window's years in which the buyer imports LNG at the
                     margin (its demand at import parity exceeds what the modelled
                     suppliers bring), weighted by the calendar years of each period

The last four are the channels the explanation of each driver names. A driver whose
reference world is the scenario itself (the scenario has no such driver, e.g. no hold-up)
is reported as inactive and left out of the 2^k worlds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from energymodel import indicators, progress, shapley, structures
from energymodel._version import __version__
from energymodel.engine import Session
from energymodel.errors import InputError, SolveError
from energymodel.publish import json_bytes, publish, write_tables
from energymodel.scenario import Driver, Scenario, input_error
from energymodel.sweeps import executors
from energymodel.units import K

OUTCOMES = {"price": "USD/MMBtu", "npv_to_buyer": "USD bn", "benchmark": "USD/MMBtu",
            "opportunity_cost": "USD/MMBtu", "volume": "bcm/y", "lng_at_margin": "share"}
TABLE_COLUMNS = ["driver", "name", "active", "price_effect_usd_per_mmbtu",
                 "price_main_effect_usd_per_mmbtu", "npv_to_buyer_usd_bn",
                 "benchmark_effect_usd_per_mmbtu", "opportunity_cost_effect_usd_per_mmbtu",
                 "volume_effect_bcm_per_y", "lng_at_margin_effect", "explanation"]


@dataclass(frozen=True)
class Leverage:
    """A scenario's leverage decomposition: the worlds solved, the Shapley decomposition
    of their outcomes, and the table `leverage.csv` holds (one row per driver, then the
    total)."""

    scenario: Scenario
    market: str
    drivers: dict[str, Driver]
    active: tuple[str, ...]
    worlds: pd.DataFrame  # one row per subset of active drivers: 0/1 per driver, outcomes
    decomposition: shapley.Decomposition | None  # None when no driver is active

    @property
    def table(self) -> pd.DataFrame:
        """Per driver: its Shapley contribution to each outcome, the price's main effect
        (the driver alone from the reference world), and a sentence; then the total."""
        rows = []
        d = self.decomposition
        idle = pd.DataFrame(0.0, index=list(self.drivers), columns=list(OUTCOMES))
        wide = d.shapley() if d is not None else idle
        main = (d.contributions.pivot(index="driver", columns="outcome", values="main_effect")
                if d is not None else idle)
        for key, driver in self.drivers.items():
            on = key in self.active and d is not None
            effect = (wide if on else idle).loc[key].astype(float).squeeze()
            assert isinstance(effect, pd.Series)  # one row of a table by its unique driver
            rows.append({
                "driver": key, "name": driver.name, "active": on,
                "price_effect_usd_per_mmbtu": effect["price"],
                "price_main_effect_usd_per_mmbtu": main.loc[key, "price"] if on else 0.0,
                "npv_to_buyer_usd_bn": effect["npv_to_buyer"],
                "benchmark_effect_usd_per_mmbtu": effect["benchmark"],
                "opportunity_cost_effect_usd_per_mmbtu": effect["opportunity_cost"],
                "volume_effect_bcm_per_y": effect["volume"],
                "lng_at_margin_effect": effect["lng_at_margin"],
                "explanation": self._sentence(driver, effect, on)})
        total = self.total
        rows.append({"driver": "total", "name": "All drivers", "active": True,
                     "price_effect_usd_per_mmbtu": total["price"],
                     "price_main_effect_usd_per_mmbtu": float(np.sum(
                         [r["price_main_effect_usd_per_mmbtu"] for r in rows])),
                     "npv_to_buyer_usd_bn": total["npv_to_buyer"],
                     "benchmark_effect_usd_per_mmbtu": total["benchmark"],
                     "opportunity_cost_effect_usd_per_mmbtu": total["opportunity_cost"],
                     "volume_effect_bcm_per_y": total["volume"],
                     "lng_at_margin_effect": total["lng_at_margin"],
                     "explanation": self._total_sentence()})
        return pd.DataFrame(rows, columns=TABLE_COLUMNS)

    @property
    def total(self) -> pd.Series:
        """Each outcome in the scenario less in the reference world."""
        if self.decomposition is None:
            return pd.Series(0.0, index=list(OUTCOMES))
        return self.decomposition.totals.set_index("outcome")["total"]

    @property
    def interactions(self) -> pd.DataFrame:
        """Pairwise interactions of the drivers (Harsanyi dividends) on each outcome."""
        if self.decomposition is None:
            return pd.DataFrame(columns=["driver_a", "driver_b", "outcome", "unit",
                                         "interaction", "shapley_interaction_index"])
        return self.decomposition.interactions

    def _sentence(self, driver: Driver, effect: pd.Series, on: bool) -> str:
        if not on:
            return (f"{driver.name}: not at work in this scenario (its reference world is "
                    "the scenario itself), so it moves nothing." + _why(driver))
        return (f"{driver.name} moves the buyer's price by {effect['price']:+.2f} USD/MMBtu "
                f"and moves {effect['npv_to_buyer']:+.1f} USD bn (NPV) to the buyer, "
                + _channels(effect) + "." + _why(driver))

    def _total_sentence(self) -> str:
        if self.decomposition is None:
            return "No driver is at work in this scenario."
        t = self.decomposition.totals.set_index("outcome")
        price = t.loc["price"]
        return (f"From the reference world ({price['reference']:.2f} USD/MMBtu) to the "
                f"scenario ({price['scenario']:.2f}) the buyer's price moves by "
                f"{price['total']:+.2f} USD/MMBtu, {price['interaction_share']:+.2f} of it "
                "through interactions between drivers.")

    def text(self) -> str:
        """The decomposition as the CLI prints it."""
        t = self.table
        shown = t.set_index("name")[["price_effect_usd_per_mmbtu", "npv_to_buyer_usd_bn",
                                     "benchmark_effect_usd_per_mmbtu",
                                     "opportunity_cost_effect_usd_per_mmbtu",
                                     "volume_effect_bcm_per_y"]]
        shown.columns = ["price USD/MMBtu", "NPV to buyer USD bn", "benchmark",
                         "opportunity cost", "volume bcm/y"]
        shown.index.name = None
        start, end = self.window
        lines = [f"Leverage of {self.market} over {self.scenario.name}: Shapley values of the "
                 f"change from the reference world (every driver off) to the scenario; means "
                 f"and NPV over {start}-{end}; {len(self.worlds)} worlds solved",
                 shown.round(3).to_string(), "", *t["explanation"]]
        return "\n".join(lines)

    @property
    def window(self) -> tuple[int, int]:
        return (int(self.worlds["from_year"].iloc[0]), int(self.worlds["to_year"].iloc[0]))


def _channels(effect: pd.Series) -> str:
    """How a driver's effect comes about, from its Shapley values on the channels."""
    parts = [f"the buyer's competitive benchmark {effect['benchmark']:+.2f} USD/MMBtu",
             f"the exporter's opportunity cost {effect['opportunity_cost']:+.2f} USD/MMBtu",
             f"its volume to the buyer {effect['volume']:+.1f} bcm/y",
             f"the share of years with LNG at the buyer's margin "
             f"{100 * effect['lng_at_margin']:+.0f} points"]
    return "through " + ", ".join(parts)


def _why(driver: Driver) -> str:
    return f" Why: {driver.why}" if driver.why else ""


def world(scenario: Scenario, drivers: dict[str, Driver], on: frozenset[str]) -> Scenario:
    """The scenario with the reference changes of every driver not in `on` applied (in
    the drivers' order)."""
    for key, driver in drivers.items():
        if key not in on:
            scenario = driver.reference.apply(scenario)
    return scenario


def outcomes(tables: Mapping[str, pd.DataFrame], years: pd.DataFrame) -> dict[str, float]:
    """The outcomes of one world (module docstring)."""
    s = tables["summary"].set_index("metric")["value"]
    b = tables["benchmark_summary"].set_index("benchmark")
    p = tables["pressure"]
    window = p[indicators.window_mask(p["year"])]
    span = years["length"].reindex(window["year"]).to_numpy()
    weight = years["weight"].reindex(window["year"]).to_numpy()
    m = tables["markets"]
    m = m[(m["market"] == p["market"].iloc[0]) & indicators.window_mask(m["year"])]
    lng = (m["residual_bcm_per_y"].fillna(0.0) > 1e-6).to_numpy()
    m_span = years["length"].reindex(m["year"]).to_numpy()
    yearly = {f"{key}{y}": float(v) for y, p_y, q_y, w_y in zip(
        window["year"], window["price_usd_per_mmbtu"], window["volume_bcm_per_y"], weight,
        strict=True) for key, v in (("p", p_y), ("q", q_y), ("w", w_y))}
    return {"price": float(s["mean_price"]),
            "benchmark": float(np.asarray(b.loc["competitive",
                                                "benchmark_price_usd_per_mmbtu"])),
            "opportunity_cost": float(np.asarray(b.loc["opportunity_cost",
                                                       "benchmark_price_usd_per_mmbtu"])),
            "volume": float((window["volume_bcm_per_y"] * span).sum() / span.sum()),
            "lng_at_margin": float((lng * m_span).sum() / m_span.sum()),
            "from_year": float(s["mean_from_year"]), "to_year": float(s["mean_to_year"]),
            **yearly}


def moved(records: list[dict[str, float]], reference: int, scenario: int) -> list[float]:
    """npv_to_buyer of each world (module docstring), from the yearly prices, volumes and
    weights the worlds' records carry."""
    years = [k[1:] for k in records[scenario] if k.startswith("q")]
    s, r = records[scenario], records[reference]
    return [sum((r[f"p{y}"] - w[f"p{y}"]) * s[f"q{y}"] * K * s[f"w{y}"] for y in years
                if s[f"q{y}"] > 0) for w in records]


def leverage(scenario: Scenario | str | Path, drivers: dict | None = None,
             session: Session | None = None, executor: str = "processes",
             workers: int | None = None) -> Leverage:
    """Why the buyer has leverage (`em.leverage`): decompose the change in its price for
    the exporter's gas, and the NPV moved to it, from the reference world to `scenario`
    (object or file) over `drivers` (id -> {name, reference, why} or a scenario.Driver;
    default: the scenario's `leverage.drivers`). Every subset of the active drivers is
    solved once, in worker processes (`executor`, as a sweep's) from 8 worlds on, else in
    this process (with `session` where given)."""
    from energymodel.api import load_scenario

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if drivers is not None:
        drivers = {k: d if isinstance(d, Driver) else _driver(scenario, k, d)
                   for k, d in drivers.items()}
    if drivers is None:
        if scenario.leverage is None:
            raise InputError(scenario.file(), "leverage", "the scenario names no drivers "
                             "(a `leverage: {drivers: ...}` section, as in "
                             "scenarios/baseline.yaml)")
        drivers = dict(scenario.leverage.drivers)
    market = structures.buyer_market(scenario)
    if market is None:
        raise InputError(scenario.file(), "markets", "a leverage decomposition needs a market "
                         "with buyer power (monopsony or bargaining)")
    digest = scenario.digest()
    active = tuple(k for k, d in drivers.items() if d.reference.apply(scenario).digest()
                   != digest)
    order = shapley.subsets(active) if active else [frozenset()]
    worlds = tuple(world(scenario, {k: drivers[k] for k in active}, subset).updated(
        name=f"{scenario.name}.{shapley.subset_label(subset, active)}", leverage=None,
        dependence=None, uncertainty=None) for subset in order)
    runner = (executors.InProcess() if session is not None or len(worlds) < 8
              else executors.executor(executor, workers))
    context = executors.Context(scenario, (), (), worlds, outcomes)
    records = {}
    with progress.task("leverage worlds", len(worlds)) as bar:
        for record in runner.run(context, ((i, {}) for i in range(len(worlds)))):
            if record["status"] == "bad input":  # a driver's changes the data reject
                raise InputError(scenario.file(), "leverage.drivers", f"world "
                                 f"{worlds[record['point']].name}: {record['reason']}")
            if record["status"] != "ok":
                raise SolveError(record["status"], f"leverage world "
                                 f"{worlds[record['point']].name}: {record['reason']}")
            records[record["point"]] = record["outputs"]
            bar.advance()
    found = [records[i] for i in range(len(order))]
    transfer = moved(found, 0, len(order) - 1)
    rows = [{**{k: int(k in subset) for k in active}, "npv_to_buyer": transfer[i],
             **{k: v for k, v in found[i].items() if not k[1:].isdigit()}}
            for i, subset in enumerate(order)]
    table = pd.DataFrame(rows)
    decomposition = None
    if active:
        decomposition = shapley.decompose(active, shapley.from_table(
            table, active, list(OUTCOMES)), units=OUTCOMES)
        if not decomposition.efficient:
            raise AssertionError("Shapley values do not add up to the total")
    return Leverage(scenario, market, drivers, active, table, decomposition)


def _driver(scenario: Scenario, key: str, raw: object) -> Driver:
    if not isinstance(raw, dict):
        raise InputError(scenario.file(), f"drivers.{key}", "a driver is a mapping with "
                         "name, reference and (optionally) why")
    try:
        return Driver.model_validate(raw)
    except ValidationError as err:
        raise input_error(err, f"<drivers.{key}>", Driver) from None


def fill(folder: Path, result: Leverage) -> None:
    """The files of a leverage decomposition, into the empty `folder`."""
    write_tables(folder, {"leverage": result.table, "leverage_interactions":
                          result.interactions, "leverage_worlds": result.worlds})
    publish(folder / "manifest.json", json_bytes({
        "kind": "energymodel leverage", "energymodel": __version__,
        "scenario": {"name": result.scenario.name, "file": result.scenario.file(),
                     "sha256": result.scenario.digest()},
        "market": result.market, "drivers": list(result.drivers),
        "active": list(result.active), "worlds": len(result.worlds)}))


def check_sums(result: Leverage) -> float:
    """The largest gap between the sum of the drivers' price effects and the total."""
    t = result.table
    parts = t[t["driver"] != "total"]
    total = t[t["driver"] == "total"].iloc[0]
    gaps = [abs(parts[c].sum() - total[c]) for c in
            ("price_effect_usd_per_mmbtu", "npv_to_buyer_usd_bn")]
    return float(np.max(gaps))
