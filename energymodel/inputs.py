"""Model inputs: the scenario applied to the data, as tables on the model's index sets.

Time: a model year `y` stands for the period of `horizon.step` calendar years starting at
`y` (the last one is cut at `end_year`). Every time path is evaluated at each calendar year
and averaged over the period: capacities and contracted flows as steps (a value holds from
its anchor year until the next; zero before the first: nothing existed before the data say
so), prices and quantities linearly between anchors and flat beyond the first and last.
Discounting: `weight[y] = sum over the period's calendar years t of (1 + r)^-(t - start_year)`,
so that NPV = sum over y of weight[y] * annual value[y].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from energymodel import demand, units
from energymodel.data import DataSet, apply_overrides, load_dataset, parameter_schema
from energymodel.errors import InputError
from energymodel.scenario import Scenario, display_path

# USD bn per (bcm/y x USD/MMBtu): money of one year's flow at a price.
MONEY_PER_FLOW_PRICE = units.USD_BN_PER_BCM_USD_PER_MMBTU


@dataclass(frozen=True)
class Inputs:
    """Everything the model needs, indexed like the model's sets. Units in column names are
    those of schema/parameters.csv: bcm/y, USD/MMBtu, USD bn."""

    scenario: Scenario
    data: DataSet
    years: pd.DataFrame  # index year: length [years], weight [discounted years]
    basins: pd.DataFrame  # index basin: mc_intercept, mc_slope, reserves (NaN: none)
    basin_years: pd.DataFrame  # index (basin, year): capacity
    routes: pd.DataFrame  # index route: basin, market, kind
    route_years: pd.DataFrame  # index (route, year): capacity, availability, unit_cost, min_flow
    options: pd.DataFrame  # index option: route, unit_size, max_units, capex, ..., annual_cost
    option_online: pd.DataFrame  # columns option, decision_year, year: a unit decided then runs
    markets: pd.DataFrame  # index market: structure, theta, pathway
    market_years: pd.DataFrame  # index (market, year): intercept, slope, price_cap, ...
    segments: pd.DataFrame  # index (market, year, segment): start, price, slope, width, alpha, beta
    supply_steps: pd.DataFrame  # index (basin, year, step): width, cost (stepped supply only)

    @property
    def decisions(self) -> pd.DataFrame:
        """(option, decision_year) pairs at which a unit can be decided."""
        return self.option_online[["option", "decision_year"]].drop_duplicates()


def prepare(scenario: Scenario, data: DataSet | None = None) -> Inputs:
    """Load the scenario's data (unless given), apply overrides and build the inputs."""
    data = load_dataset(scenario.data_dir) if data is None else data
    _check_scenario_references(scenario, data)
    data = apply_overrides(data, scenario)
    years = _years(scenario)
    markets = _markets(scenario, data)
    _check_coverage(scenario, data, markets)
    market_years, segments = _demand(scenario, data, years, markets)
    basin_years = _paths(data, data.basins.index, ["capacity"], years)
    basins = _statics(data, data.basins.index, ["mc_intercept", "mc_slope", "reserves"])
    return Inputs(
        scenario=scenario, data=data, years=years, basins=basins, basin_years=basin_years,
        routes=data.routes[["basin", "market", "kind"]],
        route_years=_route_years(scenario, data, years),
        options=_options(scenario, data),
        option_online=_option_online(scenario, data, years),
        markets=markets, market_years=market_years, segments=segments,
        supply_steps=_supply_steps(scenario, basins, basin_years),
    )


def _check_scenario_references(scenario: Scenario, data: DataSet) -> None:
    file = scenario.file()
    pathways = data.pathways()
    if scenario.pathway not in pathways:
        raise InputError(file, "pathway", f"no pathway '{scenario.pathway}' in the data "
                         f"(one of {', '.join(sorted(pathways))})")
    for market, spec in scenario.markets.items():
        if market not in data.markets.index:
            raise InputError(file, f"markets.{market}", f"no market '{market}' in the data "
                             f"(one of {', '.join(data.markets.index)})")
        if spec.pathway is not None and spec.pathway not in pathways:
            raise InputError(file, f"markets.{market}.pathway",
                             f"no pathway '{spec.pathway}' in the data")
    for market in data.markets.index:
        if market not in scenario.markets:
            raise InputError(file, "markets", f"market '{market}' needs a structure")
    known = set(data.policies["policy"])
    for i, policy in enumerate(scenario.policies):
        if policy not in known:
            raise InputError(file, f"policies[{i}]", f"no policy '{policy}' in policies.csv")


def _years(scenario: Scenario) -> pd.DataFrame:
    h, r = scenario.horizon, scenario.discount_rate
    starts = list(range(h.start_year, h.end_year + 1, h.step))
    rows = []
    for y in starts:
        calendar = np.arange(y, min(y + h.step, h.end_year + 1))
        rows.append({"year": y, "length": len(calendar),
                     "weight": float(np.sum((1 + r) ** -(calendar - h.start_year)))})
    return pd.DataFrame(rows).set_index("year")


def _calendar(years: pd.DataFrame) -> pd.Series:
    """Model year of each calendar year."""
    return pd.Series({y + i: y for y, n in years["length"].items() for i in range(n)})


def _evaluate(anchors: pd.Series, calendar: np.ndarray, interpolation: str) -> np.ndarray:
    """A path given at anchor years, at each calendar year."""
    x, v = anchors.index.to_numpy(float), anchors.to_numpy(float)
    if interpolation == "linear":
        return np.interp(calendar, x, v)
    idx = np.searchsorted(x, calendar, side="right") - 1
    return np.where(idx >= 0, v[np.clip(idx, 0, None)], 0.0)


def _period_mean(anchors: pd.Series, years: pd.DataFrame, interpolation: str) -> pd.Series:
    calendar = _calendar(years)
    values = _evaluate(anchors, calendar.index.to_numpy(float), interpolation)
    return pd.Series(values, index=calendar.to_numpy()).groupby(level=0).mean()


def _interpolation(kind: str, parameter: str) -> str:
    return str(parameter_schema().loc[(kind, parameter), "interpolation"])


def _paths(data: DataSet, entities: pd.Index, parameters: list[str], years: pd.DataFrame,
           defaults: dict[str, float] | None = None) -> pd.DataFrame:
    """Period means of path parameters, indexed by (entity, year)."""
    defaults = defaults or {}
    frames = []
    for entity in entities:
        kind = data.kind_of(entity)
        cols = {}
        for p in parameters:
            anchors = data.series(entity, p)
            cols[p] = (_period_mean(anchors, years, _interpolation(kind, p)) if len(anchors)
                       else pd.Series(defaults[p], index=years.index))
        frames.append(pd.DataFrame(cols).assign(entity=entity))
    name = entities.name
    return (pd.concat(frames).rename_axis("year").reset_index()
            .rename(columns={"entity": name}).set_index([name, "year"]))


def _statics(data: DataSet, entities: pd.Index, parameters: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(index=entities, columns=parameters, dtype=float)
    for entity in entities:
        for p in parameters:
            s = data.series(entity, p)
            table.loc[entity, p] = s.iloc[0] if len(s) else np.nan
    return table


def _route_years(scenario: Scenario, data: DataSet, years: pd.DataFrame) -> pd.DataFrame:
    table = _paths(data, data.routes.index, ["capacity", "min_flow"], years, {"min_flow": 0.0})
    unit_cost = _statics(data, data.routes.index, ["unit_cost"])["unit_cost"]
    calendar = _calendar(years)
    active = data.policies[data.policies["policy"].isin(scenario.policies)]
    availability, adder = [], []
    for route in data.routes.index:
        rows = active[active["entity"] == route]
        avail = pd.Series(1.0, index=calendar.index)
        add = pd.Series(0.0, index=calendar.index)
        for _, p in rows.iterrows():
            end = np.inf if np.isnan(p["to_year"]) else p["to_year"]
            on = (calendar.index >= p["from_year"]) & (calendar.index <= end)
            if p["effect"] == "availability":
                avail[on] = np.minimum(avail[on], p["value"])
            else:
                add[on] += p["value"]
        availability.append(avail.groupby(calendar.to_numpy()).mean())
        adder.append(add.groupby(calendar.to_numpy()).mean())
    table["availability"] = pd.concat(availability).to_numpy()
    table["unit_cost"] = (unit_cost.reindex(table.index.get_level_values("route")).to_numpy()
                          + pd.concat(adder).to_numpy())
    return table[["capacity", "availability", "unit_cost", "min_flow"]]


def _options(scenario: Scenario, data: DataSet) -> pd.DataFrame:
    params = ["unit_size", "max_units", "capex", "lead_time", "earliest_decision", "lifetime",
              "fom"]
    table = _statics(data, data.options.index, params)
    table.insert(0, "route", data.options["route"])
    r = scenario.discount_rate
    lead, life = table["lead_time"], table["lifetime"]
    # Capex spent evenly over the lead years before first gas, compounded to first gas,
    # then recovered as an annuity over the lifetime: USD bn per unit per year online.
    idc = [np.mean((1 + r) ** np.arange(1, n + 1)) if n >= 1 else 1.0 for n in lead.astype(int)]
    crf = r / (1 - (1 + r) ** -life) if r > 0 else 1 / life
    table["annual_cost"] = table["capex"] * (np.array(idc) * crf + table["fom"])
    return table


def _option_online(scenario: Scenario, data: DataSet, years: pd.DataFrame) -> pd.DataFrame:
    """Rows (option, decision_year, year): a unit decided in decision_year produces in year.

    Capacity counts from the first model year at or after decision + lead time, for the
    unit's lifetime; decisions that would come online after the horizon are not offered.
    """
    opts = _statics(data, data.options.index, ["earliest_decision", "lead_time", "lifetime"])
    model_years = years.index.to_numpy()
    rows = []
    for option, o in opts.iterrows():
        for d in model_years[model_years >= o["earliest_decision"]]:
            online = model_years[(model_years >= d + o["lead_time"])
                                 & (model_years < d + o["lead_time"] + o["lifetime"])]
            rows += [(option, int(d), int(y)) for y in online]
    return pd.DataFrame(rows, columns=["option", "decision_year", "year"])


def _markets(scenario: Scenario, data: DataSet) -> pd.DataFrame:
    rows = {m: {"structure": s.structure, "theta": s.theta or 0.0,
                "pathway": s.pathway or scenario.pathway}
            for m, s in scenario.markets.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("market").loc[
        data.markets.index]


def _check_coverage(scenario: Scenario, data: DataSet, markets: pd.DataFrame) -> None:
    """The horizon must lie within the years each market's pathway states."""
    h = scenario.horizon
    for market, spec in markets.iterrows():
        rows = data.values[(data.values["entity"] == market)
                           & (data.values["pathway"].isna()
                              | (data.values["pathway"] == spec["pathway"]))
                           & data.values["year"].notna()]
        if rows.empty:
            continue
        first, last = int(rows["year"].min()), int(rows["year"].max())
        field = "horizon.start_year" if h.start_year < first else "horizon.end_year"
        if h.start_year < first or h.end_year > last:
            raise InputError(scenario.file(), field, f"horizon {h.start_year}-{h.end_year} "
                             f"goes beyond {first}-{last}, the years pathway "
                             f"'{spec['pathway']}' covers for market {market}")


def _demand(scenario: Scenario, data: DataSet, years: pd.DataFrame,
            markets: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Demand parameters by (market, year) and the curve segments by (market, year, k)."""
    path_params = ["ref_quantity", "ref_price", "price_cap", "intercept", "slope"]
    elasticity = _statics(data, data.markets.index, ["elasticity"])["elasticity"]
    file = display_path(data.directory / "values")
    rows, segs = [], []
    for market, spec in markets.iterrows():
        means = {}
        for p in path_params:
            anchors = data.series(market, p, spec["pathway"])
            means[p] = (_period_mean(anchors, years, "linear") if len(anchors)
                        else pd.Series(np.nan, index=years.index))
        where = f"market {market}, pathway {spec['pathway']}"
        for year in years.index:
            v = {p: means[p][year] for p in path_params}
            a, b, segments = _market_curve(spec, v, elasticity[market], file, where)
            rows.append({"market": market, "year": year, **v, "elasticity": elasticity[market],
                         "intercept": a, "slope": b})
            for k, (s, (alpha, beta)) in enumerate(
                    zip(segments, demand.objective_terms(segments, spec["theta"]), strict=True)):
                segs.append({"market": market, "year": year, "segment": k, "start": s.start,
                             "price": s.price, "slope": s.slope, "width": s.width,
                             "alpha": alpha, "beta": beta})
    return (pd.DataFrame(rows).set_index(["market", "year"]),
            pd.DataFrame(segs).set_index(["market", "year", "segment"]))


def _market_curve(spec: pd.Series, v: dict[str, float], elasticity: float, file: str,
                  where: str) -> tuple[float, float, list[demand.Segment]]:
    """(a, b, segments) of one market-year; a and b are NaN for price-taker markets."""
    have = {p for p, x in v.items() if not np.isnan(x)}
    cap = v["price_cap"] if "price_cap" in have else None
    if spec["structure"] == "price_taker":
        if "ref_price" not in have:
            raise InputError(file, where, "a price_taker market needs ref_price")
        q = v["ref_quantity"] if "ref_quantity" in have else None
        return np.nan, np.nan, demand.flat(v["ref_price"], q)
    if {"intercept", "slope"} <= have:
        a, b = v["intercept"], v["slope"]
    else:
        p0 = v["ref_price"] if "ref_price" in have else cap
        if "ref_quantity" not in have or p0 is None:
            raise InputError(file, where, f"structure {spec['structure']} needs intercept and "
                             "slope, or ref_quantity with ref_price (or price_cap)")
        if np.isnan(elasticity) or elasticity >= 0:
            raise InputError(file, where, "a calibrated demand curve needs a negative elasticity")
        a, b = demand.linear_from_reference(v["ref_quantity"], p0, elasticity)
    if b == 0:
        raise InputError(file, where, "slope 0 makes demand unbounded: use price_taker")
    return a, b, demand.curve(a, b, cap)


def _supply_steps(scenario: Scenario, basins: pd.DataFrame,
                  basin_years: pd.DataFrame) -> pd.DataFrame:
    """Equal-width production tranches costed at the linear marginal cost of their midpoint,
    so total cost matches the linear curve at every tranche boundary."""
    columns = ["basin", "year", "step", "width", "cost"]
    if scenario.supply_cost != "stepped":
        return pd.DataFrame(columns=columns).set_index(["basin", "year", "step"])
    n = scenario.supply_steps
    rows = []
    for (basin, year), cap in basin_years["capacity"].items():
        width = cap / n
        c, d = basins.loc[basin, ["mc_intercept", "mc_slope"]]
        rows += [(basin, year, k, width, c + d * (k + 0.5) * width) for k in range(n)]
    return pd.DataFrame(rows, columns=columns).set_index(["basin", "year", "step"])
