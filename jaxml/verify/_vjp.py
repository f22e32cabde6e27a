"""check_vjp: a ``jax.custom_vjp`` / ``custom_jvp`` rule against the VJP of the same function written plainly.

``f`` carries the rule; ``reference`` computes the same primal without it, so ``jax.vjp(reference)`` is autodiff's
answer. At every point (the given arguments and Gaussian perturbations of the differentiated ones) and for a random
cotangent c of the output's shape, the two VJPs are compared entry by entry, exactly as :func:`check_gradient`
compares gradients (relative to the VJP's own size at that point, float64). Then the rule's structure, on a few
points, since a VJP must be the transpose of a linear map:

* the primal: f(x) = reference(x);
* linear in the cotangent: VJP(a c₁ + b c₂) = a VJP(c₁) + b VJP(c₂) (a rule that squares or normalises its
  cotangent, or adds a constant, breaks this);
* a zero cotangent gives zero;
* the same under ``jax.jit`` and under ``jax.vmap`` (over cotangents) as called eagerly;
* forward and reverse agree where f has a JVP (a ``custom_jvp`` rule, or none): the dot-product test
  ⟨J t, c⟩ = ⟨t, Jᵀ c⟩ for random t and c. A ``custom_vjp`` function has no JVP; the test is then skipped (said).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import UsageError
from ..random import normal as bucketed_normal
from ._compare import Tally, leaf_labels, structure_mismatch
from ._gradient import (
    DEFAULT_RTOL,
    GradientReport,
    _arg_names,
    _candidate_ns,
    _value_diagnosis,
    _vectors,
)
from ._points import as_float64, perturbation_points
from ._programs import batched
from ._x64 import in_float64

# linear-map identities hold to float64 rounding; a broken rule misses by far more
STRUCTURE_RTOL = 1e-8
STRUCTURE_POINTS = 4


@dataclasses.dataclass(frozen=True, kw_only=True)
class VjpReport(GradientReport):
    """The verdict of :func:`check_vjp`: a :class:`GradientReport` (VJPs compared entry by entry) plus the rule's
    structural checks.

    Attributes:
      structure: one line per structural check ("linear in the cotangent: ok", ...).
    """

    structure: tuple = ()
    name: str = "VJP"
    compares: str = "your VJP rule vs jax.vjp of the reference"

    def details(self) -> list[str]:
        return [f"structure: {'; '.join(self.structure)}"] + super().details()


def _vjp_of(fn: Callable, argnums: tuple, n_args: int) -> Callable:
    """``(*args, c) -> cotangents of args[argnums]`` through ``jax.vjp(fn)``."""

    def vjp(*args_and_c):
        args, c = list(args_and_c[:n_args]), args_and_c[n_args]

        def of(*diff):
            full = list(args)
            for i, d in zip(argnums, diff):
                full[i] = d
            return fn(*full)

        _, pullback = jax.vjp(of, *(args[i] for i in argnums))
        return pullback(c)

    return vjp


def _rel(a, b) -> float:
    """max |a − b| over the pytree, relative to max |b| (or absolute when b is 0)."""
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    diff = max(
        (float(np.max(np.abs(np.asarray(x) - np.asarray(y)), initial=0.0)) for x, y in zip(la, lb)),
        default=0.0,
    )
    scale = max((float(np.max(np.abs(np.asarray(y)), initial=0.0)) for y in lb), default=0.0)
    return diff / scale if scale > 0 else diff


def _cotangent(key, shapes):
    """A standard-normal cotangent with the output's structure."""
    leaves, treedef = jax.tree_util.tree_flatten(shapes)
    keys = jax.random.split(key, max(len(leaves), 1))
    return jax.tree_util.tree_unflatten(
        treedef,
        [np.asarray(bucketed_normal(k, s.shape, jnp.float64)) for k, s in zip(keys, leaves)],
    )


def _structure_checks(f, reference, point, argnums, key) -> tuple[list[str], list[str]]:
    """(problems, lines) of the structural checks at one point."""
    n = len(point)
    out_shape = jax.eval_shape(f, *point)
    k1, k2, k3 = jax.random.split(key, 3)
    c1, c2 = _cotangent(k1, out_shape), _cotangent(k2, out_shape)
    a, b = 0.7, -1.3
    v = _vjp_of(f, argnums, n)
    problems, lines = [], []
    primal = _rel(f(*point), reference(*point))
    if primal > STRUCTURE_RTOL:
        problems.append(
            f"the primal outputs differ: f and the reference disagree by {primal:.3g} relative"
        )
    v1, v2 = v(*point, c1), v(*point, c2)
    combo = v(*point, jax.tree_util.tree_map(lambda x, y: a * x + b * y, c1, c2))
    linear = _rel(combo, jax.tree_util.tree_map(lambda x, y: a * x + b * y, v1, v2))
    lines.append(
        f"linear in the cotangent: {'ok' if linear <= STRUCTURE_RTOL else f'off by {linear:.2g}'}"
    )
    if linear > STRUCTURE_RTOL:
        problems.append(
            f"not linear in the cotangent: VJP(a c1 + b c2) differs from a VJP(c1) + b VJP(c2) by "
            f"{linear:.3g} relative (a VJP is the transpose of a linear map: no squares, norms or "
            "constants of the cotangent)"
        )
    zero = v(*point, jax.tree_util.tree_map(jnp.zeros_like, c1))
    zmax = max(
        float(np.max(np.abs(np.asarray(z)), initial=0.0)) for z in jax.tree_util.tree_leaves(zero)
    )
    scale = max(
        float(np.max(np.abs(np.asarray(z)), initial=0.0)) for z in jax.tree_util.tree_leaves(v1)
    )
    lines.append(
        f"zero cotangent -> zero: {'ok' if zmax <= STRUCTURE_RTOL * max(scale, 1e-300) else 'no'}"
    )
    if zmax > STRUCTURE_RTOL * max(scale, 1e-300):
        problems.append(
            f"a zero cotangent gives a non-zero VJP (max |VJP(0)| = {zmax:.3g}): a term that does not "
            "scale with the cotangent"
        )
    problems += _transform_checks(v, point, c1, c2, v1, v2, lines)
    problems += _dot_product(f, v, point, argnums, c1, k3, lines)
    return problems, lines


def _transform_checks(v, point, c1, c2, v1, v2, lines) -> list[str]:
    problems = []
    jitted = _rel(jax.jit(v)(*point, c1), v1)
    lines.append(f"same under jit: {'ok' if jitted <= STRUCTURE_RTOL else f'off by {jitted:.2g}'}")
    if jitted > STRUCTURE_RTOL:
        problems.append(
            f"the rule gives another result under jax.jit (off by {jitted:.3g} relative)"
        )
    cs = jax.tree_util.tree_map(lambda x, y: np.stack([x, y]), c1, c2)
    both = jax.vmap(v, in_axes=(None,) * len(point) + (0,))(*point, cs)
    mapped = max(
        _rel(jax.tree_util.tree_map(lambda x: x[0], both), v1),
        _rel(jax.tree_util.tree_map(lambda x: x[1], both), v2),
    )
    lines.append(f"same under vmap: {'ok' if mapped <= STRUCTURE_RTOL else f'off by {mapped:.2g}'}")
    if mapped > STRUCTURE_RTOL:
        problems.append(
            f"the rule gives another result under jax.vmap (off by {mapped:.3g} relative): a batching "
            "slip in the rule (an axis that assumes no batch dimension)"
        )
    return problems


def _dot_product(f, v, point, argnums, c, key, lines) -> list[str]:
    """⟨J t, c⟩ = ⟨t, Jᵀ c⟩ where f has a JVP."""
    tangent_leaves = []
    for i, k in zip(argnums, jax.random.split(key, len(argnums))):
        tangent_leaves.append(_cotangent(k, jax.eval_shape(lambda x: x, point[i])))

    def of(*diff):
        full = list(point)
        for i, d in zip(argnums, diff):
            full[i] = d
        return f(*full)

    try:
        _, jt = jax.jvp(of, tuple(point[i] for i in argnums), tuple(tangent_leaves))
    except Exception:  # noqa: BLE001 - user code may raise anything
        lines.append("dot-product test: skipped (no JVP: a custom_vjp rule)")
        return []
    jtc = sum(
        float(np.sum(np.asarray(x) * np.asarray(y)))
        for x, y in zip(jax.tree_util.tree_leaves(jt), jax.tree_util.tree_leaves(c))
    )
    tjc = sum(
        float(np.sum(np.asarray(x) * np.asarray(y)))
        for x, y in zip(
            jax.tree_util.tree_leaves(tangent_leaves), jax.tree_util.tree_leaves(v(*point, c))
        )
    )
    gap = abs(jtc - tjc) / max(abs(jtc), abs(tjc), 1e-300)
    lines.append(f"dot-product test: {'ok' if gap <= STRUCTURE_RTOL else f'off by {gap:.2g}'}")
    if gap > STRUCTURE_RTOL:
        return [
            f"forward and reverse disagree: <J t, c> = {jtc:.10g} (JVP) but <t, J^T c> = {tjc:.10g} (VJP)"
        ]
    return []


@in_float64
def check_vjp(
    f: Callable,
    reference: Callable,
    *args,
    argnums: int | Sequence[int] = 0,
    points: int = 16,
    key: jax.Array | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    name: str = "VJP",
) -> VjpReport:
    """Check the custom VJP (or JVP) rule of ``f`` against ``jax.vjp`` of ``reference``, which computes the same
    primal without the rule.

    Args:
      f: the function carrying the rule (``jax.custom_vjp`` / ``custom_jvp``); any output pytree.
      reference: the same function written plainly (autodiff differentiates it).
      *args: example arguments; the check runs there and at ``points - 1`` perturbations of ``args[argnums]``.
      argnums: the argument(s) whose cotangents are compared.
      points: how many points, each with its own random cotangent.
      key: PRNG key (points and cotangents; default ``PRNGKey(0)``).
      rtol, atol: as in :func:`check_gradient` (default rtol 1e-9, relative to the VJP's size at each point).
      name: label for the report.

    Returns:
      A :class:`VjpReport` (``ok``, ``diagnosis``, the worst entry, ``structure``).
    """
    if not callable(f) or not callable(reference):
        raise UsageError("check_vjp(f, reference, *args): f and reference must be callables")
    if not args:
        raise UsageError("check_vjp needs example arguments: check_vjp(f, reference, *args)")
    argnums_t = tuple(argnums) if isinstance(argnums, (tuple, list)) else (int(argnums),)
    if any(not 0 <= i < len(args) for i in argnums_t) or points < 1:
        raise UsageError(
            f"check_vjp: argnums {argnums} out of range for {len(args)} arguments, or points < 1"
        )
    args = tuple(jax.tree_util.tree_map(as_float64, a) for a in args)
    key = jax.random.PRNGKey(0) if key is None else key
    k_points, k_cot, k_structure = jax.random.split(key, 3)
    pts = perturbation_points(args, argnums_t, int(points), k_points)
    rtol = DEFAULT_RTOL if rtol is None else float(rtol)
    chunk = pts.chunk(0, pts.n)
    out_shape = jax.eval_shape(f, *args)
    cots = [_cotangent(jax.random.fold_in(k_cot, p), out_shape) for p in range(pts.n)]
    cs = jax.tree_util.tree_map(lambda *xs: np.stack(xs), *cots)
    axes = pts.in_axes + (0,)
    ref = batched(_vjp_of(reference, argnums_t, len(args)), axes)(*chunk, cs)
    try:
        got = batched(_vjp_of(f, argnums_t, len(args)), axes)(*chunk, cs)
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        return VjpReport(
            ok=False,
            points=pts.n,
            max_abs_error=float("inf"),
            max_rel_error=float("inf"),
            rtol=rtol,
            atol=0.0,
            diagnosis=f"your VJP rule raised {type(exc).__name__}: {exc}",
            name=name,
        )
    return _verdict(f, reference, pts, args, argnums_t, got, ref, rtol, atol, name, k_structure)


def _verdict(f, reference, pts, args, argnums_t, got, ref, rtol, atol, name, key) -> VjpReport:
    names = _arg_names(reference, len(args))
    if len(argnums_t) == 1:
        got, ref = got[0], ref[0]
    flat = jax.tree_util.tree_flatten_with_path(ref)[0]
    plain = len(argnums_t) == 1 and len(flat) == 1
    labels = leaf_labels(
        [p for p, _ in flat], tuple(names[i] for i in argnums_t), len(argnums_t) > 1, "VJP", plain
    )
    ns = _candidate_ns(args)
    problem = structure_mismatch(got, ref, ns, "VJP", labels)
    if problem:
        return VjpReport(
            ok=False,
            points=pts.n,
            max_abs_error=float("inf"),
            max_rel_error=float("inf"),
            rtol=rtol,
            atol=0.0,
            diagnosis=problem,
            name=name,
        )
    tally = Tally(labels, pts.n, rtol, atol, 0)
    tally.add(
        [np.asarray(x, np.float64) for x in jax.tree_util.tree_leaves(got)],
        [np.asarray(x, np.float64) for x in jax.tree_util.tree_leaves(ref)],
        0,
    )
    problems, lines = {}, []
    for p in range(min(STRUCTURE_POINTS, pts.n)):
        found, point_lines = _structure_checks(
            f, reference, pts.at_point(p), argnums_t, jax.random.fold_in(key, p)
        )
        lines = lines or point_lines
        for text in found:  # one sentence per kind of problem (the first point that shows it)
            problems.setdefault(text.split(":")[0], text)
    problems = list(problems.values())
    ok = tally.passed() and not problems
    diagnosis = None
    if not ok:
        vectors = _vectors(pts.chunk(0, pts.n), pts.in_axes, names, pts.n)
        parts = problems + ([] if tally.passed() else [_value_diagnosis(tally, ns, "VJP", vectors)])
        diagnosis = "; ".join(parts)
    worst = {}
    if tally.worst is not None:
        _, p, leaf, entry, y, r = tally.worst
        worst = {
            "worst_index": (p, tally.labels[leaf], entry),
            "worst_yours": y,
            "worst_autodiff": r,
            "worst_point": pts.at_point(p),
        }
    return VjpReport(
        ok=ok,
        points=pts.n,
        max_abs_error=tally.max_abs,
        max_rel_error=tally.max_rel,
        rtol=rtol,
        atol=tally.atol,
        diagnosis=diagnosis,
        structure=tuple(lines),
        name=name,
        **worst,
    )
