"""Bargaining power from its causes (energymodel/rubinstein.py; docs/derivations.md,
section 8): the closed forms against an independent backward induction and the textbook
formulas, their limits, the outside-option principle, monotonicity, and the beta the
model takes. Payoffs to 1e-6 (relative to the surplus)."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from energymodel.rubinstein import (
    NO_OPTION,
    Pair,
    alternating_offers,
    china_beta,
    disagreement_point,
    market_beta,
    nash_split,
    outside_option_split,
    proposer_share,
)

REL = 1e-6
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None)
PI = 100.0  # USD bn to split


def backward_induction(surplus: float, rates: Pair, delta_t: float, hazard: float,
                       d: Pair, o: Pair, first: str, rounds: int = 4000) -> Pair:
    """The equilibrium of the game cut after `rounds` offers (then no agreement for ever),
    solved backwards; it converges to the infinite game's. Independent of the closed forms:
    at each offer the proposer compares the responder's cheapest acceptable offer with an
    offer it will refuse (then the responder walks away or the talks go on)."""
    a = {p: math.exp(-(getattr(rates, p) + hazard) * delta_t) for p in ("russia", "china")}
    dd, oo = d._asdict(), o._asdict()
    later = dict(dd)  # payoffs at the start of the next round: none after the last one
    for t in reversed(range(rounds)):
        proposer = first if t % 2 == 0 else ("china" if first == "russia" else "russia")
        responder = "china" if proposer == "russia" else "russia"
        going_on = {p: (1 - a[p]) * dd[p] + a[p] * later[p] for p in a}
        demand = max(oo[responder], going_on[responder])
        if oo[responder] >= going_on[responder]:
            refused = {proposer: oo[proposer], responder: oo[responder]}
        else:
            refused = going_on
        if surplus - demand >= refused[proposer]:
            later = {proposer: surplus - demand, responder: demand}
        else:
            later = refused
    return Pair(later["russia"], later["china"])


# --- Rubinstein: finite time between offers ------------------------------------------------

@pytest.mark.parametrize(("r_russia", "r_china", "delta_t"), [
    (0.10, 0.05, 1.0), (0.15, 0.08, 0.25), (0.08, 0.08, 0.5), (0.30, 0.02, 2.0)])
def test_spe_share_against_the_formula_and_backward_induction(r_russia, r_china, delta_t):
    """Without breakdown or options the first proposer gets (1 - delta_2) / (1 - delta_1
    delta_2) of the surplus, delta_i = exp(-r_i delta_t) (Rubinstein 1982)."""
    dr, dc = math.exp(-r_russia * delta_t), math.exp(-r_china * delta_t)
    split = alternating_offers(PI, r_russia, r_china, delta_t)
    assert split.russia == pytest.approx(PI * (1 - dc) / (1 - dr * dc), rel=REL)
    assert split.russia + split.china == pytest.approx(PI, rel=1e-12)
    assert split.binding == "none"
    assert proposer_share(r_russia, r_china, delta_t) == pytest.approx((1 - dc) / (1 - dr * dc))
    china_first = alternating_offers(PI, r_russia, r_china, delta_t, first="china")
    assert china_first.china == pytest.approx(PI * (1 - dr) / (1 - dr * dc), rel=REL)
    for first, result in (("russia", split), ("china", china_first)):
        solved = backward_induction(PI, Pair(r_russia, r_china), delta_t, 0.0, Pair(0, 0),
                                    Pair(NO_OPTION, NO_OPTION), first)
        assert (result.russia, result.china) == pytest.approx(solved, rel=REL)


def test_breakdown_without_discounting_matches_the_textbook():
    """Pure risk of breakdown (no discounting), breakdown probability p per round:
    the first proposer gets b_1 + (pi - b_1 - b_2) / (2 - p) (Muthoo 1999, ch. 4)."""
    hazard, delta_t, b = 0.2, 0.5, Pair(30.0, 10.0)
    p = 1 - math.exp(-hazard * delta_t)
    d = Pair(disagreement_point(0.0, b.russia, 0.0, hazard),
             disagreement_point(0.0, b.china, 0.0, hazard))
    assert d == pytest.approx(b)  # no discounting: the value of never agreeing is b
    split = alternating_offers(PI, 0.0, 0.0, delta_t, hazard=hazard, disagreement=d)
    assert split.russia == pytest.approx(b.russia + (PI - b.russia - b.china) / (2 - p),
                                         rel=REL)
    assert proposer_share(0.0, 0.0, delta_t, hazard) == pytest.approx(1 / (2 - p))


@pytest.mark.parametrize("hazard", [0.0, 0.05, 0.3])
def test_patience_and_breakdown_against_backward_induction(hazard):
    rates, delta_t = Pair(0.12, 0.04), 0.5
    d = Pair(disagreement_point(20.0, 35.0, rates.russia, hazard),
             disagreement_point(5.0, 15.0, rates.china, hazard))
    split = alternating_offers(PI, *rates, delta_t, hazard=hazard, disagreement=d)
    solved = backward_induction(PI, rates, delta_t, hazard, d, Pair(NO_OPTION, NO_OPTION),
                                "russia")
    assert (split.russia, split.china) == pytest.approx(solved, rel=REL)
    share = proposer_share(rates.russia, rates.china, delta_t, hazard)
    assert split.russia == pytest.approx(d.russia + share * (PI - sum(d)), rel=REL)


# --- the limit and the Nash equivalence ---------------------------------------------------

@pytest.mark.parametrize(("r_russia", "r_china", "hazard"), [
    (0.10, 0.05, 0.0), (0.05, 0.10, 0.0), (0.15, 0.08, 0.1), (0.0, 0.05, 0.2)])
def test_limit_is_the_asymmetric_nash_split(r_russia, r_china, hazard):
    """As delta_t -> 0 the equilibrium tends to the Nash split over the disagreement point
    with beta = (r_R + hazard) / (r_R + r_C + 2 hazard) (Binmore, Rubinstein & Wolinsky
    1986), whoever proposes first; that split maximises the asymmetric Nash product."""
    beta = china_beta(r_russia, r_china, hazard)
    assert beta == pytest.approx((r_russia + hazard) / (r_russia + r_china + 2 * hazard))
    d = Pair(25.0, 5.0)
    nash = nash_split(PI, beta, d)
    for first in ("russia", "china"):
        near = alternating_offers(PI, r_russia, r_china, 1e-7, hazard=hazard, disagreement=d,
                                  first=first)
        assert (near.russia, near.china) == pytest.approx(nash, rel=REL)

    def minus_log_nash_product(x: float) -> float:
        return -((1 - beta) * math.log(x - d.russia) + beta * math.log(PI - x - d.china))

    best = minimize_scalar(minus_log_nash_product, bounds=(d.russia + 1e-9, PI - d.china - 1e-9),
                           method="bounded", options={"xatol": 1e-10})
    assert nash.russia == pytest.approx(best.x, rel=REL)


def test_symmetric_parties_split_equally():
    assert china_beta(0.08, 0.08) == pytest.approx(0.5)
    assert china_beta(0.08, 0.08, hazard=0.3) == pytest.approx(0.5)
    assert china_beta(0.0, 0.0, hazard=0.3) == pytest.approx(0.5)
    split = alternating_offers(PI, 0.08, 0.08, 1.0)
    delta = math.exp(-0.08)
    assert split.russia == pytest.approx(PI / (1 + delta), rel=REL)  # first-mover edge
    assert alternating_offers(PI, 0.08, 0.08, 1e-7).russia == pytest.approx(PI / 2, rel=REL)


@SETTINGS
@given(st.floats(0.01, 0.5), st.floats(0.01, 0.5), st.floats(0.01, 0.5), st.floats(0, 1),
       st.floats(0.05, 2.0))
def test_the_more_patient_party_gets_more(r_russia, r_china, more, hazard, delta_t):
    """A lower discount rate raises a party's share, in the limit and at any delta_t."""
    assert china_beta(r_russia, r_china, hazard) > china_beta(r_russia, r_china + more, hazard)
    assert china_beta(r_russia + more, r_china, hazard) > china_beta(r_russia, r_china, hazard)
    base = alternating_offers(PI, r_russia, r_china, delta_t, hazard=hazard)
    assert alternating_offers(PI, r_russia, r_china + more, delta_t, hazard=hazard
                              ).china < base.china
    assert alternating_offers(PI, r_russia + more, r_china, delta_t, hazard=hazard
                              ).china > base.china


@SETTINGS
@given(st.floats(0.01, 0.5), st.floats(0.01, 0.5), st.floats(0, 40), st.floats(0, 40),
       st.floats(0, 20), st.floats(0, 20))
def test_breakdown_risk_moves_the_split_towards_nash_over_the_breakdown_point(
        r_russia, r_china, impasse_r, breakdown_r, impasse_c, breakdown_c):
    """The higher the hazard, the closer the outcome to the symmetric Nash split over the
    breakdown point (the limit as the hazard grows), monotonically."""
    target = nash_split(PI, 0.5, (breakdown_r, breakdown_c))
    distance = []
    for hazard in (0.0, 0.05, 0.2, 1.0, 5.0, 1e4):
        d = (disagreement_point(impasse_r, breakdown_r, r_russia, hazard),
             disagreement_point(impasse_c, breakdown_c, r_china, hazard))
        split = outside_option_split(PI, china_beta(r_russia, r_china, hazard), d)
        distance.append(abs(split.russia - target.russia))
    assert all(b <= a + 1e-9 for a, b in pairwise(distance))
    assert distance[-1] < 1e-2


def test_disagreement_point_weighs_impasse_by_patience_and_breakdown_by_hazard():
    assert disagreement_point(40.0, 10.0, 0.1, 0.0) == pytest.approx(40.0)
    assert disagreement_point(40.0, 10.0, 0.1, 0.3) == pytest.approx((4 + 3) / 0.4)
    assert disagreement_point(40.0, 10.0, 0.0, 0.3) == pytest.approx(10.0)


# --- the outside-option principle ---------------------------------------------------------

BETA, D = 0.36, Pair(20.0, 0.0)
NASH = nash_split(PI, BETA, D)  # Russia 20 + 0.64 x 80 = 71.2, China 28.8


def test_outside_option_not_binding_leaves_the_split_unchanged():
    assert tuple(NASH) == pytest.approx((71.2, 28.8))
    for o in [(50.0, NO_OPTION), tuple(NASH), (NO_OPTION, 28.0), (60.0, 10.0)]:
        split = outside_option_split(PI, BETA, D, o)
        assert (split.russia, split.china) == pytest.approx(NASH, rel=1e-12)
        assert split.binding == "none"
        assert split.beta == pytest.approx(BETA)


def test_binding_outside_option_gives_exactly_the_option():
    russia = outside_option_split(PI, BETA, D, (80.0, NO_OPTION))
    assert (russia.russia, russia.china, russia.binding) == (80.0, 20.0,
                                                              "russia_outside_option")
    china = outside_option_split(PI, BETA, D, (NO_OPTION, 35.0))
    assert (china.russia, china.china, china.binding) == (65.0, 35.0, "china_outside_option")
    assert russia.unconstrained == pytest.approx(NASH)
    none = outside_option_split(PI, BETA, D, (60.0, 45.0))
    assert (none.russia, none.china, none.binding) == (60.0, 45.0, "no_deal")
    assert math.isnan(none.beta)


def test_the_naive_treatment_differs():
    """Taking the option as the disagreement point (the naive Nash solution) moves the
    split by (1 - beta) per unit of option; under the principle a non-binding option moves
    nothing and a binding one moves Russia's payoff one for one."""
    for o in (30.0, 50.0, 70.0):
        assert outside_option_split(PI, BETA, D, (o, NO_OPTION)).russia == pytest.approx(71.2)
        assert nash_split(PI, BETA, (o, 0.0)).russia == pytest.approx(o + 0.64 * (PI - o))


@pytest.mark.parametrize("who", ["russia", "china"])
def test_continuity_at_the_binding_point(who):
    edge = getattr(NASH, who)
    for eps in (1e-3, 1e-6, 1e-9):
        below, above = (outside_option_split(
            PI, BETA, D, (x, NO_OPTION) if who == "russia" else (NO_OPTION, x))
            for x in (edge - eps, edge + eps))
        assert below.binding == "none"
        assert above.binding == f"{who}_outside_option"
        assert abs(getattr(above, who) - getattr(below, who)) <= 2 * eps * (1 + 1e-9)


@pytest.mark.parametrize("outside", [(40.0, NO_OPTION), (75.0, NO_OPTION), (NO_OPTION, 33.0),
                                     (60.0, 30.0), (78.0, 20.0)])
@pytest.mark.parametrize("delta_t", [2.0, 0.5])
def test_outside_options_against_backward_induction(outside, delta_t):
    rates, d, o = Pair(0.12, 0.05), Pair(20.0, 0.0), Pair(*outside)
    for first in ("russia", "china"):
        split = alternating_offers(PI, *rates, delta_t, disagreement=d, outside=o, first=first)
        solved = backward_induction(PI, rates, delta_t, 0.0, d, o, first)
        assert (split.russia, split.china) == pytest.approx(solved, rel=REL)


@pytest.mark.parametrize("outside", [(40.0, NO_OPTION), (75.0, NO_OPTION), (NO_OPTION, 40.0),
                                     (60.0, 30.0), (78.0, 20.0)])
def test_outside_option_principle_is_the_limit(outside):
    rates, d = Pair(0.12, 0.05), Pair(20.0, 0.0)
    limit = outside_option_split(PI, china_beta(*rates), d, outside)
    for first in ("russia", "china"):
        near = alternating_offers(PI, *rates, 1e-7, disagreement=d, outside=outside,
                                  first=first)
        assert (near.russia, near.china) == pytest.approx((limit.russia, limit.china),
                                                          rel=REL)
        assert near.binding == limit.binding


# --- the beta the model takes -------------------------------------------------------------

def test_market_beta():
    """China's share of the gains over the model's disagreement point (Russia's NPV
    without the deal, China's 0)."""
    free = outside_option_split(PI, BETA, D)
    assert market_beta(free) == pytest.approx(BETA)
    # Russia's option binds: over the bargain's own disagreement point China's share
    # falls below beta; over the option as the model's disagreement point it is 1
    bound = outside_option_split(PI, BETA, D, (80.0, NO_OPTION))
    assert market_beta(bound) == pytest.approx((PI - 80.0) / (PI - 20.0))
    assert market_beta(bound, reference=(80.0, 0.0)) == pytest.approx(1.0)
    # the option does not bind, the model's disagreement point is the option: China gets
    # more than beta of the (smaller) gains over it
    loose = outside_option_split(PI, BETA, D, (50.0, NO_OPTION))
    assert market_beta(loose, reference=(50.0, 0.0)) == pytest.approx(28.8 / 50.0)
    patient = alternating_offers(PI, 0.15, 0.05, 1e-7, disagreement=D)
    assert market_beta(patient) == pytest.approx(china_beta(0.15, 0.05), rel=REL)
    with pytest.raises(ValueError, match="no deal"):
        market_beta(outside_option_split(PI, BETA, D, (60.0, 45.0)))
    with pytest.raises(ValueError, match="outside"):
        market_beta(free, reference=(80.0, 0.0))


def test_documented_example():
    """The numbers of docs/derivations.md, section 8.4."""
    beta = china_beta(0.12, 0.05)
    assert beta == pytest.approx(0.706, abs=5e-4)
    assert tuple(nash_split(PI, beta, (20.0, 0.0))) == pytest.approx((43.53, 56.47), abs=5e-3)
    assert proposer_share(0.12, 0.05, 0.5) == pytest.approx(0.303, abs=5e-4)
    for first, russia in (("russia", 44.24), ("china", 42.83)):
        split = alternating_offers(PI, 0.12, 0.05, 0.5, disagreement=(20.0, 0.0), first=first)
        assert split.russia == pytest.approx(russia, abs=5e-3)
    assert outside_option_split(PI, beta, (20.0, 0.0), (40.0, NO_OPTION)).russia == (
        pytest.approx(43.53, abs=5e-3))
    assert nash_split(PI, beta, (40.0, 0.0)).russia == pytest.approx(57.65, abs=5e-3)
    bound = outside_option_split(PI, beta, (20.0, 0.0), (50.0, NO_OPTION))
    assert (bound.russia, market_beta(bound)) == pytest.approx((50.0, 0.625))
    risky = china_beta(0.12, 0.05, hazard=0.1)
    d = disagreement_point(20.0, 5.0, 0.12, 0.1)
    assert (risky, d) == pytest.approx((0.595, 13.18), abs=5e-3)
    assert nash_split(PI, risky, (d, 0.0)).russia == pytest.approx(48.38, abs=5e-3)


# --- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "message"), [
    (lambda: china_beta(-0.1, 0.05), "r_russia: -0.1 is not a rate"),
    (lambda: china_beta(0.0, 0.0), "split is undetermined"),
    (lambda: proposer_share(0.1, 0.1, 0.0), "delta_t: 0.0 is not a positive time"),
    (lambda: nash_split(PI, 1.2), "beta: 1.2 is not in"),
    (lambda: nash_split(10.0, 0.5, (8.0, 5.0)), "no gains from a deal"),
    (lambda: outside_option_split(PI, 0.5, outside=(math.nan, 0.0)), "outside_russia: nan"),
    (lambda: alternating_offers(PI, 0.1, 0.1, 1.0, outside=(60.0, 50.0)), "no agreement"),
    (lambda: alternating_offers(PI, 0.1, 0.1, 1.0, first="europe"), "first: 'europe'"),
    (lambda: disagreement_point(1.0, 2.0, 0.0, 0.0), "rate \\+ hazard must be positive"),
    (lambda: nash_split(math.inf, 0.5), "surplus: inf is not a finite number"),
])
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bargaining_power_from_patience_in_the_model(tmp_path):
    """`patience` in a bargaining spec gives the buyer's power from the parties' discount
    rates and breakdown hazard: r_R = 0.09, r_C = 0.16 is beta 0.36, and the run equals the
    calibrated beta's to 1e-9; beta and patience together, or neither, fail at load."""
    import energymodel as em
    from energymodel import structures
    from energymodel.errors import InputError

    from .conftest import five_year

    base = five_year("scenarios/baseline.yaml").updated(leverage=None, uncertainty=None)
    spec = base.markets["china"].model_dump()
    patient = base.updated(markets={**base.model_dump()["markets"], "china": {
        **{k: v for k, v in spec.items() if k != "beta"},
        "patience": {"r_exporter": 0.09, "r_buyer": 0.16}}})
    assert china_beta(0.09, 0.16) == pytest.approx(0.36, abs=1e-12)
    a = em.solve(base).summary.set_index("metric")["value"]
    b = em.solve(patient).summary.set_index("metric")["value"]
    assert b["mean_price"] == pytest.approx(a["mean_price"], abs=1e-9)
    hazard = patient.updated(markets={**patient.model_dump()["markets"], "china": {
        **patient.markets["china"].model_dump(),
        "patience": {"r_exporter": 0.09, "r_buyer": 0.16, "hazard": 0.5}}})
    c = em.solve(hazard).tables["bargaining"].set_index("metric")["value"]
    assert c["beta"] == pytest.approx((0.09 + 0.5) / (0.25 + 1.0), abs=1e-12)
    both = {**spec, "patience": {"r_exporter": 0.09, "r_buyer": 0.16}}
    for bad in (both, {k: v for k, v in spec.items() if k != "beta"}):
        with pytest.raises(InputError, match="beta or patience"):
            structures.specs(base.updated(markets={**base.model_dump()["markets"],
                                                      "china": bad}))
