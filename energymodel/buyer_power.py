"""The buyer's power over Russian pipeline gas (DESIGN.md section 3), by the market's structure.

monopsony (phi)      The buyer sets the price; Russia, a price taker there, re-optimises every
                     other outlet and investment. Where Russia's supply curve to the buyer is
                     linear (every basin with a route to it sends gas there alone, by one
                     route, at linear marginal cost: the textbook case) the equivalent QP
                     max V(Q) - C(Q) - phi d Q^2/2 is exact and the price is Russia's marginal
                     cost c + dQ + transport. Otherwise (the full model: West Siberia also
                     feeds Europe, Turkey, LNG and the domestic market) the bilevel MILP of
                     bilevel.py is solved; it needs continuous investment.
bargaining (beta)    Nash bargaining over the pipeline trade. Volumes at the joint-surplus
                     optimum (the competitive solution); the disagreement payoffs come from
                     re-solving without the deal (every route to the buyer closed): Russia's
                     best NPV elsewhere; the buyer's is zero because its value of gas is
                     measured against its alternative (the LNG cap). Russia gets its
                     disagreement payoff plus (1 - beta) of the gains; the payment is reported
                     as one levelised price over the contract years.
bargaining + holdup  The same for every build plan of an investment option (not built, or
                     decided in each possible year): ex ante the capex is part of the deal;
                     ex post it is sunk, so the buyer takes beta of it. Russia, anticipating
                     the ex-post bargain, picks the plan that pays it best then.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from energymodel import bilevel, demand, progress
from energymodel.inputs import Inputs, with_competitive, with_market_prices, without_routes_to
from energymodel.model import build_model
from energymodel.results import npv_profit
from energymodel.runner import Solved, solve_inputs
from energymodel.units import K


@dataclass
class BuyerPowerRun:
    """The solution to report, the price the buyer pays and the benchmark it is held to."""

    solved: Solved
    prices: pd.Series  # USD/MMBtu the buyer pays, by model year
    method: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    benchmark: pd.Series | None = None  # USD/MMBtu, by model year
    benchmark_name: str = ""


def solve(inp: Inputs, market: str) -> BuyerPowerRun:
    """Solve the scenario's buyer-power market `market` and its benchmark."""
    spec = inp.scenario.markets[market]
    competitive = None
    if spec.structure == "bargaining" or spec.benchmark == "competitive":
        competitive = solve_inputs(with_competitive(inp, market))
    if spec.structure == "monopsony":
        run = _monopsony(inp, market, spec.phi)
    elif spec.holdup is not None:
        run = _holdup(inp, market, spec.beta, spec.holdup)
    else:
        run = _bargaining(inp, market, spec.beta, competitive)
    run.benchmark_name = spec.benchmark
    run.benchmark = (_prices(competitive, market) if spec.benchmark == "competitive"
                     else inp.market_years.loc[market, "oil_indexed_price"])
    return run


def _market(solved: Solved, market: str) -> pd.DataFrame:
    markets = solved.tables["markets"]
    return markets[markets["market"] == market].set_index("year")


def _prices(solved: Solved, market: str) -> pd.Series:
    """The market's inverse demand at the volume it buys, by model year [USD/MMBtu]."""
    return _market(solved, market)["price_usd_per_mmbtu"]


def _volumes(solved: Solved, market: str) -> pd.Series:
    """Volume the market buys, by model year [bcm/y]."""
    return _market(solved, market)["volume_bcm_per_y"]


def _monopsony(inp: Inputs, market: str, phi: float) -> BuyerPowerRun:
    if inp.markets.at[market, "method"] == "qp":
        solved = solve_inputs(inp)
        method = {"method": "monopsony as the equivalent QP: buyer-side term phi d Q^2 / 2 on "
                            "the dedicated basin's cost, price = Russia's marginal cost"}
        return BuyerPowerRun(solved, _supply_price(solved, market), method)
    start = time.perf_counter()
    follower_inputs = with_market_prices(inp, market, pd.Series(0.0, index=inp.years.index))
    solution = bilevel.solve(build_model(follower_inputs), follower_inputs, market, phi,
                             inp.segments.loc[market], inp.scenario.solver)
    solved = solve_inputs(with_market_prices(inp, market, solution.prices),
                          fixed_units=solution.units)
    check = _volumes(solved, market) - solution.sales
    method = {
        "method": "monopsony as a bilevel MILP: Russia's QP replaced by its KKT conditions "
                  "(big-M bounds from capacities and price caps), the leader's concave terms "
                  "by tangent cuts refined at each incumbent, then the exact QP with the "
                  "binding constraints fixed; Russia's answer re-solved at the leader's prices",
        "binaries": solution.binaries, "milp_rounds": solution.rounds,
        "cuts_converged": solution.converged, "exact_qp_polish": solution.polished,
        "milp_seconds": round(solution.seconds, 3),
        "leader_objective_usd_bn": solution.objective,
        "leader_objective_bound_usd_bn": solution.bound,
        "follower_check_max_deviation_bcm_per_y": float(check.abs().max()),
        "bilevel_wall_seconds": round(time.perf_counter() - start, 3)}
    return BuyerPowerRun(solved, solution.prices, method)


def _supply_price(solved: Solved, market: str) -> pd.Series:
    """Russia's marginal cost of supplying `market` by model year: production marginal cost
    of the basin plus transport (the only route, as the QP method requires)."""
    flows = solved.tables["flows"]
    route = flows[flows["market"] == market]
    basins = solved.tables["basins"].set_index(["basin", "year"])
    cost = (basins["marginal_cost_usd_per_mmbtu"].reindex(
        list(zip(route["basin"], route["year"], strict=True))).to_numpy()
        + route["unit_cost_usd_per_mmbtu"].to_numpy())
    return pd.Series(cost, index=route["year"].to_numpy())


@dataclass
class _Accounts:
    """NPVs of one solved deal [USD bn]."""

    buyer_value: float  # the buyer's value of the gas it gets: integral of its inverse demand
    russia_other: float  # Russia's profit from everything but payments from the buyer
    discounted_volume: float  # sum_y W_y K Q_y: NPV of 1 USD/MMBtu on the buyer's volumes
    capex: float  # capital annuities of the hold-up option online in the horizon (sunk ex post)


def _accounts(solved: Solved, market: str, option: str | None = None) -> _Accounts:
    inp = solved.inputs
    weight = inp.years["weight"]
    volumes = _volumes(solved, market)
    value = demand.consumer_value(inp.segments.loc[market], volumes)
    capex = 0.0
    if option is not None:
        built = solved.tables["investments"]
        built = built[built["option"] == option]
        online = inp.option_online[inp.option_online["option"] == option]
        for row in built.itertuples():
            years = online.loc[online["decision_year"] == row.decision_year, "year"]
            capex += row.units * inp.options.at[option, "annuity"] * weight[years].sum()
    return _Accounts(buyer_value=float((weight * K * value).sum()),
                     russia_other=npv_profit(solved.tables["flows"], weight, market),
                     discounted_volume=float((weight * K * volumes).sum()), capex=float(capex))


def _nash(deal: _Accounts, disagreement: float, beta: float) -> dict[str, float]:
    """Nash split of one deal, ex ante and ex post (capex sunk) [USD bn, USD/MMBtu]."""
    gains = deal.buyer_value + deal.russia_other - disagreement
    ante = disagreement + (1 - beta) * gains
    post = ante - beta * deal.capex
    volume = deal.discounted_volume
    return {"joint_surplus_usd_bn": deal.buyer_value + deal.russia_other,
            "gains_usd_bn": gains, "capex_sunk_usd_bn": deal.capex,
            "russia_payoff_ex_ante_usd_bn": ante, "russia_payoff_ex_post_usd_bn": post,
            "payment_ex_ante_usd_bn": ante - deal.russia_other,
            "payment_ex_post_usd_bn": post - deal.russia_other,
            "price_ex_ante_usd_per_mmbtu": (ante - deal.russia_other) / volume if volume else
            np.nan,
            "price_ex_post_usd_per_mmbtu": (post - deal.russia_other) / volume if volume else
            np.nan}


def _disagreement(inp: Inputs, market: str) -> float:
    """Russia's best NPV of profit without the deal: every route to `market` closed."""
    solved = solve_inputs(without_routes_to(with_competitive(inp, market), market))
    return npv_profit(solved.tables["flows"], inp.years["weight"])


def _bargaining(inp: Inputs, market: str, beta: float, deal: Solved) -> BuyerPowerRun:
    disagreement = _disagreement(inp, market)
    accounts = _accounts(deal, market)
    split = _nash(accounts, disagreement, beta)
    table = _bargaining_table(beta, disagreement, accounts, split, ex="ante")
    method = {"method": "Nash bargaining: volumes at the joint-surplus optimum, disagreement "
                        "payoffs by re-solving without the deal, levelised contract price"}
    price = pd.Series(split["price_ex_ante_usd_per_mmbtu"], index=inp.years.index)
    return BuyerPowerRun(deal, price, method, {"bargaining": table})


def _bargaining_table(beta: float, disagreement: float, a: _Accounts, split: dict,
                      ex: str) -> pd.DataFrame:
    rows = [("beta", beta, "1"), ("russia_disagreement_npv", disagreement, "USD bn"),
            ("buyer_disagreement_npv", 0.0, "USD bn"),
            ("buyer_value_npv", a.buyer_value, "USD bn"),
            ("russia_profit_without_payment_npv", a.russia_other, "USD bn"),
            ("gains_npv", split["gains_usd_bn"], "USD bn"),
            ("russia_payoff_npv", split[f"russia_payoff_ex_{ex}_usd_bn"], "USD bn"),
            ("buyer_payoff_npv", a.buyer_value - split[f"payment_ex_{ex}_usd_bn"], "USD bn"),
            ("payment_npv", split[f"payment_ex_{ex}_usd_bn"], "USD bn"),
            ("discounted_volume", a.discounted_volume, "USD bn per USD/MMBtu"),
            ("levelised_price", split[f"price_ex_{ex}_usd_per_mmbtu"], "USD/MMBtu")]
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def _holdup(inp: Inputs, market: str, beta: float, option: str) -> BuyerPowerRun:
    joint = with_competitive(inp, market)
    disagreement = _disagreement(inp, market)
    decisions = list(inp.decisions.loc[inp.decisions["option"] == option, "decision_year"])
    units = inp.options.at[option, "max_units"]
    plans, solutions = [], {}
    for plan in progress.each("hold-up build plans", [None, *decisions]):
        fixed = {(option, d): (units if d == plan else 0.0) for d in decisions}
        solved = solve_inputs(joint, fixed_units=fixed)
        accounts = _accounts(solved, market, option)
        split = _nash(accounts, disagreement, beta)
        online = inp.option_online[(inp.option_online["option"] == option)
                                   & (inp.option_online["decision_year"] == plan)]["year"]
        plans.append({"decision_year": plan, "online_year": online.min() if plan else None,
                      "units": units if plan else 0.0, **split})
        solutions[plan] = (solved, accounts, split)
    table = pd.DataFrame(plans)
    table["ex_ante_choice"] = table.index == table["russia_payoff_ex_ante_usd_bn"].idxmax()
    table["holdup_choice"] = table.index == table["russia_payoff_ex_post_usd_bn"].idxmax()
    chosen = table.loc[table["holdup_choice"], "decision_year"].iloc[0]
    solved, accounts, split = solutions[None if pd.isna(chosen) else int(chosen)]
    method = {"method": f"Nash bargaining with hold-up of {option}: every build plan solved "
                        "at the joint-surplus optimum; Russia picks the plan that pays it best "
                        "once the capex is sunk", "plans": len(table)}
    tables = {"holdup": table,
              "bargaining": _bargaining_table(beta, disagreement, accounts, split, ex="post")}
    price = pd.Series(split["price_ex_post_usd_per_mmbtu"], index=inp.years.index)
    return BuyerPowerRun(solved, price, method, tables)
