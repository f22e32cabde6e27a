"""Evaluate: autodiff's and your derivative at every point, chunk by chunk, folded into a :class:`Tally`.

One compiled program per side serves every chunk (chunks are padded to one size). While XLA computes a chunk, the
next chunk's points are drawn. Your function is jitted and vmapped when it traces, called point by point when it
does not (NumPy code, Python control flow); in the arguments' own dtype when the check asks for it
(:meth:`~jaxml.verify._points.Points.native`). Observers (the audit's slips) see every chunk's values as they go by.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from ..sharding import shard_leading
from ._compare import Tally, leaf_labels, structure_mismatch
from ._domain import result_domains, tangent_leaves
from ._mistake import Mistake, MistakeKind, mistake
from ._points import Points, chunk_size, nbytes
from ._programs import DERIVATIVES, batched, batched_derivative


def arg_names(f: Callable, n: int) -> tuple[str, ...]:
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


def candidate_ns(args: Sequence[Any]) -> tuple[int, ...]:
    """Batch sizes n a 1/n slip could involve: the sizes of every axis of the example arrays (>1)."""
    ns = set()
    for leaf in jax.tree_util.tree_leaves(args):
        ns.update(int(s) for s in np.shape(leaf) if s > 1)
    return tuple(sorted(ns))


class Yours:
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
        outs = [self.fn(*index(chunk, self.in_axes, p)) for p in range(m)]
        return jax.tree_util.tree_map(
            lambda *xs: np.stack([np.asarray(x, dtype=np.float64) for x in xs]), *outs
        )


def index(chunk, in_axes, p):
    """Point p of a chunk (shared arguments as they are)."""
    return tuple(
        jax.tree_util.tree_map(lambda x: np.asarray(x[p]), a) if ax == 0 else a
        for a, ax in zip(chunk, in_axes)
    )


@dataclasses.dataclass
class Evaluation:
    """What the comparison stage hands on: the tally and what the later stages need to read it."""

    tally: Tally | None
    labels: list
    names: tuple
    ns: tuple
    size: int  # points per chunk
    yours: Yours
    problem: Mistake | None = None  # your function raised, or returned the wrong structure
    antisymmetric: float = (
        0.0  # largest part of yours − autodiff that the domains' directions ignore
    )


def evaluate(spec, pts: Points, observers: Sequence[Callable] = ()) -> Evaluation:
    """Compare your derivative with autodiff's at every point of ``pts`` (``spec``: see ``_gradient.Spec``)."""
    derivative = batched_derivative(spec.f, spec.argnums, spec.kind, pts.in_axes)
    one = jax.eval_shape(DERIVATIVES[spec.kind](spec.f, argnums=spec.argnums), *pts.args)
    per_point = pts.per_point_bytes() + nbytes(one)
    varying = [a for a, ax in zip(pts.args, pts.in_axes) if ax == 0]
    largest = max((nbytes(leaf) for leaf in jax.tree_util.tree_leaves((varying, one))), default=0)
    size = chunk_size(per_point, pts.n, spec.max_memory, largest)
    names = arg_names(spec.f, len(pts.args))
    out = Evaluation(None, [], names, candidate_ns(pts.args), size, Yours(spec.fn, pts.in_axes))
    domains = result_domains(pts.domains, spec.argnums, pts.args) if pts.domains else []
    if spec.kind != "gradient" or not any(d is not None for d in domains):
        domains = []

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
            got = out.yours(pts.native(placed), m, meanwhile=prefetch)
        except Exception as exc:  # noqa: BLE001 - your function fails: the verdict, not a crash
            text = f"your {spec.kind} raised {type(exc).__name__}: {exc}"
            out.problem = mistake(MistakeKind.RAISED, text, error=type(exc).__name__)
            return out
        ref = jax.tree_util.tree_map(lambda r, m=m: np.asarray(r)[:m], autodiff)
        if out.tally is None:
            out.labels = _labels(spec, ref, names)
            out.problem = structure_mismatch(got, ref, out.ns, spec.kind, out.labels)
            if out.problem:
                return out
            out.tally = Tally(out.labels, pts.n, spec.rtol, spec.atol, per_point)
        got_leaves = [np.asarray(g, dtype=np.float64) for g in jax.tree_util.tree_leaves(got)]
        ref_leaves = [np.asarray(r, dtype=np.float64) for r in jax.tree_util.tree_leaves(ref)]
        if domains:
            out.antisymmetric = max(out.antisymmetric, _ignored(got_leaves, ref_leaves, domains))
            got_leaves = tangent_leaves(got_leaves, domains)
            ref_leaves = tangent_leaves(ref_leaves, domains)
        for observe in observers:
            observe(got_leaves, ref_leaves, start, chunk)
        out.tally.add(
            got_leaves,
            ref_leaves,
            start,
            args=chunk if start < out.tally.sample_points else None,
        )
    return out


def _ignored(got_leaves, ref_leaves, domains) -> float:
    """max |(yours − autodiff) − its projection on the domains' directions|, relative to autodiff's size."""
    worst = 0.0
    for g, r, d in zip(got_leaves, ref_leaves, domains):
        if d is None or not g.size:
            continue
        diff = g - r
        rest = np.abs(diff - d.tangent(diff))
        scale = np.max(np.abs(np.where(np.isfinite(r), r, 0.0)))
        if np.isfinite(rest).all():
            worst = max(worst, float(rest.max() / max(scale, 1e-300)))
    return worst


def _labels(spec, ref, names) -> list:
    flat = jax.tree_util.tree_flatten_with_path(ref)[0]
    plain = not isinstance(spec.argnums, tuple) and len(flat) == 1 and flat[0][0] == ()
    return leaf_labels(
        [p for p, _ in flat],
        tuple(names[i] for i in spec.argnums_t),
        isinstance(spec.argnums, tuple),
        spec.kind,
        plain,
    )
