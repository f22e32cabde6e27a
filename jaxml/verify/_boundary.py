"""Where autodiff has no finite answer: one-sided difference quotients at a boundary of f's domain.

At x = 0, ``x / (1 + jnp.sqrt(x))`` has the one-sided derivative 1, but autodiff's answer is NaN (0 · ∞ from the
derivative of √x). A custom rule that gives 1 is right on the domain x ≥ 0, and autodiff cannot say so. There the
check compares your value with the one-sided difference quotient along the feasible side of a direction v::

    q₊(h) = (f(x + h v) − f(x)) / h         q₋(h) = (f(x − h v) − f(x)) / (−h)        h = 1e-2, 1e-3, …, 1e-10

(q₋ is the quotient along −v, negated, so both estimate J·v). A side along which f is not finite gives no
estimate; a domain (``domain=``) makes v feasible and keeps only the + side. Each side's estimate is the q(h)
that changed least from the step before, that change plus q(h)'s rounding error 2ε(|f(x)| + |f(x + hv)|)/h being
its error estimate: the truncation error (O(h), or O(√h) at a square-root boundary) shrinks with h while
rounding grows, so the smallest estimate sits where the two balance. Such a one-sided difference honestly reaches
about 1e-5 relative (for √x-like boundaries, O(√h) at h = 1e-10), so the comparison uses :data:`BOUNDARY_RTOL` =
1e-4 relative to the derivative's size at the point, never the 1e-9 of autodiff. Where f(x) is large beside J·v,
rounding leaves fewer digits; the error estimate says so, and the diagnosis quotes it.

:func:`difference_quotients` is the generic entry (a primal function of the differentiated arguments, points,
directions); :func:`settle` applies it to the entries of a comparison where autodiff's value is not finite.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import jax
import numpy as np

STEPS = tuple(10.0**-k for k in range(2, 11))  # 1e-2 ... 1e-10
BOUNDARY_RTOL = 1e-4
# rows of evaluations (one point and step each) per vmapped call: bounds the memory of the stacked arguments
ROW_BYTES = 2**26
TINY = np.finfo(np.float64).tiny
EPS = np.finfo(np.float64).eps
MAX_ENTRIES = (
    2048  # entries judged by a difference quotient in one check; more are reported, not judged
)


@dataclasses.dataclass(frozen=True)
class Quotient:
    """One-sided difference quotients of ``fn`` per row (a point and a direction) and output entry.

    Attributes:
      values: (sides, rows, entries): each side's estimate of J·v (NaN where f is not finite on that side).
      errors: (sides, rows, entries): each estimate's error (inf where there is none).
      sides: the sides, +1 (along v) and/or −1 (along −v, negated).
      steps: the step sizes h tried.
    """

    values: np.ndarray
    errors: np.ndarray
    sides: tuple
    steps: tuple

    def best(self) -> tuple[np.ndarray, np.ndarray]:
        """(value, error) per row and entry: the side with the smaller error estimate."""
        pick = np.argmin(self.errors, axis=0)
        take = lambda a: np.take_along_axis(a, pick[None], axis=0)[0]
        return take(self.values), take(self.errors)


def _flat_outputs(out, m: int) -> np.ndarray:
    """The leaves of a vmapped output (m rows first) as one (m, entries) float64 array."""
    leaves = [np.asarray(x, np.float64).reshape(m, -1) for x in jax.tree_util.tree_leaves(out)]
    return np.concatenate(leaves, axis=1) if leaves else np.zeros((m, 0))


def _evaluate(fn: Callable, points: tuple, directions: tuple, extra: tuple, coefficients):
    """fn at point + c·direction for every coefficient c and row: (coefficients, rows, entries)."""
    p_leaves, treedef = jax.tree_util.tree_flatten(points)
    d_leaves = jax.tree_util.tree_leaves(directions)
    e_leaves, e_treedef = jax.tree_util.tree_flatten(extra)
    k = np.shape(p_leaves[0])[0]
    c = len(coefficients)
    moved = []
    for x, d in zip(p_leaves, d_leaves):
        x, d = np.asarray(x, np.float64), np.asarray(d, np.float64)
        shape = (c,) + (1,) * x.ndim
        moved.append(
            (x[None] + coefficients.reshape(shape) * d[None]).reshape((c * k,) + x.shape[1:])
        )
    tiled = [
        np.broadcast_to(np.asarray(e)[None], (c,) + np.shape(e)).reshape((c * k,) + np.shape(e)[1:])
        for e in e_leaves
    ]

    def flat_fn(*leaves):
        diff = jax.tree_util.tree_unflatten(treedef, list(leaves[: len(p_leaves)]))
        rest = jax.tree_util.tree_unflatten(e_treedef, list(leaves[len(p_leaves) :]))
        return fn(*diff, *rest)

    # NaN and inf from outside the domain are expected here, not errors
    with np.errstate(invalid="ignore", over="ignore"):
        out = _flat_outputs(jax.vmap(flat_fn)(*moved, *tiled), c * k)
    return out.reshape(c, k, -1)


def _per_side(q: np.ndarray, rounding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(estimate, error) from the quotients q of one side, (steps, rows, entries), h decreasing, and the
    rounding error of each (consecutive quotients at tiny h can agree to the last bit and still be off by it)."""
    with np.errstate(invalid="ignore"):
        change = np.abs(np.diff(q, axis=0)) + rounding[1:]
    change = np.where(np.isfinite(change), change, np.inf)
    at = np.argmin(change, axis=0)  # the step pair that changed least
    error = np.take_along_axis(change, at[None], axis=0)[0]
    value = np.take_along_axis(q[1:], at[None], axis=0)[0]
    return np.where(np.isfinite(error), value, np.nan), error


def difference_quotients(
    fn: Callable,
    points: tuple,
    directions: tuple,
    *,
    extra: tuple = (),
    sides: Sequence[int] = (1, -1),
    steps: Sequence[float] = STEPS,
) -> Quotient:
    """One-sided difference quotients of ``fn`` at many (point, direction) rows, with error estimates.

    Args:
      fn: the primal function of the differentiated arguments, ``fn(*diff) -> pytree`` (the other arguments
        closed over).
      points: the differentiated arguments, a tuple (one per argument) of pytrees stacked on a leading rows axis.
      directions: the same structure and shapes: each row's direction v.
      extra: further arguments of ``fn`` per row (a tuple of pytrees stacked on the rows axis, not moved):
        ``fn(*point, *extra)``, e.g. the row's other arguments or a cotangent.
      sides: +1 for the quotient along v, −1 for the one along −v (negated); a domain keeps only +1.
      steps: the steps h, decreasing.

    Returns:
      A :class:`Quotient`: per side, row and output entry (the output's leaves flattened and concatenated), the
      estimate of J·v and its error estimate.
    """
    sides, steps = tuple(int(s) for s in sides), tuple(float(h) for h in steps)
    leaves = jax.tree_util.tree_leaves(points)
    k = int(np.shape(leaves[0])[0])
    per_row = sum(int(np.size(x)) // max(k, 1) for x in leaves) * 8
    coefficients = np.array([0.0] + [s * h for s in sides for h in steps])
    block = max(1, ROW_BYTES // max(per_row * len(coefficients), 1))
    outs = []
    for start in range(0, k, block):
        rows = slice(start, min(start + block, k))
        part = lambda tree, rows=rows: jax.tree_util.tree_map(lambda x: np.asarray(x)[rows], tree)
        outs.append(_evaluate(fn, part(points), part(directions), part(tuple(extra)), coefficients))
    out = np.concatenate(outs, axis=1)  # (coefficients, rows, entries)
    f0, n = out[0], len(steps)
    values, errors = [], []
    for i, s in enumerate(sides):
        h = np.asarray(steps).reshape(-1, 1, 1)
        moved = out[1 + i * n : 1 + (i + 1) * n]
        with np.errstate(invalid="ignore", over="ignore"):
            q = (moved - f0[None]) / (s * h)
            rounding = 2 * EPS * (np.abs(f0[None]) + np.abs(moved)) / h
        value, error = _per_side(q, rounding)
        bad = ~np.isfinite(f0)
        values.append(np.where(bad, np.nan, value))
        errors.append(np.where(bad, np.inf, error))
    return Quotient(np.stack(values), np.stack(errors), sides, steps)


def difference_quotient(fn: Callable, point: tuple, direction: tuple, **options) -> Quotient:
    """:func:`difference_quotients` at one point along one direction (rows = 1)."""
    add = lambda tree: jax.tree_util.tree_map(lambda x: np.asarray(x, np.float64)[None], tree)
    return difference_quotients(fn, add(point), add(direction), **options)


@dataclasses.dataclass
class Settled:
    """The non-finite entries of a comparison, judged (see :func:`settle`).

    Attributes:
      got, ref: the leaves with those entries set to 0 in both, so that the entry-by-entry comparison sees
        agreement there; the verdict on them is ``failures``.
      equal_infinities: entries where yours and autodiff's are the same infinity.
      compared: entries compared with a one-sided difference quotient.
      no_derivative: entries where neither yours, autodiff's nor a quotient is finite (counted as agreeing).
      failures: (point, leaf, index, yours, estimate, error, scale) of the entries that disagree.
      unjudged: entries past :data:`MAX_ENTRIES`, not judged (the check then fails).
    """

    got: list
    ref: list
    equal_infinities: int = 0
    compared: int = 0
    no_derivative: int = 0
    failures: list = dataclasses.field(default_factory=list)
    unjudged: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and not self.unjudged

    @property
    def max_abs(self) -> float:
        """The largest |yours − quotient| among the failures (inf where yours or the quotient is not finite)."""
        errs = [abs(y - q) for _, _, _, y, q, _, _ in self.failures]
        return float(max((e if np.isfinite(e) else np.inf for e in errs), default=0.0))

    @property
    def max_rel(self) -> float:
        errs = [abs(y - q) / max(s, abs(q), TINY) for _, _, _, y, q, _, s in self.failures]
        return float(max((e if np.isfinite(e) else np.inf for e in errs), default=0.0))

    def note(self, noun: str) -> str | None:
        """What was done at the non-finite entries, for the report's note."""
        parts = []
        if self.compared:
            parts.append(
                f"at {self.compared} entr{'y' if self.compared == 1 else 'ies'} where autodiff's {noun} is not "
                f"finite (a boundary of f's domain?) your {noun} was compared with a one-sided difference "
                f"quotient (steps 1e-2 to 1e-10, tolerance {BOUNDARY_RTOL:.0e} relative)"
            )
        if self.equal_infinities:
            k = self.equal_infinities
            parts.append(
                f"{k} entr{'y is' if k == 1 else 'ies are'} the same infinity in yours and autodiff's"
            )
        if self.no_derivative:
            k = self.no_derivative
            parts.append(
                f"{k} entr{'y has' if k == 1 else 'ies have'} no finite derivative (yours, autodiff's and the "
                "one-sided difference quotients all non-finite)"
            )
        return "; ".join(parts) or None

    def problem(self, noun: str, labels: list, shapes: list, point_ids=None) -> str | None:
        """The diagnosis for the entries that disagree with the quotient, or None (``point_ids``: the points'
        numbers as the caller counts them, when ``got`` holds some of them)."""
        if self.unjudged:
            return (
                f"{self.unjudged} entries where autodiff's {noun} is not finite were not checked (more than "
                f"{MAX_ENTRIES}): check fewer points, or pass domain= to keep them inside f's domain"
            )
        if not self.failures:
            return None
        p, leaf, index, yours, estimate, error, _ = self.failures[0]
        p = int(point_ids[p]) if point_ids is not None else p
        entry = tuple(int(i) for i in np.unravel_index(index, shapes[leaf])) if shapes[leaf] else ()
        where = f"point {p}, {labels[leaf] + ' ' if labels[leaf] else ''}entry {entry}"
        n = len(self.failures)
        text = (
            f"at {n} entr{'y' if n == 1 else 'ies'} where autodiff's {noun} is not finite (a boundary of "
            f"f's domain?), yours differs from the one-sided difference quotient by more than "
            f"{BOUNDARY_RTOL:.0e} relative: e.g. {where}: yours = {yours:.8g}, quotient = {estimate:.8g}"
        )
        if np.isfinite(yours) and np.isfinite(estimate) and estimate != 0:
            text += f", {yours / estimate:.4g} x the quotient"
        if np.isfinite(error):
            text += f" (its error estimate {error:.2g})"
        else:
            text += " (f is not finite on either side there: no quotient)"
        return text


def _scales(ref_leaves: list) -> np.ndarray:
    """Per point: the largest finite |autodiff| entry (the comparison's scale)."""
    m = ref_leaves[0].shape[0] if ref_leaves else 0
    scale = np.zeros(m)
    for r in ref_leaves:
        a = np.abs(r.reshape(m, -1))
        scale = np.maximum(scale, np.where(np.isfinite(a), a, 0.0).max(axis=1, initial=0.0))
    return scale


def settle(got_leaves: list, ref_leaves: list, estimate: Callable) -> Settled:
    """Judge the entries where autodiff's value is not finite (and yours is not the same infinity).

    Args:
      got_leaves, ref_leaves: yours and autodiff's, lists of (points, ...) float64 arrays (copied, not changed).
      estimate: ``estimate(entries) -> Quotient`` for a list of (point, leaf, flat index): row i, column 0 of
        the quotient belongs to entry i (the caller maps each entry to its point and direction).

    Yours agrees where it is within :data:`BOUNDARY_RTOL` of a side's estimate (relative to the larger of the
    point's scale and the estimate). Yours non-finite disagrees where a side has a finite estimate that settled
    (error within the tolerance); where none has, there is no finite derivative to compare, and it agrees.
    """
    got = [np.array(g, np.float64) for g in got_leaves]
    ref = [np.array(r, np.float64) for r in ref_leaves]
    out = Settled(got, ref)
    entries = []
    for leaf, (g, r) in enumerate(zip(got, ref)):
        fg, fr = g.reshape(g.shape[0], -1), r.reshape(r.shape[0], -1)
        same = ~np.isfinite(fr) & (fg == fr)  # the same infinity on both sides agrees
        out.equal_infinities += int(same.sum())
        fg[same] = 0.0  # as _agree
        fr[same] = 0.0
        for p, e in zip(*np.nonzero(~np.isfinite(fr))):
            entries.append((int(p), leaf, int(e)))
    if not entries:
        return out
    scale = _scales(ref)
    out.unjudged = max(len(entries) - MAX_ENTRIES, 0)
    for p, leaf, e in entries[MAX_ENTRIES:]:
        _agree(out, p, leaf, e)
    entries = entries[:MAX_ENTRIES]
    quotient = estimate(entries)
    for row, (p, leaf, e) in enumerate(entries):
        _judge(out, quotient, row, p, leaf, e, scale[p])
    return out


def _agree(out: Settled, p: int, leaf: int, e: int) -> None:
    """Set entry e of point p to 0 on both sides: its verdict is kept apart, and a zero in both fits any pattern
    the diagnosis looks for in the other entries (a constant factor, a transpose)."""
    out.got[leaf].reshape(out.got[leaf].shape[0], -1)[p, e] = 0.0
    out.ref[leaf].reshape(out.ref[leaf].shape[0], -1)[p, e] = 0.0


def _judge(out: Settled, quotient: Quotient, row: int, p: int, leaf: int, e: int, scale) -> None:
    """One non-finite entry against its row of ``quotient`` (column 0)."""
    yours = float(out.got[leaf].reshape(out.got[leaf].shape[0], -1)[p, e])
    values, errors = quotient.values[:, row, 0], quotient.errors[:, row, 0]
    with np.errstate(invalid="ignore"):
        tol = BOUNDARY_RTOL * np.maximum(scale, np.abs(values))
        close = np.abs(yours - values) <= tol
        settled = np.isfinite(values) & (errors <= tol)
    best = int(np.argmin(errors))
    _agree(out, p, leaf, e)
    if np.isfinite(yours):
        out.compared += 1
        if np.any(close):
            return
    elif not np.any(settled):
        out.no_derivative += 1
        return
    else:
        out.compared += 1
    out.failures.append((p, leaf, e, yours, float(values[best]), float(errors[best]), float(scale)))
