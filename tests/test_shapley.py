"""Shapley decomposition (energymodel/shapley.py; docs/derivations.md, section 8): hand-computed
and published values, the axioms on random games, several outcomes at once, and the errors."""

from __future__ import annotations

import math
import re
from itertools import permutations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energymodel.errors import InputError
from energymodel.shapley import MAX_DRIVERS, decompose, from_table, subset_label, subsets

TOL = 1e-9
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None)


def by_driver(result, column: str = "shapley", outcome: str = "value") -> dict[str, float]:
    table = result.contributions[result.contributions["outcome"] == outcome]
    return dict(zip(table["driver"], table[column], strict=True))


def permutation_shapley(drivers, v) -> dict[str, float]:
    """The definition: a driver's marginal contribution averaged over every order in which
    the drivers could be switched on (independent of the subset formula in the code)."""
    total = dict.fromkeys(drivers, 0.0)
    orders = list(permutations(drivers))
    for order in orders:
        on: set[str] = set()
        for d in order:
            before = v(frozenset(on))
            on.add(d)
            total[d] += v(frozenset(on)) - before
    return {d: x / len(orders) for d, x in total.items()}


# --- games with known answers -------------------------------------------------------------

def test_additive_game_gives_each_driver_its_own_effect():
    effect = {"europe": -0.3, "sunk": -0.5, "lng": 0.2, "pathway": 0.05}
    result = decompose(list(effect), lambda s: 6.4 + sum(effect[d] for d in s),
                       units="USD/MMBtu")
    shap, main = by_driver(result), by_driver(result, "main_effect")
    for d, e in effect.items():
        assert shap[d] == pytest.approx(e, abs=TOL)
        assert main[d] == pytest.approx(e, abs=TOL)
    totals = result.totals.iloc[0]
    assert totals["total"] == pytest.approx(sum(effect.values()), abs=TOL)
    assert totals["interaction_share"] == pytest.approx(0, abs=TOL)
    assert result.interactions["interaction"].abs().max() < TOL
    assert result.interactions["shapley_interaction_index"].abs().max() < TOL
    assert set(result.contributions["unit"]) == {"USD/MMBtu"}


def test_pure_interaction_is_split_equally():
    """v = 3 x_a x_b (plus a dummy c): neither driver does anything alone; together they
    make 3, which Shapley splits 1.5/1.5; the pair's interaction is 3."""
    result = decompose(["a", "b", "c"], lambda s: 3.0 * ("a" in s) * ("b" in s))
    assert by_driver(result) == pytest.approx({"a": 1.5, "b": 1.5, "c": 0.0}, abs=TOL)
    assert by_driver(result, "main_effect") == pytest.approx({"a": 0, "b": 0, "c": 0},
                                                             abs=TOL)
    totals = result.totals.iloc[0]
    assert totals["interaction_share"] == pytest.approx(3.0, abs=TOL)
    assert totals["pairwise_interactions"] == pytest.approx(3.0, abs=TOL)
    assert totals["higher_order_interactions"] == pytest.approx(0.0, abs=TOL)
    pair = result.interactions.set_index(["driver_a", "driver_b"])
    assert pair.loc[("a", "b"), "interaction"] == pytest.approx(3.0, abs=TOL)
    assert pair.loc[("a", "c"), "interaction"] == pytest.approx(0.0, abs=TOL)
    assert pair.loc[("a", "b"), "shapley_interaction_index"] == pytest.approx(3.0, abs=TOL)


def test_glove_game_published_values():
    """One left glove (L) and two right gloves (R1, R2); a pair is worth 1. Shapley values
    2/3, 1/6, 1/6 (e.g. Maschler, Solan & Zamir 2013, Game Theory, ch. 18)."""
    result = decompose(["L", "R1", "R2"],
                       lambda s: float("L" in s and ("R1" in s or "R2" in s)))
    assert by_driver(result) == pytest.approx({"L": 2 / 3, "R1": 1 / 6, "R2": 1 / 6}, abs=TOL)
    # the dividends: each pair L+R makes 1, the three together -1 (the second right glove
    # adds nothing); the index averages the pair L-R1 over the worlds with and without R2
    assert result.dividends.loc["L+R1", "value"] == pytest.approx(1.0, abs=TOL)
    assert result.dividends.loc["L+R1+R2", "value"] == pytest.approx(-1.0, abs=TOL)
    pair = result.interactions.set_index(["driver_a", "driver_b"])
    assert pair.loc[("L", "R1"), "shapley_interaction_index"] == pytest.approx(0.5, abs=TOL)
    assert pair.loc[("R1", "R2"), "shapley_interaction_index"] == pytest.approx(-0.5, abs=TOL)


def test_airport_game_published_values():
    """Littlechild & Owen (1973): planes share a runway; a coalition pays for the longest
    one it needs (costs 8, 11, 13, 18). Their closed form splits each segment's cost
    equally among the planes that use it: 8/4 = 2, 2 + 3/3 = 3, 3 + 2/2 = 4, 4 + 5 = 9."""
    cost = {"A": 8.0, "B": 11.0, "C": 13.0, "D": 18.0}
    result = decompose(list(cost), lambda s: max((cost[d] for d in s), default=0.0))
    assert by_driver(result) == pytest.approx({"A": 2.0, "B": 3.0, "C": 4.0, "D": 9.0},
                                              abs=TOL)


def test_single_driver_takes_the_whole_change():
    result = decompose(["europe"], {(): 6.438, ("europe",): 6.441})
    assert by_driver(result)["europe"] == pytest.approx(0.003, abs=TOL)
    assert result.totals.iloc[0]["interaction_share"] == pytest.approx(0.0, abs=TOL)
    assert result.interactions.empty


# --- the axioms, on random games ----------------------------------------------------------

VALUE = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)


@st.composite
def games(draw, min_k: int = 1, max_k: int = 5):
    """A random game: k drivers and a value for each of the 2^k subsets."""
    k = draw(st.integers(min_k, max_k))
    drivers = [f"d{j}" for j in range(k)]
    values = draw(st.lists(VALUE, min_size=1 << k, max_size=1 << k))
    return drivers, dict(zip(subsets(drivers), values, strict=True))


def scale(values) -> float:
    return max(1.0, max(abs(x) for x in values.values()))


@SETTINGS
@given(games())
def test_efficiency_and_the_permutation_definition(game):
    """The values add up to v(all) - v(none) and equal the average marginal contribution
    over every order of the drivers."""
    drivers, values = game
    result = decompose(drivers, values)
    totals = result.totals.iloc[0]
    assert result.efficient
    assert totals["sum_shapley"] == pytest.approx(totals["total"], rel=TOL,
                                                  abs=TOL * scale(values))
    expected = permutation_shapley(drivers, values.__getitem__)
    assert by_driver(result) == pytest.approx(expected, abs=TOL * scale(values))


@SETTINGS
@given(games(min_k=2))
def test_decomposition_identities(game):
    """total = main effects + pairwise + higher-order interactions; each driver's Shapley
    value is the sum of the dividends of the subsets it is in, each over the subset's size;
    the pairwise interaction is v(ab) - v(a) - v(b) + v(none)."""
    drivers, v = game
    result = decompose(drivers, v)
    totals = result.totals.iloc[0]
    assert (totals["sum_main_effects"] + totals["pairwise_interactions"]
            + totals["higher_order_interactions"]) == pytest.approx(
        totals["total"], abs=TOL * scale(v))
    assert result.dividends["value"].sum() == pytest.approx(totals["total"] + v[frozenset()],
                                                            abs=TOL * scale(v))
    dividends = result.dividends["value"]
    for d, phi in by_driver(result).items():
        shared = sum(m / len(s) for s, m in zip(subsets(drivers), dividends, strict=True)
                     if d in s)
        assert phi == pytest.approx(shared, abs=TOL * scale(v))
    e = frozenset()
    for row in result.interactions.itertuples():
        a, b = row.driver_a, row.driver_b
        assert row.interaction == pytest.approx(
            v[e | {a, b}] - v[e | {a}] - v[e | {b}] + v[e], abs=TOL * scale(v))


@SETTINGS
@given(games(min_k=2), st.data())
def test_symmetric_drivers_get_equal_values(game, data):
    """d0 and d1 interchangeable (v depends on how many of them are on, not which)."""
    drivers, raw = game
    swap = {"d0": "d1", "d1": "d0"}
    symmetric = {s: (raw[s] + raw[frozenset(swap.get(d, d) for d in s)]) / 2 for s in raw}
    shap = by_driver(decompose(drivers, symmetric))
    assert shap["d0"] == pytest.approx(shap["d1"], abs=TOL * scale(raw))


@SETTINGS
@given(games(max_k=4))
def test_dummy_driver_gets_nothing(game):
    """A driver that never changes the value: zero Shapley value, main effect and
    interactions; the others' values are those of the game without it."""
    drivers, raw = game
    with_dummy = {s | extra: x for s, x in raw.items() for extra in (frozenset(),
                                                                       frozenset({"dummy"}))}
    result = decompose([*drivers, "dummy"], with_dummy)
    shap = by_driver(result)
    assert shap.pop("dummy") == pytest.approx(0.0, abs=TOL * scale(raw))
    assert by_driver(result, "main_effect")["dummy"] == pytest.approx(0.0, abs=TOL)
    touching = result.interactions[(result.interactions["driver_b"] == "dummy")]
    assert touching[["interaction", "shapley_interaction_index"]].abs().to_numpy().max() < (
        TOL * scale(raw))
    assert shap == pytest.approx(by_driver(decompose(drivers, raw)), abs=TOL * scale(raw))


@SETTINGS
@given(games(), games(), st.randoms(use_true_random=False))
def test_linearity_and_order_of_drivers(game, other, rnd):
    """phi(v + w) = phi(v) + phi(w); listing the drivers in another order changes nothing."""
    drivers, v = game
    w = {s: other[1].get(frozenset(d for d in s if d in other[0]), 0.0) for s in v}
    both = {s: v[s] + w[s] for s in v}
    sv, sw = by_driver(decompose(drivers, v)), by_driver(decompose(drivers, w))
    tol = TOL * (scale(v) + scale(w))
    assert by_driver(decompose(drivers, both)) == pytest.approx(
        {d: sv[d] + sw[d] for d in drivers}, abs=tol)
    shuffled = list(drivers)
    rnd.shuffle(shuffled)
    assert by_driver(decompose(shuffled, v)) == pytest.approx(sv, abs=TOL * scale(v))


# --- several outcomes, units, tables ------------------------------------------------------

def test_several_outcomes_at_once_match_one_at_a_time():
    """Two outcomes; the price is the example of docs/derivations.md, section 8.1."""
    drivers = ["europe", "sunk", "lng"]

    def solve(s: frozenset[str]) -> pd.Series:
        price = 8.0 - 0.4 * ("sunk" in s) - 1.1 * ("lng" in s) - 0.3 * ("europe" in s) * (
            "sunk" in s)
        npv = 120.0 * ("europe" in s) + 35.0 * ("sunk" in s) * ("lng" in s)
        return pd.Series({"china_price": price, "npv_moved_to_china": npv})

    result = decompose(drivers, solve,
                       units={"china_price": "USD/MMBtu", "npv_moved_to_china": "USD bn"})
    assert list(result.totals["outcome"]) == ["china_price", "npv_moved_to_china"]
    assert list(result.totals["unit"]) == ["USD/MMBtu", "USD bn"]
    for outcome in ("china_price", "npv_moved_to_china"):
        alone = decompose(drivers, lambda s, o=outcome: float(solve(s)[o]))
        assert by_driver(result, outcome=outcome) == pytest.approx(by_driver(alone), abs=TOL)
    price = by_driver(result, outcome="china_price")
    assert price == pytest.approx({"europe": -0.15, "sunk": -0.55, "lng": -1.1}, abs=TOL)
    totals = result.totals.set_index("outcome").loc["china_price"]
    assert (totals["total"], totals["sum_main_effects"], totals["interaction_share"]) == (
        pytest.approx((-1.8, -1.5, -0.3), abs=TOL))
    npv = by_driver(result, outcome="npv_moved_to_china")
    assert npv == pytest.approx({"europe": 120.0, "sunk": 17.5, "lng": 17.5}, abs=TOL)
    share = result.contributions.set_index(["driver", "outcome"])["share_of_total"]
    assert share["lng", "china_price"] == pytest.approx(1.1 / 1.8, abs=TOL)
    assert result.shapley().loc["europe", "npv_moved_to_china"] == pytest.approx(120.0)
    # dicts work as well as Series, and the order of their keys does not matter
    as_dicts = {s: dict(reversed(list(solve(s).items()))) for s in subsets(drivers)}
    again = decompose(drivers, as_dicts)
    assert by_driver(again, outcome="china_price") == pytest.approx(price, abs=TOL)
    line = result.sentences()[0]
    assert line.startswith("europe moves china_price by -0.15 USD/MMBtu (8% of the total -1.8")


def test_zero_total_has_no_share():
    """Drivers that cancel: each has a value, the total is 0, shares are undefined."""
    result = decompose(["a", "b"], {(): 1.0, ("a",): 2.0, ("b",): 0.0, ("a", "b"): 1.0})
    assert by_driver(result) == pytest.approx({"a": 1.0, "b": -1.0}, abs=TOL)
    assert result.contributions["share_of_total"].isna().all()
    assert result.efficient


def test_subsets_order_and_labels():
    order = subsets(["a", "b", "c"])
    assert [subset_label(s, ["a", "b", "c"]) for s in order] == [
        "reference", "a", "b", "c", "a+b", "a+c", "b+c", "a+b+c"]
    assert len(subsets([f"d{j}" for j in range(MAX_DRIVERS)])) == 1 << MAX_DRIVERS
    assert subsets(["b", "a"])[1] == frozenset({"b"})  # the drivers' order, not alphabetical


def test_from_table_reads_solved_worlds():
    rows = [{"europe": int("europe" in s), "sunk": "sunk" in s, "run": subset_label(
        s, ["europe", "sunk"]), "price": 6.4 - 0.2 * len(s)} for s in subsets(["europe", "sunk"])]
    values = from_table(pd.DataFrame(rows[::-1]), ["europe", "sunk"])
    assert list(values[frozenset({"europe"})].index) == ["price"]
    assert by_driver(decompose(["europe", "sunk"], values), outcome="price") == pytest.approx(
        {"europe": -0.2, "sunk": -0.2}, abs=TOL)


# --- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize(("drivers", "message"), [
    (["a", "b", "a"], "duplicate names ['a']"),
    ([], "at least one driver"),
    ("ab", "not one string"),
    (["a", ""], "is not a name"),
    ([f"d{j}" for j in range(MAX_DRIVERS + 1)], "11 drivers need 2^11 = 2,048 solves"),
])
def test_bad_drivers(drivers, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        decompose(drivers, lambda s: 0.0)


def test_bad_values():
    full = {s: float(len(s)) for s in subsets(["a", "b", "c"])}
    partial = {s: x for s, x in full.items() if len(s) != 2}
    with pytest.raises(ValueError, match=r"3 of the 8 subsets have no value \('a\+b', 'a\+c',"):
        decompose(["a", "b", "c"], partial)
    with pytest.raises(ValueError, match=r"unknown drivers \['z'\]"):
        decompose(["a", "b", "c"], {**full, ("a", "z"): 1.0})
    with pytest.raises(ValueError, match="given twice"):
        decompose(["a", "b"], {(): 0, ("a",): 1, ("b",): 1, ("a", "b"): 2, ("b", "a"): 2})
    with pytest.raises(ValueError, match="not a set of driver names"):
        decompose(["a"], {(): 0.0, "a": 1.0})
    with pytest.raises(ValueError, match="outcome 'x' is not a finite number"):
        decompose(["a"], {(): {"x": 0.0}, ("a",): {"x": math.nan}})
    with pytest.raises(ValueError, match=r"subset 'a' has outcomes \['x', 'y'\]"):
        decompose(["a"], {(): {"x": 0.0}, ("a",): {"x": 1.0, "y": 2.0}})
    with pytest.raises(ValueError, match=r"no unit for outcome\(s\) \['y'\]"):
        decompose(["a"], lambda s: {"x": 0.0, "y": 1.0}, units={"x": "USD bn"})
    with pytest.raises(ValueError, match="str is not a number"):
        decompose(["a"], lambda s: "cheap")


def test_table_errors_name_the_file_and_column():
    good = pd.DataFrame({"europe": [0, 1], "price": [6.4, 6.2]})
    with pytest.raises(InputError, match=r"leverage\.csv: sunk: no column for this driver"):
        from_table(good, ["europe", "sunk"], file="leverage.csv")
    with pytest.raises(InputError, match=r"leverage\.csv: rows: 1 of the 2 subsets"):
        from_table(good.iloc[:1], ["europe"], file="leverage.csv")
    with pytest.raises(InputError, match=r"leverage\.csv: rows: subset 'europe' appears twice"):
        from_table(pd.concat([good, good.iloc[1:]]), ["europe"], file="leverage.csv")
    with pytest.raises(InputError, match=r"leverage\.csv: europe: driver columns hold 0/1"):
        from_table(good.assign(europe=[0, 2]), ["europe"], file="leverage.csv")
    with pytest.raises(InputError, match=r"leverage\.csv: price: every row needs a finite"):
        from_table(good.assign(price=[6.4, math.inf]), ["europe"], file="leverage.csv")
    with pytest.raises(ValueError, match=r"^sunk: no column for this driver"):
        from_table(good, ["europe", "sunk"])
