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

For data that are not separable, two more answers in 2-D:

* :func:`hull_certificate` -- a proof in exact rational arithmetic: a point of one class inside a triangle of
  points of the other, so that no half-plane holds the triangle without the point;
* :func:`best_linear` -- the best accuracy any linear classifier reaches, by exhaustive search over the lines
  through pairs of points, with a witness (w, b) whose accuracy is evaluated directly.

Used by the logistic-regression stability experiment (write-up §1(b): data set B is separable, A is not) and the
network experiment (write-up §5(c): no linear boundary classifies the network's data).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import jax
import jax.numpy as jnp
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
    # the LP is always feasible (w = 0, b = 0, t = 0) and bounded (|w_j| <= 1, t <= 1)
    if res.status != 0:  # pragma: no cover
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
    # separable data always have a solution: only a solver failure gets here
    if not res.success or np.min(y_pm * (x @ w + b)) < 1.0 - 1e-9:  # pragma: no cover
        raise RuntimeError(f"hard-margin QP did not converge: {res.message}")
    return MaxMargin(w=w, b=b, margin=float(np.min(y_pm * (x @ w + b)) / np.linalg.norm(w)))


# ----------------------------------------------------------------------------------------------------------
# not separable in 2-D: an exact certificate, and the best linear classifier
# ----------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class HullCertificate:
    """A class-0 point p = λ_a x_a + λ_b x_b + λ_c x_c inside a triangle of class-1 points (λ >= 0, Σλ = 1).

    Attributes:
      class0_row: row of p in x; class0_point: p.
      class1_rows: the rows a, b, c of the triangle's corners.
      barycentric: (λ_a, λ_b, λ_c), each >= 0, checked in exact rational arithmetic.
      exact: True (the identity p = Σ λ x was verified with ``fractions.Fraction``).
    """

    class0_row: int
    class0_point: tuple[float, float]
    class1_rows: tuple[int, int, int]
    barycentric: tuple[float, float, float]
    exact: bool = True


def _barycentric_exact(p, corners) -> tuple[Fraction, Fraction, Fraction] | None:
    """p's barycentric coordinates in the triangle ``corners`` (3, 2), exactly (Cramer's rule on Fractions of
    the float64 inputs, which are exact binary rationals); None for a degenerate triangle."""
    (ax, ay), (bx, by), (cx, cy) = [(Fraction(float(v[0])), Fraction(float(v[1]))) for v in corners]
    px, py = Fraction(float(p[0])), Fraction(float(p[1]))
    det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
    if det == 0:
        return None
    lam_b = ((px - ax) * (cy - ay) - (cx - ax) * (py - ay)) / det  # Cramer's rule, exact
    lam_c = ((bx - ax) * (py - ay) - (px - ax) * (by - ay)) / det
    lam_a = 1 - lam_b - lam_c
    assert lam_a * ax + lam_b * bx + lam_c * cx == px and lam_a * ay + lam_b * by + lam_c * cy == py
    return lam_a, lam_b, lam_c


def hull_certificate(x, y, *, tries: int = 20) -> HullCertificate | None:
    """A class-0 point inside a triangle of class-1 points, proved in exact rational arithmetic (2-D data).

    If p = λ_a x_a + λ_b x_b + λ_c x_c with λ >= 0, Σλ = 1 and x_a, x_b, x_c of class 1, then any half-plane
    w · x + b > 0 holding the three class-1 points holds p too: no linear classifier gets every point right.
    An LP (HiGHS dual simplex, a vertex solution) proposes the triangle for each of the ``tries`` class-0 points
    nearest the class-0 mean; the barycentric coordinates are then recomputed exactly.

    Args:
      x: (n, 2) points; y: (n,) labels in {0, 1}.
      tries: how many class-0 points to try.

    Returns:
      A :class:`HullCertificate`, or None when none of the tried points lies in such a triangle (for example
      when the data are separable).
    """
    x, y = _check_inputs(x, y)
    if x.shape[1] != 2:
        raise UsageError(f"hull_certificate is for 2-D points; got x of shape {x.shape}")
    x0, x1 = x[y == 0], x[y == 1]
    idx0, idx1 = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    # the most central class-0 points first
    order = np.argsort(np.linalg.norm(x0 - x0.mean(axis=0), axis=1))
    a_eq = np.vstack([x1.T, np.ones(len(x1))])  # Σ λ_j x_j = p, Σ λ_j = 1
    for t in order[:tries]:
        p = x0[t]
        res = linprog(
            np.zeros(len(x1)),
            A_eq=a_eq,
            b_eq=np.append(p, 1.0),
            bounds=(0.0, None),
            method="highs-ds",
        )
        if res.status != 0:
            continue
        support = np.flatnonzero(res.x > 1e-12)
        if len(support) != 3:
            continue
        lams = _barycentric_exact(p, x1[support])
        if lams is not None and all(v >= 0 for v in lams):
            return HullCertificate(
                class0_row=int(idx0[t]),
                class0_point=(float(p[0]), float(p[1])),
                class1_rows=tuple(int(i) for i in idx1[support]),
                barycentric=tuple(float(v) for v in lams),
            )
    return None


@dataclasses.dataclass(frozen=True)
class BestLinear:
    """The best linear classifier of 2-D data (:func:`best_linear`).

    Attributes:
      accuracy: the witness's accuracy, evaluated directly on the data.
      upper_bound: no linear classifier does better than this.
      exact: accuracy == upper_bound (then ``accuracy`` is the optimum).
      w: (2,) and b: the witness, predicting class 1 where w · x + b > 0.
    """

    accuracy: float
    upper_bound: float
    exact: bool
    w: np.ndarray
    b: float


@jax.jit
def _lines_through_pairs(x, y, tol):
    """For each x_i: over the lines through (x_i, x_j), the best count of points strictly on their class's side.

    s_jk = (x_j − x_i) × (x_k − x_i) says on which side of the line (x_i, x_j) the point x_k lies; points with
    |s_jk| <= tol (relative) count as on the line. Returns, per i: the achievable count (+2 for x_i, x_j
    themselves), the best j, its orientation (class 1 on the positive side?) and an upper bound (on-line points
    all counted right). One (n, n) block per i, ``lax.map`` over i.
    """
    pos = y == 1.0

    def per_i(i):
        d = x - x[i]  # d_k = x_k − x_i
        # s_jk = d_j × d_k: the side of the line (x_i, x_j) that x_k lies on
        cross = d[:, None, 0] * d[None, :, 1] - d[:, None, 1] * d[None, :, 0]
        norms = jnp.linalg.norm(d, axis=1)
        on = jnp.abs(cross) <= tol * norms[:, None] * norms[None, :] + tol  # x_k on the line
        # points on their class's side when the positive side is class 1 (plus) or class 0 (minus)
        plus = jnp.sum(~on & (((cross > 0) & pos) | ((cross < 0) & ~pos)), axis=1)
        minus = jnp.sum(~on & (((cross < 0) & pos) | ((cross > 0) & ~pos)), axis=1)
        best = jnp.maximum(plus, minus)
        valid = norms > 0  # j != i and not a duplicate of x_i
        achievable = jnp.where(valid, best + 2, -1)
        upper = jnp.where(valid, best + jnp.sum(on, axis=1), -1)
        j = jnp.argmax(achievable)
        return achievable[j], j, plus[j] >= minus[j], jnp.max(upper)

    return jax.lax.map(per_i, jnp.arange(x.shape[0]))


def _nudged_line(x, y, i: int, j: int, sign: float, tol: float) -> tuple[np.ndarray, float]:
    """The line through x_i and x_j (class 1 on the side ``sign``), moved so x_i and x_j land on their sides.

    A shift ε_a of the offset moves both points to one side; a rotation ε_b about their midpoint moves them to
    opposite sides; both are kept below half the smallest |f| of the points off the line, so no other point
    changes side.
    """
    t = x[j] - x[i]
    normal = sign * np.array([-t[1], t[0]])  # f(x) = normal · (x − x_i) > 0  <=>  class 1
    f = (x - x[i]) @ normal
    off = np.abs(f) > tol * np.linalg.norm(normal) * np.max(np.linalg.norm(x - x[i], axis=1)) + tol
    mid = 0.5 * (x[i] + x[j])
    reach = 1.0 + 2.0 * np.max(np.linalg.norm(x - mid, axis=1)) / np.linalg.norm(t)
    # small enough not to move any off-line point across
    delta = 0.5 * np.min(np.abs(f[off])) / reach
    s_i, s_j = 2.0 * y[i] - 1.0, 2.0 * y[j] - 1.0
    eps_a = delta * (s_i + s_j) / 2.0  # shift: both points to one side
    eps_b = delta * (s_j - s_i) / (t @ t)  # rotation about mid: opposite sides
    w = normal + eps_b * t
    b = -normal @ x[i] + eps_a - eps_b * (t @ mid)
    return w, float(b)


def best_linear(x, y, *, tol: float = 1e-12) -> BestLinear:
    """The best accuracy any linear classifier reaches on 2-D data, by exhaustive search, with a witness.

    An optimal line can be moved, without changing any point's side, until it passes through two data points
    x_i, x_j; a tiny translation or rotation then puts x_i and x_j on whichever sides we like. So the best
    accuracy is max over pairs (i, j) and both orientations of (#points off the line on their correct side) + 2.
    Points collinear with x_i, x_j (|cross| <= tol) are counted wrong for the achievable value and right for an
    upper bound; the two agree when no three points are collinear. O(n^3) time, one jitted program per n.

    Args:
      x: (n, 2) points; y: (n,) labels in {0, 1}.
      tol: relative tolerance for "on the line".

    Returns:
      :class:`BestLinear` (accuracy of a concrete (w, b), evaluated directly; the upper bound; exact).
    """
    x, y = _check_inputs(x, y)
    if x.shape[1] != 2:
        raise UsageError(f"best_linear is for 2-D points; got x of shape {x.shape}")
    n = x.shape[0]
    achievable, js, orient, upper = (np.asarray(a) for a in _lines_through_pairs(x, y, tol))
    i = int(np.argmax(achievable))
    w, b = _nudged_line(x, y, i, int(js[i]), 1.0 if bool(orient[i]) else -1.0, tol)
    accuracy = float(np.mean((x @ w + b > 0) == (y == 1.0)))
    bound = float(np.max(upper)) / n
    return BestLinear(
        accuracy=accuracy, upper_bound=bound, exact=abs(accuracy - bound) < 0.5 / n, w=w, b=b
    )
