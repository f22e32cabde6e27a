"""Where a check evaluates: its points, drawn or given, handed out in chunks that fit a memory budget.

A point is one value of every argument. Two sources:

* perturbations of the caller's arguments (``check_gradient(f, g, *args, points=P)``): point 0 is ``args``; point
  p ≥ 1 moves every differentiated array by Gaussian noise, ``x + ξ ⊙ (0.5 |x| + 0.1)``, ξ drawn by NumPy's
  generator seeded with (key, argument, leaf, p) — point by point, so a chunk never needs the others, and no XLA
  program is compiled for it (a 4096 × 1024 draw takes milliseconds);
* points given by the caller (``at=``, the stacked examples of ``jaxml verify``).

Checks hold one chunk of points at a time: the chunk size follows from a memory budget and an estimate of what one
point costs (its arguments, the two results, the derivative's intermediates), so a 4096 × 1024 batch-norm check
runs in bounded memory whatever the number of points. When the caller leaves ``points`` to the verifier, the number
also follows the cost (:func:`default_points`) and the report says how many were used.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._bucketed_random import split
from ..errors import UsageError
from ._domain import check_inside, resolve
from ._programs import stacked

MEMORY_BUDGET = 2**30  # bytes of points (and results) a check holds at once
# One point's footprint while it is checked: its arguments, autodiff's and your results, and the derivative's
# intermediates (a few more arrays of the argument's size), in float64.
FOOTPRINT_FACTOR = 6
# A chunk's stacked arrays stay within 32 MiB where they can: glibc serves a bigger block that XLA's threads allocate
# with a fresh mmap whatever its thresholds (a thread's heap holds at most 64 MiB), and every chunk then page-faults
# it in again (benchmarks/RESULTS.md, "Freed memory", has the measurements).
BLOCK_BYTES = 2**25
# Cost-aware default: at most this many float64 entries of differentiated arguments over all points (2 GiB).
WORK_BUDGET = 2**28
MIN_POINTS = 8


def as_float64(x):
    """Float arrays and Python floats become float64 JAX arrays; ints, bools and other leaves are kept."""
    if isinstance(x, (np.ndarray, np.floating)) and jnp.issubdtype(x.dtype, jnp.floating):
        # converted on the host: no conversion program
        return jax.device_put(np.asarray(x, np.float64))
    if isinstance(x, (float, np.floating)) or (
        hasattr(x, "dtype") and jnp.issubdtype(x.dtype, jnp.floating)
    ):
        return jnp.asarray(x, dtype=jnp.float64)
    return x


def nbytes(tree) -> int:
    """Bytes of the array leaves of ``tree`` (shapes and dtypes only: arrays or ShapeDtypeStructs)."""
    total = 0
    for leaf in jax.tree_util.tree_leaves(tree):
        shape = np.shape(leaf)
        dtype = np.dtype(getattr(leaf, "dtype", np.float64))
        total += math.prod(shape) * dtype.itemsize
    return total


def chunk_size(
    per_point_bytes: int, n_points: int, budget: int | None = None, largest_bytes: int = 0
) -> int:
    """How many points fit the memory budget at once (at least 1, at most ``n_points``), and keep each stacked
    array of a chunk within :data:`BLOCK_BYTES` (``largest_bytes``: one point's largest array) where they can."""
    budget = MEMORY_BUDGET if budget is None else int(budget)
    footprint = max(per_point_bytes * FOOTPRINT_FACTOR, 1)
    fit = budget // footprint
    if largest_bytes > 0:
        fit = min(fit, BLOCK_BYTES // largest_bytes)
    return int(max(1, min(n_points, fit)))


def default_points(per_point_entries: int, preferred: int) -> int:
    """``preferred`` points, fewer when one point is large: at most :data:`WORK_BUDGET` entries in all.

    A 3-parameter loss gets every point asked for; a 4096 × 1024 batch-norm input (4M entries) gets 64.
    """
    affordable = WORK_BUDGET // max(int(per_point_entries), 1)
    return int(max(min(preferred, MIN_POINTS), min(preferred, affordable)))


@dataclasses.dataclass(frozen=True)
class Points:
    """The points of one check.

    Attributes:
      args: the arguments at point 0 (float64).
      in_axes: per argument, 0 when it varies over points, None when shared.
      n: how many points.
      given: the caller's stacked points (``at=``), or None for perturbations.
      key: the perturbations' key (None for given points).
      argnums: the differentiated arguments (the ones perturbations move).
      domains: per argument, its :class:`~jaxml.verify._domain.Domain` (None: all of space).
      dtypes: per argument, a dtype the caller's function is evaluated in (None: float64), see :meth:`native`.
    """

    args: tuple
    in_axes: tuple
    n: int
    given: tuple | None = None
    key: Any = None
    argnums: tuple = ()
    domains: tuple = ()
    dtypes: tuple = ()

    def per_point_bytes(self) -> int:
        """Bytes of the arguments that vary over points, for one point."""
        return nbytes([a for a, ax in zip(self.args, self.in_axes) if ax == 0])

    def chunk(self, start: int, stop: int, pad_to: int | None = None) -> tuple:
        """Points [start, stop) stacked on a leading axis (shared arguments as they are), padded to ``pad_to``
        points by repeating the last one so every chunk reuses one compiled program."""
        if self.given is not None:
            if start == 0 and stop == self.n and (pad_to is None or pad_to == self.n):
                return self.given
            count = pad_to or stop - start
            rows = np.minimum(np.arange(start, start + count), stop - 1)
            return tuple(
                a if ax is None else jax.tree_util.tree_map(lambda x: np.asarray(x)[rows], a)
                for a, ax in zip(self.given, self.in_axes)
            )
        count = pad_to or stop - start
        indices = [min(start + i, stop - 1) for i in range(count)]
        return tuple(
            self._perturbed(i, indices) if ax == 0 else a
            for i, (a, ax) in enumerate(zip(self.args, self.in_axes))
        )

    def _perturbed(self, i: int, indices: Sequence[int]):
        """Argument i at the points ``indices``: x itself at point 0, x + ξ ⊙ (0.5|x| + 0.1) elsewhere."""
        leaves, treedef = jax.tree_util.tree_flatten(self.args[i])
        seed = [int(s) for s in np.asarray(_key_bits(self.key)).ravel()]
        domain = self.domains[i] if self.domains else None
        stacked = []
        for j, leaf in enumerate(leaves):
            x = np.asarray(leaf, np.float64)
            if domain is not None:
                stacked.append(self._rounded(i, self._in_domain(domain, x, seed, i, j, indices)))
                continue
            # a relative spread of 0.5 plus an absolute 0.1, so zeros move too
            spread = 0.5 * np.abs(x) + 0.1
            out = np.empty((len(indices),) + x.shape)
            for k, p in enumerate(indices):  # in place: no temporaries of the argument's size
                row = out[k, ...]  # a view (0-d for a scalar argument)
                if p == 0:
                    row[...] = x
                    continue
                np.random.default_rng([*seed, i, j, p]).standard_normal(out=row)
                row *= spread
                row += x
            stacked.append(self._rounded(i, out))
        return jax.tree_util.tree_unflatten(treedef, stacked)

    def _rounded(self, i: int, x: np.ndarray) -> np.ndarray:
        """Argument i's float64 values rounded through the caller's dtype (when one is set), so that the float64
        reference and the caller's function see the same numbers."""
        dtype = self.dtypes[i] if self.dtypes else None
        if dtype is None or np.dtype(dtype) == np.float64:
            return x
        return np.asarray(x, dtype).astype(np.float64)

    def native(self, chunk: tuple) -> tuple:
        """A chunk's arguments in the dtypes the caller's function is evaluated in (float leaves only)."""
        if not any(d is not None for d in self.dtypes):
            return chunk
        return tuple(
            a
            if d is None
            else jax.tree_util.tree_map(
                lambda x, d=d: (
                    np.asarray(x, d) if np.issubdtype(np.asarray(x).dtype, np.floating) else x
                ),
                a,
            )
            for a, d in zip(chunk, self.dtypes)
        )

    @staticmethod
    def _in_domain(domain, x: np.ndarray, seed: list, i: int, j: int, indices) -> np.ndarray:
        """Leaf j of argument i at the points ``indices``, drawn inside ``domain`` (same noise as "real")."""
        out = np.empty((len(indices),) + x.shape)
        for k, p in enumerate(indices):
            if p == 0:
                out[k] = x
                continue
            xi = np.random.default_rng([*seed, i, j, p]).standard_normal(x.shape)
            out[k] = domain.perturb(x, xi)
        return out

    def at_point(self, p: int) -> tuple:
        """The arguments at point p (NumPy arrays for the varying ones)."""
        one = self.chunk(p, p + 1)
        return tuple(
            jax.tree_util.tree_map(lambda x: np.asarray(x)[0], a) if ax == 0 else a
            for a, ax in zip(one, self.in_axes)
        )


def _key_bits(key):
    """The raw bits of a PRNG key (new-style typed keys or the uint32 arrays of ``PRNGKey``)."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return jax.random.key_data(key)
    return key


def perturbation_points(
    args: tuple, argnums: tuple, points: int, key, domain=None, dtypes: tuple = ()
) -> Points:
    """Point 0 = ``args``; ``points - 1`` Gaussian perturbations of the differentiated arguments, inside their
    ``domain`` (see :mod:`._domain`; None: all of space). ``dtypes``: see :meth:`Points.native`."""
    for i in argnums:
        for leaf in jax.tree_util.tree_leaves(args[i]):
            dtype = jnp.result_type(leaf)
            if not jnp.issubdtype(dtype, jnp.floating):
                raise UsageError(
                    f"argument {i} is differentiated but has dtype {dtype}, not a float"
                )
    in_axes = tuple(0 if i in argnums else None for i in range(len(args)))
    domains = resolve(domain, len(args), argnums)
    check_inside(domains, args)
    return Points(
        args=args,
        in_axes=in_axes,
        n=int(points),
        key=key,
        argnums=argnums,
        domains=domains,
        dtypes=tuple(dtypes),
    )


def given_points(
    args: tuple, at: Sequence[Any], domain=None, argnums: tuple = (), dtypes: tuple = ()
) -> Points:
    """The caller's points: ``at`` has one entry per argument, stacked on a leading axis, or None (shared). Each
    point must lie in its ``domain`` (one for the ``argnums`` arguments, or one per argument)."""
    if len(at) != len(args):
        raise UsageError(f"`at` must have one entry per argument ({len(args)}), got {len(at)}")
    in_axes = tuple(None if a is None else 0 for a in at)
    given = tuple(
        args[i] if a is None else jax.tree_util.tree_map(as_float64, a) for i, a in enumerate(at)
    )
    sizes = {
        np.shape(leaf)[0]
        for a, ax in zip(given, in_axes)
        if ax == 0
        for leaf in jax.tree_util.tree_leaves(a)
    }
    if len(sizes) != 1:
        raise UsageError(
            f"every array in `at` needs the same leading (points) axis; got sizes {sorted(sizes)}"
        )
    n = sizes.pop()
    domains = resolve(domain, len(args), tuple(argnums) or tuple(range(len(args))))
    if any(d is not None for d in domains):
        for p in range(n):
            point = tuple(
                a if ax is None else jax.tree_util.tree_map(lambda x, p=p: np.asarray(x)[p], a)
                for a, ax in zip(given, in_axes)
            )
            check_inside(domains, point, where=f"point {p} of `at`")
    if dtypes and any(d is not None for d in dtypes):
        given = tuple(
            a
            if d is None
            else jax.tree_util.tree_map(
                lambda x, d=d: (
                    np.asarray(x, d).astype(np.float64)
                    if np.issubdtype(np.asarray(x).dtype, np.floating)
                    else x
                ),
                a,
            )
            for a, d in zip(given, dtypes)
        )
    return Points(
        args=args, in_axes=in_axes, n=n, given=given, domains=domains, dtypes=tuple(dtypes)
    )


def stacked_examples(example, keys) -> tuple:
    """``example(key)`` stacked over keys: one compiled program when it traces, a loop otherwise."""
    try:
        return tuple(stacked(example)(keys))
    except Exception:  # noqa: BLE001 - user code may raise anything
        outs = [example(k) for k in keys]
        return tuple(
            jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *outs)
        )


def example_points(example, n: int, key, domain=None, argnums: tuple = ()) -> Points:
    """The points of a ``@derivation`` entry (and of ``check_gradient(example=...)``): ``example`` at ``n`` keys
    split from ``key``, in float64."""
    batch = stacked_examples(example, split(key, n))
    first = tuple(jax.tree_util.tree_map(lambda x: as_float64(np.asarray(x)[0]), a) for a in batch)
    return given_points(first, batch, domain, argnums)
