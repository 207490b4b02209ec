"""Exact monopsony in the full model: one MILP from the follower's optimality conditions.

The buyer (leader) sets the price p_y of Russian pipeline gas in each year; Russia (the
follower) answers by re-optimising every flow and investment: the convex QP

    max_x  c'x + sum_y K W_y p_y s_y - 1/2 sum_j h_j x_j^2
    s.t.   L <= Ax <= U,  l <= x <= u                 (s_y: sales to the buyer, in x)

Replacing it by its KKT conditions keeps it exact and makes everything linear but
complementarity:
    stationarity     c_j + [K W_y p_y] - h_j x_j - (A'y)_j - zU_j + zL_j = 0
    complementarity  y_i > 0 only on a binding row, z_j > 0 only at a bound
                     (one binary each; big-M bounds below)
Multiplying stationarity by x and using complementarity gives the payment
    sum_y K W_y p_y s_y = x'Hx + D(y, z) - c'x,   D = U'yU - L'yL + b'y_eq + u'zU - l'zL,
so the leader's objective, phi * (its surplus) + (1 - phi) * (joint surplus),
    V(s) - phi * payment + (1 - phi) * (c'x - x'Hx / 2)
  = V(s) + c'x - (1 + phi)/2 x'Hx - phi D(y, z)
is linear but for the concave terms V (the buyer's value of gas) and x'Hx. (The joint
surplus is the buyer's plus Russia's objective: its profit, except that where it has seller
power with theta < 1 its objective also counts (1 - theta) of that market's consumer value;
phi = 0 is so the scenario's competitive benchmark.) The concave terms are replaced by
tangent cuts at the leader level only, refined at each incumbent (which starts the next
MILP) until the MILP's dual bound is within a tolerance of the incumbent's exact value; the
follower's answer stays an exact best response throughout. Last, with the incumbent's
binding pattern fixed, the leader's problem is a concave QP, solved exactly (should the QP
solver fail, LPs with tangents refined at each solution take it to within 1e-10).

What keeps the MILP small and its relaxation tight (annual steps: ~1,200 binaries, two
rounds, about 20 s of CPU; the naive big-M form did not solve in 10 minutes):
- Binaries only where the data leave the pattern open. Columns the capacities hold at zero
  (closed routes) are fixed, without stationarity; a lower bound an equality row implies
  (production = the flows leaving a basin) needs no complementarity; nor does a row that
  cannot bind or cannot be slack over the capacity bounds, nor a bound the column cannot
  reach, nor a multiplier that cannot be positive.
- Big-M bounds from the economics (`_multiplier_bounds`): the value of gas in a market is at
  most its highest marginal value; at a basin at most the best netback over its routes, or
  its marginal cost at full output where its capacity cannot bind; a route's capacity rent
  at most its market's value less transport and the basin's lowest cost; reduced costs
  follow from stationarity by interval arithmetic. A slack is at most its row's activity
  range over capacity bounds that also count what the markets can absorb and the basins
  produce.
- Strong duality as a cut: the payment identity above, with p s over-estimated by its
  McCormick envelope and x'Hx under-estimated by its tangents, is redundant given
  complementarity but not in the LP relaxation, where it forbids the follower's answer to
  be far from optimal (5-year steps: root bound 241 -> 216 against an optimum of 215).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from energymodel import solver
from energymodel.engine import Session
from energymodel.errors import SolveError
from energymodel.inputs import Inputs
from energymodel.scenario import SolverOptions
from energymodel.solver import Milp, StandardForm
from energymodel.sparse import sp
from energymodel.units import K

INF = np.inf
POLISH = 1e-10  # relative: how close the final solution comes to its pattern's optimum


@dataclass
class BilevelSolution:
    """The leader's prices and the follower's answer."""

    prices: pd.Series  # USD/MMBtu by model year
    units: dict  # (option, decision year) -> units Russia builds
    sales: pd.Series  # bcm/y bought by the leader, by model year
    objective: float  # the leader's objective at the solution, exact [USD bn]
    bound: float  # the last MILP's dual bound: no price path does better [USD bn]
    binaries: int
    rounds: int  # MILPs solved (cuts added between them)
    seconds: float  # HiGHS time over all rounds
    polished: bool  # whether the problem with the binding pattern fixed was solved
    converged: bool  # whether the tangent cuts closed the gap to the tolerance


def solve(session: Session, inp: Inputs, market: str, phi: float,
          demand_curve: pd.DataFrame, options: SolverOptions,
          tolerance: float = 1e-5, max_rounds: int = 20) -> BilevelSolution:
    """Solve the monopsony of `market`.

    `inp` are Russia's inputs with the market a price taker at price 0 (the price enters
    only through the leader): the follower is their compiled model, as `session` solves
    it; `demand_curve` holds the buyer's inverse demand segments (start,
    price, slope, width by year and segment). The concave terms start with `tangents` cuts
    each; after every MILP a cut is added at the incumbent wherever the cuts under-state a
    term, until the MILP's bound (HiGHS's dual bound plus its relative gap) exceeds the
    exact value of its solution by at most `tolerance` (relative) or `max_rounds` MILPs are
    solved. The binaries of the last MILP fix which constraints bind; the leader's problem
    with them fixed, a concave QP, is solved last. (Should another pattern beat it by less
    than the final gap, the MILP bound in the result says by how much at most.)
    """
    follower = _Follower(session, inp, market)
    caps = demand_curve.xs(0, level="segment")["price"]
    kkt = _Kkt(follower, inp, phi, demand_curve, caps, options.tangents)
    milp = Milp(kkt.milp(), options)
    converged = False
    for rounds in range(1, max_rounds + 1):  # noqa: B007 (rounds is reported)
        solution = milp.solve()
        assert solution.bound is not None  # a MILP's solution carries HiGHS's dual bound
        bound = solution.bound + options.mip_rel_gap * max(1.0, abs(solution.bound))
        best = solution.x  # (HiGHS stops within its gap)
        if bound - kkt.exact(best) <= tolerance * max(1.0, abs(bound)):
            converged = True
            break
        milp.add_rows(kkt.refine(best))
        milp.start(kkt.lifted(best))  # the incumbent stays feasible
    # With the binding pattern of the incumbent fixed, what is left is a concave QP in the
    # continuous variables: solved exactly, or, should the QP solver fail, by LPs with
    # tangents refined at each solution to within a hair of its optimum.
    x, objective, seconds = best, kkt.exact(best), milp.seconds
    try:
        exact = solver.solve(kkt.fixed_pattern_qp(best), options, duals=False)
        polished = bool(exact.objective >= objective - tolerance * max(1.0, abs(bound)))
        if polished:
            x, objective = exact.x, exact.objective
    except SolveError:
        polished_x, polish_seconds, polished = _polish(kkt, best, options,
                                                       POLISH * max(1.0, abs(bound)))
        seconds += polish_seconds
        if kkt.exact(polished_x) > objective:
            x, objective = polished_x, kkt.exact(polished_x)
    layout = kkt.layout
    prices = pd.Series(x[layout["p"]], index=follower.buyer_years)
    sales = pd.Series(x[layout["x"]][follower.buyer_cols], index=follower.buyer_years)
    units = {index: float(x[layout["x"]][j]) for j, (family, index)
             in enumerate(follower.columns) if family == "units"}
    return BilevelSolution(prices, units, sales, objective, bound, len(kkt.binaries), rounds,
                           seconds, polished, converged)


def _polish(kkt: _Kkt, x: np.ndarray, options: SolverOptions, tolerance: float,
            max_cuts: int = 200) -> tuple[np.ndarray, float, bool]:
    """The best solution with the binding pattern of `x`, by tangent cuts on the concave
    terms refined at each LP solution until they miss the terms by at most `tolerance`
    [USD bn]. (solution, HiGHS seconds, whether the tolerance was met)"""
    lp = Milp(kkt.pattern_lp(x), options, what="LP")
    for _ in range(max_cuts):
        x = lp.solve().x
        if kkt.exact(x) >= kkt.objective @ x - tolerance:
            return x, lp.seconds, True
        lp.add_rows(kkt.refine(x))
    return x, lp.seconds, False


class _Follower:
    """Russia's QP in matrix form (its compiled model's standard form), with capacity
    bounds on every column. `columns` and `rows` name each column and row: (variable or
    constraint family, index)."""

    def __init__(self, session: Session, inp: Inputs, market: str):
        compiled, _, _ = session.compiled(inp)
        form = compiled.form(compiled.parameters(inp))
        self.form = form
        self.A = form.A.tocsr()
        self.c = form.c
        self.h = -form.q  # objective c'x - x'diag(h)x/2, h >= 0
        self.col_lo, self.col_up = form.col_lo, form.col_up
        self.row_lo, self.row_up = form.row_lo, form.row_up
        self.columns, self.rows = compiled.column_keys, compiled.row_keys
        self.col_family = [family for family, _ in self.columns]
        self.row_family = [family for family, _ in self.rows]
        buyer = [(j, index[1]) for j, (family, index) in enumerate(self.columns)
                 if family == "sales" and index[0] == market]
        self.buyer_cols = np.array([j for j, _ in buyer])
        self.buyer_years = pd.Index([y for _, y in buyer], name="year")
        self.market = market
        self.cap = self._capacity_bounds(inp)

    def _capacity_bounds(self, inp: Inputs) -> np.ndarray:
        """Finite upper bounds on every column from capacities (for big-M only): a route
        carries at most its capacity with every unit of its options that can be online, what
        its basin produces and what its market can buy; a basin produces at most its capacity
        and what its routes carry."""
        ry = inp.route_years
        online = inp.option_online[["option", "year"]].drop_duplicates().merge(
            inp.options[["route", "unit_size", "max_units"]], left_on="option", right_index=True)
        extra = (online["unit_size"] * online["max_units"]).groupby(
            [online["route"], online["year"]]).sum()
        potential = ry["capacity"] + extra.reindex(ry.index, fill_value=0.0)
        years = ry.index.get_level_values("year")
        basin = inp.routes["basin"].reindex(ry.index.get_level_values("route")).to_numpy()
        market = inp.routes["market"].reindex(ry.index.get_level_values("route")).to_numpy()
        absorbs = inp.segments["width"].groupby(level=["market", "year"]).sum()
        flow_cap = np.minimum.reduce([
            (potential * ry["availability"]).to_numpy(),
            absorbs.reindex(list(zip(market, years, strict=True))).to_numpy(),
            inp.basin_years["capacity"].reindex(list(zip(basin, years, strict=True))).to_numpy()])
        flow_cap = pd.Series(flow_cap, index=ry.index)
        into = flow_cap.groupby([market, years]).sum()
        out = flow_cap.groupby([basin, years]).sum()
        basin_cap, seg_width = inp.basin_years["capacity"], inp.segments["width"]
        max_units, step_width = inp.options["max_units"], inp.supply_steps["width"]
        cap = np.empty(len(self.columns))
        for j, (family, index) in enumerate(self.columns):
            if family == "flow":
                cap[j] = flow_cap[index]
            elif family == "production":
                cap[j] = min(basin_cap[index], out.get(index, 0.0))
            elif family == "sales":
                cap[j] = min(seg_width[index], into[index[0], index[1]])
            elif family == "units":
                cap[j] = max_units[index[0]]
            elif family == "step_output":
                cap[j] = step_width[index]
            else:
                raise AssertionError(f"no capacity bound for {family}[{index}]")
        return np.minimum(cap, self.col_up)


def _multiplier_bounds(f: _Follower, inp: Inputs, prices_cap: pd.Series) -> tuple[
        np.ndarray, np.ndarray]:
    """Interval of each row's multiplier y (y >= 0 on inequality rows) [USD bn per unit of
    the row], such that every answer of the follower has KKT multipliers inside.

    Economics in discounted money, v = K W_y per USD/MMBtu: the value of gas in a market is
    mu in [0, v max alpha] (the buyer's: v times its price cap); at a basin pi in [v c_min,
    max(max over its routes (mu - v u_r), v c_min) + len rho] (c_min: the marginal cost at
    zero output; rho: the reserves' value); a route's capacity is worth at most
    (mu - v u_r - pi_min)+; a basin's capacity pi_max - pi_min; an option's last unit its
    capacity's worth over its online years less its cost. Where a follower optimum admits
    multipliers outside (degenerate: e.g. a closed route whose capacity value is free), the
    multipliers clipped to these bounds, with the reduced costs of the columns at zero
    absorbing the change, are KKT multipliers too.
    """
    v = K * inp.years["weight"]
    alpha = inp.segments["alpha"].groupby(level=["market", "year"]).max().clip(lower=0.0)
    alpha.loc[f.market] = prices_cap.loc[alpha.loc[f.market].index].to_numpy()
    mu_hi = alpha * v.reindex(alpha.index.get_level_values("year")).to_numpy()
    steps = inp.supply_steps["cost"].groupby(level=["basin", "year"])
    cheapest = (steps.min() if len(inp.supply_steps) else
                inp.basins["mc_intercept"].reindex(inp.basin_years.index, level="basin"))
    pi_lo = cheapest * v.reindex(cheapest.index.get_level_values("year")).to_numpy()
    ry = inp.route_years
    route_basin = inp.routes["basin"].reindex(ry.index.get_level_values("route")).to_numpy()
    route_market = inp.routes["market"].reindex(ry.index.get_level_values("route")).to_numpy()
    years = ry.index.get_level_values("year")
    # the route cost in the objective: the seller's transport and the buyer's delivery
    transport = (ry["unit_cost"] + ry["delivery_cost"]) * v.reindex(years).to_numpy()
    netback = pd.Series(mu_hi.reindex(list(zip(route_market, years, strict=True))).to_numpy()
                        - transport.to_numpy(), index=ry.index)
    by_basin = netback.groupby([route_basin, years]).max().reindex(pi_lo.index)
    length = inp.years["length"].reindex(pi_lo.index.get_level_values("year")).to_numpy()
    rho = (by_basin / length).groupby(level=0).max().clip(lower=0.0).fillna(0.0)
    rho = rho.where(inp.basins["reserves"].reindex(rho.index).notna(), 0.0)
    pi_hi = np.maximum(by_basin.fillna(-np.inf), pi_lo)
    col = {key: j for j, key in enumerate(f.columns)}
    most = pd.Series([f.cap[col["production", key]] for key in pi_lo.index], index=pi_lo.index)
    slack = most < inp.basin_years["capacity"].reindex(pi_lo.index)
    if len(inp.supply_steps):
        top = inp.supply_steps["cost"].groupby(level=["basin", "year"]).max()
    else:
        top = (inp.basins["mc_intercept"].reindex(pi_lo.index, level="basin")
               + inp.basins["mc_slope"].reindex(pi_lo.index, level="basin") * most)
    pi_hi = pi_hi.where(~slack, np.minimum(
        pi_hi, top * v.reindex(pi_lo.index.get_level_values("year")).to_numpy()))
    pi_hi = pi_hi + length * rho.reindex(pi_lo.index.get_level_values(0)).to_numpy()
    lam = (netback - pi_lo.reindex(list(zip(route_basin, years, strict=True))).to_numpy()
           ).clip(lower=0.0)
    online = inp.option_online.merge(inp.options[["route", "unit_size", "annual_cost"]],
                                     left_on="option", right_index=True).reset_index(drop=True)
    keys = list(zip(online["route"], online["year"], strict=True))
    online["gain"] = (online["unit_size"] * ry["availability"].reindex(keys).to_numpy()
                      * lam.reindex(keys).to_numpy())
    online["cost"] = online["annual_cost"] * v.reindex(online["year"]).to_numpy()
    plans = online.groupby(["option", "decision_year"])[["gain", "cost"]].sum()
    worth = (plans["gain"] - plans["cost"]).clip(lower=0.0).groupby(level="option").max()
    cost = plans["cost"].groupby(level="option").max()
    lo, hi = np.zeros(len(f.rows)), np.zeros(len(f.rows))
    for i, (family, index) in enumerate(f.rows):
        if family == "market_sales_balance":  # y = mu * (coefficient of sales)
            a = f.A[i, col["sales", (*index, 0)]]
            lo[i], hi[i] = sorted((0.0, a * mu_hi[index]))
        elif family in ("basin_production_balance", "supply_steps_balance"):
            a = f.A[i, col["production", index]]  # y = -pi * a, and sigma * a
            a = -a if family == "basin_production_balance" else a
            lo[i], hi[i] = sorted((a * pi_lo[index], a * pi_hi[index]))
        elif family == "route_flow_max":
            hi[i] = lam[index]
        elif family == "route_flow_min":
            basin = inp.routes.at[index[0], "basin"]
            hi[i] = pi_hi[basin, index[1]] + transport[index] + lam[index]
        elif family == "basin_capacity_max":
            hi[i] = max(pi_hi[index] - pi_lo[index], 0.0)
        elif family == "basin_reserves_max":
            hi[i] = rho[index]
        elif family == "option_units_max":
            hi[i] = worth.get(index, 0.0)
        elif family == "option_units_min":
            hi[i] = cost.get(index, 0.0)
        else:
            raise AssertionError(f"no multiplier bound for {family}[{index}]")
    return lo, hi


def _implied_nonnegative(f: _Follower) -> np.ndarray:
    """Columns whose lower bound 0 an equality row implies, being the row's only column of
    its sign, the others having an explicit lower bound 0 (production = the flows leaving a
    basin; the sales of a one-segment market = the flows into it). Their complementarity is
    dropped."""
    implied = np.zeros(len(f.columns), dtype=bool)
    for i in np.where((f.row_lo == 0.0) & (f.row_up == 0.0))[0]:
        row = f.A.getrow(i)
        cols, vals = row.indices, row.data
        for sign in (1.0, -1.0):
            alone = cols[np.sign(vals) == sign]
            others = cols[np.sign(vals) != sign]
            if (len(alone) == 1 and f.col_lo[alone[0]] == 0.0 and not implied[others].any()
                    and (f.col_lo[others] == 0.0).all()):
                implied[alone[0]] = True
    return implied


class _Kkt:
    """The leader's problem over (x, p, y, z, binaries, buyer segments, epigraphs), in three
    sets of rows: the core (follower feasibility, stationarity, the buyer's purchases), the
    big-M complementarity rows and the tangent cuts. `terms` lists the concave terms as
    (epigraph column, variable column, coef, weight): weight * coef * x^2 / 2 in the objective.
    """

    def __init__(self, f: _Follower, inp: Inputs, phi: float, seg: pd.DataFrame,
                 prices_cap: pd.Series, tangents: int):
        m, n = f.A.shape
        W = inp.years["weight"]
        eq = f.row_lo == f.row_up
        upper = ~eq & (f.row_up < INF)  # rows  A_i x <= U_i
        lower = ~eq & (f.row_lo > -INF)  # rows  A_i x >= L_i
        if (upper & lower).any():
            raise AssertionError("ranged rows are not expected in the follower")
        sign = np.where(lower, -1.0, 1.0)  # of each row's multiplier in A'y
        y_lo, y_hi = _multiplier_bounds(f, inp, prices_cap)
        # Columns the capacities hold at zero (closed routes) are fixed there: no
        # stationarity, no bound multipliers.
        col_up = np.where(f.cap <= f.col_lo, f.col_lo, f.col_up)
        live = np.where(col_up > f.col_lo)[0]
        # Reduced costs, by interval arithmetic on stationarity over the multipliers' bounds.
        m_lo = np.where(sign > 0, y_lo, -y_hi)
        m_hi = np.where(sign > 0, y_hi, -y_lo)
        Ap, An = f.A.maximum(0).T.tocsr(), f.A.minimum(0).T.tocsr()
        price_term = np.zeros(n)
        price_term[f.buyer_cols] = (K * W.loc[f.buyer_years] * prices_cap.loc[f.buyer_years]
                                    ).to_numpy()
        # A route's capacity value and its flow's reduced cost at zero need not both be
        # positive (both are, only on a route of no capacity: lower them together).
        flow_max = np.array([family == "route_flow_max" for family in f.row_family])
        zl_hi = -f.c + f.h * f.col_lo + Ap @ np.where(flow_max, 0.0, m_hi) + An @ m_lo
        zu_hi = f.c - f.h * f.cap - (Ap @ m_lo + An @ m_hi) + price_term
        implied = _implied_nonnegative(f)
        # A bound needs complementarity if the column can reach it and its multiplier can be
        # positive; a row if it can both bind and be slack and its multiplier can be positive.
        col_upper = live[(col_up[live] < INF) & (f.cap[live] >= col_up[live]) & (zu_hi[live] > 0)]
        col_lower = live[(f.col_lo[live] > -INF) & ~implied[live] & (zl_hi[live] > 0)]
        act_hi = f.A.maximum(0) @ f.cap + f.A.minimum(0) @ f.col_lo
        act_lo = f.A.maximum(0) @ f.col_lo + f.A.minimum(0) @ f.cap
        slack_range = np.where(upper, f.row_up - act_lo, act_hi - f.row_lo)
        can_bind = np.where(upper, act_hi >= f.row_up, act_lo <= f.row_lo)
        y_hi = np.where(~eq & ~can_bind, 0.0, y_hi)
        comp_rows = np.where(~eq & (slack_range > 0) & (y_hi > 0))[0]
        seg_keys = list(seg.index)  # (year, k) of the leader's demand curve
        sloped = [int(i) for i in np.flatnonzero(seg["slope"].to_numpy() > 0)]
        hess_cols = np.where(f.h > 0)[0]
        sizes = {"x": n, "p": len(f.buyer_cols), "y": m, "zU": len(col_upper),
                 "zL": len(col_lower), "b_row": len(comp_rows), "b_up": len(col_upper),
                 "b_lo": len(col_lower), "s": len(seg_keys), "t_s": len(sloped),
                 "t_h": len(hess_cols), "w": len(f.buyer_cols)}
        layout, start = {}, 0
        for name, size in sizes.items():
            layout[name] = np.arange(start, start + size)
            start += size
        self.layout, N = layout, start
        self.core, self.big_m, self.cuts, self.duality = (_Rows(N) for _ in range(4))
        self.core.add_matrix(f.A, layout["x"], f.row_lo, f.row_up)  # rows 0..m-1
        # stationarity of the live columns: -h x - A'(sign y) - zU + zL + [K W p] = -c
        AT = f.A.multiply(sign[:, None]).T.tocsr()
        block = sp.hstack([sp.diags(-f.h), -AT, -_selector(n, col_upper),
                           _selector(n, col_lower),
                           _selector(n, f.buyer_cols, K * W.loc[f.buyer_years].to_numpy())])
        self.core.add_matrix(block.tocsr()[live], np.concatenate(
            [layout["x"], layout["y"], layout["zU"], layout["zL"], layout["p"]]),
            -f.c[live], -f.c[live])
        for t, year in enumerate(f.buyer_years):  # purchases along the demand curve
            parts = [layout["s"][i] for i, key in enumerate(seg_keys) if key[0] == year]
            self.core.add([layout["x"][f.buyer_cols[t]], *parts],
                          [1.0] + [-1.0] * len(parts), 0.0, 0.0)
        # complementarity: multiplier <= M d; slack <= S (1 - d). `pairs` maps each binary
        # to what d = 1 (binding) and d = 0 (free) fix.
        self.pairs = []
        for k, i in enumerate(comp_rows):
            d, row = layout["b_row"][k], f.A.getrow(i)
            self.big_m.add([layout["y"][i], d], [1.0, -y_hi[i]], -INF, 0.0)
            bound = f.row_up[i] if upper[i] else f.row_lo[i]
            direction = -1.0 if upper[i] else 1.0  # slack = direction * (Ax - bound)
            slack = slack_range[i]
            self.big_m.add([*layout["x"][row.indices], d], [*(direction * row.data), slack],
                           -INF, slack + direction * bound)
            self.pairs.append((d, layout["y"][i], ("row", i, bound)))
        for k, j in enumerate(col_upper):
            d, width = layout["b_up"][k], col_up[j] - f.col_lo[j]
            self.big_m.add([layout["zU"][k], d], [1.0, -zu_hi[j]], -INF, 0.0)
            self.big_m.add([layout["x"][j], d], [-1.0, width], -INF, width - col_up[j])
            self.pairs.append((d, layout["zU"][k], ("col", j, col_up[j])))
        for k, j in enumerate(col_lower):
            d, width = layout["b_lo"][k], f.cap[j] - f.col_lo[j]
            self.big_m.add([layout["zL"][k], d], [1.0, -zl_hi[j]], -INF, 0.0)
            self.big_m.add([layout["x"][j], d], [1.0, width], -INF, width + f.col_lo[j])
            self.pairs.append((d, layout["zL"][k], ("col", j, f.col_lo[j])))

        dual = np.zeros(N)  # D(y, z): the follower's dual objective but for x'Hx / 2
        dual[layout["y"]] = sign * np.where(lower, f.row_lo, f.row_up)
        dual[layout["zU"]], dual[layout["zL"]] = col_up[col_upper], -f.col_lo[col_lower]
        self.objective = -phi * dual
        self.objective[layout["x"]] = f.c
        for i, (year, _k) in enumerate(seg_keys):
            self.objective[layout["s"][i]] = K * W[year] * seg.iloc[i]["price"]
        self.terms = []
        for k, i in enumerate(sloped):
            year = seg_keys[i][0]
            most = f.cap[f.buyer_cols[list(f.buyer_years).index(year)]] - seg.iloc[i]["start"]
            top = min(seg.iloc[i]["width"], max(most, 0.0))  # what the segment can take
            self.terms.append((layout["t_s"][k], layout["s"][i], seg.iloc[i]["slope"],
                               K * W[year], top))
        for k, j in enumerate(hess_cols):
            self.terms.append((layout["t_h"][k], layout["x"][j], f.h[j], 1 + phi, f.cap[j]))
        for epigraph, x, coef, weight, top in self.terms:
            _tangents(self.cuts, epigraph, x, coef, top, tangents)
            self.objective[epigraph] = -weight
        self.col_lo, self.col_hi = np.zeros(N), np.full(N, INF)
        self.col_lo[layout["x"]], self.col_hi[layout["x"]] = f.col_lo, col_up
        self.col_lo[layout["y"]], self.col_hi[layout["y"]] = y_lo, y_hi
        self.col_hi[layout["zU"]], self.col_hi[layout["zL"]] = zu_hi[col_upper], zl_hi[col_lower]
        self.col_hi[layout["p"]] = prices_cap.loc[f.buyer_years].to_numpy()
        self.binaries = np.concatenate([layout["b_row"], layout["b_up"], layout["b_lo"]])
        self.col_hi[self.binaries] = 1.0
        self.col_hi[layout["s"]] = seg["width"].to_numpy()
        # Strong duality, redundant given complementarity but not in the relaxation: the
        # payment sum_y K W_y p_y s_y = x'Hx + D - c'x, with p s over-estimated by w (w <= p_max s,
        # w <= s_max p: McCormick) and x'Hx under-estimated by its tangents 2 sum t_h.
        weights = K * W.loc[f.buyer_years].to_numpy()
        for t, j in enumerate(f.buyer_cols):
            w, s, p = layout["w"][t], layout["x"][j], layout["p"][t]
            self.duality.add([w, s], [1.0, -self.col_hi[p]], -INF, 0.0)
            if math.isfinite(f.cap[j]):
                self.duality.add([w, p], [1.0, -f.cap[j]], -INF, 0.0)
        payment = -dual
        payment[layout["w"]] = weights
        payment[layout["t_h"]] = -2.0
        payment[layout["x"]] = f.c
        nonzero = np.flatnonzero(payment)
        self.duality.add(nonzero, payment[nonzero], 0.0, INF)

    def milp(self) -> StandardForm:
        """The leader's MILP: core, big-M, tangent cuts so far and the duality cut."""
        integrality = np.zeros(len(self.objective), dtype=bool)
        integrality[self.binaries] = True
        return _Rows.join(self.core, self.big_m, self.cuts, self.duality).form(
            self.objective, np.zeros(len(self.objective)), self.col_lo, self.col_hi,
            integrality)

    def exact(self, x: np.ndarray) -> float:
        """The leader's objective at `x` with the concave terms exact [USD bn]."""
        return float(self.objective @ x) + sum(weight * (x[epi] - coef * x[col] ** 2 / 2)
                                               for epi, col, coef, weight, _ in self.terms)

    def refine(self, x: np.ndarray) -> list[tuple[list[int], list[float], float, float]]:
        """Tangent cuts at `x` on every term its cuts under-state there, as rows (columns,
        values, lower, upper); added to the MILP's cuts too."""
        cuts = []
        for epi, col, coef, _, _ in self.terms:
            q = x[col]
            if coef * q * q / 2 - x[epi] > 0:
                cuts.append(([epi, col], [1.0, -coef * q], -coef * q * q / 2, INF))
                self.cuts.add(*cuts[-1])
        return cuts

    def lifted(self, x: np.ndarray) -> np.ndarray:
        """`x` with its epigraphs raised onto the terms: feasible whatever the cuts."""
        x = x.copy()
        for epi, col, coef, _, _ in self.terms:
            x[epi] = max(x[epi], coef * x[col] ** 2 / 2)
        return x

    def pattern_lp(self, x: np.ndarray) -> StandardForm:
        """The MILP with the binaries of `x` fixed: an LP."""
        lp = self.milp()
        lo, hi = lp.col_lo.copy(), lp.col_up.copy()
        lo[self.binaries] = hi[self.binaries] = np.round(x[self.binaries])
        return replace(lp.relaxed(), col_lo=lo, col_up=hi)

    def fixed_pattern_qp(self, x: np.ndarray) -> StandardForm:
        """The leader's exact problem with the MILP solution's binding pattern fixed: binding
        rows and bounds hold with equality, the other multipliers are zero. A concave QP."""
        core = self.core.copy()
        col_lo, col_hi = self.col_lo.copy(), self.col_hi.copy()
        for d, multiplier, (kind, index, bound) in self.pairs:
            if round(x[d]) == 1:
                if kind == "row":
                    core.lo[index] = core.hi[index] = bound
                else:
                    col_lo[self.layout["x"][index]] = col_hi[self.layout["x"][index]] = bound
            else:
                col_lo[multiplier] = col_hi[multiplier] = 0.0
        col_lo[self.binaries] = col_hi[self.binaries] = np.round(x[self.binaries])
        objective = self.objective.copy()
        diagonal = np.zeros(len(objective))
        for epigraph, column, coef, weight, _ in self.terms:
            objective[epigraph] = 0.0
            diagonal[column] = -weight * coef
        integrality = np.zeros(len(objective), dtype=bool)
        return core.form(objective, diagonal, col_lo, col_hi, integrality)


def _selector(n: int, cols: np.ndarray, values: np.ndarray | None = None) -> sp.csr_matrix:
    """n x len(cols) matrix with `values` (default 1) at (cols[k], k)."""
    values = np.ones(len(cols)) if values is None else values
    return sp.csr_matrix((values, (cols, np.arange(len(cols)))), shape=(n, len(cols)))


def _tangents(B: _Rows, epigraph: int, x: int, coef: float, top: float, count: int) -> None:
    for q in np.linspace(0.0, top if math.isfinite(top) else 0.0, count):
        B.add([epigraph, x], [1.0, -coef * q], -coef * q * q / 2, INF)


class _Rows:
    """Rows of a sparse constraint matrix, collected in COO form."""

    def __init__(self, n: int):
        self.n = n
        self.r: list[int] = []
        self.c: list[int] = []
        self.v: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, cols, vals, lo: float, hi: float) -> None:
        row = len(self.lo)
        self.r += [row] * len(cols)
        self.c += list(cols)
        self.v += list(vals)
        self.lo.append(lo)
        self.hi.append(hi)

    def add_matrix(self, matrix: sp.spmatrix, cols: np.ndarray, lo, hi) -> None:
        coo = matrix.tocoo()
        first = len(self.lo)
        self.r += list(coo.row + first)
        self.c += list(cols[coo.col])
        self.v += list(coo.data)
        self.lo += list(np.broadcast_to(lo, matrix.shape[0]))
        self.hi += list(np.broadcast_to(hi, matrix.shape[0]))

    def copy(self) -> _Rows:
        other = _Rows(self.n)
        other.r, other.c, other.v = list(self.r), list(self.c), list(self.v)
        other.lo, other.hi = list(self.lo), list(self.hi)
        return other

    @staticmethod
    def join(*parts: _Rows) -> _Rows:
        joined = _Rows(parts[0].n)
        for part in parts:
            first = len(joined.lo)
            joined.r += [r + first for r in part.r]
            joined.c += part.c
            joined.v += part.v
            joined.lo += part.lo
            joined.hi += part.hi
        return joined

    def form(self, cost: np.ndarray, diagonal: np.ndarray, col_lo: np.ndarray,
             col_hi: np.ndarray, integrality: np.ndarray) -> StandardForm:
        """These rows as the constraints of max cost'x + x'diag(diagonal)x/2."""
        matrix = sp.csr_matrix((self.v, (self.r, self.c)), shape=(len(self.lo), self.n))
        matrix.sum_duplicates()
        return StandardForm(np.asarray(cost, dtype=float), np.asarray(diagonal, dtype=float),
                            0.0, matrix, np.asarray(self.lo, dtype=float),
                            np.asarray(self.hi, dtype=float), np.asarray(col_lo, dtype=float),
                            np.asarray(col_hi, dtype=float), np.asarray(integrality, dtype=bool))
