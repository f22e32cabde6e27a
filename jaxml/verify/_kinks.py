"""Kinks: where a function is not differentiable, any value between its one-sided derivatives is a sub-gradient.

At ReLU's 0, at a hinge's margin 1, at |x|'s 0, autodiff returns one element of the sub-differential (JAX's
``jnp.maximum`` splits a tie, 0.5 · each side; ``jax.nn.relu`` takes 0); a hand-written sub-gradient may take
another, and is just as right. For every entry e (of argument leaf x) where your value and autodiff's disagree, the
verifier measures the one-sided partial derivatives along that coordinate,

    d⁻ = ∂f/∂x_e (x − δ e_e),   d⁺ = ∂f/∂x_e (x + δ e_e),     δ = 1e-8 · max(1, |x_e|),

(autodiff just off the kink, on each side: exact for piecewise-linear kinks, O(δ) otherwise). When they differ
(|d⁺ − d⁻| > 1e-6 · the gradient's scale) f has a kink there, and your value is accepted as a sub-gradient when it
lies in [min(d⁻, d⁺), max(d⁻, d⁺)] (within the check's tolerance): the interval the (Clarke) sub-differential
projects onto along that coordinate. Entries where d⁻ = d⁺ are ordinary entries: a mismatch there is a bug.
"""

from __future__ import annotations

import jax
import numpy as np

from ._programs import batched_derivative

STEP = 1e-8
KINK_RTOL = 1e-6
MAX_EVALUATIONS = 4096  # one-sided derivatives computed per check (two per examined entry)


def one_sided(
    f, argnums, chunk_args: tuple, in_axes: tuple, offset: int, candidates, batch: int
) -> None:
    """Fill ``c.lo`` / ``c.hi`` (d⁻, d⁺) for the candidates whose point lies in this chunk.

    Args:
      f: the scalar function; argnums: as given to jax.grad.
      chunk_args: the chunk's arguments (stacked on axis 0 where ``in_axes`` is 0).
      offset: the chunk's first point.
      candidates: :class:`~jaxml.verify._compare.Candidate` s (point, leaf, flat index).
      batch: the chunk's padded size (the gradient program compiled for it is reused when it can be).
    """
    argnums_t = argnums if isinstance(argnums, tuple) else (argnums,)
    owner = [
        (i, j) for i in argnums_t for j in range(len(jax.tree_util.tree_leaves(chunk_args[i])))
    ]
    axes = tuple(0 if (ax == 0 or i in argnums_t) else None for i, ax in enumerate(in_axes))
    varying = [
        leaf
        for a, ax in zip(chunk_args, in_axes)
        if ax == 0
        for leaf in jax.tree_util.tree_leaves(a)
    ]
    m = np.shape(varying[0])[0] if varying else 1
    todo = [c for c in candidates if offset <= c.point < offset + m and c.lo is None][
        : MAX_EVALUATIONS // 2
    ]
    if not todo:
        return
    rows = []
    for c in todo:
        i, j = owner[c.leaf]
        for sign in (-1.0, 1.0):
            rows.append(_shifted(chunk_args, in_axes, axes, c.point - offset, i, j, c.index, sign))
    grad = batched_derivative(f, argnums, "gradient", axes)
    size = batch if axes == in_axes else len(rows)
    values = []
    for start in range(0, len(rows), size):
        group = rows[start : start + size]
        group = group + [group[-1]] * (size - len(group))
        stacked = tuple(
            None
            if ax is None
            else jax.tree_util.tree_map(lambda *xs: np.stack(xs), *[g[k] for g in group])
            for k, ax in enumerate(axes)
        )
        stacked = tuple(
            chunk_args[k] if ax is None else s for k, (s, ax) in enumerate(zip(stacked, axes))
        )
        out = [np.asarray(leaf, np.float64) for leaf in jax.tree_util.tree_leaves(grad(*stacked))]
        values.append(out)
    leaves = [np.concatenate([v[k] for v in values]) for k in range(len(values[0]))]
    for n, c in enumerate(todo):
        minus = leaves[c.leaf][2 * n].reshape(-1)[c.index]
        plus = leaves[c.leaf][2 * n + 1].reshape(-1)[c.index]
        c.lo, c.hi = float(min(minus, plus)) + 0.0, float(max(minus, plus)) + 0.0  # + 0.0: no "-0"


def _shifted(chunk_args, in_axes, axes, p, i, j, index, sign) -> tuple:
    """The arguments at local point p, with entry ``index`` of leaf j of argument i moved by sign · δ."""
    out = []
    for k, (a, ax) in enumerate(zip(chunk_args, in_axes)):
        if axes[k] is None:
            out.append(None)
            continue
        point = jax.tree_util.tree_map(
            lambda x, ax=ax: np.array(np.asarray(x)[p] if ax == 0 else x, np.float64), a
        )
        if k == i:
            leaves, treedef = jax.tree_util.tree_flatten(point)
            flat = leaves[j].reshape(-1)
            flat[index] += sign * STEP * max(1.0, abs(flat[index]))
            point = jax.tree_util.tree_unflatten(treedef, leaves)
        out.append(point)
    return tuple(out)


def classify(candidates, rtol: float, atol: float):
    """Split examined candidates into (accepted sub-gradients, kinks with your value outside, smooth mismatches)."""
    accepted, outside, smooth = [], [], []
    for c in candidates:
        if c.lo is None:
            smooth.append(c)  # not examined: counts as a mismatch
            continue
        tol = rtol * c.scale + atol
        if c.hi - c.lo <= KINK_RTOL * c.scale + tol:
            smooth.append(c)
        elif c.lo - tol <= c.yours <= c.hi + tol:
            accepted.append(c)
        else:
            outside.append(c)
    return accepted, outside, smooth
