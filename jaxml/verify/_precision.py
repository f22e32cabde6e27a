"""Precision-aware verdicts: a right formula computed in float32 is not a wrong formula.

A gradient that rounds through float32 somewhere (a float32 input or constant, an ``astype``) is off by ~1e-7 of its
scale: it fails the float64 tolerance, yet the formula is right. Two measurements tell that case apart from a wrong
term, both at the check's own points:

* the float32 level: autodiff itself, run on float32 copies of the arguments, against float64 autodiff —
  ``e32 = max_p max_e |∇₃₂f − ∇₆₄f| / scale_p``, what float32 rounding does to *this* function there. Your error
  within :data:`LEVEL_FACTOR` · max(e32, ε₃₂) is named "agrees to float32 precision";
* a Taylor-remainder slope, scale-free (the tiebreaker when the error is a little above that level): along a random
  direction v, ``r(h) = |f(x + hv) − f(x) − h ⟨g, v⟩|`` shrinks as h² when g is the derivative and as h when g is
  off by more than about h·‖∇²f‖; the log-log slope over h = 10⁻¹ … 10⁻⁵ is ~2 for float32 rounding and ~1 for a
  wrong term of relative size ≳ 10⁻⁵.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._bucketed_random import split_list
from .._compile import checker_jit
from ._programs import batched_derivative

EPS32 = float(np.finfo(np.float32).eps)
LEVEL_FACTOR = 30.0  # your error within this multiple of the float32 level: float32 rounding
TIEBREAK_FACTOR = 3000.0  # up to this multiple, the Taylor slope decides
MAX_REL = 1e-3  # above this relative error nothing is "precision"
STEPS = 10.0 ** -np.arange(1, 6)


def _to32(x):
    return x.astype(np.float32) if np.issubdtype(np.asarray(x).dtype, np.floating) else x


def float32_level(
    f, argnums, kind: str, args: tuple, in_axes: tuple, ref: list[np.ndarray]
) -> float:
    """e32 at the sampled points: float32 autodiff against the float64 one (``ref``: its leaves, (P, ...))."""
    args32 = tuple(
        jax.tree_util.tree_map(lambda x: _to32(np.asarray(x)) if hasattr(x, "dtype") else x, a)
        for a in args
    )
    out = [
        np.asarray(leaf, np.float64)
        for leaf in jax.tree_util.tree_leaves(
            batched_derivative(f, argnums, kind, in_axes)(*args32)
        )
    ]
    m = ref[0].shape[0]
    scale = np.zeros(m)
    for r in ref:
        scale = np.maximum(scale, np.abs(r).reshape(m, -1).max(axis=1, initial=0.0))
    level = 0.0
    for lo, hi in zip(out, ref):
        level = max(
            level,
            float(np.max(np.abs(lo - hi).reshape(m, -1) / np.maximum(scale, 1e-300)[:, None])),
        )
    return level


def level_at(f, argnums, kind: str, args: tuple, in_axes: tuple, dtype) -> float:
    """What rounding to ``dtype`` does to autodiff itself at the points ``args`` (stacked): max over points and
    entries of |∇f in dtype − ∇f in float64| / the point's scale."""
    ref = [
        np.asarray(leaf, np.float64)
        for leaf in jax.tree_util.tree_leaves(batched_derivative(f, argnums, kind, in_axes)(*args))
    ]
    low = tuple(
        jax.tree_util.tree_map(
            lambda x: (
                np.asarray(x, dtype) if np.issubdtype(np.asarray(x).dtype, np.floating) else x
            ),
            a,
        )
        for a in args
    )
    out = [
        np.asarray(leaf, np.float64)
        for leaf in jax.tree_util.tree_leaves(batched_derivative(f, argnums, kind, in_axes)(*low))
    ]
    m = ref[0].shape[0] if ref else 0
    scale = np.zeros(m)
    for r in ref:
        scale = np.maximum(scale, np.abs(r).reshape(m, -1).max(axis=1, initial=0.0))
    level = 0.0
    for lo, hi in zip(out, ref):
        diff = np.abs(lo - hi).reshape(m, -1) / np.maximum(scale, 1e-300)[:, None]
        if np.isfinite(diff).all():
            level = max(level, float(diff.max(initial=0.0)))
    return level


def tolerance(level: float, dtype) -> float:
    """The rtol a correct implementation in ``dtype`` earns: :data:`LEVEL_FACTOR` × the larger of the measured
    rounding level of autodiff in that dtype and the dtype's ε (rounding differs between two correct
    implementations by a small multiple of either)."""
    return LEVEL_FACTOR * max(level, float(np.finfo(dtype).eps))


def taylor_slope(f, args: tuple, argnums: tuple, yours, key) -> float | None:
    """The log-log slope of the Taylor remainder with your gradient ``yours`` at the point ``args`` (smallest h
    above the rounding floor), or None when f is too flat there to tell."""
    leaves, treedef = jax.tree_util.tree_flatten(tuple(args[i] for i in argnums))
    your_leaves = jax.tree_util.tree_leaves(yours)
    keys = split_list(key, len(leaves))
    v = [
        np.asarray(jax.random.normal(k, np.shape(x), jnp.float64)) * (np.abs(np.asarray(x)) + 0.1)
        for k, x in zip(keys, leaves)
    ]
    slope_dir = sum(float(np.sum(np.asarray(g, np.float64) * d)) for g, d in zip(your_leaves, v))
    f_jit = checker_jit(f)

    def value(h):
        moved = jax.tree_util.tree_unflatten(
            treedef, [np.asarray(x, np.float64) + h * d for x, d in zip(leaves, v)]
        )
        full = list(args)
        for i, a in zip(argnums, moved):
            full[i] = a
        return float(f_jit(*full))

    f0 = value(0.0)
    floor = 1e4 * np.finfo(np.float64).eps * max(abs(f0), 1e-300)
    r = [abs(value(h) - f0 - h * slope_dir) for h in STEPS]
    slopes = [np.log10(r[k] / r[k + 1]) for k in range(len(r) - 1) if r[k + 1] > floor and r[k] > 0]
    return float(slopes[-1]) if slopes else None


def precision_finding(
    max_rel: float, level: float, slope: float | None, your_dtype, noun: str
) -> str | None:
    """The sentence for an error at float32 level, or None when the error is a real one."""
    if not np.isfinite(max_rel) or max_rel > MAX_REL:
        return None
    floor = max(level, EPS32)
    in_band = max_rel <= LEVEL_FACTOR * floor
    by_slope = (
        not in_band and max_rel <= TIEBREAK_FACTOR * floor and slope is not None and slope >= 1.8
    )
    if not (in_band or by_slope):
        return None
    where = (
        "your result is float32"
        if np.dtype(your_dtype) == np.float32
        else f"your {noun} computes in float32 somewhere (a float32 input, constant or cast)"
    )
    evidence = f"max rel error {max_rel:.2g} = {max_rel / EPS32:.3g} float32 ε; float32 autodiff is off by {level:.2g} here"
    if slope is not None:
        evidence += f"; the Taylor remainder with your {noun} shrinks as h^{slope:.2f}"
    return f"agrees to float32 precision, not float64: {where}; the formula itself looks right ({evidence})"
