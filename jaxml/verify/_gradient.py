"""check_gradient / check_hessian: a hand-derived derivative against autodiff, entry by entry, at many points.

The comparison (see :mod:`._compare`) is relative to the derivative's own size at each point, in float64:
``err[p, e] <= rtol · max_e |autodiff[p, e]| + atol``. Default rtol = 1e-9: float64 carries ~16 digits, a correct
hand formula typically lands within 1e-13 of autodiff, and a wrong one is off by far more than 1e-9.

A check is a pipeline of stages, each a module that owns its data:

    draw points (:mod:`._points`, :mod:`._domain`) → evaluate and compare (:mod:`._evaluate`, :mod:`._compare`)
    → classify (:mod:`._classify`: non-finite, boundary, kink — :mod:`._kinks`) → diagnose (:mod:`._diagnose`,
    :mod:`._precision`) → counterexample (:mod:`._shrink`) → audit (:mod:`._audit`) → report

This module composes them; ``check_gradient`` and ``check_hessian`` differ only in the derivative they take.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._bucketed_random import prng_key
from ..errors import UsageError
from . import _audit, _classify, _precision, _shrink
from ._compare import Tally
from ._diagnose import diagnose_array
from ._domain import CONVENTIONS
from ._evaluate import Evaluation, arg_names, candidate_ns, evaluate, index
from ._mistake import Mistake, MistakeKind, combined, mistake
from ._points import (
    Points,
    as_float64,
    default_points,
    example_points,
    given_points,
    perturbation_points,
)
from ._report import Report
from ._x64 import in_float64

DEFAULT_RTOL = 1e-9
DEFAULT_POINTS = 16

# names other modules of the verifier use
_arg_names, _candidate_ns = arg_names, candidate_ns


@dataclasses.dataclass(frozen=True, kw_only=True)
class GradientReport(Report):
    """The verdict of :func:`check_gradient` / :func:`check_hessian` (and :func:`check_vjp`).

    Attributes:
      ok: every entry at every point is within tolerance (entries at kinks: a sub-gradient; at boundaries: the
        one-sided difference quotient).
      points: how many points were compared (``skipped`` of them left out).
      max_abs_error: max over points and entries of |yours - autodiff|.
      max_rel_error: max over points and entries of |yours - autodiff| / max|autodiff at that point|.
      rtol, atol: the tolerance used.
      worst_index: (point, leaf, entry) of the worst entry; ``leaf`` names the argument (and the pytree path
        inside it; "" for a single plain array).
      worst_point: the arguments at the worst point (NumPy arrays).
      worst_yours, worst_autodiff: the two values at the worst entry.
      diagnosis: the likely mistake, a sentence (None when ok).
      mistake: the same as data (:class:`~jaxml.verify.Mistake`; None when ok).
      note: a remark on the verdict (sub-gradients accepted at kinks; skipped points; points chosen for cost).
      subgradients: entries where f is not differentiable and your value was accepted as a sub-gradient.
      skipped: points left out because f is not finite there (outside its domain).
      precision: the dtype your function was judged in when not float64 ("float32"), else None.
      counterexample: on a FAIL, a failing point shrunk toward simple values (the arguments, NumPy);
        ``counterexample_shrunk`` is False when it could not be shrunk (too large, or failing only at the point
        itself, as at an exact tie).
      blind_spots: with ``audit=True``, the standard slips that would still PASS at these points, each with the
        reason (empty: every slip is caught).
      audit_seconds: what the audit cost.
      arg_names: f's argument names (the counterexample is printed with them).
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
    mistake: Mistake | None = None
    note: str | None = None
    subgradients: int = 0
    skipped: int = 0
    precision: str | None = None
    counterexample: tuple | None = None
    counterexample_shrunk: bool = True
    blind_spots: tuple = ()
    audit_seconds: float | None = None
    arg_names: tuple = ()
    name: str = "gradient"
    compares: str = "your gradient vs jax.grad"

    @property
    def tolerance(self) -> str:
        return f"rtol {self.rtol:.0e}"

    @property
    def verdict_word(self) -> str:
        if not self.precision:
            return "PASS" if self.ok else "FAIL"
        return (
            f"PASS at {self.precision} precision"
            if self.ok
            else f"FAIL (at {self.precision} precision)"
        )

    def summary(self) -> str:
        return (
            f"{self.compares} at {self.points} points: max abs error {self.max_abs_error:.3g}, max rel error "
            f"{self.max_rel_error:.3g} (rtol {self.rtol:.0e}, atol {self.atol:.1e})"
        )

    def details(self) -> list[str]:
        lines = []
        if self.worst_index is not None and self.worst_yours is not None:
            point, leaf, entry = self.worst_index
            where = f"point {point}" + (f", leaf {leaf}" if leaf else "") + f", entry {entry}"
            lines.append(
                f"worst entry: {where}: yours = {self.worst_yours:.12g}, autodiff = {self.worst_autodiff:.12g}"
            )
        if self.counterexample is not None:
            lines.append(
                _shrink.describe(self.counterexample, self.arg_names, self.counterexample_shrunk)
            )
        if self.audit_seconds is not None:
            if self.blind_spots:
                lines.append(
                    "audit: these slips would still PASS here (the check cannot see them):"
                )
                lines += [f"  - {b}" for b in self.blind_spots]
            else:
                lines.append(
                    "audit: every standard slip of your gradient would FAIL at these points"
                )
        return lines


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
    rtol_given: bool = True  # False: rtol is the default, and a lower precision may widen it
    audit: bool = False
    shrink: bool = True

    @property
    def argnums_t(self) -> tuple:
        return tuple(self.argnums) if isinstance(self.argnums, tuple) else (self.argnums,)


def _validate(f, fn, args, argnums, what: str, example=None) -> tuple:
    if not callable(f) or not callable(fn):
        raise UsageError(f"check_{what}(f, {what}_f, *args): f and {what}_f must be callables")
    if not args and example is None:
        raise UsageError(
            f"check_{what} needs example arguments: check_{what}(f, {what}_f, *args), or example=make_args"
        )
    if args and example is not None:
        raise UsageError(f"check_{what}: give example arguments or example=, not both")
    argnums = tuple(argnums) if isinstance(argnums, (tuple, list)) else int(argnums)
    n = len(args) if args else None
    for i in argnums if isinstance(argnums, tuple) else (argnums,):
        if i < 0 or (n is not None and i >= n):
            raise UsageError(f"argnums {argnums} out of range for {n} arguments")
    return argnums


def _check(kind: str, f, fn, args, options: dict) -> GradientReport:
    """The body of check_gradient / check_hessian."""
    what = "gradient" if kind == "gradient" else "hessian"
    argnums = _validate(f, fn, args, options["argnums"], what, options["example"])
    rtol = options["rtol"]
    spec = Spec(
        f=f,
        fn=fn,
        argnums=argnums,
        kind=kind,
        rtol=DEFAULT_RTOL if rtol is None else float(rtol),
        atol=options["atol"],
        name=options["name"],
        compares=f"your {kind} vs jax.{'grad' if kind == 'gradient' else 'hessian'}",
        max_memory=options["max_memory"],
        rtol_given=rtol is not None,
        audit=bool(options["audit"]),
        shrink=bool(options["shrink"]),
    )
    pts, note = points_for(spec, args, options)
    return run_check(spec, pts, note)


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
    domain: Any = None,
    dtype: Any = jnp.float64,
    audit: bool = False,
    example: Callable | None = None,
    shrink: bool = True,
    name: str = "gradient",
    max_memory: int | None = None,
) -> GradientReport:
    """Compare a hand-derived gradient with ``jax.grad`` at many points, in float64 (whatever your x64 setting).

    Args:
      f: the scalar function, ``f(*args) -> scalar``.
      grad_f: your gradient, same arguments as ``f``; returns the gradient with respect to ``args[argnums]``
        (a tuple of them when ``argnums`` is a tuple). Pytrees of parameters are supported.
      *args: example arguments. The check runs at these and at ``points - 1`` random points around them
        (Gaussian perturbations of the differentiated arguments, seeded by ``key``, inside ``domain``).
      argnums: which argument(s) to differentiate.
      points: how many points (>= 1) when ``at`` is not given; default 16, fewer for very large arguments (the
        report's ``note`` says so).
      key: PRNG key for the random points; default ``PRNGKey(0)``: the same points on every run.
      rtol: relative tolerance against the gradient's own max magnitude at each point (default 1e-9; with
        ``dtype=None`` on float32 arguments, derived from float32's rounding, see below).
      atol: absolute floor (default 1e-14 x the largest gradient magnitude seen; matters only where the
        gradient is exactly zero).
      at: instead of random points, a tuple with one entry per argument, each stacked on a leading points axis
        (use ``None`` in ``at`` for an argument shared by all points).
      domain: where the points may lie: "real" (default), "positive", "nonnegative", "symmetric", "spd",
        "simplex", or a callable ``project(x)``; one for every differentiated argument or a tuple with one per
        argument. On "symmetric" / "spd" / "simplex" arguments only the directions inside the domain are
        compared (a gradient that differs from autodiff's only by an antisymmetric part, or by a constant on the
        simplex, passes, with a note). Points where f is not finite are skipped and reported.
      dtype: the dtype your function is evaluated in. Default float64 (the arguments are cast). ``None``: the
        arguments' own dtype (float32 code is tested as float32 code), judged against the float64 reference with
        a tolerance derived from that dtype's rounding at these points ("PASS at float32 precision").
      audit: after a PASS, apply the standard slips (× n, × 1/n, × 2, × ½, the sign, a transpose, a zeroed leaf)
        to your own gradient and list in ``report.blind_spots`` every slip that would still PASS here.
      example: instead of ``*args``, ``example(key) -> args``: the points are ``example`` at ``points`` keys
        split from ``key``, as ``jaxml verify`` draws them for a ``@derivation``.
      shrink: on a FAIL, shrink the failing point into ``report.counterexample`` (default True; it costs one or two
        compiled programs and some evaluations, about 0.2–0.7 s on 2 cores: False skips it).
      name: label for the report.
      max_memory: bytes of points held at once (default :data:`jaxml.verify._points.MEMORY_BUDGET`, 1 GiB):
        points are evaluated in chunks that fit.

    Returns:
      A :class:`GradientReport`; ``report.ok`` is the verdict, ``report.mistake`` / ``report.diagnosis`` name
      the likely mistake, ``report.counterexample`` is a small failing point.

    Example:
      >>> loss = lambda theta, x, y: jnp.mean((x @ theta - y) ** 2)
      >>> grad = lambda theta, x, y: 2 * x.T @ (x @ theta - y) / len(y)
      >>> check_gradient(loss, grad, jnp.zeros(3), x, y).ok
      True
    """
    options = dict(locals())
    return _check("gradient", f, grad_f, args, options)


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
    domain: Any = None,
    dtype: Any = jnp.float64,
    audit: bool = False,
    example: Callable | None = None,
    shrink: bool = True,
    name: str = "hessian",
    max_memory: int | None = None,
) -> GradientReport:
    """Compare a hand-derived Hessian with ``jax.hessian(f)``, entry by entry; same arguments and report as
    :func:`check_gradient` (the scale is the Hessian's own max magnitude at each point; the diagnosis speaks of
    your Hessian)."""
    options = dict(locals())
    return _check("Hessian", f, hess_f, args, options)


def _dtypes(args: tuple, dtype) -> tuple:
    """Per argument, the dtype your function sees (None: float64, the reference's)."""
    out = []
    for a in args:
        floats = [
            np.dtype(jnp.result_type(x))
            for x in jax.tree_util.tree_leaves(a)
            if hasattr(x, "dtype") and jnp.issubdtype(jnp.result_type(x), jnp.floating)
        ]
        if dtype is None:
            own = floats[0] if floats else None
            out.append(None if own is None or own == np.float64 else own)
        else:
            out.append(None if np.dtype(dtype) == np.float64 or not floats else np.dtype(dtype))
    return tuple(out)


def points_for(spec: Spec, args: tuple, options: dict) -> tuple[Points, str | None]:
    """The check's points (given, drawn from ``example``, or perturbations) and a note when their number was
    chosen for cost."""
    points, key, at, domain = options["points"], options["key"], options["at"], options["domain"]
    key = prng_key(0) if key is None else key
    if options["example"] is not None:
        n = DEFAULT_POINTS if points is None else int(points)
        if n < 1:
            raise UsageError(f"points must be >= 1, got {points}")
        return example_points(options["example"], n, key, domain, spec.argnums_t), None
    dtypes = _dtypes(args, options["dtype"])
    args = tuple(jax.tree_util.tree_map(as_float64, a) for a in args)
    if at is not None:
        return given_points(args, at, domain, spec.argnums_t, dtypes), None
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
    pts = perturbation_points(args, spec.argnums_t, int(points), key, domain, dtypes)
    return pts, note


def _precision_spec(spec: Spec, pts: Points) -> tuple[Spec, str | None]:
    """With a lower-precision dtype, the tolerance that dtype's rounding earns at these points."""
    lowered = [np.dtype(d) for d in pts.dtypes if d is not None]
    if not lowered:
        return spec, None
    dtype = min(lowered, key=lambda d: d.itemsize)
    if spec.rtol_given:
        return spec, dtype.name
    sample = pts.chunk(0, min(pts.n, 16))
    level = _precision.level_at(spec.f, spec.argnums, spec.kind, sample, pts.in_axes, dtype)
    rtol = _precision.tolerance(level, dtype)
    return dataclasses.replace(spec, rtol=rtol), dtype.name


def run_check(spec: Spec, pts: Points, note: str | None = None) -> GradientReport:
    """Run the stages (see the module docstring) for one check, inside float64."""
    probe = jax.eval_shape(spec.f, *pts.args)
    if getattr(probe, "shape", None) != ():
        raise UsageError(
            f"f must return a scalar; it returns shape {getattr(probe, 'shape', type(probe))}"
        )
    spec, precision = _precision_spec(spec, pts)
    auditor = _audit.Auditor(spec, pts) if spec.audit else None
    evaluation = evaluate(spec, pts, observers=[auditor.observe] if auditor else [])
    if evaluation.problem is not None:
        report = _failed(spec, pts.n, evaluation.problem, note)
    else:
        report = _finish(spec, pts, evaluation, note, precision)
    report = dataclasses.replace(report, arg_names=evaluation.names)
    if not report.ok and spec.shrink and evaluation.tally is not None:
        report = _shrink.attach(report, spec, pts, evaluation)
    if report.ok and auditor is not None:
        started = time.perf_counter()
        spots = auditor.blind_spots(evaluation)
        report = dataclasses.replace(
            report, blind_spots=spots, audit_seconds=time.perf_counter() - started
        )
    return report


def _failed(spec: Spec, n: int, found: Mistake, note=None) -> GradientReport:
    return GradientReport(
        ok=False,
        points=n,
        max_abs_error=float("inf"),
        max_rel_error=float("inf"),
        rtol=spec.rtol,
        atol=0.0,
        diagnosis=found.text,
        mistake=found,
        note=note,
        name=spec.name,
        compares=spec.compares,
    )


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
    """{name: (m, ...)} for every float leaf of the arguments at the sampled points (shared ones broadcast): the
    diagnosis names a per-row scale or a wrong term after them."""
    out = {}
    for i, (a, ax) in enumerate(zip(sample, in_axes)):
        for path, leaf in jax.tree_util.tree_flatten_with_path(a)[0]:
            x = np.asarray(leaf)
            if not np.issubdtype(x.dtype, np.floating):
                continue
            out[names[i] + jax.tree_util.keystr(path)] = (
                x if ax == 0 else np.broadcast_to(x, (m,) + x.shape)
            )
    return out


def value_mistakes(
    tally: Tally, ns, noun: str, vectors: dict, masked: dict | None = None
) -> list[Mistake]:
    """The mistakes of the leaves past tolerance, from the sampled points (``masked``: {leaf: got})."""
    found = []
    for leaf, label in enumerate(tally.labels):
        if not tally.leaf_bad(leaf):
            continue
        got, ref = tally.sample(leaf)
        if masked and leaf in masked:
            got = masked[leaf]
        keep = tally.kept[: got.shape[0]]
        one = diagnose_array(
            got[keep], ref[keep], ns, label, noun=noun, vectors=_kept(vectors, keep)
        )
        if one is not None:
            found.append(one)
    return found or [mistake(MistakeKind.OTHER, "no simple pattern")]


def _kept(vectors: dict, keep: np.ndarray) -> dict:
    return {k: v[keep[: v.shape[0]]] for k, v in vectors.items()}


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


def _precision_mistake(
    spec: Spec, pts: Points, tally: Tally, sample: tuple, yours
) -> Mistake | None:
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
        point = index(sample, pts.in_axes, 0)
        mine = [tally.sample(leaf)[0][0] for leaf in range(len(tally.labels))]
        try:
            slope = _precision.taylor_slope(spec.f, point, spec.argnums_t, mine, prng_key(1))
        except Exception:  # noqa: BLE001 - user code may raise anything
            slope = None
    text = _precision.precision_finding(tally.max_rel, level, slope, yours.dtype, spec.kind)
    return None if text is None else mistake(MistakeKind.PRECISION, text, level=level)


def _notes(*parts) -> str | None:
    return "; ".join(p for p in parts if p) or None


def _skipped_note(classified, n: int) -> str | None:
    if not classified.skipped:
        return None
    k = len(classified.skipped)
    shown = ", ".join(map(str, classified.skipped[:5])) + (" ..." if k > 5 else "")
    return f"{k} of {n} points skipped: f is not finite there (points {shown}; outside its domain? pass domain=)"


def _boundary_note(classified, kind: str) -> str | None:
    parts = []
    if classified.boundary:
        parts.append(
            f"at {classified.boundary} entr{'y' if classified.boundary == 1 else 'ies'} where autodiff's {kind} "
            "is not finite (a boundary of f's domain) your value was compared with f's one-sided difference "
            "quotient (tolerance 1e-4 relative) and agrees"
        )
    if classified.no_derivative:
        parts.append(
            f"{classified.no_derivative} entries have no finite derivative on either side (not compared)"
        )
    return _notes(*parts)


def _domain_note(pts: Points, evaluation: Evaluation) -> str | None:
    """Say so when yours differs from autodiff only in directions the domain does not have."""
    if evaluation.antisymmetric <= evaluation.tally.rtol:
        return None
    names = sorted({d.name for d in pts.domains if d is not None and d.restricts_directions})
    if not names:
        return None
    return (
        f"your {'gradient'} differs from autodiff's by {evaluation.antisymmetric:.2g} (relative) in directions "
        f"outside the domain ({', '.join(names)}): {CONVENTIONS[names[0]]}, so they were compared on the "
        "domain's directions only"
    )


def _finish(spec: Spec, pts: Points, evaluation: Evaluation, note, precision) -> GradientReport:
    """The verdict after classification, the diagnosis, and the worst entry."""
    tally = evaluation.tally
    classified = _classify.non_finite(spec, pts, tally)
    problems = list(classified.problems)
    note = _notes(note, _skipped_note(classified, pts.n), _boundary_note(classified, spec.kind))
    ok = tally.passed() and not problems
    subgradients, accepted = 0, []
    max_abs, max_rel, worst = tally.max_abs, tally.max_rel, tally.worst
    if not ok and not problems:
        findings = _classify.kinks(spec, pts, tally, evaluation.size)
        smooth = True
        if findings is not None:
            shapes = [tally.sample(leaf)[1].shape[1:] for leaf in range(len(tally.labels))]
            kink_problems, kink_note = _classify.kink_text(findings, tally, shapes)
            problems += kink_problems
            note = _notes(note, kink_note)
            accepted, subgradients = findings.accepted, len(findings.accepted)
            smooth = bool(findings.smooth)
            if accepted and not kink_problems and not smooth:
                ok = True
                max_abs, max_rel, worst = tally.without(accepted)
        if not ok and smooth:
            sample = _sample_args(tally, pts)
            vectors = _vectors(sample, pts.in_axes, evaluation.names, tally.sample(0)[1].shape[0])
            rest = value_mistakes(
                tally, evaluation.ns, spec.kind, vectors, _masked(tally, accepted)
            )
            if rest[0].kind is MistakeKind.OTHER:
                found = _precision_mistake(spec, pts, tally, sample, evaluation.yours)
                rest = [found] if found else rest
            problems += rest
    elif ok and not precision:
        note = _notes(note, _domain_note(pts, evaluation))
    if problems and classified.boundary_error:
        max_abs = max(max_abs, classified.boundary_error)
    if any(p.kind is MistakeKind.NON_FINITE for p in classified.problems):
        max_abs = max_rel = float("inf")  # yours is NaN or inf where f and autodiff are finite
    diagnosis, found = combined(problems) if not ok else (None, None)
    if found is not None and diagnosis != found.text:
        found = dataclasses.replace(found, text=diagnosis)
    return _report(
        spec,
        pts,
        tally,
        ok,
        diagnosis,
        found,
        note,
        subgradients,
        precision,
        (max_abs, max_rel, worst),
    )


def _report(
    spec, pts, tally, ok, diagnosis, found, note, subgradients, precision, errors
) -> GradientReport:
    max_abs, max_rel, worst = errors
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
        mistake=found,
        note=note,
        subgradients=subgradients,
        skipped=tally.skipped,
        precision=precision,
        name=spec.name,
        compares=spec.compares,
        **extra,
    )
