"""Bargaining power from its causes: patience, risk of breakdown and outside options
(derivation: docs/derivations.md, section 8).

Russia and China split a surplus `pi` [USD bn, present value when the talks open] by
alternating offers `delta_t` years apart (Rubinstein 1982). Each discounts at its own rate
r [1/y]; while they disagree the talks break down at hazard `hazard` [1/y]. A party's
disagreement payoff d [USD bn] is what it gets if no agreement is ever reached: its
earnings while the talks last (the impasse point) and, once they break down, its breakdown
payoff (`disagreement_point`). An outside option o [USD bn] is what it gets by walking away
for good; it can walk away whenever it answers an offer (Binmore, Shaked & Sutton 1989).

The results, in the order of the functions below:
- the first proposer gets d + s (pi - d_R - d_C), s = (1 - a_other) / (1 - a_R a_C),
  a_i = exp(-(r_i + hazard) delta_t);
- as delta_t -> 0 this is the Nash split over d with China's bargaining power
  beta = (r_R + hazard) / (r_R + r_C + 2 hazard) (Binmore, Rubinstein & Wolinsky 1986):
  the more patient party gets more; breakdown risk pulls beta towards 1/2;
- an outside option changes the split only when it binds: a party gets its option exactly
  when the Nash split over d would give it less (the outside-option principle).
`market_beta` turns a split into the beta that `markets.<m>.beta` takes: China's share of
the gains over the model's disagreement point.

Pairs are (Russia, China); money in USD bn, rates and hazards per year, times in years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

Binding = Literal["none", "russia_outside_option", "china_outside_option",
                  "both_outside_options", "no_deal"]
NO_OPTION = -math.inf
"""An outside option of minus infinity: the party cannot walk away."""


class Pair(NamedTuple):
    """A number for each party [USD bn unless stated]."""

    russia: float
    china: float


@dataclass(frozen=True)
class Split:
    """A bargain's outcome [USD bn]: each party's payoff, which outside option binds, and
    the split the parties would reach if neither could walk away (`unconstrained`)."""

    surplus: float
    disagreement: Pair
    russia: float
    china: float
    binding: Binding
    unconstrained: Pair

    @property
    def beta(self) -> float:
        """China's share of the gains over the disagreement point (nan without a deal)."""
        gains = self.surplus - sum(self.disagreement)
        if self.binding == "no_deal" or gains <= 0:
            return math.nan
        return (self.china - self.disagreement.china) / gains


def disagreement_point(impasse: float, breakdown: float, rate: float, hazard: float) -> float:
    """A party's value of never agreeing [USD bn]: it earns the flow of its impasse payoff
    (`impasse`: that flow's present value if it lasted for ever) until the talks break down
    at `hazard` [1/y], then gets `breakdown`. With discount rate `rate` [1/y]:
    (rate impasse + hazard breakdown) / (rate + hazard), the impasse point weighted by
    patience and the breakdown point by the risk of breakdown (Muthoo 1999, ch. 4)."""
    _check_rates(rate=rate, hazard=hazard)
    _check_finite(impasse=impasse, breakdown=breakdown)
    if rate + hazard <= 0:
        raise ValueError("rate + hazard must be positive: a party that neither discounts nor "
                         "risks breakdown has no value of never agreeing")
    return (rate * impasse + hazard * breakdown) / (rate + hazard)


def proposer_share(r_proposer: float, r_responder: float, delta_t: float,
                   hazard: float = 0.0) -> float:
    """The first proposer's share of the gains over the disagreement point in the unique
    subgame-perfect equilibrium of alternating offers (Rubinstein 1982):
    (1 - a_resp) / (1 - a_prop a_resp), with a_i = exp(-(r_i + hazard) delta_t) the
    chance-weighted discount over one round [rates and hazard 1/y, delta_t years]. Without
    breakdown a_i is the discount factor delta_i; with r = 0 it is 1 - p, p the chance the
    talks break down in a round, and the share 1 / (2 - p) (Muthoo 1999, ch. 4)."""
    return _shares(r_proposer, r_responder, delta_t, hazard)[0]


def china_beta(r_russia: float, r_china: float, hazard: float = 0.0) -> float:
    """China's bargaining power as the time between offers goes to zero:
    (r_R + hazard) / (r_R + r_C + 2 hazard) [rates and hazard 1/y].

    Without breakdown it is r_R / (r_R + r_C): the Nash weights are the inverse discount
    rates, so the more patient party gets more (Binmore, Rubinstein & Wolinsky 1986). The
    breakdown hazard adds to both parties' impatience alike and pulls beta towards 1/2;
    it also moves the disagreement point towards the breakdown point
    (`disagreement_point`). This is the `beta` of `markets.<m>.beta` when the model's
    disagreement point is the bargain's and no outside option binds."""
    _check_rates(r_russia=r_russia, r_china=r_china, hazard=hazard)
    if r_russia + r_china + 2 * hazard <= 0:
        raise ValueError("r_russia + r_china + 2 hazard must be positive: with no cost of "
                         "delay the split is undetermined")
    return (r_russia + hazard) / (r_russia + r_china + 2 * hazard)


def nash_split(surplus: float, beta: float, disagreement: tuple[float, float] = (0.0, 0.0)
               ) -> Pair:
    """The asymmetric Nash bargaining solution with transferable money [USD bn]: each gets
    its disagreement payoff, China beta and Russia 1 - beta of the gains
    G = surplus - d_R - d_C; it maximises (U_R - d_R)^(1 - beta) (U_C - d_C)^beta."""
    d = _domain(surplus, disagreement)
    if not 0 <= beta <= 1:
        raise ValueError(f"beta: {beta} is not in [0, 1]")
    gains = surplus - d.russia - d.china
    return Pair(d.russia + (1 - beta) * gains, d.china + beta * gains)


def outside_option_split(surplus: float, beta: float,
                         disagreement: tuple[float, float] = (0.0, 0.0),
                         outside: tuple[float, float] = (NO_OPTION, NO_OPTION)) -> Split:
    """The outside-option principle (Binmore, Shaked & Sutton 1989), the limit of
    `alternating_offers` as the time between offers goes to zero [USD bn].

    The parties reach the Nash split over the disagreement point (`nash_split`) unless it
    gives one party less than its outside option; that party then gets exactly its option
    and the other the rest. An option below what the party gets anyway changes nothing: it
    is not a credible threat, because walking away would leave the party worse off. If the
    options add up to more than the surplus there is no deal and each takes its own."""
    d = _domain(surplus, disagreement)
    o = _options(outside)
    nash = nash_split(surplus, beta, d)
    if o.russia + o.china > surplus:
        return Split(surplus, d, o.russia, o.china, "no_deal", nash)
    if o.russia > nash.russia:
        return Split(surplus, d, o.russia, surplus - o.russia, "russia_outside_option", nash)
    if o.china > nash.china:
        return Split(surplus, d, surplus - o.china, o.china, "china_outside_option", nash)
    return Split(surplus, d, nash.russia, nash.china, "none", nash)


def alternating_offers(surplus: float, r_russia: float, r_china: float, delta_t: float, *,
                       hazard: float = 0.0, disagreement: tuple[float, float] = (0.0, 0.0),
                       outside: tuple[float, float] = (NO_OPTION, NO_OPTION),
                       first: Literal["russia", "china"] = "russia") -> Split:
    """The subgame-perfect equilibrium of alternating offers with a finite time between
    offers `delta_t` [years] (agreement on the first offer) [USD bn].

    After a rejection the responder may take its outside option; otherwise the talks go on
    for `delta_t`, during which they break down at `hazard` [1/y], and the responder
    proposes next. `disagreement` is each party's value of never agreeing
    (`disagreement_point`). With u the first proposer's payoff and w the second's when it
    proposes, the equilibrium solves u = pi - max(o_2, (1 - a_2) d_2 + a_2 w) and
    w = pi - max(o_1, (1 - a_1) d_1 + a_1 u): Rubinstein (1982) without options, Binmore,
    Shaked & Sutton (1989) with them."""
    d = _domain(surplus, disagreement)
    o = _options(outside)
    if first not in ("russia", "china"):
        raise ValueError(f"first: '{first}' is neither 'russia' nor 'china'")
    if o.russia + o.china > surplus:
        raise ValueError("outside options add up to more than the surplus: no agreement "
                         "(outside_option_split gives the no-deal outcome)")
    order = (0, 1) if first == "russia" else (1, 0)  # (first mover, second mover)
    a = Pair(*_round_factors(r_russia, r_china, delta_t, hazard))
    (a1, a2), (d1, d2), (o1, o2) = [tuple(x[i] for i in order) for x in (a, d, o)]
    r1, r2 = ((r_russia, r_china)[i] for i in order)
    s1, s2 = _shares(r1, r2, delta_t, hazard)
    gains = surplus - d1 - d2
    cases = {  # (first mover's option binds, second's): (first's payoff u, second's w)
        (False, False): (d1 + s1 * gains, d2 + s2 * gains),
        (True, False): (surplus - (1 - a2) * d2 - a2 * (surplus - o1), surplus - o1),
        (False, True): (surplus - o2, surplus - (1 - a1) * d1 - a1 * (surplus - o2)),
        (True, True): (surplus - o2, surplus - o1),
    }
    tol = 1e-12 * max(1.0, abs(surplus), abs(d1), abs(d2))
    for binds, (u, w) in cases.items():
        # each mover's option less its value of going on, when it answers an offer
        gaps = (o1 - (1 - a1) * d1 - a1 * u, o2 - (1 - a2) * d2 - a2 * w)
        if all(g >= -tol if b else g <= tol for b, g in zip(binds, gaps, strict=True)):
            break
    else:  # pragma: no cover - the map is a contraction: exactly one case holds
        raise ArithmeticError("alternating_offers: no consistent equilibrium case")
    payoff, free = [0.0, 0.0], [0.0, 0.0]
    payoff[order[0]], payoff[order[1]] = u, surplus - u
    free[order[0]], free[order[1]] = cases[False, False][0], surplus - cases[False, False][0]
    labels: dict[tuple[bool, bool], Binding] = {
        (False, False): "none", (True, True): "both_outside_options",
        (True, False): ("russia_outside_option", "china_outside_option")[order[0]],
        (False, True): ("russia_outside_option", "china_outside_option")[order[1]]}
    return Split(surplus, d, payoff[0], payoff[1], labels[binds], Pair(*free))


def market_beta(split: Split, reference: tuple[float, float] | None = None) -> float:
    """The `beta` for `markets.<m>.beta` that reproduces `split` in the model's Nash
    bargain: China's share of the gains over the model's disagreement point `reference`
    [USD bn; default the split's own]. The model takes Russia's disagreement payoff as its
    NPV without the deal and China's as 0 (docs/derivations.md, section 2).

    When no outside option binds and `reference` is the split's disagreement point, this is
    the beta of the bargain itself. When one binds it is not: Russia's binding option gives
    beta = (surplus - o_R - d_C) / (surplus - d_R - d_C), which depends on the surplus, so it
    must be recomputed for every scenario rather than carried over."""
    ref = Pair(*(split.disagreement if reference is None else reference))
    _check_finite(reference_russia=ref.russia, reference_china=ref.china)
    if split.binding == "no_deal":
        raise ValueError("no deal: the outside options exceed the surplus, so no beta "
                         "reproduces the outcome")
    gains = split.surplus - ref.russia - ref.china
    if gains <= 0:
        raise ValueError(f"no gains over the reference point ({gains:.6g} USD bn): beta is "
                         "undefined")
    beta = (split.china - ref.china) / gains
    if not -1e-12 <= beta <= 1 + 1e-12:
        raise ValueError(f"the split gives China {beta:.6g} of the gains over the reference "
                         "point, outside [0, 1]: the model's bargain cannot reproduce it")
    return min(1.0, max(0.0, beta))


def _round_factors(r1: float, r2: float, delta_t: float, hazard: float) -> tuple[float, float]:
    """exp(-(r_i + hazard) delta_t) for each party: the weight a round's delay puts on
    going on (the rest falls on the disagreement payoff)."""
    _check_rates(r1=r1, r2=r2, hazard=hazard)
    if not (math.isfinite(delta_t) and delta_t > 0):
        raise ValueError(f"delta_t: {delta_t} is not a positive time between offers [years]")
    if r1 + r2 + 2 * hazard <= 0:
        raise ValueError("the discount rates and the hazard are all zero: with no cost of "
                         "delay the split is undetermined")
    return math.exp(-(r1 + hazard) * delta_t), math.exp(-(r2 + hazard) * delta_t)


def _shares(r1: float, r2: float, delta_t: float, hazard: float) -> tuple[float, float]:
    """Each party's share of the gains when it proposes first: (1 - a_other) / (1 - a1 a2),
    computed with expm1 so that it stays accurate as delta_t -> 0."""
    _round_factors(r1, r2, delta_t, hazard)  # checks the arguments
    both = -math.expm1(-(r1 + r2 + 2 * hazard) * delta_t)
    return (-math.expm1(-(r2 + hazard) * delta_t) / both,
            -math.expm1(-(r1 + hazard) * delta_t) / both)


def _domain(surplus: float, disagreement: tuple[float, float]) -> Pair:
    d = Pair(*disagreement)
    _check_finite(surplus=surplus, disagreement_russia=d.russia, disagreement_china=d.china)
    if surplus < d.russia + d.china:
        raise ValueError(f"surplus {surplus:.6g} USD bn is below the disagreement payoffs' "
                         f"sum {d.russia + d.china:.6g}: no gains from a deal")
    return d


def _options(outside: tuple[float, float]) -> Pair:
    o = Pair(*outside)
    for name, x in zip(("outside_russia", "outside_china"), o, strict=True):
        if math.isnan(x) or x == math.inf:
            raise ValueError(f"{name}: {x} is not a payoff (use -inf for no option)")
    return o


def _check_rates(**rates: float) -> None:
    for name, x in rates.items():
        if not (math.isfinite(x) and x >= 0):
            raise ValueError(f"{name}: {x} is not a rate >= 0 [1/y]")


def _check_finite(**numbers: float) -> None:
    for name, x in numbers.items():
        if not math.isfinite(x):
            raise ValueError(f"{name}: {x} is not a finite number [USD bn]")
