"""bargaining, beta in [0, 1]: Nash bargaining between Russia and the buyer over the pipeline
trade (docs: README, "China's buyer power").

Volumes are at the joint-surplus optimum (the market competitive). The disagreement payoffs
come from re-solving without the deal (every route to the buyer closed): Russia's best NPV
elsewhere; the buyer's is zero because its value of gas is measured against its alternative
(the LNG cap). Russia gets its disagreement payoff plus (1 - beta) of the gains G, the buyer
beta G; the payment is reported as one levelised price over the contract years.

With `holdup: OPTION`, the same for every build plan of that investment option (not built,
or decided in each possible year): ex ante the capex is part of the deal; ex post it is
sunk, so the buyer takes beta of it. Russia, anticipating the ex-post bargain, picks the plan
that pays it best then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field

from energymodel import demand
from energymodel.data import DataSet
from energymodel.errors import InputError
from energymodel.inputs import Inputs, with_competitive, without_routes_to
from energymodel.results import npv_profit
from energymodel.runner import Solved, solve_inputs
from energymodel.scenario import Scenario
from energymodel.structures.base import Run, market_rows, tables
from energymodel.structures.buyer_power import BuyerPower, BuyerPowerSpec
from energymodel.units import K


class BargainingSpec(BuyerPowerSpec):
    beta: float = Field(ge=0, le=1, description="bargaining power of the buyer")
    holdup: str | None = Field(None, description="investment option whose capex is sunk ex "
                               "post")


class Bargaining(BuyerPower):
    name = "bargaining"
    Spec = BargainingSpec
    needs_joint = True

    def check(self, scenario: Scenario, data: DataSet, market: str,
              spec: BargainingSpec) -> None:
        super().check(scenario, data, market, spec)
        field = f"markets.{market}.holdup"
        if spec.holdup is None:
            return
        if spec.holdup not in data.options.index:
            raise InputError(scenario.file(), field, f"no investment option '{spec.holdup}'")
        if data.routes.at[data.options.at[spec.holdup, "route"], "market"] != market:
            raise InputError(scenario.file(), field, f"option '{spec.holdup}' does not add "
                             f"capacity to a route to {market}")

    def plan(self, inp: Inputs, market: str, spec: BargainingSpec, joint: Solved | None) -> Run:
        if spec.holdup is not None:
            return _holdup(inp, market, spec.beta, spec.holdup)
        disagreement = _disagreement(inp, market)
        accounts = _accounts(joint, market)
        split = _nash(accounts, disagreement, spec.beta)
        table = _bargaining_table(spec.beta, disagreement, accounts, split, ex="ante")
        how = {"method": "Nash bargaining: volumes at the joint-surplus optimum, disagreement "
                         "payoffs by re-solving without the deal, levelised contract price"}
        price = pd.Series(split["price_ex_ante_usd_per_mmbtu"], index=inp.years.index)
        return Run(joint, {market: price}, how, {"bargaining": table})


@dataclass
class _Accounts:
    """NPVs of one solved deal [USD bn]."""

    buyer_value: float  # the buyer's value of the gas it gets: integral of its inverse demand
    russia_other: float  # Russia's profit from everything but payments from the buyer
    discounted_volume: float  # sum_y W_y K Q_y: NPV of 1 USD/MMBtu on the buyer's volumes
    capex: float  # capital annuities of the hold-up option online in the horizon (sunk ex post)


def _accounts(solved: Solved, market: str, option: str | None = None) -> _Accounts:
    inp, t = solved.inputs, tables(solved)
    weight = inp.years["weight"]
    volumes = market_rows(t, market)["volume_bcm_per_y"]
    value = demand.consumer_value(inp.segments.loc[market], volumes)
    capex = 0.0
    if option is not None:
        built = t["investments"]
        built = built[built["option"] == option]
        online = inp.option_online[inp.option_online["option"] == option]
        for row in built.itertuples():
            years = online.loc[online["decision_year"] == row.decision_year, "year"]
            capex += row.units * inp.options.at[option, "annuity"] * weight[years].sum()
    return _Accounts(buyer_value=float((weight * K * value).sum()),
                     russia_other=npv_profit(t["flows"], weight, market),
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
    return npv_profit(tables(solved)["flows"], inp.years["weight"])


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


def _holdup(inp: Inputs, market: str, beta: float, option: str) -> Run:
    joint = with_competitive(inp, market)
    disagreement = _disagreement(inp, market)
    decisions = list(inp.decisions.loc[inp.decisions["option"] == option, "decision_year"])
    units = inp.options.at[option, "max_units"]
    plans, solutions = [], {}
    for plan in [None, *decisions]:
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
    how = {"method": f"Nash bargaining with hold-up of {option}: every build plan solved "
                     "at the joint-surplus optimum; Russia picks the plan that pays it best "
                     "once the capex is sunk", "plans": len(table)}
    extra = {"holdup": table,
             "bargaining": _bargaining_table(beta, disagreement, accounts, split, ex="post")}
    price = pd.Series(split["price_ex_post_usd_per_mmbtu"], index=inp.years.index)
    return Run(solved, {market: price}, how, extra)


STRUCTURE = Bargaining()
