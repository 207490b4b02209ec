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

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from energymodel import demand
from energymodel.data import (
    DataSet,
    apply_override,
    apply_overrides,
    load_dataset,
    parameter_schema,
)
from energymodel.errors import InputError
from energymodel.scenario import Scenario, display_path


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
    routes: pd.DataFrame  # index route: basin, market, kind
    route_years: pd.DataFrame  # index (route, year): capacity, availability, unit_cost, min_flow
    options: pd.DataFrame  # index option: route, unit_size, max_units, capex, ..., annuity,
    #                        annual_cost (annuity + fixed O&M) [USD bn per unit per year]
    option_online: pd.DataFrame  # columns option, decision_year, year: a unit decided then runs
    markets: pd.DataFrame  # index market: structure, theta, phi, beta, pathway, method
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
    years = periods(scenario)
    markets = _markets(scenario, data)
    _check_coverage(scenario, data, markets)
    market_years, segments = _demand(scenario, data, years, markets)
    basin_years = _paths(data, data.basins.index, ["capacity"], years)
    basins = _statics(data, data.basins.index, ["mc_intercept", "mc_slope", "reserves"])
    basins["buyer_markup"] = _buyer_markup(scenario, data, markets)
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
    _check_buyer_power(scenario, data)
    if scenario.dependence is not None:
        for i, policy in enumerate(scenario.dependence.remove_policies):
            if policy not in known:
                raise InputError(file, f"dependence.remove_policies[{i}]",
                                 f"no policy '{policy}' in policies.csv")
        _check_lever(scenario, data)


def _check_lever(scenario: Scenario, data: DataSet) -> None:
    """Every value of the dependence lever applies to the data without error."""
    lever = scenario.dependence
    values = apply_overrides(data, scenario).values
    for k, x in enumerate(lever.values):
        for i, override in enumerate(scenario.at_lever(x).overrides[len(scenario.overrides):]):
            field = f"dependence.values[{k}] on targets[{i}]"
            apply_override(values, data, override, field, scenario)


def _check_buyer_power(scenario: Scenario, data: DataSet) -> None:
    """What a buyer-power structure refers to exists, and its method can run."""
    market = scenario.buyer_market()
    if market is None:
        return
    spec, field, file = scenario.markets[market], f"markets.{market}", scenario.file()
    if spec.holdup is not None:
        if spec.holdup not in data.options.index:
            raise InputError(file, f"{field}.holdup", f"no investment option '{spec.holdup}'")
        if data.routes.at[data.options.at[spec.holdup, "route"], "market"] != market:
            raise InputError(file, f"{field}.holdup", f"option '{spec.holdup}' does not add "
                             f"capacity to a route to {market}")
    if spec.benchmark == "oil_indexed":
        needed = ["contract_slope", "contract_constant", "contract_lag", "oil_price"]
        missing = [p for p in needed if data.series(market, p).empty]
        if missing:
            raise InputError(file, f"{field}.benchmark", f"oil_indexed needs {', '.join(needed)}"
                             f" for {market} in the data (missing: {', '.join(missing)})")


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
    return pd.Series({y + i: y for y, n in years["length"].items() for i in range(n)})


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
    """Capacity, availability (data path lowered by the active policies), unit cost (plus
    policy cost adders) and contracted minimum flow by (route, year)."""
    table = _paths(data, data.routes.index, ["capacity", "min_flow"], years, {"min_flow": 0.0})
    unit_cost = _statics(data, data.routes.index, ["unit_cost"])["unit_cost"]
    calendar = _calendar(years)
    active = data.policies[data.policies["policy"].isin(scenario.policies)]
    availability, adder = [], []
    for route in data.routes.index:
        rows = active[active["entity"] == route]
        path = data.series(route, "availability")  # one before the data say otherwise
        avail = pd.Series(_evaluate(path, calendar.index.to_numpy(float), "step", before=1.0)
                          if len(path) else 1.0, index=calendar.index)
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
    """Rows (option, decision_year, year): a unit decided in decision_year produces in year.

    A unit can be decided in any period that reaches its earliest decision year; capacity
    counts from the first model year at or after decision + lead time, for the unit's
    lifetime; decisions that would come online after the horizon are not offered.
    """
    opts = _statics(data, data.options.index, ["earliest_decision", "lead_time", "lifetime"])
    model_years = years.index.to_numpy()
    period_end = model_years + years["length"].to_numpy() - 1
    rows = []
    for option, o in opts.iterrows():
        for d in model_years[period_end >= o["earliest_decision"]]:
            online = model_years[(model_years >= d + o["lead_time"])
                                 & (model_years < d + o["lead_time"] + o["lifetime"])]
            rows += [(option, int(d), int(y)) for y in online]
    return pd.DataFrame(rows, columns=["option", "decision_year", "year"])


def _markets(scenario: Scenario, data: DataSet) -> pd.DataFrame:
    """Structure by market; `method` says how a monopsony is solved (qp or bilevel)."""
    rows = {m: {"structure": s.structure, "theta": s.theta or 0.0,
                "phi": s.phi, "beta": s.beta, "pathway": s.pathway or scenario.pathway,
                "method": _monopsony_method(scenario, data, m) if s.structure == "monopsony"
                else None}
            for m, s in scenario.markets.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("market").loc[
        data.markets.index]


def dedicated_basin(data: DataSet, market: str) -> str | None:
    """The one basin supplying `market`, if it sends gas there alone, by one route that no
    investment option expands; else None. Then Russia's supply curve to the market is that
    basin's marginal cost curve plus a constant transport cost: linear."""
    feeding = data.routes[data.routes["market"] == market]
    if len(feeding) != 1:
        return None
    basin = feeding["basin"].iloc[0]
    alone = (data.routes["basin"] == basin).sum() == 1
    fixed = not data.options["route"].isin(feeding.index).any()
    return basin if alone and fixed else None


def _monopsony_method(scenario: Scenario, data: DataSet, market: str) -> str:
    """'qp' (the equivalent optimisation with a buyer-side term) where Russia's supply curve
    to the market is linear, else 'bilevel'."""
    spec = scenario.markets[market]
    linear = dedicated_basin(data, market) is not None and scenario.supply_cost == "linear"
    if spec.method == "qp" and not linear:
        raise InputError(scenario.file(), f"markets.{market}.method", "qp needs a linear "
                         f"supply curve to {market}: one basin sending gas there alone, by one "
                         "route no option expands, at linear marginal cost; use bilevel")
    method = "qp" if spec.method == "qp" or (spec.method == "auto" and linear) else "bilevel"
    if method == "bilevel" and scenario.investment == "lumpy":
        raise InputError(scenario.file(), "investment", "the bilevel monopsony needs "
                         "continuous investment: integer builds have no optimality conditions")
    return method


def _buyer_markup(scenario: Scenario, data: DataSet, markets: pd.DataFrame) -> pd.Series:
    """phi on the basin supplying a monopsony solved as a QP, else 0: the buyer-side term of
    the equivalent optimisation, phi * d * P^2 / 2, enters as extra production cost."""
    markup = pd.Series(0.0, index=data.basins.index)
    for market, spec in markets.iterrows():
        if spec["method"] == "qp":
            markup[dedicated_basin(data, market)] = spec["phi"]
    return markup


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
    contracts = _statics(data, data.markets.index,
                         ["contract_slope", "contract_constant", "contract_lag"])
    file = display_path(data.directory / "values")
    rows, segs = [], []
    for market, spec in markets.iterrows():
        means = {}
        for p in path_params:
            anchors = data.series(market, p, spec["pathway"])
            means[p] = (_period_mean(anchors, years, "linear") if len(anchors)
                        else pd.Series(np.nan, index=years.index))
        where = f"market {market}, pathway {spec['pathway']}"
        oil_indexed = _oil_indexed(data.series(market, "oil_price", spec["pathway"]),
                                   contracts.loc[market], years)
        for year in years.index:
            v = {p: means[p][year] for p in path_params}
            a, b, segments = _market_curve(spec, v, elasticity[market], file, where)
            rows.append({"market": market, "year": year, **v, "elasticity": elasticity[market],
                         "intercept": a, "slope": b, "oil_indexed_price": oil_indexed[year]})
            for k, (s, (alpha, beta)) in enumerate(
                    zip(segments, demand.objective_terms(segments, spec["theta"]), strict=True)):
                segs.append({"market": market, "year": year, "segment": k, "start": s.start,
                             "price": s.price, "slope": s.slope, "width": s.width,
                             "alpha": alpha, "beta": beta})
    return (pd.DataFrame(rows).set_index(["market", "year"]),
            pd.DataFrame(segs).set_index(["market", "year", "segment"]))


def _oil_indexed(brent: pd.Series, contract: pd.Series, years: pd.DataFrame) -> pd.Series:
    """Oil-indexed contract price by model year [USD/MMBtu]: slope x Brent lagged by `lag`
    months + constant, the lag taken as the share lag/12 of the previous year's Brent; NaN
    where the market has no contract terms or oil price path."""
    if len(brent) == 0 or contract.isna().any():
        return pd.Series(np.nan, index=years.index)
    calendar = _calendar(years).index.to_numpy(float)
    share = contract["contract_lag"] / 12
    lagged = (share * _evaluate(brent, calendar - 1, "linear")
              + (1 - share) * _evaluate(brent, calendar, "linear"))
    price = contract["contract_slope"] * lagged + contract["contract_constant"]
    return pd.Series(price, index=_calendar(years).to_numpy()).groupby(level=0).mean()


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


def with_market_prices(inp: Inputs, market: str, prices: pd.Series) -> Inputs:
    """The inputs with `market` a price taker at `prices` (by model year), buying any volume:
    how Russia sees a market whose buyer sets the price."""
    segments = inp.segments.drop(index=market, level="market")
    flat = pd.DataFrame({"market": market, "year": inp.years.index, "segment": 0, "start": 0.0,
                         "price": prices.reindex(inp.years.index).to_numpy(), "slope": 0.0,
                         "width": np.inf}).set_index(["market", "year", "segment"])
    flat["alpha"], flat["beta"] = flat["price"], 0.0
    markets = inp.markets.copy()
    markets.loc[market, ["structure", "method"]] = ["price_taker", None]
    return replace(inp, segments=pd.concat([segments, flat]).sort_index(), markets=markets,
                   basins=inp.basins.assign(buyer_markup=0.0))


def with_competitive(inp: Inputs, market: str) -> Inputs:
    """The inputs with `market` competitive on the same demand curve (theta = 0)."""
    group = inp.segments.loc[[market]]
    terms = [demand.objective_terms([demand.Segment(r.start, r.price, r.slope, r.width)], 0.0)[0]
             for r in group.itertuples()]
    group = group.assign(alpha=[t[0] for t in terms], beta=[t[1] for t in terms])
    markets = inp.markets.copy()
    markets.loc[market, ["structure", "theta", "method"]] = ["competitive", 0.0, None]
    segments = pd.concat([inp.segments.drop(index=market, level="market"), group]).sort_index()
    return replace(inp, segments=segments, markets=markets,
                   basins=inp.basins.assign(buyer_markup=0.0))


def without_routes_to(inp: Inputs, market: str) -> Inputs:
    """The inputs with every route into `market` closed: Russia's options without the deal."""
    closed = inp.routes.index[inp.routes["market"] == market]
    route_years = inp.route_years.copy()
    route_years.loc[route_years.index.get_level_values("route").isin(closed),
                    ["availability", "min_flow"]] = 0.0
    return replace(inp, route_years=route_years)

