"""Random examples for the checks, drawn so that every shape of a size bucket shares one compiled program.

``jax.random.normal(key, shape)`` compiles an XLA program for each new shape it is given outside ``jit`` (threefry's
rounds and the inverse error function: a few tenths of a second each on a 2-core CPU, more under ``vmap``), and the
checks draw examples of many shapes. With JAX's partitionable threefry (its default since JAX 0.5) an entry depends
only on the key and its flat index, so, bit for bit,

    jax.random.normal(key, shape) == jax.random.normal(key, (b,))[:prod(shape)].reshape(shape)    for b >= prod(shape)

and the same for ``uniform`` and ``split``. The helpers below draw the next power of two (at least
64) and slice: the same numbers, one compiled program per size bucket and batch of keys. (``jaxml._random`` does
the same inside the library; this module keeps ``derivations/`` on the public API.)
"""

from __future__ import annotations

import math

import jax


def _bucket(size: int) -> int:
    return max(64, 1 << max(size - 1, 0).bit_length())


def _check_partitionable() -> None:
    if not jax.config.jax_threefry_partitionable:
        raise RuntimeError("the example draws need jax_threefry_partitionable (JAX's default)")


def normal(key, shape: tuple[int, ...]) -> jax.Array:
    """``jax.random.normal(key, shape)`` (default float dtype), drawn from its size bucket."""
    _check_partitionable()
    size = math.prod(shape)
    return jax.random.normal(key, (_bucket(size),))[:size].reshape(shape)


def uniform(key, shape: tuple[int, ...], *, minval: float = 0.0, maxval: float = 1.0) -> jax.Array:
    """``jax.random.uniform(key, shape, minval=minval, maxval=maxval)``, drawn from its size bucket."""
    _check_partitionable()
    size = math.prod(shape)
    return jax.random.uniform(key, (_bucket(size),), minval=minval, maxval=maxval)[:size].reshape(
        shape
    )


def split(key, num: int) -> jax.Array:
    """``jax.random.split(key, num)``: the first ``num`` keys of a split into 8 (or the next power of two)."""
    _check_partitionable()
    return jax.random.split(key, max(8, 1 << max(num - 1, 0).bit_length()))[:num]
