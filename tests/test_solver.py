"""The solver adapter on small problems with known answers: values, dual signs (checked
by finite differences, the same for HiGHS and Clarabel), failures and the time limit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from energymodel import solver
from energymodel.errors import SolveError
from energymodel.scenario import SolverOptions

OPTIONS = SolverOptions()
INF = np.inf


def problem(q: float, cap: float = 3.0, total: float = 10.0, need: float = 1.0
            ) -> solver.StandardForm:
    """max 4 x1 - x2 + q (x1^2 + x2^2) / 2 s.t. x1 + x2 <= total (row 0), x1 <= cap
    (row 1, one column), x2 >= need (row 2, one column), -10 <= x1 - x2 <= 10 (row 3, a
    range), x >= 0."""
    a = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]))
    return solver.StandardForm(
        c=np.array([4.0, -1.0]), q=np.array([q, q]), offset=0.5, A=a,
        row_lo=np.array([-INF, -INF, need, -10.0]), row_up=np.array([total, cap, INF, 10.0]),
        col_lo=np.zeros(2), col_up=np.full(2, INF), integer=np.zeros(2, dtype=bool))


@pytest.mark.parametrize("total", [10.0, 3.5], ids=["cap binds", "total binds"])
@pytest.mark.parametrize("q", [0.0, -0.5], ids=["LP by HiGHS", "QP by Clarabel"])
def test_duals_are_sensitivities_of_the_maximum(q, total):
    base = solver.solve(problem(q, total=total), OPTIONS)
    assert base.solver == ("HiGHS" if q == 0 else "Clarabel")
    h = 1e-4
    bounds = {"total": total, "cap": 3.0, "need": 1.0}
    for row, kw in enumerate(bounds):
        moved = solver.solve(problem(q, **{**bounds, kw: bounds[kw] + h}), OPTIONS)
        slope = (moved.objective - base.objective) / h
        assert base.row_duals[row] == pytest.approx(slope, abs=1e-3), kw
    binding = 0 if total < 4 else 1
    assert base.row_duals[binding] > 0  # a binding upper limit earns a rent
    assert base.row_duals[1 - binding] == pytest.approx(0.0, abs=1e-8)
    assert base.row_duals[2] < 0  # a binding minimum costs
    assert base.row_duals[3] == pytest.approx(0.0, abs=1e-8)  # slack range row


def test_lp_values_and_objective():
    s = solver.solve(problem(0.0), OPTIONS)
    assert s.x == pytest.approx([3.0, 1.0])
    assert s.objective == pytest.approx(4 * 3 - 1 + 0.5)


def test_qp_closed_form():
    """The optimum of 4 x1 - x1^2 / 4 alone would be 8: the cap binds at x1 = 3; x2 is held
    at its minimum 1. Duals: 4 - 3/2 on the cap, -(1 + 1/2) on the minimum."""
    s = solver.solve(problem(-0.5), OPTIONS)
    assert s.x == pytest.approx([3.0, 1.0], abs=1e-8)
    assert s.objective == pytest.approx(4 * 3 - 0.25 * 9 - 1 - 0.25 + 0.5, rel=1e-10)
    assert s.row_duals[1] == pytest.approx(2.5, rel=1e-8)
    assert s.row_duals[2] == pytest.approx(-1.5, rel=1e-8)


def test_reruns_are_byte_identical():
    first, second = (solver.solve(problem(-0.5), OPTIONS) for _ in range(2))
    assert first.x.tobytes() == second.x.tobytes()
    assert first.row_duals.tobytes() == second.row_duals.tobytes()


@pytest.mark.parametrize("q", [0.0, -0.5])
def test_infeasible_names_the_conflict(q):
    form = replace(problem(q, total=0.5),  # x2 >= 1 cannot fit under x1 + x2 <= 0.5
                   names=lambda: (["x1", "x2"], ["total", "cap", "need", "balance"]))
    with pytest.raises(SolveError) as error:
        solver.solve(form, OPTIONS)
    assert error.value.status == "infeasible"
    assert {"total", "need"} <= set(error.value.constraints)


def test_milp_by_highs():
    form = replace(problem(0.0, cap=2.5), integer=np.array([True, False]))  # x1 <= 2.5, integer: 2
    s = solver.solve(form, OPTIONS)
    assert s.x[0] == pytest.approx(2.0)
    assert s.bound == pytest.approx(s.objective, rel=1e-6)


def test_time_limit_is_honoured():
    """A QP stopped by its time limit is reported as not solved (no partial answer)."""
    n = 400
    rng = np.random.default_rng(0)
    a = sp.random(n, n, density=0.05, random_state=rng, format="csr")
    form = solver.StandardForm(rng.random(n), -rng.random(n) - 0.1, 0.0, a,
                               np.full(n, -INF), np.ones(n), np.zeros(n), np.full(n, INF),
                               np.zeros(n, dtype=bool))
    with pytest.raises(SolveError) as error:
        solver.solve(form, SolverOptions(time_limit=1e-6))
    assert "time limit" in str(error.value)
    milp = replace(form, q=np.zeros(n), integer=np.arange(n) % 2 == 0)
    with pytest.raises(SolveError) as error:
        solver.Milp(milp, SolverOptions(time_limit=1e-6)).solve()
    assert "time limit" in str(error.value)
