"""An investment option as a decision under uncertainty (energymodel/decision.py,
docs/derivations.md section 9): the decision arithmetic against a hand calculation, its
properties, the scenario tree's validation, and the baseline's Power of Siberia 2 decision
on the real data (5-year periods, lumpy)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import energymodel as em
from energymodel.api import prepare
from energymodel.cli import app
from energymodel.decision import evaluate, last_paying_year, spliced, tree_of
from energymodel.engine import Session

from .conftest import SCENARIOS

NEVER = math.nan


@pytest.fixture(scope="module")
def session() -> Session:
    """One session for the module's solves (data read once, models compiled once)."""
    return Session()


def _rows(branch: str, plans: dict, volume: float = 0.0, revenue: float = 0.0) -> list[dict]:
    """Rows of a payoffs table: plans {decision year or NEVER: (national, after tax)}; the
    route's volume and revenue are those of the earliest build."""
    first = min(y for y in plans if not math.isnan(y))
    return [{"branch": branch, "decision_year": y, "national_usd_bn": nat,
             "after_tax_usd_bn": tax, "route_volume": volume if y == first else 0.0,
             "route_revenue_usd_bn": revenue if y == first else 0.0}
            for y, (nat, tax) in plans.items()]


# Two branches, known payoffs: A (p 0.6) where the option pays, B (p 0.4) where it does not.
HAND = pd.DataFrame(
    _rows("A", {NEVER: (100, 50), 2025: (130, 45), 2040: (125, 52), 2045: (120, 49)},
          volume=10, revenue=60)
    + _rows("B", {NEVER: (100, 50), 2025: (80, 30), 2040: (95, 40), 2045: (90, 41)},
            volume=8, revenue=40))
P = pd.Series({"A": 0.6, "B": 0.4})


def _summary(tables: dict, metric: str, view: str) -> float:
    s = tables["summary"]
    return float(s.loc[(s["metric"] == metric) & (s["view"] == view), "value"].iloc[0])


def test_two_branch_hand_calculation():
    """Every number worked out by hand (docs/derivations.md section 9)."""
    t = evaluate(HAND, P, now=2025, revelation=2040, duty=0.3)
    # national: E[now] = .6*130 + .4*80 = 110; E[never] = 100; waiting builds in 2040 in A
    # (125 > 120 > 100) and never in B (100 > 95): E[wait] = .6*125 + .4*100 = 115
    assert _summary(t, "expected_npv_now", "national") == pytest.approx(110, abs=1e-9)
    assert _summary(t, "expected_npv_never", "national") == pytest.approx(100, abs=1e-9)
    assert _summary(t, "expected_npv_wait", "national") == pytest.approx(115, abs=1e-9)
    assert _summary(t, "value_of_waiting", "national") == pytest.approx(5, abs=1e-6)
    # best plan decided at 2040 or later without knowing the branch: 2040, .6*125 + .4*95
    # = 113; information: 115 - max(113, 100) = 2; cost of delay: 110 - 113 = -3
    assert _summary(t, "value_of_information", "national") == pytest.approx(2, abs=1e-6)
    assert _summary(t, "cost_of_delay", "national") == pytest.approx(-3, abs=1e-6)
    # break-even: E[Q] = .6*10 + .4*8 = 9.2, E[R] = .6*60 + .4*40 = 52, price 52/9.2;
    # shift (100 - 110) / 9.2
    assert _summary(t, "option_route_price_now", "national") == pytest.approx(52 / 9.2,
                                                                             abs=1e-6)
    assert _summary(t, "break_even_price_shift", "national") == pytest.approx(-10 / 9.2,
                                                                             abs=1e-6)
    assert _summary(t, "break_even_price", "national") == pytest.approx(42 / 9.2, abs=1e-6)
    # after tax: E[now] = .6*45 + .4*30 = 39, E[never] = 50, E[wait] = .6*52 + .4*50 = 51.2
    assert _summary(t, "expected_npv_now", "after_tax") == pytest.approx(39, abs=1e-9)
    assert _summary(t, "expected_npv_wait", "after_tax") == pytest.approx(51.2, abs=1e-9)
    assert _summary(t, "value_of_waiting", "after_tax") == pytest.approx(1.2, abs=1e-6)
    assert _summary(t, "value_of_information", "after_tax") == pytest.approx(1.2, abs=1e-6)
    assert _summary(t, "cost_of_delay", "after_tax") == pytest.approx(0, abs=1e-6)
    # a price shift keeps 1 - duty after tax: (50 - 39) / (0.7 * 9.2)
    shift = 11 / (0.7 * 9.2)
    assert _summary(t, "break_even_price_shift", "after_tax") == pytest.approx(shift, abs=1e-6)
    assert _summary(t, "break_even_price", "after_tax") == pytest.approx(52 / 9.2 + shift,
                                                                        abs=1e-6)
    # the choice when waiting differs across the branches; the best strategies
    b = t["branches"].set_index(["view", "branch"])
    assert b.loc[("national", "A"), "wait_choice"] == "build in 2040"
    assert b.loc[("national", "B"), "wait_choice"] == "never"
    assert b.loc[("national", "A"), "best_plan"] == "build in 2025"
    strategies = t["strategies"].set_index(["view", "strategy"])["best"]
    assert strategies[("national", "wait")] and strategies[("after_tax", "wait")]
    # last paying year: A pays up to 2045 (120 >= 100) nationally, to 2040 after tax; B never
    a, b_ = HAND[HAND["branch"] == "A"], HAND[HAND["branch"] == "B"]
    assert last_paying_year(a, "national") == 2045
    assert last_paying_year(a, "after_tax") == 2040
    assert math.isnan(last_paying_year(b_, "national"))


def test_break_even_is_where_now_and_never_are_worth_the_same():
    """At the break-even shift, now's expected NPV (its route's gas re-priced, volumes
    kept) equals never's, in both views."""
    t = evaluate(HAND, P, now=2025, revelation=2040, duty=0.3)
    volume = float((P * pd.Series({"A": 10, "B": 8})).sum())
    for view, kept in (("national", 1.0), ("after_tax", 0.7)):
        shifted = (_summary(t, "expected_npv_now", view)
                   + _summary(t, "break_even_price_shift", view) * kept * volume)
        assert shifted == pytest.approx(_summary(t, "expected_npv_never", view), abs=1e-9)


values = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@st.composite
def trees(draw):
    """Random payoffs for 1-4 branches, plans never, 2025, 2040, 2045."""
    n = draw(st.integers(1, 4))
    weights = np.array(draw(st.lists(st.floats(0.01, 1), min_size=n, max_size=n)))
    p = pd.Series(weights / weights.sum(), index=[f"b{i}" for i in range(n)])
    rows = []
    for branch in p.index:
        plans = {y: (draw(values), draw(values)) for y in (NEVER, 2025, 2040, 2045)}
        rows += _rows(branch, plans, volume=draw(st.floats(0.1, 20)),
                      revenue=draw(st.floats(0, 200)))
    return pd.DataFrame(rows), p


@settings(max_examples=60, deadline=None)
@given(trees())
def test_value_of_waiting_properties(tree):
    """Information never hurts (E max >= max E); the value of waiting is information less
    the cost of delay, and at least zero when waiting costs nothing (building at T pays as
    building now, branch by branch); waiting is never worse than never."""
    payoffs, p = tree
    free = payoffs.copy()
    for branch in p.index:  # building in 2040 pays what building now pays
        rows = free["branch"] == branch
        now = free.loc[rows & (free["decision_year"] == 2025)]
        free.loc[rows & (free["decision_year"] == 2040), ["national_usd_bn",
                                                          "after_tax_usd_bn"]] = \
            now[["national_usd_bn", "after_tax_usd_bn"]].to_numpy()
    for table in (payoffs, free):
        t = evaluate(table, p, now=2025, revelation=2040, duty=0.3)
        for view in ("national", "after_tax"):
            info = _summary(t, "value_of_information", view)
            assert info >= -1e-9
            assert _summary(t, "value_of_waiting", view) == pytest.approx(
                info - _summary(t, "cost_of_delay", view), abs=1e-9)
            assert (_summary(t, "expected_npv_wait", view)
                    >= _summary(t, "expected_npv_never", view) - 1e-9)
            if table is free:
                assert _summary(t, "value_of_waiting", view) >= -1e-9


@settings(max_examples=40, deadline=None)
@given(trees(), st.floats(0, 10), st.floats(0.01, 10))
def test_break_even_rises_with_capex(tree, capex, more):
    """Capex paid by every build (an annuity weight per plan: earlier builds pay more of
    it within the horizon) raises the break-even price in both views."""
    payoffs, p = tree

    def at(c: float) -> pd.DataFrame:
        built = payoffs["decision_year"].notna()
        years_paid = (2061 - payoffs["decision_year"]).where(built, 0.0) / 10
        return payoffs.assign(**{col: payoffs[col] - c * years_paid
                                 for col in ("national_usd_bn", "after_tax_usd_bn")})

    low = evaluate(at(capex), p, now=2025, revelation=2040, duty=0.3)
    high = evaluate(at(capex + more), p, now=2025, revelation=2040, duty=0.3)
    for view in ("national", "after_tax"):
        assert (_summary(high, "break_even_price", view)
                > _summary(low, "break_even_price", view))


# --- the scenario tree's validation: one line naming the field -------------------------------

@pytest.mark.parametrize(("decision", "field", "reason"), [
    ({"branches": [{"pathway": "net_zero", "probability": 0.5},
                   {"pathway": "stated_policies", "probability": 0.4}]}, "decision",
     "sum to 0.9, not 1"),
    ({"branches": [{"pathway": "net_zero", "probability": 0.5},
                   {"pathway": "net_zero", "probability": 0.5}]}, "decision", "twice"),
    ({"branches": [{"pathway": "net_zero", "probability": 1.5}]},
     "decision.branches[0].probability", "outside the range"),
    ({"revelation_year": 2040, "horizon": 1}, "decision.horizon", "unknown key"),
])
def test_bad_tree_in_scenario(baseline_scenario, decision, field, reason):
    with pytest.raises(em.InputError) as err:
        baseline_scenario.updated(decision=decision)
    assert err.value.field == field and reason in err.value.reason


@pytest.mark.parametrize(("tree", "option", "field", "reason"), [
    ({"branches": [{"pathway": "no_such", "probability": 1.0}]}, None,
     "decision.branches[0].pathway", "no pathway 'no_such'"),
    ({"branches": [{"pathway": "history", "probability": 1.0}]}, None,
     "decision.branches[0].pathway", "no values after 2040"),
    ({"revelation_year": 2042}, None, "decision.revelation_year", "not the first year"),
    (None, "no_such_option", "--option", "no investment option 'no_such_option'"),
])
def test_bad_tree_against_data(baseline_scenario, session, tree, option, field, reason):
    with pytest.raises(em.InputError) as err:
        tree_of(baseline_scenario, option, tree, session)
    assert err.value.field == field and reason in err.value.reason


def test_default_tree_is_the_data_pathways_equally_likely(baseline_scenario, session):
    """Without a decision section: the largest option into the buyer market, the pathways
    the data give its market after 2040, equally likely."""
    t = tree_of(baseline_scenario, session=session)
    assert (t.option, t.market, t.trunk) == ("pos2_pipeline", "china", "stated_policies")
    assert t.probability.to_dict() == pytest.approx(
        {"announced_pledges": 1 / 3, "net_zero": 1 / 3, "stated_policies": 1 / 3})
    assert baseline_scenario.decision is None  # and the digest ignores the absent section
    assert baseline_scenario.updated(decision={}).digest() != baseline_scenario.digest()


def test_cli_bad_option_is_one_line(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["decide", str(SCENARIOS / "baseline.yaml"),
                                      "--option", "nope", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--option" in result.stderr
    assert not out.exists()


def test_spliced_world_follows_the_trunk_then_the_branch(baseline_scenario, session):
    """Before the revelation the branch world has the trunk's demand, from it the branch
    pathway's own."""
    base = baseline_scenario.updated(horizon={"start_year": 2025, "end_year": 2060,
                                              "step": 5})
    trunk = prepare(base, session)
    net_zero = prepare(base.updated(markets={
        **{m: s.model_dump(exclude_none=True) for m, s in base.markets.items()},
        "china": {"structure": "bargaining", "beta": 0.36, "contract": {"form": "indexed"},
                  "pathway": "net_zero"}}), session)
    world = spliced(trunk, net_zero, 2040)
    cap = world.market_years.loc["china", "price_cap"]
    assert np.allclose(cap.loc[:2035], trunk.market_years.loc["china", "price_cap"].loc[:2035])
    assert np.allclose(cap.loc[2040:], net_zero.market_years.loc["china", "price_cap"].loc[2040:])
    assert not np.allclose(cap.loc[2040:], trunk.market_years.loc["china", "price_cap"].loc[2040:])


# --- the baseline's Power of Siberia 2 decision on the real data -----------------------------

@pytest.fixture(scope="module")
def baseline_decision(baseline_scenario, session):
    return em.decide(baseline_scenario, session=session)


@pytest.mark.slow
def test_decision_differs_across_the_tree(baseline_decision):
    """Nationally, waiting builds Power of Siberia 2 in the stated-policies branch and never
    in the net-zero one."""
    b = baseline_decision.tables["branches"].set_index(["view", "branch"])
    assert b.loc[("national", "stated_policies"), "wait_choice"] == "build in 2040"
    assert b.loc[("national", "net_zero"), "wait_choice"] == "never"
    assert b.loc[("national", "stated_policies"), "last_paying_decision_year"] > \
        b.loc[("national", "net_zero"), "last_paying_decision_year"]


@pytest.mark.slow
def test_forced_plans_reproduce_the_scenario_solves(baseline_scenario, baseline_decision,
                                                    session):
    """Building now in the stated-policies branch is the baseline's own choice (lumpy, 5-year
    periods): the forced solve gives its NPVs; never gives those of pos2_not_built."""
    payoffs = baseline_decision.tables["payoffs"]
    stated = payoffs[payoffs["branch"] == "stated_policies"].set_index("decision_year",
                                                                       drop=False)
    lumpy = {"investment": "lumpy", "horizon": {"start_year": 2025, "end_year": 2060,
                                                "step": 5}}
    free = em.solve(baseline_scenario.updated(**lumpy), dependence=False, session=session)
    assert free.investments.set_index("option").at["pos2_pipeline", "decision_year"] == 2025
    now = stated.loc[2025]
    assert now["national_usd_bn"] == pytest.approx(free.npv("total_profit"), abs=1e-6)
    assert now["export_profit_usd_bn"] == pytest.approx(free.npv("export_profit"), abs=1e-6)
    assert now["after_tax_usd_bn"] == pytest.approx(
        free.npv("total_profit") - free.npv("budget_take"), abs=1e-6)
    never = stated[stated["decision_year"].isna()].iloc[0]
    without = em.solve(em.load_scenario(SCENARIOS / "pos2_not_built.yaml").updated(**lumpy),
                       dependence=False, session=session)
    assert never["national_usd_bn"] == pytest.approx(without.npv("total_profit"), abs=1e-6)


@pytest.mark.slow
def test_baseline_views_and_break_even(baseline_decision):
    """Building now pays nationally but not after tax in expectation: the after-tax
    break-even price lies above the price the bargain gives, the national one below."""
    r = baseline_decision
    assert r.value("expected_npv_now", "national") > r.value("expected_npv_never", "national")
    assert r.value("expected_npv_now", "after_tax") < r.value("expected_npv_never",
                                                              "after_tax")
    price = r.value("option_route_price_now", "national")
    assert r.value("break_even_price", "national") < price < r.value("break_even_price",
                                                                     "after_tax")
    assert r.value("value_of_information", "national") >= 0
    assert r.value("value_of_waiting", "national") == pytest.approx(
        r.value("value_of_information", "national") - r.value("cost_of_delay", "national"),
        abs=1e-9)
    assert r.manifest["solves"] == 24


@pytest.mark.slow
def test_last_paying_year_alone_matches_the_tree(baseline_scenario, baseline_decision,
                                                 session):
    """The scenario's own world without a tree gives the tree's trunk figure."""
    national = em.last_paying_decision_year(baseline_scenario, view="national",
                                            session=session)
    assert national == baseline_decision.value("last_paying_decision_year", "national")


def test_nothing_to_decide_is_one_error(baseline_scenario, session):
    """Without fiscal terms there is no after-tax view; with the option's route closed
    there is no decision: one InputError each, before any solve."""
    with pytest.raises(em.InputError) as err:
        em.decide(baseline_scenario.updated(fiscal=None), session=session)
    assert err.value.field == "fiscal"
    closed = baseline_scenario.with_overrides(
        {"entity": "power_of_siberia_2", "parameter": "availability", "value": 0.0})
    with pytest.raises(em.InputError) as err:
        em.decide(closed, session=session)
    assert err.value.field == "decision.option" and "closed" in err.value.reason


def test_the_scenarios_own_builds_of_the_option_are_lifted(session):
    """A scenario that forces the option (pos2_built) is decided like one that does not: its
    minimum build is lifted; one that offers no unit (pos2_not_built) has nothing to
    decide."""
    from energymodel.decision import decision_scenario

    built = em.load_scenario(SCENARIOS / "pos2_built.yaml")
    inputs = prepare(decision_scenario(built, tree_of(built, session=session)), session)
    assert inputs.options.at["pos2_pipeline", "min_units"] == 0
    with pytest.raises(em.InputError) as err:
        em.decide(SCENARIOS / "pos2_not_built.yaml", session=session)
    assert err.value.field == "decision.option" and "no unit" in err.value.reason


def test_a_bilevel_monopsony_is_refused_in_words_about_the_decision():
    from energymodel.errors import InputError

    with pytest.raises(InputError, match="decide solves with lumpy investment") as found:
        em.decide("scenarios/china_monopsony.yaml")
    assert found.value.field == "markets"
