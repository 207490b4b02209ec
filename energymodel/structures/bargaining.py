"""bargaining, beta in [0, 1]: Nash bargaining between Russia and the buyer over the pipeline
trade (derivation: docs/derivations.md, sections 2, 3 and 5).

Volumes are at the joint-surplus optimum (the market competitive). The disagreement payoffs
come from re-solving without the deal (every route to the buyer closed): Russia's best NPV
elsewhere; the buyer's is zero because its value of gas is measured against its alternative
(the LNG cap). Russia gets its disagreement payoff plus (1 - beta) of the gains G, the buyer
beta G. The contract form (contracts.py) turns the payment into a price path: levelised,
indexed to lagged Brent, or indexed and re-struck at periodic reviews.

Capital sunk. Ex post, the annuities of capacity already built for the trade are paid with or
without the deal, so the buyer takes beta of them: Russia gets D + (1 - beta) G - beta A_sunk.
    review             at each review after the first, the capital of every option on a
                       route to the buyer decided before that review is sunk; each review
                       period is bargained over its own years (gains and disagreement
                       payoffs of those years), so Russia's payoff is at most the ex-ante one;
    holdup: OPTION     every build plan of that option (not built, or decided in each
                       possible year) is bargained; without reviews the bargain is struck once
                       the option's capex is spent (all of it sunk), with reviews at each
                       review. Russia, anticipating this, picks the plan that pays it best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field

from energymodel import demand, progress
from energymodel.data import DataSet
from energymodel.engine import Session, Solve
from energymodel.errors import InputError
from energymodel.inputs import Inputs, with_competitive, without_routes_to
from energymodel.results import exporter
from energymodel.scenario import Scenario
from energymodel.structures.base import Plan, market_rows, money
from energymodel.structures.buyer_power import BuyerPower, BuyerPowerSpec, require_contract_data
from energymodel.structures.contracts import Contract, price_path, review_starts
from energymodel.units import K


class BargainingSpec(BuyerPowerSpec):
    beta: float = Field(ge=0, le=1, description="bargaining power of the buyer")
    holdup: str | None = Field(None, description="investment option whose capex is sunk ex "
                               "post")
    contract: Contract = Field(Contract(), description="the price path the contract writes")


class Bargaining(BuyerPower):
    name = "bargaining"
    Spec = BargainingSpec
    needs_joint = True

    def check(self, scenario: Scenario, data: DataSet, market: str,
              spec: BargainingSpec) -> None:
        super().check(scenario, data, market, spec)
        if spec.contract.form != "levelised":
            require_contract_data(scenario, data, market, f"markets.{market}.contract",
                                  f"contract form {spec.contract.form}")
        field = f"markets.{market}.holdup"
        if spec.holdup is None:
            return
        if spec.holdup not in data.options.index:
            raise InputError(scenario.file(), field, f"no investment option '{spec.holdup}'")
        if data.routes.at[data.options.at[spec.holdup, "route"], "market"] != market:
            raise InputError(scenario.file(), field, f"option '{spec.holdup}' does not add "
                             f"capacity to a route to {market}")

    def plan(self, inp: Inputs, market: str, spec: BargainingSpec, joint: Solve | None,
             session: Session) -> Plan:
        disagreement = _disagreement(inp, market, session)
        contract = spec.contract
        how = {"method": "Nash bargaining: volumes at the joint-surplus optimum, disagreement "
                         "payoffs by re-solving without the deal, contract price path "
                         f"{contract.form}", "contract": contract.model_dump()}
        extra = {}
        if spec.holdup is None:
            deal = _accounts(joint, market)
            split = _split(deal, disagreement, spec.beta, contract, _sunk(deal, contract))
        else:
            joint, deal, split, extra["holdup"] = _holdup(inp, market, spec.beta, spec.holdup,
                                                           disagreement, contract, session)
            how["method"] = (f"Nash bargaining with hold-up of {spec.holdup}: every build plan "
                             "solved at the joint-surplus optimum; Russia picks the plan that "
                             "pays it best once the capex is sunk; contract price path "
                             f"{contract.form}")
            how["plans"] = len(extra["holdup"])
        path = price_path(contract, split["payment"], deal.volume, inp.market_years.loc[market])
        extra["bargaining"] = _bargaining_table(spec.beta, split)
        extra["contract"] = _contract_table(path, inp, market)
        return Plan(joint, {market: path["price_usd_per_mmbtu"]}, how, extra)


@dataclass
class _Accounts:
    """One solved deal by model year, discounted [USD bn]."""

    value: pd.Series  # W_y K x the buyer's value of the gas it gets (its inverse demand's integral)
    other: pd.Series  # W_y x Russia's profit from everything but payments from the buyer
    volume: pd.Series  # W_y K Q_y: NPV of 1 USD/MMBtu on the buyer's volumes
    capital: pd.DataFrame  # option, decision_year, year, usd_bn: W_y x annuities of the units
    #                        built on routes to the buyer (sunk once spent)


def _accounts(solve: Solve, market: str) -> _Accounts:
    inp, t = solve.inputs, money(solve)
    weight = inp.years["weight"]
    volumes = market_rows(t, market)["volume_bcm_per_y"]
    value = demand.consumer_value(inp.segments.loc[market], volumes)
    flows = exporter(t["flows"])
    profit = flows.groupby("year")["profit_usd_bn"].sum() - flows[
        flows["market"] == market].groupby("year")["revenue_usd_bn"].sum().reindex(
        weight.index, fill_value=0.0)
    dedicated = inp.options.index[inp.options["route"].isin(
        inp.routes.index[inp.routes["market"] == market])]
    built = t["investments"][t["investments"]["option"].isin(dedicated)]
    capital = built.merge(inp.option_online, on=["option", "decision_year"])
    capital["usd_bn"] = (capital["units"] * inp.options["annuity"].reindex(capital["option"])
                         .to_numpy() * weight.reindex(capital["year"]).to_numpy())
    return _Accounts(value=weight * K * value, other=weight * profit,
                     volume=weight * K * volumes,
                     capital=capital[["option", "decision_year", "year", "usd_bn"]])


def _sunk(deal: _Accounts, contract: Contract, option: str | None = None) -> pd.Series:
    """Capital sunk when each year's bargain is struck [USD bn, discounted, by year]: with
    reviews, that of units decided before the year's review; without, all of `option`'s
    (a hold-up: the bargain struck once its capex is spent) or none."""
    c = deal.capital
    if contract.form == "review":
        starts = review_starts(deal.volume.index, contract)
        c = c[c["decision_year"].to_numpy() < starts.reindex(c["year"]).to_numpy()]
    else:
        c = c[c["option"] == option]
    return c.groupby("year")["usd_bn"].sum().reindex(deal.volume.index, fill_value=0.0
                                                      ).astype(float)


def _split(deal: _Accounts, disagreement: pd.Series, beta: float, contract: Contract,
           sunk: pd.Series) -> pd.DataFrame:
    """The Nash split of each bargain (one, or one per review period) [USD bn]: Russia gets
    its disagreement payoff plus (1 - beta) of the gains, less beta of the capital sunk."""
    starts = review_starts(deal.volume.index, contract)
    by = pd.DataFrame({"value": deal.value, "other": deal.other, "disagreement": disagreement,
                       "sunk": sunk, "volume": deal.volume}).groupby(starts).sum()
    by["gains"] = by["value"] + by["other"] - by["disagreement"]
    by["russia_ex_ante"] = by["disagreement"] + (1 - beta) * by["gains"]
    by["russia"] = by["russia_ex_ante"] - beta * by["sunk"]
    by["payment"] = by["russia"] - by["other"]
    return by


def _disagreement(inp: Inputs, market: str, session: Session) -> pd.Series:
    """Russia's best profit without the deal (every route to `market` closed), by model year,
    discounted [USD bn]."""
    solve = session.solve(without_routes_to(with_competitive(inp, market), market))
    profit = exporter(money(solve)["flows"]).groupby("year")["profit_usd_bn"].sum()
    return inp.years["weight"] * profit


def _bargaining_table(beta: float, split: pd.DataFrame) -> pd.DataFrame:
    """The bargain's NPVs summed over its bargains (one, or one per review period)."""
    s = split.sum()
    rows = [("beta", beta, "1"), ("russia_disagreement_npv", s["disagreement"], "USD bn"),
            ("buyer_disagreement_npv", 0.0, "USD bn"),
            ("buyer_value_npv", s["value"], "USD bn"),
            ("russia_profit_without_payment_npv", s["other"], "USD bn"),
            ("gains_npv", s["gains"], "USD bn"),
            ("russia_payoff_ex_ante_npv", s["russia_ex_ante"], "USD bn"),
            ("capital_sunk_npv", s["sunk"], "USD bn"),
            ("russia_payoff_npv", s["russia"], "USD bn"),
            ("buyer_payoff_npv", s["value"] - s["payment"], "USD bn"),
            ("payment_npv", s["payment"], "USD bn"),
            ("discounted_volume", s["volume"], "USD bn per USD/MMBtu"),
            ("levelised_price", s["payment"] / s["volume"] if s["volume"] else np.nan,
             "USD/MMBtu"),
            ("bargains", float(len(split)), "count")]
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def _contract_table(path: pd.DataFrame, inp: Inputs, market: str) -> pd.DataFrame:
    """The contract price path by year next to the data's oil-indexed formula and the
    buyer's alternative-supply price (its LNG import parity)."""
    my = inp.market_years.loc[market]
    table = path.rename(columns={"slope": "slope_usd_per_mmbtu_per_usd_per_bbl",
                                 "constant": "constant_usd_per_mmbtu"})
    table["oil_indexed_formula_usd_per_mmbtu"] = my["oil_indexed_price"]
    table["price_cap_usd_per_mmbtu"] = my["price_cap"]
    return table.drop(columns="discounted_volume").rename_axis("year").reset_index().assign(
        market=market)


def _holdup(inp: Inputs, market: str, beta: float, option: str, disagreement: pd.Series,
            contract: Contract, session: Session
            ) -> tuple[Solve, _Accounts, pd.DataFrame, pd.DataFrame]:
    """Every build plan of `option` bargained; the plan Russia picks anticipating the
    ex-post bargain, its accounts and split, and the table of plans."""
    joint = with_competitive(inp, market)
    decisions = list(inp.decisions.loc[inp.decisions["option"] == option, "decision_year"])
    units = inp.options.at[option, "max_units"]
    plans, solutions = [], {}
    for plan in progress.each("hold-up build plans", [None, *decisions]):
        fixed = {(option, d): (units if d == plan else 0.0) for d in decisions}
        solve = session.solve(joint, fixed_units=fixed)
        deal = _accounts(solve, market)
        split = _split(deal, disagreement, beta, contract, _sunk(deal, contract, option))
        s, volume = split.sum(), deal.volume.sum()
        online = inp.option_online[(inp.option_online["option"] == option)
                                   & (inp.option_online["decision_year"] == plan)]["year"]
        plans.append({
            "decision_year": plan, "online_year": online.min() if plan else None,
            "units": units if plan else 0.0, "joint_surplus_usd_bn": s["value"] + s["other"],
            "gains_usd_bn": s["gains"], "capex_sunk_usd_bn": s["sunk"],
            "russia_payoff_ex_ante_usd_bn": s["russia_ex_ante"],
            "russia_payoff_ex_post_usd_bn": s["russia"],
            "payment_ex_ante_usd_bn": s["russia_ex_ante"] - s["other"],
            "payment_ex_post_usd_bn": s["payment"],
            "price_ex_ante_usd_per_mmbtu": (s["russia_ex_ante"] - s["other"]) / volume
            if volume else np.nan,
            "price_ex_post_usd_per_mmbtu": s["payment"] / volume if volume else np.nan})
        solutions[plan] = (solve, deal, split)
    table = pd.DataFrame(plans)
    table["ex_ante_choice"] = table.index == table["russia_payoff_ex_ante_usd_bn"].idxmax()
    table["holdup_choice"] = table.index == table["russia_payoff_ex_post_usd_bn"].idxmax()
    chosen = table.loc[table["holdup_choice"], "decision_year"].iloc[0]
    return (*solutions[None if pd.isna(chosen) else int(chosen)], table)


STRUCTURE = Bargaining()
