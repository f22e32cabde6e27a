"""``jax.random.normal`` / ``uniform`` / ``split`` with one compiled program per size bucket instead of one per shape.

Each new shape given to ``jax.random.normal`` outside ``jit`` compiles a new XLA program (threefry's 20 rounds and
the inverse error function: ~0.3 s each on a 2-core CPU, more under ``vmap``). With JAX's default partitionable
threefry (``jax_threefry_partitionable``, on since JAX 0.5) the draws are a function of the flat index only, so

    jax.random.normal(key, shape) == jax.random.normal(key, (m,))[:prod(shape)].reshape(shape)   for any m ≥ size

bit for bit, and the same for ``uniform`` and ``split``. :func:`normal`, :func:`uniform` and :func:`split` draw the
next power of two (at least 64 numbers, 8 keys) and slice: the same numbers, and every shape of a bucket shares one
compiled program (under ``vmap`` too). Use them for draws outside ``jit`` — example makers, initialisations; inside
a jitted function call ``jax.random`` directly (the draw is compiled with the function anyway).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from ._compile import checker_jit


def _bucket(size: int) -> int:
    return max(64, 1 << max(size - 1, 0).bit_length())


@functools.partial(checker_jit, static_argnames=("size", "dtype"))
def _normal_flat(key, size, dtype):
    return jax.random.normal(key, (size,), dtype)


@functools.partial(checker_jit, static_argnames=("size", "dtype"))
def _uniform_flat(key, size, dtype, minval, maxval):
    return jax.random.uniform(key, (size,), dtype, minval, maxval)


def _check_partitionable() -> None:
    if not jax.config.jax_threefry_partitionable:
        raise RuntimeError(
            "jaxml.testing.draws needs jax_threefry_partitionable (JAX's default) for bucketed draws"
        )


def normal(key, shape=(), dtype=None) -> jax.Array:
    """Standard normal draws, bit-identical to ``jax.random.normal(key, shape, dtype)``."""
    _check_partitionable()
    shape = tuple(int(s) for s in shape)
    size = math.prod(shape)
    # the default float dtype: float64 under x64, else float32
    dtype = jnp.dtype(dtype or jax.dtypes.canonicalize_dtype(jnp.float64))
    return _normal_flat(key, _bucket(size), dtype)[:size].reshape(shape)


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0) -> jax.Array:
    """Uniform draws on [minval, maxval), bit-identical to ``jax.random.uniform(key, shape, dtype, minval, maxval)``."""
    _check_partitionable()
    shape = tuple(int(s) for s in shape)
    size = math.prod(shape)
    dtype = jnp.dtype(dtype or jax.dtypes.canonicalize_dtype(jnp.float64))
    return _uniform_flat(key, _bucket(size), dtype, minval, maxval)[:size].reshape(shape)


def split(key, num: int = 2) -> jax.Array:
    """``jax.random.split(key, num)``, bit-identical: the first ``num`` keys of a split into the next power of two
    (at least 8)."""
    _check_partitionable()
    return jax.random.split(key, max(8, 1 << max(int(num) - 1, 0).bit_length()))[:num]
