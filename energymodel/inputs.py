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

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from energymodel import demand
from energymodel.data import DataSet, load_dataset, parameter_schema
from energymodel.errors import InputError, display_path
from energymodel.overrides import apply_override, apply_overrides
from energymodel.scenario import Scenario


@dataclass(frozen=True)
class Inputs:
    """Everything the model needs, indexed like the model's sets. Units in column names are
    those of schema/parameters.csv: bcm/y, USD/MMBtu, USD bn."""

    scenario: Scenario
    data: DataSet
    years: pd.DataFrame  # index year: length [years], weight [discounted years]
    basins: pd.DataFrame  # index basin: mc_intercept, mc_slope, reserves (NaN: none),
    #                       buyer_markup (phi of a monopsony solved as a QP, else 0)
    basin_years: pd.DataFrame  # index (basin, year): capacity
    routes: pd.DataFrame  # index route: basin, market, kind, supplier, role (of the supplier)
    route_years: pd.DataFrame  # index (route, year): capacity, availability, unit_cost,
    #                            delivery_cost (the buyer's, from the border), min_flow;
    #                            the route's contract formula (inputs._contracts)
    options: pd.DataFrame  # index option: route, unit_size, max_units, capex, ..., annuity,
    #                        annual_cost (annuity + fixed O&M) [USD bn per unit per year]
    option_online: pd.DataFrame  # columns option, decision_year, year, share: a unit decided
    #                              then runs in year at `share` of its size (its ramp-up)
    markets: pd.DataFrame  # index market: structure (name), theta, pathway
    market_years: pd.DataFrame  # index (market, year): intercept, slope, price_cap, ...
    segments: pd.DataFrame  # index (market, year, segment): start, price, slope, width, alpha, beta
    supply_steps: pd.DataFrame  # index (basin, year, step): width, cost (stepped supply only)
    blocks: tuple = ()  # model blocks the market structures add (model.Block)

    @property
    def decisions(self) -> pd.DataFrame:
        """(option, decision_year) pairs at which a unit can be decided."""
        return self.option_online[["option", "decision_year"]].drop_duplicates()

    def market_years_of(self, market: str) -> pd.DataFrame:
        """One market's rows of `market_years`, indexed by year."""
        return cast(pd.DataFrame, self.market_years.loc[market])

    def segments_of(self, market: str) -> pd.DataFrame:
        """One market's demand segments, indexed by (year, segment)."""
        return cast(pd.DataFrame, self.segments.loc[market])


def tabulate(scenario: Scenario, data: DataSet | None = None) -> Inputs:
    """Load the scenario's data (unless given), apply overrides and build the inputs before
    market structures shape them: every market at its demand curve as the data give it,
    competitive (theta 0). `api.prepare` then applies each market's structure."""
    data = load_dataset(scenario.data_dir) if data is None else data
    _check_scenario_references(scenario, data)
    data = apply_overrides(data, scenario)
    years = periods(scenario)
    markets = _markets(scenario, data)
    _check_coverage(scenario, data, markets)
    market_years, segments = _demand(scenario, data, years, markets)
    basin_years = _paths(data, data.basins.index, ["capacity"], years)
    basins = _statics(data, data.basins.index, ["mc_intercept", "mc_slope", "reserves"])
    basins["buyer_markup"] = 0.0
    return Inputs(
        scenario=scenario, data=data, years=years, basins=basins, basin_years=basin_years,
        routes=data.routes[["basin", "market", "kind", "supplier"]].assign(
            role=data.suppliers["role"].reindex(data.routes["supplier"]).to_numpy()),
        route_years=_route_years(scenario, data, years).join(_contracts(data, years, markets)),
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
    if scenario.dependence is not None:
        for i, policy in enumerate(scenario.dependence.remove_policies):
            if policy not in known:
                raise InputError(file, f"dependence.remove_policies[{i}]",
                                 f"no policy '{policy}' in policies.csv")
        _check_lever(scenario, data)


def _check_lever(scenario: Scenario, data: DataSet) -> None:
    """Every value of the dependence lever applies to the data without error."""
    lever = scenario.dependence
    if lever is None:
        return
    values = apply_overrides(data, scenario).values
    for k, x in enumerate(lever.values):
        for i, override in enumerate(scenario.at_lever(x).overrides[len(scenario.overrides):]):
            field = f"dependence.values[{k}] on targets[{i}]"
            apply_override(values, data, override, field, scenario)


def periods(scenario: Scenario) -> pd.DataFrame:
    """Model periods by start year: length [years] and discount weight [discounted years]."""
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
    return pd.Series({y + i: y for y, n in zip(years.index, years["length"], strict=True)
                      for i in range(n)})


def _evaluate(anchors: pd.Series, calendar: np.ndarray, interpolation: str,
              before: float = 0.0) -> np.ndarray:
    """A path given at anchor years, at each calendar year; a step path is `before` ahead of
    its first anchor."""
    x, v = anchors.index.to_numpy(float), anchors.to_numpy(float)
    if interpolation == "linear":
        return np.interp(calendar, x, v)
    idx = np.searchsorted(x, calendar, side="right") - 1
    return np.where(idx >= 0, v[np.clip(idx, 0, None)], before)


def _period_mean(anchors: pd.Series, years: pd.DataFrame, interpolation: str) -> pd.Series:
    """One path's period means, by model year."""
    values = _evaluate(anchors, _calendar(years).index.to_numpy(float), interpolation)
    return pd.Series(_period_means(values, years)[0], index=years.index)


def _interpolation(kind: str, parameter: str) -> str:
    return str(parameter_schema().loc[(kind, parameter), "interpolation"])


def _period_means(paths: np.ndarray, years: pd.DataFrame) -> np.ndarray:
    """Period means of paths given at each calendar year (one path per row), one column per
    model period: a single groupby for all the rows."""
    calendar = _calendar(years)
    table = pd.DataFrame(np.atleast_2d(paths).T, index=calendar.to_numpy())
    return table.groupby(level=0).mean().to_numpy().T


def _paths(data: DataSet, entities: pd.Index, parameters: list[str], years: pd.DataFrame,
           defaults: dict[str, float] | None = None) -> pd.DataFrame:
    """Period means of path parameters, indexed by (entity, year); an entity the data give
    no path takes the parameter's default."""
    defaults = defaults or {}
    at = _calendar(years).index.to_numpy(float)
    columns = {}
    for p in parameters:
        stated = np.zeros(len(entities), dtype=bool)
        paths = np.zeros((len(entities), len(at)))
        for i, entity in enumerate(entities):
            anchors = data.series(entity, p)
            if len(anchors):
                stated[i] = True
                paths[i] = _evaluate(anchors, at, _interpolation(data.kind(entity), p))
        means = np.empty((len(entities), len(years)))
        if stated.any():
            means[stated] = _period_means(paths[stated], years)
        if not stated.all():
            means[~stated] = defaults[p]
        columns[p] = means.ravel()
    index = pd.MultiIndex.from_product([entities, years.index], names=[entities.name, "year"])
    return pd.DataFrame(columns, index=index)


def _statics(data: DataSet, entities: pd.Index, parameters: list[str]) -> pd.DataFrame:
    """Static parameters by entity (NaN where the data give none)."""
    return pd.DataFrame({p: [data.first(e, p) for e in entities] for p in parameters},
                        index=entities, columns=parameters, dtype=float)


def _route_years(scenario: Scenario, data: DataSet, years: pd.DataFrame) -> pd.DataFrame:
    """Capacity (ramped up from the route's first gas, see `ramp`), availability (data path
    lowered by the active policies), unit cost (plus policy cost adders), the buyer's
    delivery cost and contracted minimum flow by (route, year)."""
    table = _paths(data, data.routes.index, ["capacity", "min_flow"], years, {"min_flow": 0.0})
    statics = _statics(data, data.routes.index, ["unit_cost", "delivery_cost", "first_gas",
                                                 "ramp_first_share", "ramp_step"])
    unit_cost = statics["unit_cost"]
    calendar = _calendar(years)
    at = calendar.index.to_numpy(float)
    routes = data.routes.index
    avail = np.ones((len(routes), len(at)))  # one before the data say otherwise
    ramped = np.ones_like(avail)  # share of the capacity path running (ramp-up)
    for i, route in enumerate(routes):
        path = data.series(route, "availability")
        if len(path):
            avail[i] = _evaluate(path, at, "step", before=1.0)
        first = statics["first_gas"][route]
        if not np.isnan(first):
            ramped[i] = ramp(at - first, statics.loc[route])
    add = np.zeros_like(avail)
    active = data.policies[data.policies["policy"].isin(scenario.policies)
                           & data.policies["entity"].isin(routes)]
    for _, p in active.iterrows():
        row = routes.get_loc(p["entity"])
        end = np.inf if np.isnan(p["to_year"]) else p["to_year"]
        on = (at >= p["from_year"]) & (at <= end)
        if p["effect"] == "availability":
            avail[row, on] = np.minimum(avail[row, on], p["value"])
        else:
            add[row, on] += p["value"]
    # period means, route by route in order (as the table's rows)
    keys = [np.repeat(np.arange(len(routes)), len(at)), np.tile(calendar.to_numpy(), len(routes))]
    means = pd.DataFrame({"availability": avail.ravel(), "adder": add.ravel(),
                          "ramp": ramped.ravel()}).groupby(keys).mean()
    if (ramped < 1).any():  # capacity ramped within each calendar year, then averaged
        capacity = np.concatenate([
            _evaluate(data.series(route, "capacity"), at, "step") for route in routes]) \
            if len(routes) else np.zeros(0)
        table["capacity"] = pd.DataFrame({"c": capacity * ramped.ravel()}).groupby(
            keys)["c"].mean().to_numpy()
    table["availability"] = means["availability"].to_numpy()
    table["unit_cost"] = (unit_cost.reindex(table.index.get_level_values("route")).to_numpy()
                          + means["adder"].to_numpy())
    table["delivery_cost"] = statics["delivery_cost"].fillna(0.0).reindex(
        table.index.get_level_values("route")).to_numpy()
    return table[["capacity", "availability", "unit_cost", "delivery_cost", "min_flow"]]


def ramp(years_since_first_gas: np.ndarray, params: Mapping[Any, float] | pd.Series
         ) -> np.ndarray:
    """Share of a pipeline's nameplate capacity running k years after its first gas (k = 0
    in the first full year): min(1, ramp_first_share + ramp_step k), zero before first gas;
    one where the data give no ramp. The rule is fitted on Power of Siberia 1, 2020-2023
    (data/README.md): new pipelines are assumed to ramp up as it did."""
    k = np.asarray(years_since_first_gas, dtype=float)
    first, step = params.get("ramp_first_share", np.nan), params.get("ramp_step", np.nan)
    if np.isnan(first) or np.isnan(step):
        return np.where(k >= 0, 1.0, 0.0)
    return np.where(k >= 0, np.minimum(1.0, first + step * np.maximum(k, 0.0)), 0.0)


def _options(scenario: Scenario, data: DataSet) -> pd.DataFrame:
    params = ["unit_size", "max_units", "min_units", "capex", "lead_time", "earliest_decision",
              "lifetime", "fom"]
    table = _statics(data, data.options.index, params)
    table["min_units"] = table["min_units"].fillna(0.0)
    table.insert(0, "route", data.options["route"])
    r = scenario.discount_rate
    lead, life = table["lead_time"], table["lifetime"]
    # Capex spent evenly over the lead time before first gas, compounded to first gas
    # (the mean of (1 + r)^t over t in [0, lead]), then recovered as an annuity over the
    # lifetime: USD bn per unit per year online.
    growth = np.log1p(r) * lead
    idc = np.where(growth > 0, np.expm1(growth) / np.where(growth > 0, growth, 1.0), 1.0)
    crf = r / (1 - (1 + r) ** -life) if r > 0 else 1 / life
    table["annuity"] = table["capex"] * idc * crf
    table["annual_cost"] = table["annuity"] + table["capex"] * table["fom"]
    return table


def _option_online(scenario: Scenario, data: DataSet, years: pd.DataFrame) -> pd.DataFrame:
    """Rows (option, decision_year, year, share): a unit decided in decision_year produces
    in year at `share` of its size.

    A unit can be decided in any period that reaches its earliest decision year; capacity
    counts from the first model year at or after decision + lead time, for the unit's
    lifetime, ramping up from then as `ramp` says (the mean over the period's calendar
    years); decisions that would come online after the horizon are not offered.
    """
    opts = _statics(data, data.options.index, ["earliest_decision", "lead_time", "lifetime",
                                               "ramp_first_share", "ramp_step"])
    model_years = years.index.to_numpy()
    length = years["length"].to_numpy()
    period_end = model_years + length - 1
    calendar = _calendar(years).index.to_numpy()
    starts = np.concatenate([[0], np.cumsum(length)[:-1]])  # each period's first position
    rows = []
    for option, o in opts.to_dict("index").items():
        for d in model_years[period_end >= o["earliest_decision"]]:
            running = (model_years >= d + o["lead_time"]) & (
                model_years < d + o["lead_time"] + o["lifetime"])
            if not running.any():
                continue
            # the ramp at every calendar year, averaged over each period
            shares = np.add.reduceat(ramp(calendar - model_years[running][0], o),
                                     starts) / length
            rows += [(option, int(d), int(y), float(share))
                     for y, share in zip(model_years[running], shares[running], strict=True)]
    return pd.DataFrame(rows, columns=["option", "decision_year", "year", "share"])


def _markets(scenario: Scenario, data: DataSet) -> pd.DataFrame:
    """Structure (its name), conjectural parameter theta (0 until a structure sets it) and
    demand pathway by market."""
    rows = {m: {"structure": s.structure, "theta": 0.0, "pathway": s.pathway or scenario.pathway}
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
    for key, spec in markets.iterrows():
        market = cast(str, key)
        means = {}
        for p in path_params:
            anchors = data.series(market, p, spec["pathway"])
            means[p] = (_period_mean(anchors, years, "linear") if len(anchors)
                        else pd.Series(np.nan, index=years.index))
        where = f"market {market}, pathway {spec['pathway']}"
        for year in years.index:
            v = {p: means[p][year] for p in path_params}
            a, b, curve = _market_curve(v, elasticity[market], file, where)
            rows.append({"market": market, "year": year, **v, "elasticity": elasticity[market],
                         "intercept": a, "slope": b})
            segs += [{"market": market, "year": year, "segment": k, "start": s.start,
                      "price": s.price, "slope": s.slope, "width": s.width}
                     for k, s in enumerate(curve)]
    segments = pd.DataFrame(segs).set_index(["market", "year", "segment"])
    return pd.DataFrame(rows).set_index(["market", "year"]), demand.with_terms(segments, 0.0)


CONTRACT = ["contract_slope", "contract_constant", "contract_lag", "contract_hub_share",
            "contract_hub_lag", "contract_start", "contract_end"]


def _contracts(data: DataSet, years: pd.DataFrame, markets: pd.DataFrame) -> pd.DataFrame:
    """Each route's contract price formula by (route, year) (NaN where the route has none):

        formula = (1 - h) (slope x lagged Brent + constant) + h x lagged hub price

    with Brent the route's market's oil_price and the hub price its price_cap (both on the
    market's pathway), each lagged by its lag in months as the share lag/12 of last year's
    value; `legacy` marks the years a legacy contract (contract_start to contract_end)
    prices the route. Columns lagged_oil_price [USD/bbl], contract_slope, contract_constant,
    formula_price [USD/MMBtu], legacy [bool]."""
    terms = _statics(data, data.routes.index, CONTRACT)
    names = ["lagged_oil_price", "formula_price", "legacy", "contract_slope",
             "contract_constant"]
    if terms.empty:
        return pd.DataFrame(columns=names)
    t = _calendar(years).index.to_numpy(float)
    lagged_paths = np.full((len(terms), len(t)), np.nan)
    formula_paths = np.full((len(terms), len(t)), np.nan)
    for i, (key, c) in enumerate(terms.iterrows()):
        market = data.routes["market"][cast(str, key)]
        pathway = markets["pathway"][market]
        brent = data.series(market, "oil_price", pathway)
        if len(brent) and not np.isnan(c["contract_slope"]):
            lagged = _lagged(brent, t, c["contract_lag"])
            oil = c["contract_slope"] * lagged + np.nan_to_num(c["contract_constant"])
            h = np.nan_to_num(c["contract_hub_share"])
            if h > 0:
                hub = data.series(market, "price_cap", pathway)
                oil = (1 - h) * oil + h * _lagged(hub, t, c["contract_hub_lag"])
            lagged_paths[i], formula_paths[i] = lagged, oil
    formula = _period_means(formula_paths, years)
    start = terms["contract_start"].to_numpy()[:, None]
    end = terms["contract_end"].to_numpy()[:, None]
    model_years = years.index.to_numpy()
    legacy = ((model_years >= start) & (model_years <= end) & ~np.isnan(start)
              & ~np.isnan(end) & ~np.isnan(formula))
    periods_ = len(years)
    return pd.DataFrame({
        "lagged_oil_price": _period_means(lagged_paths, years).ravel(),
        "formula_price": formula.ravel(), "legacy": legacy.ravel(),
        "contract_slope": np.repeat(terms["contract_slope"].to_numpy(), periods_),
        "contract_constant": np.repeat(np.nan_to_num(terms["contract_constant"].to_numpy()),
                                       periods_)},
        index=pd.MultiIndex.from_product([terms.index, years.index], names=["route", "year"]))


def _lagged(path: pd.Series, t: np.ndarray, lag: float) -> np.ndarray:
    """A price path at calendar years t, lagged by `lag` months: the share lag/12 of last
    year's value and the rest this year's (linear between anchors) [the path's unit]."""
    share = (0.0 if np.isnan(lag) else lag) / 12
    if len(path) == 0:
        return np.full(len(t), np.nan)
    return share * _evaluate(path, t - 1, "linear") + (1 - share) * _evaluate(path, t, "linear")


def _market_curve(v: dict[str, float], elasticity: float, file: str,
                  where: str) -> tuple[float, float, list[demand.Segment]]:
    """(a, b, segments) of one market-year: the line the data give (intercept and slope, or
    a reference point with an elasticity), cut at the price cap; where the data give only a
    price (a price path, e.g. the global LNG price), a flat segment at it and a, b NaN."""
    have = {p for p, x in v.items() if not np.isnan(x)}
    cap = v["price_cap"] if "price_cap" in have else None
    p0 = v["ref_price"] if "ref_price" in have else cap
    if {"intercept", "slope"} <= have:
        a, b = v["intercept"], v["slope"]
    elif "ref_quantity" in have and p0 is not None and not np.isnan(elasticity):
        if elasticity >= 0:
            raise InputError(file, where, "a calibrated demand curve needs a negative elasticity")
        a, b = demand.linear_from_reference(v["ref_quantity"], p0, elasticity)
    elif "ref_price" in have:
        return np.nan, np.nan, demand.flat(v["ref_price"], v.get("ref_quantity") if
                                           "ref_quantity" in have else None)
    else:
        raise InputError(file, where, "a market needs intercept and slope, ref_quantity with "
                         "ref_price (or price_cap) and an elasticity, or a ref_price path")
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
    intercept, slope = basins["mc_intercept"], basins["mc_slope"]
    for key, cap in basin_years["capacity"].items():
        basin, year = cast(tuple[str, int], key)
        width = cap / n
        c, d = intercept[basin], slope[basin]
        rows += [(basin, year, k, width, c + d * (k + 0.5) * width) for k in range(n)]
    return pd.DataFrame(rows, columns=columns).set_index(["basin", "year", "step"])


def with_segments(inp: Inputs, market: str, segments: pd.DataFrame,
                  **spec: float | str) -> Inputs:
    """The inputs with `market`'s demand segments replaced (rows indexed by year, segment:
    start, price, slope, width, alpha, beta) and its row of `markets` updated with `spec`;
    the other markets keep their rows and order."""
    parts = [segments.assign(market=m).set_index("market", append=True)
             .reorder_levels(["market", "year", "segment"]) if m == market
             else inp.segments.xs(m, level="market", drop_level=False)
             for m in inp.markets.index]
    markets = inp.markets.copy()
    for column, value in spec.items():
        markets.loc[market, column] = value
    return replace(inp, segments=pd.concat(parts), markets=markets)


def with_theta(inp: Inputs, market: str, theta: float) -> Inputs:
    """The inputs with `market`'s objective terms for conjectural parameter `theta`."""
    group = demand.with_terms(inp.segments_of(market), theta)
    return with_segments(inp, market, group, theta=theta)


def with_market_prices(inp: Inputs, market: str, prices: pd.Series) -> Inputs:
    """The inputs with `market` a price taker at `prices` (by model year), buying any volume:
    how Russia sees a market whose buyer sets the price."""
    segments = inp.segments.drop(index=market, level="market")
    flat = pd.DataFrame({"market": market, "year": inp.years.index, "segment": 0, "start": 0.0,
                         "price": prices.reindex(inp.years.index).to_numpy(), "slope": 0.0,
                         "width": np.inf}).set_index(["market", "year", "segment"])
    flat["alpha"], flat["beta"] = flat["price"], 0.0
    markets = inp.markets.copy()
    markets.loc[market, "structure"] = "price_taker"
    return replace(inp, segments=pd.concat([segments, flat]).sort_index(), markets=markets,
                   basins=inp.basins.assign(buyer_markup=0.0))


def with_fixed_flows(inp: Inputs, flows: pd.Series) -> Inputs:
    """The inputs with the route-years of `flows` (by route, year) carrying exactly that
    flow [bcm/y]: capacity and contracted minimum both set to it, availability one, and no
    new unit of an option on those routes."""
    route_years = inp.route_years.copy()
    at = flows.index
    route_years.loc[at, "availability"] = 1.0
    route_years.loc[at, "capacity"] = flows.clip(lower=0.0).to_numpy()
    route_years.loc[at, "min_flow"] = flows.clip(lower=0.0).to_numpy()
    options = inp.options.copy()
    options.loc[options["route"].isin(set(at.get_level_values("route"))), "max_units"] = 0.0
    return replace(inp, route_years=route_years, options=options)


def with_competitive(inp: Inputs, market: str) -> Inputs:
    """The inputs with `market` competitive on the same demand curve (theta = 0)."""
    group = demand.with_terms(inp.segments.loc[[market]], 0.0)
    markets = inp.markets.copy()
    markets.loc[market, "structure"] = "competitive"
    markets.loc[market, "theta"] = 0.0
    segments = pd.concat([inp.segments.drop(index=market, level="market"), group]).sort_index()
    return replace(inp, segments=segments, markets=markets,
                   basins=inp.basins.assign(buyer_markup=0.0))


def without_exporter(inp: Inputs, market: str) -> Inputs:
    """The inputs with every route of the exporter into `market` closed (all years): the
    market without the exporter's gas, its rivals and own production as they are."""
    r = inp.routes
    closed = r.index[(r["market"] == market) & (r["role"] == "exporter")]
    route_years = inp.route_years.copy()
    route_years.loc[route_years.index.get_level_values("route").isin(closed),
                    ["availability", "min_flow"]] = 0.0
    return replace(inp, route_years=route_years)

