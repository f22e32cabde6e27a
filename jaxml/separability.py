"""Exact linear separability of a labelled point set, decided by linear programming, with a checkable witness.

Two classes P = {x_i : y_i = 1} and N = {x_i : y_i = 0} in R^d are *strictly linearly separable* when some
(w, b) has

    y~_i (w . x_i + b) > 0   for every i,          y~_i = 2 y_i - 1 in {-1, +1},

and, by the separating-hyperplane theorem (Farkas' lemma), they are not exactly when their convex hulls meet:

    there are lambda >= 0, mu >= 0 with sum(lambda) = sum(mu) = 1 and sum_i lambda_i x_i (i in P)
    = sum_j mu_j x_j (j in N).

:func:`separability` solves both linear programs (``scipy.optimize.linprog``, HiGHS) and returns whichever
witness exists: a separating hyperplane (whose margins are then re-checked in NumPy) or a point that lies in both
convex hulls (whose convex weights and residual are re-checked). Each answer therefore carries its own proof,
rather than resting on a solver's tolerance alone.

The separating hyperplane returned maximises the margin t in the box-normalised LP

    max t   s.t.   y~_i (w . x_i + b) >= t,   -1 <= w_j <= 1,   t <= 1,

so ``margin_l1`` (= t*) is the largest separation measured in the L1 distance, and ``margin_l2`` is the Euclidean
margin min_i y~_i (w . x_i + b) / ||w||_2 of that LP's hyperplane: a lower bound on the hard-margin SVM margin
computed by :func:`max_margin`.

Used by the logistic-regression stability experiment (write-up §1(b): data set B is separable, A is not).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import linprog, minimize

from .errors import UsageError

# A hull-intersection witness is accepted when the two convex combinations agree to this (relative) accuracy.
_HULL_RTOL = 1e-9


@dataclasses.dataclass(frozen=True)
class Separability:
    """The answer of :func:`separability`, with its witness.

    Attributes:
      separable: True when a hyperplane strictly separates the two classes.
      w: (d,) normal of the separating hyperplane (None when not separable).
      b: its offset; positive side = label 1.
      margin_l1: the LP's optimal margin t* (L1 distance; 0.0 when not separable).
      margin_l2: Euclidean margin of the witness hyperplane, min_i y~_i (w . x_i + b) / ||w||_2 (0.0 when not
        separable); a lower bound on the maximal (hard-margin SVM) margin.
      hull_point: (d,) a point in both convex hulls (None when separable).
      hull_weights: (n,) the convex weights lambda (on label-1 rows) and mu (on label-0 rows) giving hull_point.
      hull_residual: || sum lambda x - sum mu x ||_inf of that witness.
    """

    separable: bool
    w: np.ndarray | None = None
    b: float | None = None
    margin_l1: float = 0.0
    margin_l2: float = 0.0
    hull_point: np.ndarray | None = None
    hull_weights: np.ndarray | None = None
    hull_residual: float | None = None

    def __str__(self) -> str:
        if self.separable:
            return (
                f"separable: w = {np.array2string(self.w, precision=4)}, b = {self.b:.4g}, "
                f"Euclidean margin {self.margin_l2:.4g}"
            )
        return (
            f"not separable: the point {np.array2string(self.hull_point, precision=4)} lies in both convex hulls "
            f"(residual {self.hull_residual:.1e})"
        )


def _check_inputs(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2:
        raise UsageError(
            f"x must be a 2-d array (n, d) of points without intercept column; got shape {x.shape}"
        )
    if y.shape != (x.shape[0],):
        raise UsageError(f"y must have shape ({x.shape[0]},) to match x {x.shape}; got {y.shape}")
    if not np.all((y == 0.0) | (y == 1.0)):
        raise UsageError(f"labels must be 0 or 1; got values {np.unique(y)[:5]}")
    if not (np.any(y == 1.0) and np.any(y == 0.0)):
        raise UsageError("separability needs both labels 0 and 1 present")
    if not np.all(np.isfinite(x)):
        raise UsageError("x contains NaN or inf")
    return x, y


def _hull_intersection(x: np.ndarray, y: np.ndarray):
    """LP feasibility: convex weights on each class with equal combinations. Returns (weights, point) or None."""
    n, d = x.shape
    pos = y == 1.0
    # Variables: weights c_i >= 0. Equalities: sum_{P} c_i x_i - sum_{N} c_j x_j = 0 (d rows),
    # sum_{P} c_i = 1, sum_{N} c_j = 1.
    sign = np.where(pos, 1.0, -1.0)
    a_eq = np.vstack([(sign[:, None] * x).T, pos.astype(float), (~pos).astype(float)])
    b_eq = np.concatenate([np.zeros(d), [1.0, 1.0]])
    res = linprog(np.zeros(n), A_eq=a_eq, b_eq=b_eq, bounds=(0.0, None), method="highs")
    if res.status != 0:
        return None
    c = np.clip(res.x, 0.0, None)
    lam = c * pos / c[pos].sum()  # renormalise (exact convex weights on each side)
    mu = c * (~pos) / c[~pos].sum()
    return lam + mu, lam @ x, float(np.max(np.abs(lam @ x - mu @ x)))


def _max_margin_lp(x: np.ndarray, y: np.ndarray):
    """LP max t s.t. y~_i (w . x_i + b) >= t, |w_j| <= 1, t <= 1. Returns (w, b, t*)."""
    n, d = x.shape
    y_pm = 2.0 * y - 1.0  # y~ in {-1, +1}
    # Variables z = (w (d), b, t); minimise -t. Constraint rows: -y~_i (w . x_i + b) + t <= 0.
    a_ub = np.hstack([-y_pm[:, None] * x, -y_pm[:, None], np.ones((n, 1))])
    cost = np.zeros(d + 2)
    cost[-1] = -1.0
    bounds = [(-1.0, 1.0)] * d + [(None, None), (None, 1.0)]
    res = linprog(cost, A_ub=a_ub, b_ub=np.zeros(n), bounds=bounds, method="highs")
    if (
        res.status != 0
    ):  # pragma: no cover - the LP is always feasible (w = 0, b = 0, t = 0) and bounded
        raise RuntimeError(f"margin LP failed: {res.message}")
    return res.x[:d], float(res.x[d]), float(res.x[d + 1])


def separability(x, y) -> Separability:
    """Decide exactly whether labels {0, 1} are strictly linearly separable, and return the witness.

    Args:
      x: (n, d) points, WITHOUT an intercept column.
      y: (n,) labels in {0, 1}.

    Returns:
      :class:`Separability`. ``separable`` is True only with a hyperplane whose margins, recomputed in NumPy, are
      all positive; False only with a point in both convex hulls whose convex weights reproduce it.

    Raises:
      UsageError: on bad shapes or labels.
      RuntimeError: if neither witness survives the re-check (the data sit within solver tolerance of the
        boundary between separable and not; never observed on the course data).
    """
    x, y = _check_inputs(x, y)
    hull = _hull_intersection(x, y)
    scale = max(1.0, float(np.max(np.abs(x))))
    if hull is not None:
        weights, point, residual = hull
        if residual <= _HULL_RTOL * scale:
            return Separability(
                separable=False, hull_point=point, hull_weights=weights, hull_residual=residual
            )
    w, b, t = _max_margin_lp(x, y)
    y_pm = 2.0 * y - 1.0
    functional = y_pm * (x @ w + b)  # y~_i (w . x_i + b), must all be > 0
    norm = float(np.linalg.norm(w))
    if t > 0.0 and np.all(functional > 0.0) and norm > 0.0:
        return Separability(
            separable=True, w=w, b=b, margin_l1=t, margin_l2=float(functional.min() / norm)
        )
    raise RuntimeError(
        "linear separability is undecided: neither a separating hyperplane nor a convex-hull intersection "
        f"survived the re-check (LP margin {t:.3g}); the classes touch within solver tolerance"
    )


def linearly_separable(x, y) -> bool:
    """True when a hyperplane strictly separates label 1 from label 0 (see :func:`separability` for the proof).

    Args:
      x: (n, d) points without intercept column.
      y: (n,) labels in {0, 1}.
    """
    return separability(x, y).separable


@dataclasses.dataclass(frozen=True)
class MaxMargin:
    """The hard-margin SVM: min ||w||^2 / 2 s.t. y~_i (w . x_i + b) >= 1; margin = 1 / ||w||."""

    w: np.ndarray
    b: float
    margin: float


def max_margin(x, y) -> MaxMargin:
    """The maximal Euclidean margin of separable data (hard-margin SVM), by SLSQP from the LP witness.

        min_{w, b} ||w||_2^2 / 2   s.t.   y~_i (w . x_i + b) >= 1,   margin = 1 / ||w||_2.

    Args:
      x: (n, d) points without intercept column.
      y: (n,) labels in {0, 1}; must be separable.

    Returns:
      :class:`MaxMargin` with the optimal (w, b) and its margin (re-checked: every constraint holds to 1e-9).

    Raises:
      UsageError: when the data are not separable (no hard margin exists).
    """
    sep = separability(x, y)
    if not sep.separable:
        raise UsageError("max_margin needs separable data; these classes' convex hulls intersect")
    x, y = _check_inputs(x, y)
    y_pm = 2.0 * y - 1.0
    d = x.shape[1]
    # Start from the LP witness scaled to functional margin 1 (feasible).
    start = np.concatenate([sep.w, [sep.b]]) / float(np.min(y_pm * (x @ sep.w + sep.b)))
    mask = np.concatenate([np.ones(d), [0.0]])  # the intercept b is not penalised
    s0 = float(start @ (mask * start))  # objective scale, so SLSQP's ftol is relative
    res = minimize(
        lambda z: 0.5 * z @ (mask * z) / s0,  # ||w||^2 / 2, divided by a constant
        start,
        jac=lambda z: mask * z / s0,
        constraints=[
            {
                "type": "ineq",
                "fun": lambda z: y_pm * (x @ z[:d] + z[d]) - 1.0,  # y~_i (w . x_i + b) - 1 >= 0
                "jac": lambda z: np.hstack([y_pm[:, None] * x, y_pm[:, None]]),
            }
        ],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    w, b = res.x[:d], float(res.x[d])
    if (
        not res.success or np.min(y_pm * (x @ w + b)) < 1.0 - 1e-9
    ):  # pragma: no cover - a solver failure
        raise RuntimeError(f"hard-margin QP did not converge: {res.message}")
    return MaxMargin(w=w, b=b, margin=float(np.min(y_pm * (x @ w + b)) / np.linalg.norm(w)))
