"""check_gradient: a hand-derived gradient against ``jax.grad``, entry by entry, at many points, in float64.

The comparison, at each point p and for every entry e of the gradient pytree::

    err[p, e]   = |yours[p, e] - autodiff[p, e]|
    scale[p]    = max_e |autodiff[p, e]|                    (the gradient's own size at that point)
    pass  iff   err[p, e] <= rtol * scale[p] + atol           for all p, e
    max_rel_error = max_{p,e} err[p, e] / scale[p]

so a tolerance follows from float64 and from the gradient's own magnitude, never from how many entries it has.
Default rtol = 1e-9: float64 carries ~16 digits, a correct hand formula typically lands within 1e-13 of autodiff,
and a wrong one is off by far more than 1e-9.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import UsageError
from ..sharding import shard_leading
from ._diagnose import diagnose_array, diagnose_shape

DEFAULT_RTOL = 1e-9


@dataclasses.dataclass
class GradientReport:
    """The verdict of :func:`check_gradient`.

    Attributes:
      ok: True when every entry at every point is within tolerance.
      points: how many points were compared.
      max_abs_error: max over points and entries of |yours - autodiff|.
      max_rel_error: max over points and entries of |yours - autodiff| / max|autodiff at that point|.
      rtol, atol: the tolerance used.
      worst_index: (point, leaf, entry) of the worst entry; ``leaf`` names the pytree leaf ("" for a plain array).
      worst_point: the arguments at the worst point (NumPy arrays).
      worst_yours, worst_autodiff: the two values at the worst entry.
      diagnosis: the likely mistake (None when ok).
      name: what was checked.
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
    name: str = "gradient"
    compares: str = "your gradient vs jax.grad"

    @property
    def tolerance(self) -> str:
        return f"rtol {self.rtol:.0e}"

    def __str__(self) -> str:
        verdict = "PASS" if self.ok else "FAIL"
        lines = [
            f"{self.name}: {verdict} - {self.compares} at {self.points} points: "
            f"max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g} "
            f"(rtol {self.rtol:.0e}, atol {self.atol:.1e})"
        ]
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        if self.worst_index is not None and self.worst_yours is not None:
            point, leaf, entry = self.worst_index
            where = f"point {point}" + (f", leaf {leaf}" if leaf else "") + f", entry {entry}"
            lines.append(
                f"  worst entry: {where}: yours = {self.worst_yours:.12g}, autodiff = {self.worst_autodiff:.12g}"
            )
        return "\n".join(lines)


def _as_float64(x):
    """Float arrays (and Python floats) become float64 JAX arrays; ints, bools and other leaves are kept."""
    if isinstance(x, (float, np.floating)) or (hasattr(x, "dtype") and jnp.issubdtype(x.dtype, jnp.floating)):
        return jnp.asarray(x, dtype=jnp.float64)
    if isinstance(x, (list, tuple)) and not x:
        return x
    return x


def _leaf_label(path) -> str:
    return jax.tree_util.keystr(path) if path else ""


def _candidate_ns(args: Sequence[Any]) -> tuple[int, ...]:
    """Batch sizes n a 1/n slip could involve: the sizes of every axis of the example arrays (>1)."""
    ns = set()
    for leaf in jax.tree_util.tree_leaves(args):
        shape = np.shape(leaf)
        ns.update(int(s) for s in shape if s > 1)
    return tuple(sorted(ns))


def _perturbed_points(args, argnums: tuple[int, ...], points: int, key) -> tuple[tuple, tuple]:
    """Stack ``points`` points: the given args first, then Gaussian perturbations of the differentiated args.

    Returns (batched_args, in_axes): differentiated args get a leading points axis; the others are shared.
    """
    batched, in_axes = [], []
    keys = jax.random.split(key, len(args))
    for i, a in enumerate(args):
        if i not in argnums:
            batched.append(a)
            in_axes.append(None)
            continue
        leaves, treedef = jax.tree_util.tree_flatten(a)
        leaf_keys = jax.random.split(keys[i], max(len(leaves), 1))
        new_leaves = []
        for leaf, k in zip(leaves, leaf_keys):
            leaf = jnp.asarray(leaf)
            if not jnp.issubdtype(leaf.dtype, jnp.floating):
                raise UsageError(f"argument {i} is differentiated but has dtype {leaf.dtype}, not a float")
            # Points around the given one: a relative spread of 0.5 plus an absolute 0.1 (so zeros move too).
            noise = jax.random.normal(k, (points - 1,) + leaf.shape, dtype=jnp.float64)
            moved = leaf[None] + noise * (0.5 * jnp.abs(leaf)[None] + 0.1)
            new_leaves.append(jnp.concatenate([leaf[None], moved], axis=0))
        batched.append(jax.tree_util.tree_unflatten(treedef, new_leaves))
        in_axes.append(0)
    return tuple(batched), tuple(in_axes)


def _index_point(batched, in_axes, p: int):
    return tuple(
        jax.tree_util.tree_map(lambda x: np.asarray(x[p]), a) if ax == 0 else a for a, ax in zip(batched, in_axes)
    )


def shard_points(batched, in_axes, n_points: int):
    """Spread the points axis over every visible device (:func:`jaxml.sharding.shard_leading`); arguments shared
    by all points stay as they are. Results are sliced back to ``n_points``."""
    return tuple(shard_leading(a) if ax == 0 else a for a, ax in zip(batched, in_axes))


def _evaluate_user(grad_f: Callable, batched, in_axes, n_points: int):
    """The user's gradient at every point: vmapped and jitted when it traces, else a plain loop."""
    try:
        out = jax.jit(jax.vmap(grad_f, in_axes=in_axes))(*batched)
        return jax.tree_util.tree_map(lambda r: np.asarray(r)[:n_points], out)
    except Exception:  # a gradient written with Python control flow or NumPy: evaluate point by point
        outs = [grad_f(*_index_point(batched, in_axes, p)) for p in range(n_points)]
        return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x, dtype=np.float64) for x in xs]), *outs)


def check_gradient(
    f: Callable,
    grad_f: Callable,
    *args,
    argnums: int | Sequence[int] = 0,
    points: int = 16,
    key: jax.Array | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    at: Sequence[Any] | None = None,
    name: str = "gradient",
    _derivative: Callable = jax.grad,
) -> GradientReport:
    """Compare a hand-derived gradient with ``jax.grad`` at many points, in float64.

    Args:
      f: the scalar function, ``f(*args) -> scalar``.
      grad_f: your gradient, same arguments as ``f``; returns the gradient with respect to ``args[argnums]``
        (a tuple of them when ``argnums`` is a tuple). Pytrees of parameters are supported.
      *args: example arguments. The check runs at these and at ``points - 1`` random points around them
        (Gaussian perturbations of the differentiated arguments, seeded by ``key``).
      argnums: which argument(s) to differentiate.
      points: how many points (>= 1) when ``at`` is not given.
      key: PRNG key for the random points (default ``PRNGKey(0)``).
      rtol: relative tolerance against the gradient's own max magnitude at each point (default 1e-9).
      atol: absolute floor (default 1e-14 x the largest gradient magnitude seen; matters only where the
        gradient is exactly zero).
      at: instead of random points, a tuple with one entry per argument, each stacked on a leading points axis
        (use ``None`` in ``at`` for an argument shared by all points).
      name: label for the report.

    Returns:
      A :class:`GradientReport`; ``report.ok`` is the verdict and ``report.diagnosis`` names the likely mistake.

    Example:
      >>> loss = lambda theta, x, y: jnp.mean((x @ theta - y) ** 2)
      >>> grad = lambda theta, x, y: 2 * x.T @ (x @ theta - y) / len(y)
      >>> check_gradient(loss, grad, jnp.zeros(3), x, y).ok
      True
    """
    if not callable(f) or not callable(grad_f):
        raise UsageError("check_gradient(f, grad_f, *args): f and grad_f must be callables")
    if not args:
        raise UsageError("check_gradient needs example arguments: check_gradient(f, grad_f, *args)")
    tuple_argnums = isinstance(argnums, (tuple, list))
    argnums_t = tuple(argnums) if tuple_argnums else (int(argnums),)
    for i in argnums_t:
        if not 0 <= i < len(args):
            raise UsageError(f"argnums {argnums} out of range for {len(args)} arguments")
    args = tuple(jax.tree_util.tree_map(_as_float64, a) for a in args)
    rtol = DEFAULT_RTOL if rtol is None else float(rtol)

    if at is not None:
        if len(at) != len(args):
            raise UsageError(f"`at` must have one entry per argument ({len(args)}), got {len(at)}")
        in_axes = tuple(None if a is None else 0 for a in at)
        batched = tuple(
            args[i] if a is None else jax.tree_util.tree_map(_as_float64, a) for i, a in enumerate(at)
        )
        sizes = {np.shape(leaf)[0] for a, ax in zip(batched, in_axes) if ax == 0
                 for leaf in jax.tree_util.tree_leaves(a)}
        if len(sizes) != 1:
            raise UsageError(f"every array in `at` needs the same leading (points) axis; got sizes {sorted(sizes)}")
        n_points = sizes.pop()
    else:
        if points < 1:
            raise UsageError(f"points must be >= 1, got {points}")
        key = jax.random.PRNGKey(0) if key is None else key
        batched, in_axes = _perturbed_points(args, argnums_t, int(points), key)
        n_points = int(points)

    probe = jax.eval_shape(f, *args)
    if getattr(probe, "shape", None) != ():
        raise UsageError(f"f must return a scalar; it returns shape {getattr(probe, 'shape', type(probe))}")

    sharded = shard_points(batched, in_axes, n_points)
    reference = jax.jit(jax.vmap(_derivative(f, argnums=argnums), in_axes=in_axes))(*sharded)
    reference = jax.tree_util.tree_map(lambda r: np.asarray(r)[:n_points], reference)
    try:
        yours = _evaluate_user(grad_f, sharded, in_axes, n_points)
    except Exception as exc:  # the user's function itself fails: that is the verdict, not a crash
        return GradientReport(
            ok=False, points=n_points, max_abs_error=float("inf"), max_rel_error=float("inf"), rtol=rtol,
            atol=0.0, diagnosis=f"your gradient raised {type(exc).__name__}: {exc}", name=name,
        )
    report = _compare(yours, reference, batched, in_axes, n_points, rtol, atol, _candidate_ns(args), name)
    if _derivative is not jax.grad:
        report.compares = "your Hessian vs jax.hessian"
    return report


def check_hessian(f: Callable, hess_f: Callable, *args, **kwargs) -> GradientReport:
    """Compare a hand-derived Hessian with ``jax.hessian(f)``, entry by entry; same arguments and report as
    :func:`check_gradient` (the scale is the Hessian's own max magnitude at each point)."""
    kwargs.setdefault("name", "hessian")
    return check_gradient(f, hess_f, *args, _derivative=jax.hessian, **kwargs)


def _compare(yours, reference, batched, in_axes, n_points, rtol, atol, ns, name) -> GradientReport:
    """Entry-by-entry comparison of two stacked pytrees, with diagnosis and the worst entry."""
    ref_flat = jax.tree_util.tree_flatten_with_path(reference)[0]
    ref_paths = [p for p, _ in ref_flat]
    ref_leaves = [r for _, r in ref_flat]
    got_flat = jax.tree_util.tree_flatten_with_path(yours)[0]
    if len(got_flat) != len(ref_leaves):
        if len(got_flat) == 1 and len(ref_leaves) > 1:
            msg = f"wrong structure: expected {len(ref_leaves)} arrays (a pytree), got a single array"
        else:
            msg = f"wrong structure: expected {len(ref_leaves)} arrays, got {len(got_flat)}"
        return GradientReport(ok=False, points=n_points, max_abs_error=float("inf"), max_rel_error=float("inf"),
                              rtol=rtol, atol=0.0, diagnosis=msg, name=name)
    got_leaves = [np.asarray(g, dtype=np.float64) for _, g in got_flat]
    ref_leaves = [np.asarray(r, dtype=np.float64) for r in ref_leaves]
    labels = [_leaf_label(p) for p in ref_paths]

    # The gradient's own scale at each point: the largest |autodiff| entry over the whole pytree.
    scale = np.zeros(n_points)
    for r in ref_leaves:
        finite = np.where(np.isfinite(r), np.abs(r), 0.0)
        scale = np.maximum(scale, finite.reshape(n_points, -1).max(axis=1, initial=0.0))
    atol = 1e-14 * float(scale.max(initial=0.0)) if atol is None else float(atol)

    diagnoses, ok = [], True
    max_abs = max_rel = 0.0
    worst = (-1.0, None)
    for label, got, ref in zip(labels, got_leaves, ref_leaves):
        if got.shape != ref.shape:
            ok = False
            max_abs = max_rel = float("inf")
            diagnoses.append((f"{label}: " if label else "") + diagnose_shape(got, ref, ns))
            continue
        err = np.abs(got - ref)
        err = np.where(np.isfinite(err), err, np.inf)
        shaped_scale = scale.reshape((n_points,) + (1,) * (ref.ndim - 1))
        rel = err / np.maximum(shaped_scale, np.finfo(np.float64).tiny)
        bad = err > rtol * shaped_scale + atol
        if err.size:
            max_abs = max(max_abs, float(err.max()))
            max_rel = max(max_rel, float(rel.max()))
            # worst = the entry furthest past its own tolerance
            ratio = err / (rtol * shaped_scale + atol + np.finfo(np.float64).tiny)
            flat = int(np.argmax(ratio))
            if ratio.flat[flat] > worst[0]:
                idx = np.unravel_index(flat, ratio.shape)
                worst = (float(ratio.flat[flat]), (int(idx[0]), label, tuple(int(i) for i in idx[1:]),
                                                   float(got[idx]), float(ref[idx])))
        if np.any(bad):
            ok = False
            d = diagnose_array(got, ref, ns, label)
            if d:
                diagnoses.append(d)
    report = GradientReport(ok=ok, points=n_points, max_abs_error=max_abs, max_rel_error=max_rel, rtol=rtol,
                            atol=atol, diagnosis=None if ok else ("; ".join(diagnoses) or "no simple pattern"),
                            name=name)
    if worst[1] is not None:
        p, label, entry, y, r = worst[1]
        report.worst_index = (p, label, entry)
        report.worst_yours, report.worst_autodiff = y, r
        report.worst_point = _index_point(batched, in_axes, p)
    return report
