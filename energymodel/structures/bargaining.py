"""bargaining, beta in [0, 1]: Nash bargaining between Russia and the buyer over the pipeline
trade its legacy contracts do not cover (derivation: docs/derivations.md, sections 2, 3
and 5).

The deal: every route-year of the exporter's routes into the buyer market that no legacy
contract prices (a contract_start..contract_end in the data; `reopen` names routes whose
legacy contract the bargain reopens). Power of Siberia 1 keeps its 2014 formula to 2049,
the Far Eastern route its own from 2027; Power of Siberia 2, and the older pipelines once
their terms end, are bargained.

Volumes are at the joint-surplus optimum (the market competitive). The disagreement point
closes the deal's route-years only and re-solves: Russia's best NPV without the deal (its
legacy routes still at their formulas) and the buyer's surplus from its alternatives (its
own production, the other suppliers, LNG at its landed price): the buyer's national surplus
is its consumers' value of gas less what it pays foreign suppliers, its own producers' costs
and its delivery costs. The gains G are the joint surplus with the deal less both
disagreement payoffs; Russia gets its disagreement payoff plus (1 - beta) of G, the buyer
its own plus beta G. The contract form (contracts.py) turns Russia's payment into a price
path on the deal's volumes: levelised, indexed to lagged Brent, or indexed and re-struck at
periodic reviews.

Capital sunk. Ex post, the annuities of capacity already built for the deal are paid with
or without it, so the buyer takes beta of them: Russia gets D + (1 - beta) G - beta A_sunk.
    review             at each review after the first, the capital of every option on a
                       deal route decided before that review is sunk; each review period is
                       bargained over its own years (gains and disagreement payoffs of those
                       years), so Russia's payoff is at most the ex-ante one;
    holdup: OPTION     every build plan of that option (not built, or decided in each
                       possible year) is bargained; without reviews the bargain is struck once
                       the option's capex is spent (all of it sunk), with reviews at each
                       review. Russia, anticipating this, picks the plan that pays it best.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from energymodel import demand, progress, rubinstein
from energymodel.data import DataSet
from energymodel.engine import Session, Solve
from energymodel.errors import InputError
from energymodel.inputs import Inputs, with_competitive
from energymodel.scenario import Scenario
from energymodel.structures.base import Plan, Spec, money
from energymodel.structures.buyer_power import (
    BuyerPower,
    BuyerPowerSpec,
    exporter_routes,
    require_contract_terms,
)
from energymodel.structures.contracts import Contract, price_path, review_starts
from energymodel.units import K

BARGAINED = "bargained contract"


class Patience(Spec):
    """Bargaining power from its causes (energymodel.rubinstein, docs/derivations.md section
    8): the parties' discount rates and the hazard that talks break down, per year. In the
    limit of alternating offers made ever faster, the buyer's power is
    (r_exporter + hazard) / (r_exporter + r_buyer + 2 hazard). The model's disagreement
    point (the world without the deal) is both the impasse point and each party's outside
    option, so by the outside-option principle the Nash split over it is the outcome."""

    r_exporter: float = Field(ge=0, le=1, description="the exporter's discount rate [1/y]")
    r_buyer: float = Field(ge=0, le=1, description="the buyer's discount rate [1/y]")
    hazard: float = Field(0.0, ge=0, le=1, description="breakdown hazard of the talks [1/y]")

    @model_validator(mode="after")
    def _some_delay_cost(self) -> Patience:
        if self.r_exporter + self.r_buyer + 2 * self.hazard <= 0:
            raise ValueError("r_exporter + r_buyer + 2 hazard must be positive: with no cost "
                             "of delay the split is undetermined")
        return self

    @property
    def beta(self) -> float:
        return rubinstein.china_beta(self.r_exporter, self.r_buyer, self.hazard)


class BargainingSpec(BuyerPowerSpec):
    beta: float | None = Field(None, ge=0, le=1, description="bargaining power of the "
                               "buyer (calibrated); or give patience")
    patience: Patience | None = Field(None, description="the parties' discount rates and "
                                      "breakdown hazard, from which beta follows")
    holdup: str | None = Field(None, description="investment option whose capex is sunk ex "
                               "post")
    contract: Contract = Field(Contract(), description="the price path the contract writes")
    reopen: list[str] = Field([], description="routes whose legacy contracts the bargain "
                              "reopens (their years join the deal)")

    @model_validator(mode="after")
    def _one_power(self) -> BargainingSpec:
        if (self.beta is None) == (self.patience is None):
            raise ValueError("give beta or patience (one of the two)")
        return self

    @property
    def power(self) -> float:
        """The buyer's bargaining power: beta as given, or from the parties' patience."""
        if self.beta is not None:
            return self.beta
        if self.patience is None:  # _one_power makes one of the two given
            raise AssertionError("a bargaining spec without beta or patience")
        return self.patience.beta


class Bargaining(BuyerPower[BargainingSpec]):
    name = "bargaining"
    Spec = BargainingSpec

    def check(self, scenario: Scenario, data: DataSet, market: str,
              spec: BargainingSpec) -> None:
        super().check(scenario, data, market, spec)
        own = exporter_routes(data, market)
        for i, route in enumerate(spec.reopen):
            if route not in own:
                raise InputError(scenario.file(), f"markets.{market}.reopen[{i}]",
                                 f"'{route}' is not a route of the exporter to {market} (one "
                                 f"of {', '.join(own)})")
        if spec.contract.form != "levelised":
            require_contract_terms(scenario, data, market, f"markets.{market}.contract",
                                   f"contract form {spec.contract.form}")
        field = f"markets.{market}.holdup"
        if spec.holdup is None:
            return
        if spec.holdup not in data.options.index:
            raise InputError(scenario.file(), field, f"no investment option '{spec.holdup}'")
        if data.options.at[spec.holdup, "route"] not in own:
            raise InputError(scenario.file(), field, f"option '{spec.holdup}' does not add "
                             f"capacity to a route of the exporter to {market}")

    def plan(self, inp: Inputs, market: str, spec: BargainingSpec, joint: Solve,
             session: Session) -> Plan:
        deal = deal_route_years(inp, market, spec.reopen)
        disagreement = _disagreement(inp, market, deal, session)
        contract = spec.contract
        how: dict[str, object] = {
            "method": "Nash bargaining over the trade no legacy contract covers: volumes at "
                      "the joint-surplus optimum, disagreement payoffs (Russia's and the "
                      "buyer's) by re-solving without the deal, contract price path "
                      f"{contract.form}", "contract": contract.model_dump(),
            "deal_routes": sorted(set(deal.index[deal].get_level_values("route")))}
        extra: dict[str, pd.DataFrame] = {}
        if spec.holdup is None:
            accounts = _accounts(joint, market, deal)
            split = _split(accounts, disagreement, spec.power, contract,
                           _sunk(accounts, contract))
        else:
            joint, accounts, split, extra["holdup"] = _holdup(
                inp, market, deal, spec.power, spec.holdup, disagreement, contract, session)
            how["method"] = (f"Nash bargaining with hold-up of {spec.holdup}: every build plan "
                             "solved at the joint-surplus optimum; Russia picks the plan that "
                             "pays it best once the capex is sunk; contract price path "
                             f"{contract.form}")
            how["plans"] = len(extra["holdup"])
        terms = deal_terms(inp, deal, accounts.flows)
        path = price_path(contract, split["payment"], accounts.volume, terms)
        extra["bargaining"] = _bargaining_table(spec.power, split)
        extra["contract"] = _contract_table(path, terms, inp, market)
        prices = {r: path["price_usd_per_mmbtu"].where(deal.xs(r, level="route"))
                  for r in set(deal.index[deal].get_level_values("route"))}
        return Plan(joint, prices, how, extra, price_basis=BARGAINED,
                    duals_from="the joint-surplus optimum of the bargain")


def deal_route_years(inp: Inputs, market: str, reopen: Sequence[str] = ()) -> pd.Series:
    """Which route-years (inp.route_years' index) the bargain covers: the exporter's routes
    into `market` in the years no legacy contract prices them (or all years of a reopened
    route)."""
    ry = inp.route_years
    routes = ry.index.get_level_values("route")
    own = routes.isin(exporter_routes(inp.data, market, inp.routes))
    legacy = ry["legacy"].fillna(False).to_numpy(dtype=bool) & ~routes.isin(list(reopen))
    return pd.Series(own & ~legacy, index=ry.index)


def deal_terms(inp: Inputs, deal: pd.Series, flows: pd.DataFrame) -> pd.DataFrame:
    """The index terms of the deal's contract by model year (lagged_oil_price [USD/bbl],
    contract_slope, contract_constant): the deal routes' own, weighted by their volumes in
    the deal (equally where none flows)."""
    ry = inp.route_years[deal.to_numpy()]
    if ry.empty:
        return pd.DataFrame(columns=["lagged_oil_price", "contract_slope",
                                     "contract_constant"], index=inp.years.index, dtype=float)
    volume = flows.set_index(["route", "year"])["flow_bcm_per_y"].reindex(ry.index).fillna(0.0)
    weight = volume.groupby(level="year").transform(lambda v: v if v.sum() > 0 else v + 1.0)
    columns = ["lagged_oil_price", "contract_slope", "contract_constant"]
    weighted = ry[columns].mul(weight, axis=0).groupby(level="year").sum()
    return weighted.div(weight.groupby(level="year").sum(), axis=0).reindex(inp.years.index)


@dataclass
class _Accounts:
    """One solved world by model year, discounted [USD bn]."""

    buyer: pd.Series  # W_y x the buyer's national surplus, before paying for the deal's gas
    other: pd.Series  # W_y x Russia's profit from everything but payments for the deal's gas
    volume: pd.Series  # W_y K Q_y: NPV of 1 USD/MMBtu on the deal's volumes
    capital: pd.DataFrame  # option, decision_year, year, usd_bn: W_y x annuities of the units
    #                        built on the deal's routes (sunk once spent)
    flows: pd.DataFrame  # the solve's route accounts (results.accounts)


def buyer_surplus(inp: Inputs, t: dict[str, pd.DataFrame], market: str,
                  exclude: pd.Series | None = None) -> pd.Series:
    """The buyer's national surplus by model year [USD bn, undiscounted]: its consumers'
    value of the gas it buys (the integral of its inverse demand: against LNG at its landed
    price, the demand not modelled), less what it pays foreign suppliers (their route
    prices), its own producers' costs and its delivery costs. Route-years in `exclude` (a
    deal's) are not paid for here."""
    volumes = t["markets"].set_index(["market", "year"])["volume_bcm_per_y"].loc[market]
    value = K * demand.consumer_value(inp.segments_of(market), volumes)
    flows = t["flows"][t["flows"]["market"] == market]
    paid = flows["role"] != "domestic"
    if exclude is not None:
        paid &= ~exclude.reindex(pd.MultiIndex.from_frame(flows[["route", "year"]])
                                 ).fillna(False).to_numpy(dtype=bool)
    outlay = (flows["revenue_usd_bn"].where(paid, 0.0)
              + (flows["production_cost_usd_bn"] + flows["transport_cost_usd_bn"]).where(
                  flows["role"] == "domestic", 0.0)
              + flows["delivery_cost_usd_per_mmbtu"] * flows["flow_bcm_per_y"] * K)
    return (value - outlay.groupby(flows["year"]).sum()).reindex(inp.years.index,
                                                                 fill_value=0.0)


def _accounts(solve: Solve, market: str, deal: pd.Series) -> _Accounts:
    inp, t = solve.inputs, money(solve)
    weight = inp.years["weight"]
    flows = t["flows"]
    at = pd.MultiIndex.from_frame(flows[["route", "year"]])
    in_deal = deal.reindex(at).fillna(False).to_numpy(dtype=bool)
    own = flows["role"] == "exporter"
    other = (flows["profit_usd_bn"].where(own, 0.0) - flows["revenue_usd_bn"].where(
        own & in_deal, 0.0)).groupby(flows["year"]).sum().reindex(weight.index, fill_value=0.0)
    volume = flows["flow_bcm_per_y"].where(in_deal, 0.0).groupby(flows["year"]).sum().reindex(
        weight.index, fill_value=0.0)
    routes = set(deal.index[deal].get_level_values("route"))
    dedicated = inp.options.index[inp.options["route"].isin(routes)]
    built = t["investments"][t["investments"]["option"].isin(dedicated)]
    capital = built.merge(inp.option_online, on=["option", "decision_year"])
    capital["usd_bn"] = (capital["units"] * inp.options["annuity"].reindex(capital["option"])
                         .to_numpy() * weight.reindex(capital["year"]).to_numpy())
    return _Accounts(buyer=weight * buyer_surplus(inp, t, market, deal),
                     other=weight * other, volume=weight * K * volume,
                     capital=capital[["option", "decision_year", "year", "usd_bn"]],
                     flows=flows)


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


def _split(deal: _Accounts, disagreement: pd.DataFrame, beta: float, contract: Contract,
           sunk: pd.Series) -> pd.DataFrame:
    """The Nash split of each bargain (one, or one per review period) [USD bn]: Russia gets
    its disagreement payoff plus (1 - beta) of the gains, less beta of the capital sunk; the
    buyer its own plus beta of the gains."""
    starts = review_starts(deal.volume.index, contract)
    by = pd.DataFrame({"buyer_value": deal.buyer, "other": deal.other,
                       "disagreement": disagreement["russia"],
                       "buyer_disagreement": disagreement["buyer"], "sunk": sunk,
                       "volume": deal.volume}).groupby(starts).sum()
    by["gains"] = (by["buyer_value"] + by["other"] - by["disagreement"]
                   - by["buyer_disagreement"])
    by["russia_ex_ante"] = by["disagreement"] + (1 - beta) * by["gains"]
    by["russia"] = by["russia_ex_ante"] - beta * by["sunk"]
    by["payment"] = by["russia"] - by["other"]
    return by


def _disagreement(inp: Inputs, market: str, deal: pd.Series, session: Session) -> pd.DataFrame:
    """Both parties' payoffs without the deal (its route-years closed), by model year,
    discounted [USD bn]: Russia's profit (its legacy routes at their formulas) and the
    buyer's national surplus from its alternatives."""
    solve = session.solve(without_deal(with_competitive(inp, market), deal))
    t = money(solve)
    flows = t["flows"]
    profit = flows["profit_usd_bn"].where(flows["role"] == "exporter", 0.0).groupby(
        flows["year"]).sum().reindex(inp.years.index, fill_value=0.0)
    weight = inp.years["weight"]
    return pd.DataFrame({"russia": weight * profit,
                         "buyer": weight * buyer_surplus(inp, t, market)})


def without_deal(inp: Inputs, deal: pd.Series) -> Inputs:
    """The inputs with the deal's route-years closed: the world without the deal."""
    route_years = inp.route_years.copy()
    route_years.loc[deal.to_numpy(), ["availability", "min_flow"]] = 0.0
    return replace(inp, route_years=route_years)


def _bargaining_table(beta: float, split: pd.DataFrame) -> pd.DataFrame:
    """The bargain's NPVs summed over its bargains (one, or one per review period)."""
    s = split.sum()
    rows = [("beta", beta, "1"), ("russia_disagreement_npv", s["disagreement"], "USD bn"),
            ("buyer_disagreement_npv", s["buyer_disagreement"], "USD bn"),
            ("buyer_value_npv", s["buyer_value"], "USD bn"),
            ("russia_profit_without_payment_npv", s["other"], "USD bn"),
            ("gains_npv", s["gains"], "USD bn"),
            ("russia_payoff_ex_ante_npv", s["russia_ex_ante"], "USD bn"),
            ("capital_sunk_npv", s["sunk"], "USD bn"),
            ("russia_payoff_npv", s["russia"], "USD bn"),
            ("buyer_payoff_npv", s["buyer_value"] - s["payment"], "USD bn"),
            ("payment_npv", s["payment"], "USD bn"),
            ("discounted_volume", s["volume"], "USD bn per USD/MMBtu"),
            ("levelised_price", s["payment"] / s["volume"] if s["volume"] else np.nan,
             "USD/MMBtu"),
            ("bargains", float(len(split)), "count")]
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def _contract_table(path: pd.DataFrame, terms: pd.DataFrame, inp: Inputs,
                    market: str) -> pd.DataFrame:
    """The contract price path by year next to the data's own formula for the deal's
    routes and the buyer's alternative-supply price (LNG landed at its demand)."""
    table = path.rename(columns={"slope": "slope_usd_per_mmbtu_per_usd_per_bbl",
                                 "constant": "constant_usd_per_mmbtu"})
    table["oil_indexed_formula_usd_per_mmbtu"] = (terms["contract_slope"]
                                                  * terms["lagged_oil_price"]
                                                  + terms["contract_constant"])
    table["price_cap_usd_per_mmbtu"] = inp.market_years_of(market)["price_cap"]
    return table.drop(columns="discounted_volume").rename_axis("year").reset_index().assign(
        market=market)


def _holdup(inp: Inputs, market: str, deal: pd.Series, beta: float, option: str,
            disagreement: pd.DataFrame, contract: Contract, session: Session
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
        accounts = _accounts(solve, market, deal)
        split = _split(accounts, disagreement, beta, contract,
                       _sunk(accounts, contract, option))
        s, volume = split.sum(), accounts.volume.sum()
        online = inp.option_online[(inp.option_online["option"] == option)
                                   & (inp.option_online["decision_year"] == plan)]["year"]
        plans.append({
            "decision_year": plan, "online_year": online.min() if plan else None,
            "units": units if plan else 0.0,
            "joint_surplus_usd_bn": s["buyer_value"] + s["other"],
            "gains_usd_bn": s["gains"], "capex_sunk_usd_bn": s["sunk"],
            "russia_payoff_ex_ante_usd_bn": s["russia_ex_ante"],
            "russia_payoff_ex_post_usd_bn": s["russia"],
            "payment_ex_ante_usd_bn": s["russia_ex_ante"] - s["other"],
            "payment_ex_post_usd_bn": s["payment"],
            "price_ex_ante_usd_per_mmbtu": (s["russia_ex_ante"] - s["other"]) / volume
            if volume else np.nan,
            "price_ex_post_usd_per_mmbtu": s["payment"] / volume if volume else np.nan})
        solutions[plan] = (solve, accounts, split)
    table = pd.DataFrame(plans)
    table["ex_ante_choice"] = table.index == table["russia_payoff_ex_ante_usd_bn"].idxmax()
    table["holdup_choice"] = table.index == table["russia_payoff_ex_post_usd_bn"].idxmax()
    chosen = table.loc[table["holdup_choice"], "decision_year"].iloc[0]
    return (*solutions[None if pd.isna(chosen) else int(chosen)], table)


STRUCTURE = Bargaining()
