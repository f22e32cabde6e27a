"""The smallest failing example: a failing point shrunk toward simple values, so a person can redo it by hand.

Starting from the worst failing point, entries are replaced by simpler values — a whole array by zeros or ones or
its rounding, then single entries by 0, ±1 or their rounding — while the check still fails there (as property-based
testing libraries shrink a counterexample). Each proposal is kept only when

* your derivative and autodiff's still disagree past the check's tolerance at the new point, both finite, and
* they still disagree at a tiny random move of it (1e-6 relative): a real mistake fails in a neighbourhood, while
  a convention at a kink (ReLU's 0, a tie) disagrees at the kink only — such a point is no counterexample;
* the point stays in the arguments' domains.

Proposals are evaluated in batches through one compiled program per side; at most :data:`ROUNDS` rounds and
:data:`MAX_ENTRIES` entries in all (larger examples are not shrunk: the worst point is reported as it is).
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from ._programs import batched, batched_derivative

ROUNDS = 12
MAX_CALLS = 40  # batched calls in all
MAX_ENTRIES = 400  # float entries over all arguments; larger examples are not shrunk
BATCH = 32  # proposals per compiled call (one program per side serves every batch)
JITTER = 1e-6


class _Judge:
    """Does the check still fail at these points? One batched call per side."""

    def __init__(self, spec, n_args: int, rtol: float, atol: float):
        axes = (0,) * n_args
        self.derivative = batched_derivative(spec.f, spec.argnums, spec.kind, axes)
        self.yours = batched(spec.fn, axes)
        self.fn, self.rtol, self.atol = spec.fn, rtol, atol
        self.loop = False
        self.calls = 0

    def _values(self, stacked: tuple, m: int):
        ref = [
            np.asarray(x, np.float64) for x in jax.tree_util.tree_leaves(self.derivative(*stacked))
        ]
        if not self.loop:
            try:
                got = [
                    np.asarray(x, np.float64)
                    for x in jax.tree_util.tree_leaves(self.yours(*stacked))
                ]
                return got, ref
            except Exception:  # noqa: BLE001 - NumPy or Python control flow: point by point
                self.loop = True
        rows = []
        for p in range(m):
            point = tuple(
                jax.tree_util.tree_map(lambda x, p=p: np.asarray(x)[p], a) for a in stacked
            )
            rows.append(
                [np.asarray(x, np.float64) for x in jax.tree_util.tree_leaves(self.fn(*point))]
            )
        got = [np.stack([r[k] for r in rows]) for k in range(len(rows[0]))]
        return got, [r[:m] for r in ref]

    def failing(self, points: list) -> np.ndarray:
        """Per point: the check fails there (and at a tiny move of it)."""
        self.calls += 1
        out = np.zeros(len(points), bool)
        for start in range(0, len(points), BATCH):
            group = points[start : start + BATCH]
            moved = [_jitter(p, k) for k, p in enumerate(group)]
            rows = group + moved
            rows = rows + [rows[-1]] * (2 * BATCH - len(rows))
            stacked = tuple(
                jax.tree_util.tree_map(lambda *xs: np.stack(xs), *[r[i] for r in rows])
                for i in range(len(group[0]))
            )
            try:
                got, ref = self._values(stacked, len(rows))
            except Exception:  # noqa: BLE001 - user code may raise anything at a simple point
                got = None  # no verdict there: not a counterexample
            if got is not None:
                bad = _fails(got, ref, self.rtol, self.atol)
                out[start : start + len(group)] = (
                    bad[: len(group)] & bad[len(group) : 2 * len(group)]
                )
        return out


def _fails(got: list, ref: list, rtol: float, atol: float) -> np.ndarray:
    m = ref[0].shape[0]
    scale = np.zeros(m)
    finite = np.ones(m, bool)
    for r in ref:
        flat = r.reshape(m, -1)
        finite &= np.isfinite(flat).all(axis=1)
        scale = np.maximum(
            scale, np.abs(np.where(np.isfinite(flat), flat, 0.0)).max(axis=1, initial=0.0)
        )
    worst = np.zeros(m)
    for g, r in zip(got, ref):
        if g.shape != r.shape:
            return np.ones(m, bool)
        err = np.abs(g - r).reshape(m, -1)
        finite &= np.isfinite(err).all(axis=1)
        worst = np.maximum(
            worst, np.where(np.isfinite(err), err, 0.0).max(axis=1, initial=0.0) - rtol * scale
        )
    return finite & (worst > atol)


def _jitter(point: tuple, k: int) -> tuple:
    rng = np.random.default_rng(k)
    return tuple(
        jax.tree_util.tree_map(
            lambda x: (
                x + JITTER * (np.abs(x) + 1.0) * rng.standard_normal(np.shape(x))
                if _is_float(x)
                else x
            ),
            a,
        )
        for a in point
    )


def _is_float(x) -> bool:
    return np.issubdtype(np.asarray(x).dtype, np.floating)


def _numpy(point: tuple) -> tuple:
    return tuple(jax.tree_util.tree_map(lambda x: np.array(x), a) for a in point)


def _proposals(point: tuple) -> list[tuple]:
    """Simpler points than ``point``: one array made zeros / ones / rounded, or one entry 0, ±1, rounded."""
    out = []
    leaves, treedef = jax.tree_util.tree_flatten(point)
    for j, x in enumerate(leaves):
        if not _is_float(x):
            continue
        x = np.asarray(x)
        options = [np.zeros_like(x), np.ones_like(x), np.round(x), np.round(2 * x) / 2]
        for y in options:
            if not np.array_equal(y, x):
                out.append(_replace(leaves, treedef, j, y))
        flat = x.reshape(-1)
        for e in range(flat.size):
            v = flat[e]
            for w in (0.0, float(np.sign(v)), float(np.round(v))):
                if w != v:
                    y = flat.copy()
                    y[e] = w
                    out.append(_replace(leaves, treedef, j, y.reshape(x.shape)))
    return out


def _replace(leaves, treedef, j, y) -> tuple:
    new = list(leaves)
    new[j] = y
    return tuple(jax.tree_util.tree_unflatten(treedef, new))


def _inside(pts, point: tuple) -> bool:
    for d, a in zip(pts.domains or (), point):
        if d is not None and any(d.violation(np.asarray(x)) for x in jax.tree_util.tree_leaves(a)):
            return False
    return True


def _complexity(point: tuple) -> tuple:
    """Fewer non-integers, then fewer non-zeros, then smaller magnitudes: simpler."""
    flat = np.concatenate(
        [
            np.asarray(x, np.float64).reshape(-1)
            for x in jax.tree_util.tree_leaves(point)
            if _is_float(x)
        ]
        or [np.zeros(0)]
    )
    return (
        int(np.sum(flat != np.round(flat))),
        int(np.sum(flat != 0)),
        float(np.sum(np.abs(flat))),
    )


def shrink(spec, pts, start: tuple, rtol: float, atol: float) -> tuple[tuple, bool]:
    """(``start`` shrunk, True); or (``start`` as it is, False) when it is too large to shrink or its failure
    shows only at the point itself (a kink: a tie, a zero), where a move of any size changes the verdict."""
    point = _numpy(start)
    sizes = sum(np.size(x) for x in jax.tree_util.tree_leaves(point) if _is_float(x))
    if sizes > MAX_ENTRIES:
        return point, False
    judge = _Judge(spec, len(point), rtol, atol)
    if not judge.failing([point])[0]:
        return point, False
    for _ in range(ROUNDS):
        options = [p for p in _proposals(point) if _inside(pts, p)]
        options.sort(key=_complexity)
        better = [p for p in options if _complexity(p) < _complexity(point)]
        found = None
        for first in range(
            0, len(better), BATCH
        ):  # simplest first: stop at the first batch that fails
            if judge.calls >= MAX_CALLS:
                break
            ok = judge.failing(better[first : first + BATCH])
            if ok.any():
                found = better[first + int(np.argmax(ok))]
                break
        if found is None:
            break
        point = found
    return point, True


def attach(report, spec, pts, evaluation):
    """The report with its ``counterexample`` (unchanged when the failure cannot be shrunk or reproduced)."""
    if report.worst_index is None or not np.isfinite(report.max_abs_error):
        return report
    start = pts.at_point(report.worst_index[0])
    try:
        small, shrunk = shrink(spec, pts, start, spec.rtol, report.atol)
    except Exception:  # noqa: BLE001 - shrinking is a courtesy: never a crash
        return report
    return dataclasses.replace(report, counterexample=small, counterexample_shrunk=shrunk)


def _format(x) -> str:
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_format(v)}" for k, v in x.items()) + "}"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(_format(v) for v in x) + ")"
    a = np.asarray(x)
    if _is_float(a):
        a = a + 0.0  # no "-0"
    if a.ndim == 0:
        return f"{a.item():.6g}" if _is_float(a) else str(a.item())
    return np.array2string(
        a, separator=", ", threshold=80, formatter={"float_kind": lambda v: f"{v:.6g}"}
    ).replace("\n", "")


def describe(point: tuple, names: tuple, shrunk: bool = True) -> str:
    """ "fails at theta = [0, 1, 0], x = [[1, 0], [0, 1]], y = [1, 0]" (``shrunk`` False: the point as found)"""
    labels = [names[i] if i < len(names) else f"args[{i}]" for i in range(len(point))]
    where = (
        "fails at "
        if shrunk
        else "fails at (as found, not shrunk: the failure shows only at this point) "
    )
    return where + ", ".join(f"{n} = {_format(a)}" for n, a in zip(labels, point))
