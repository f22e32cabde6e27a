"""check_gradient / check_hessian: a hand-derived derivative against autodiff, entry by entry, at many points.

The comparison (see :mod:`._compare`) is relative to the derivative's own size at each point, in float64:
``err[p, e] <= rtol · max_e |autodiff[p, e]| + atol``. Default rtol = 1e-9: float64 carries ~16 digits, a correct
hand formula typically lands within 1e-13 of autodiff, and a wrong one is off by far more than 1e-9.

When entries disagree, the report says why, trying in turn: the structure and shapes (:mod:`._compare`), the values
(:mod:`._diagnose`: factors, transposes, per-row / per-column scales), kinks (:mod:`._kinks`: a valid sub-gradient
is accepted, and named) and precision (:mod:`._precision`: float32 rounding of a right formula).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from ..errors import UsageError
from ..sharding import shard_leading
from . import _kinks, _precision
from ._compare import Tally, leaf_labels, structure_mismatch
from ._diagnose import diagnose_array
from ._points import (
    Points,
    as_float64,
    chunk_size,
    default_points,
    given_points,
    nbytes,
    perturbation_points,
)
from ._programs import DERIVATIVES, batched, batched_derivative
from ._report import Report
from ._x64 import in_float64

DEFAULT_RTOL = 1e-9
DEFAULT_POINTS = 16


@dataclasses.dataclass(frozen=True, kw_only=True)
class GradientReport(Report):
    """The verdict of :func:`check_gradient` / :func:`check_hessian` (and :func:`check_vjp`).

    Attributes:
      ok: every entry at every point is within tolerance (entries at kinks: within the one-sided derivatives).
      points: how many points were compared.
      max_abs_error: max over points and entries of |yours - autodiff|.
      max_rel_error: max over points and entries of |yours - autodiff| / max|autodiff at that point|.
      rtol, atol: the tolerance used.
      worst_index: (point, leaf, entry) of the worst entry; ``leaf`` names the argument (and the pytree path
        inside it; "" for a single plain array).
      worst_point: the arguments at the worst point (NumPy arrays).
      worst_yours, worst_autodiff: the two values at the worst entry.
      diagnosis: the likely mistake (None when ok).
      note: a remark on the verdict (sub-gradients accepted at kinks; points chosen for cost).
      subgradients: entries where f is not differentiable and your value was accepted as a sub-gradient.
      name, compares: what was checked.
    """

    ok: bool
    points: int
    max_abs_error: float
    max_rel_error: float
    rtol: float
    atol: float
    worst_index: tuple | None = None
    worst_point: Any = None
    worst_yours: float | None = None
    worst_autodiff: float | None = None
    diagnosis: str | None = None
    note: str | None = None
    subgradients: int = 0
    name: str = "gradient"
    compares: str = "your gradient vs jax.grad"

    @property
    def tolerance(self) -> str:
        return f"rtol {self.rtol:.0e}"

    def summary(self) -> str:
        return (
            f"{self.compares} at {self.points} points: max abs error {self.max_abs_error:.3g}, max rel error "
            f"{self.max_rel_error:.3g} (rtol {self.rtol:.0e}, atol {self.atol:.1e})"
        )

    def details(self) -> list[str]:
        if self.worst_index is None or self.worst_yours is None:
            return []
        point, leaf, entry = self.worst_index
        where = f"point {point}" + (f", leaf {leaf}" if leaf else "") + f", entry {entry}"
        return [
            f"worst entry: {where}: yours = {self.worst_yours:.12g}, autodiff = {self.worst_autodiff:.12g}"
        ]


@dataclasses.dataclass(frozen=True)
class Spec:
    """What one derivative check compares (internal): f, your function, which derivative, the tolerance."""

    f: Callable
    fn: Callable
    argnums: Any  # as given (an int or a tuple), for jax.grad
    kind: str  # "gradient" | "Hessian"
    rtol: float
    atol: float | None
    name: str
    compares: str
    max_memory: int | None = None

    @property
    def argnums_t(self) -> tuple:
        return tuple(self.argnums) if isinstance(self.argnums, tuple) else (self.argnums,)


def _arg_names(f: Callable, n: int) -> tuple[str, ...]:
    """The names of f's first n positional parameters (``args[i]`` where the signature does not tell)."""
    try:
        params = [
            p
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return tuple(params[i].name if i < len(params) else f"args[{i}]" for i in range(n))


def _candidate_ns(args: Sequence[Any]) -> tuple[int, ...]:
    """Batch sizes n a 1/n slip could involve: the sizes of every axis of the example arrays (>1)."""
    ns = set()
    for leaf in jax.tree_util.tree_leaves(args):
        ns.update(int(s) for s in np.shape(leaf) if s > 1)
    return tuple(sorted(ns))


def _validate(f, fn, args, argnums, what: str) -> tuple:
    if not callable(f) or not callable(fn):
        raise UsageError(f"check_{what}(f, {what}_f, *args): f and {what}_f must be callables")
    if not args:
        raise UsageError(f"check_{what} needs example arguments: check_{what}(f, {what}_f, *args)")
    argnums = tuple(argnums) if isinstance(argnums, (tuple, list)) else int(argnums)
    for i in argnums if isinstance(argnums, tuple) else (argnums,):
        if not 0 <= i < len(args):
            raise UsageError(f"argnums {argnums} out of range for {len(args)} arguments")
    return argnums


@in_float64
def check_gradient(
    f: Callable,
    grad_f: Callable,
    *args,
    argnums: int | Sequence[int] = 0,
    points: int | None = None,
    key: jax.Array | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    at: Sequence[Any] | None = None,
    name: str = "gradient",
    max_memory: int | None = None,
) -> GradientReport:
    """Compare a hand-derived gradient with ``jax.grad`` at many points, in float64 (whatever your x64 setting).

    Args:
      f: the scalar function, ``f(*args) -> scalar``.
      grad_f: your gradient, same arguments as ``f``; returns the gradient with respect to ``args[argnums]``
        (a tuple of them when ``argnums`` is a tuple). Pytrees of parameters are supported.
      *args: example arguments. The check runs at these and at ``points - 1`` random points around them
        (Gaussian perturbations of the differentiated arguments, seeded by ``key``).
      argnums: which argument(s) to differentiate.
      points: how many points (>= 1) when ``at`` is not given; default 16, fewer for very large arguments (the
        report's ``note`` says so).
      key: PRNG key for the random points (default ``PRNGKey(0)``).
      rtol: relative tolerance against the gradient's own max magnitude at each point (default 1e-9).
      atol: absolute floor (default 1e-14 x the largest gradient magnitude seen; matters only where the
        gradient is exactly zero).
      at: instead of random points, a tuple with one entry per argument, each stacked on a leading points axis
        (use ``None`` in ``at`` for an argument shared by all points).
      name: label for the report.
      max_memory: bytes of points held at once (default :data:`jaxml.verify._points.MEMORY_BUDGET`, 1 GiB):
        points are evaluated in chunks that fit.

    Returns:
      A :class:`GradientReport`; ``report.ok`` is the verdict and ``report.diagnosis`` names the likely mistake.

    Example:
      >>> loss = lambda theta, x, y: jnp.mean((x @ theta - y) ** 2)
      >>> grad = lambda theta, x, y: 2 * x.T @ (x @ theta - y) / len(y)
      >>> check_gradient(loss, grad, jnp.zeros(3), x, y).ok
      True
    """
    argnums = _validate(f, grad_f, args, argnums, "gradient")
    spec = Spec(
        f=f,
        fn=grad_f,
        argnums=argnums,
        kind="gradient",
        rtol=DEFAULT_RTOL if rtol is None else float(rtol),
        atol=atol,
        name=name,
        compares="your gradient vs jax.grad",
        max_memory=max_memory,
    )
    return run_check(spec, *_points_for(spec, args, points, key, at))


@in_float64
def check_hessian(
    f: Callable,
    hess_f: Callable,
    *args,
    argnums: int | Sequence[int] = 0,
    points: int | None = None,
    key: jax.Array | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    at: Sequence[Any] | None = None,
    name: str = "hessian",
    max_memory: int | None = None,
) -> GradientReport:
    """Compare a hand-derived Hessian with ``jax.hessian(f)``, entry by entry; same arguments and report as
    :func:`check_gradient` (the scale is the Hessian's own max magnitude at each point; the diagnosis speaks of
    your Hessian)."""
    argnums = _validate(f, hess_f, args, argnums, "hessian")
    spec = Spec(
        f=f,
        fn=hess_f,
        argnums=argnums,
        kind="Hessian",
        rtol=DEFAULT_RTOL if rtol is None else float(rtol),
        atol=atol,
        name=name,
        compares="your Hessian vs jax.hessian",
        max_memory=max_memory,
    )
    return run_check(spec, *_points_for(spec, args, points, key, at))


def _points_for(spec: Spec, args, points, key, at) -> tuple[Points, str | None]:
    """The check's points (given or perturbations) and a note when their number was chosen for cost."""
    args = tuple(jax.tree_util.tree_map(as_float64, a) for a in args)
    if at is not None:
        return given_points(args, at), None
    entries = sum(
        int(np.size(leaf)) for i in spec.argnums_t for leaf in jax.tree_util.tree_leaves(args[i])
    )
    note = None
    if points is None:
        points = default_points(entries, DEFAULT_POINTS)
        if points < DEFAULT_POINTS:
            note = (
                f"{points} points (not {DEFAULT_POINTS}): the differentiated arguments have {entries:,} entries; "
                "pass points= to choose"
            )
    if points < 1:
        raise UsageError(f"points must be >= 1, got {points}")
    key = jax.random.PRNGKey(0) if key is None else key
    return perturbation_points(args, spec.argnums_t, int(points), key), note


class _Yours:
    """Your function at a chunk of points: jitted and vmapped when it traces, else point by point."""

    def __init__(self, fn: Callable, in_axes: tuple):
        self.fn, self.in_axes, self.loop = fn, in_axes, False
        self.dtype = np.dtype(np.float64)
        # built once per check: every chunk has the same shapes, so one compiled program serves them all
        self.program = batched(fn, in_axes)

    def __call__(self, chunk: tuple, m: int, meanwhile: Callable[[], None] = lambda: None):
        """Your values at the chunk's first ``m`` points (NumPy). ``meanwhile`` runs while XLA computes them."""
        out = None
        if not self.loop:
            try:  # dispatched: XLA runs it in the background while `meanwhile` runs
                out = self.program(*chunk)
            except Exception:  # noqa: BLE001 - Python control flow or NumPy: point by point
                self.loop = True
        meanwhile()
        if out is not None:
            try:
                leaves = jax.tree_util.tree_leaves(out)
                if leaves:
                    self.dtype = np.dtype(leaves[0].dtype)
                return jax.tree_util.tree_map(lambda r: np.asarray(r)[:m], out)
            except Exception:  # noqa: BLE001 - fails only when run: point by point
                self.loop = True
        outs = [self.fn(*_index(chunk, self.in_axes, p)) for p in range(m)]
        return jax.tree_util.tree_map(
            lambda *xs: np.stack([np.asarray(x, dtype=np.float64) for x in xs]), *outs
        )


def _index(chunk, in_axes, p):
    return tuple(
        jax.tree_util.tree_map(lambda x: np.asarray(x[p]), a) if ax == 0 else a
        for a, ax in zip(chunk, in_axes)
    )


def _failed(spec: Spec, n: int, diagnosis: str, note=None) -> GradientReport:
    return GradientReport(
        ok=False,
        points=n,
        max_abs_error=float("inf"),
        max_rel_error=float("inf"),
        rtol=spec.rtol,
        atol=0.0,
        diagnosis=diagnosis,
        note=note,
        name=spec.name,
        compares=spec.compares,
    )


def run_check(spec: Spec, pts: Points, note: str | None = None) -> GradientReport:
    """Evaluate autodiff's and your derivative chunk by chunk, compare, and diagnose (inside float64)."""
    probe = jax.eval_shape(spec.f, *pts.args)
    if getattr(probe, "shape", None) != ():
        raise UsageError(
            f"f must return a scalar; it returns shape {getattr(probe, 'shape', type(probe))}"
        )
    derivative = batched_derivative(spec.f, spec.argnums, spec.kind, pts.in_axes)
    one = jax.eval_shape(DERIVATIVES[spec.kind](spec.f, argnums=spec.argnums), *pts.args)
    per_point = pts.per_point_bytes() + nbytes(one)
    varying = [a for a, ax in zip(pts.args, pts.in_axes) if ax == 0]
    largest = max((nbytes(leaf) for leaf in jax.tree_util.tree_leaves((varying, one))), default=0)
    size = chunk_size(per_point, pts.n, spec.max_memory, largest)
    names = _arg_names(spec.f, len(pts.args))
    yours = _Yours(spec.fn, pts.in_axes)
    ns = _candidate_ns(pts.args)
    tally = None

    def load(start: int):
        """Chunk ``start``'s points, placed on the devices (the NumPy draws of perturbations happen here)."""
        stop = min(start + size, pts.n)
        chunk = pts.chunk(start, stop, pad_to=size if pts.n > size else None)
        placed = tuple(shard_leading(a) if ax == 0 else a for a, ax in zip(chunk, pts.in_axes))
        return stop, chunk, placed

    following = {0: load(0)}
    for start in range(0, pts.n, size):
        stop, chunk, placed = following.pop(start)
        m = stop - start
        # dispatched; read below, after the next chunk's points are drawn
        autodiff = derivative(*placed)

        def prefetch(start=start):
            if start + size < pts.n:
                following[start + size] = load(start + size)

        try:
            got = yours(placed, m, meanwhile=prefetch)
        except Exception as exc:  # noqa: BLE001 - your function fails: the verdict, not a crash
            return _failed(
                spec, pts.n, f"your {spec.kind} raised {type(exc).__name__}: {exc}", note
            )
        ref = jax.tree_util.tree_map(lambda r, m=m: np.asarray(r)[:m], autodiff)
        if tally is None:
            flat = jax.tree_util.tree_flatten_with_path(ref)[0]
            plain = not isinstance(spec.argnums, tuple) and len(flat) == 1 and flat[0][0] == ()
            labels = leaf_labels(
                [p for p, _ in flat],
                tuple(names[i] for i in spec.argnums_t),
                isinstance(spec.argnums, tuple),
                spec.kind,
                plain,
            )
            problem = structure_mismatch(got, ref, ns, spec.kind, labels)
            if problem:
                return _failed(spec, pts.n, problem, note)
            tally = Tally(labels, pts.n, spec.rtol, spec.atol, per_point)
        tally.add(
            [np.asarray(g, dtype=np.float64) for g in jax.tree_util.tree_leaves(got)],
            [np.asarray(r, dtype=np.float64) for r in jax.tree_util.tree_leaves(ref)],
            start,
            args=chunk if start < tally.sample_points else None,
        )
    return _finish(spec, pts, tally, ns, names, yours, size, note)


def _sample_args(tally: Tally, pts: Points) -> tuple:
    """The arguments at the sampled points, stacked (shared arguments as they are)."""
    parts = [(keep, args) for keep, args in tally.sample_args]
    out = []
    for i, ax in enumerate(pts.in_axes):
        if ax is None:
            out.append(pts.args[i] if pts.given is None else pts.given[i])
            continue
        pieces = [
            jax.tree_util.tree_map(lambda x, k=keep: np.asarray(x)[:k], args[i])
            for keep, args in parts
        ]
        out.append(jax.tree_util.tree_map(lambda *xs: np.concatenate(xs), *pieces))
    return tuple(out)


def _vectors(sample: tuple, in_axes: tuple, names: tuple, m: int) -> dict:
    """{name: (m, k)} for every 1-d leaf (length > 1) of the arguments at the sampled points."""
    out = {}
    for i, (a, ax) in enumerate(zip(sample, in_axes)):
        for path, leaf in jax.tree_util.tree_flatten_with_path(a)[0]:
            x = np.asarray(leaf)
            if not np.issubdtype(x.dtype, np.floating):
                continue
            per_point = x[0] if ax == 0 else x
            if per_point.ndim == 1 and per_point.shape[0] > 1:
                out[names[i] + jax.tree_util.keystr(path)] = (
                    x if ax == 0 else np.broadcast_to(x, (m,) + x.shape)
                )
    return out


def _value_diagnosis(tally: Tally, ns, noun: str, vectors: dict, masked: dict | None = None) -> str:
    """The per-leaf diagnoses of the leaves past tolerance, from the sampled points (``masked``: {leaf: got})."""
    parts = []
    for leaf, label in enumerate(tally.labels):
        if not tally.leaf_bad(leaf):
            continue
        got, ref = tally.sample(leaf)
        if masked and leaf in masked:
            got = masked[leaf]
        found = diagnose_array(got, ref, ns, label, noun=noun, vectors=vectors)
        if found:
            parts.append(found)
    return "; ".join(parts) or "no simple pattern"


def _named(diagnosis: str) -> bool:
    return "no simple pattern" not in diagnosis


def _kink_analysis(spec: Spec, pts: Points, tally: Tally, size: int):
    """One-sided derivatives at the entries past tolerance; returns (accepted, outside, smooth) candidates."""
    bad = tally.still_bad()
    for start in sorted({c.point - c.point % size for c in bad}):
        stop = min(start + size, pts.n)
        chunk = pts.chunk(start, stop, pad_to=size if pts.n > size else None)
        _kinks.one_sided(spec.f, spec.argnums, chunk, pts.in_axes, start, bad, size)
    return _kinks.classify(bad, tally.rtol, tally.atol)


def _where(c, tally: Tally, shapes: list) -> str:
    entry = (
        tuple(int(i) for i in np.unravel_index(c.index, shapes[c.leaf])) if shapes[c.leaf] else ()
    )
    label = tally.labels[c.leaf]
    return f"point {c.point}, {label + ' ' if label else ''}entry {entry}"


def _kink_text(accepted, outside, tally: Tally, shapes: list) -> tuple[str | None, str | None]:
    """(diagnosis part for values outside the sub-differential, note for accepted sub-gradients)."""
    problem = note = None
    if outside:
        c = outside[0]
        problem = (
            f"not differentiable at {len(outside)} entr{'y' if len(outside) == 1 else 'ies'} where your value "
            f"is outside the sub-differential: e.g. {_where(c, tally, shapes)}: yours = {c.yours:.6g}, one-sided "
            f"derivatives [{c.lo:.6g}, {c.hi:.6g}]"
        )
    if accepted:
        c = accepted[0]
        note = (
            f"non-differentiable at {len(accepted)} entr{'y' if len(accepted) == 1 else 'ies'} (e.g. "
            f"{_where(c, tally, shapes)}: one-sided derivatives [{c.lo:.6g}, {c.hi:.6g}], autodiff picked "
            f"{c.autodiff:.6g}): your value {c.yours:.6g} is a valid subgradient"
        )
    return problem, note


def _masked(tally: Tally, accepted) -> dict:
    """Your sampled values with the accepted sub-gradient entries replaced by autodiff's."""
    out = {}
    for c in accepted:
        if c.point >= tally.sample_points:
            continue
        if c.leaf not in out:
            out[c.leaf] = tally.sample(c.leaf)[0].copy()
        got = out[c.leaf]
        ref = tally.sample(c.leaf)[1]
        got.reshape(got.shape[0], -1)[c.point, c.index] = ref.reshape(ref.shape[0], -1)[
            c.point, c.index
        ]
    return out


def _precision_text(
    spec: Spec, pts: Points, tally: Tally, sample: tuple, yours: _Yours
) -> str | None:
    """The float32-precision finding (see :mod:`._precision`), or None."""
    if not np.isfinite(tally.max_rel) or tally.max_rel > _precision.MAX_REL:
        return None  # far above any rounding: a real error (and nothing to compile)
    refs = [tally.sample(leaf)[1] for leaf in range(len(tally.labels))]
    try:
        level = _precision.float32_level(spec.f, spec.argnums, spec.kind, sample, pts.in_axes, refs)
    except Exception:  # noqa: BLE001 - f does not run in float32: use ε₃₂ alone
        level = 0.0
    slope = None
    if spec.kind == "gradient":
        point = _index(sample, pts.in_axes, 0)
        mine = [tally.sample(leaf)[0][0] for leaf in range(len(tally.labels))]
        try:
            slope = _precision.taylor_slope(
                spec.f, point, spec.argnums_t, mine, jax.random.PRNGKey(1)
            )
        except Exception:  # noqa: BLE001 - user code may raise anything
            slope = None
    return _precision.precision_finding(tally.max_rel, level, slope, yours.dtype, spec.kind)


def _finish(
    spec: Spec, pts: Points, tally: Tally, ns, names, yours: _Yours, size: int, note
) -> GradientReport:
    """The verdict, the diagnosis (kinks, values, precision) and the worst entry."""
    ok, diagnosis, subgradients, accepted = tally.passed(), None, 0, []
    max_abs, max_rel, worst = tally.max_abs, tally.max_rel, tally.worst
    if not ok:
        sample = _sample_args(tally, pts)
        vectors = _vectors(sample, pts.in_axes, names, tally.sample(0)[1].shape[0])
        problem = smooth = None
        if spec.kind == "gradient" and _kinks_plausible(tally) and _kink_budget(tally, pts):
            accepted, outside, smooth = _kink_analysis(spec, pts, tally, size)
            shapes = [tally.sample(leaf)[1].shape[1:] for leaf in range(len(tally.labels))]
            problem, kink_note = _kink_text(accepted, outside, tally, shapes)
            note = "; ".join(x for x in (note, kink_note) if x) or None
            subgradients = len(accepted)
            if accepted and not outside and not smooth:
                ok = True
                max_abs, max_rel, worst = tally.without(accepted)
        if not ok:
            rest = None
            if smooth is None or smooth:
                rest = _value_diagnosis(tally, ns, spec.kind, vectors, _masked(tally, accepted))
                if not _named(rest):
                    rest = _precision_text(spec, pts, tally, sample, yours) or rest
            diagnosis = "; ".join(x for x in (problem, rest) if x)
    extra = {}
    if worst is not None:
        _, p, leaf, entry, y, r = worst
        extra = {
            "worst_index": (p, tally.labels[leaf], entry),
            "worst_yours": y,
            "worst_autodiff": r,
            "worst_point": pts.at_point(p),
        }
    return GradientReport(
        ok=ok,
        points=pts.n,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
        rtol=spec.rtol,
        atol=tally.atol,
        diagnosis=diagnosis,
        note=note,
        subgradients=subgradients,
        name=spec.name,
        compares=spec.compares,
        **extra,
    )


def _kinks_plausible(tally: Tally) -> bool:
    """Every entry past tolerance is kept for analysis, and not every entry at every point is wrong (a formula
    wrong everywhere is not a matter of kinks)."""
    return not tally.overflow and len(tally.candidates) < tally.n_entries


def _kink_budget(tally: Tally, pts: Points) -> bool:
    """The one-sided derivatives of every entry past tolerance are affordable (two gradients per entry)."""
    return 2 * len(tally.candidates) * max(pts.per_point_bytes(), 1) <= 2**31
