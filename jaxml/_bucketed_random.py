"""``jax.random.normal`` / ``uniform`` / ``split`` with one compiled program per size bucket instead of one per shape.

Each new shape given to ``jax.random.normal`` outside ``jit`` compiles a new XLA program (threefry's 20 rounds and
the inverse error function: ~0.3 s each on a 2-core CPU, more under ``vmap``). With JAX's default partitionable
threefry (``jax_threefry_partitionable``, on since JAX 0.5) the draws are a function of the flat index only, so

    jax.random.normal(key, shape) == jax.random.normal(key, (m,))[:prod(shape)].reshape(shape)   for any m ≥ size

bit for bit, and the same for ``uniform`` and ``split``. :func:`normal` and :func:`uniform` draw the next power of
two (at least 64 numbers; at least 16,384 outside ``jit``, where the slice is taken on the host) and slice: the same
numbers, and every shape of a bucket shares one compiled program (under ``vmap`` too). Use them for draws outside
``jit`` — example makers, initialisations; inside a jitted function call ``jax.random`` directly (the draw is
compiled with the function anyway).

Keys need no program at all: :func:`split`, :func:`fold_in` and :func:`prng_key` compute a concrete raw threefry
key's words with NumPy (threefry-2x32 is integer arithmetic, so the words are exactly JAX's); traced or typed keys go
through ``jax.random``.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from ._compile import checker_jit

# outside jit every draw of up to this many numbers shares one program (drawing a few more numbers costs nothing)
_HOST_MIN_BUCKET = 1 << 14


def _bucket(size: int, minimum: int = 64) -> int:
    return max(minimum, 1 << max(size - 1, 0).bit_length())


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


def _traced(*values) -> bool:
    return any(isinstance(v, jax.core.Tracer) for v in values)


def _first(flat, size: int, shape: tuple) -> jax.Array:
    """``flat[:size].reshape(shape)``: sliced on the host when ``flat`` is concrete (no slicing program; the numbers
    are the same), by JAX when it is traced."""
    if _traced(flat):
        return flat[:size].reshape(shape)
    return jax.device_put(np.asarray(flat)[:size].reshape(shape))


def normal(key, shape=(), dtype=None) -> jax.Array:
    """Standard normal draws, bit-identical to ``jax.random.normal(key, shape, dtype)``."""
    _check_partitionable()
    shape = tuple(int(s) for s in shape)
    size = math.prod(shape)
    # the default float dtype: float64 under x64, else float32
    dtype = jnp.dtype(dtype or jax.dtypes.canonicalize_dtype(jnp.float64))
    bucket = _bucket(size) if _traced(key) else _bucket(size, _HOST_MIN_BUCKET)
    return _first(_normal_flat(key, bucket, dtype), size, shape)


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0) -> jax.Array:
    """Uniform draws on [minval, maxval), bit-identical to ``jax.random.uniform(key, shape, dtype, minval, maxval)``."""
    _check_partitionable()
    shape = tuple(int(s) for s in shape)
    size = math.prod(shape)
    dtype = jnp.dtype(dtype or jax.dtypes.canonicalize_dtype(jnp.float64))
    traced = _traced(key, minval, maxval)
    bucket = _bucket(size) if traced else _bucket(size, _HOST_MIN_BUCKET)
    return _first(_uniform_flat(key, bucket, dtype, minval, maxval), size, shape)


# ----------------------------------------------------------------------------------------------------------------
# keys on the host
# ----------------------------------------------------------------------------------------------------------------

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _threefry2x32(k0, k1, x0, x1) -> tuple[np.ndarray, np.ndarray]:
    """The threefry-2x32 hash of the counters (x0, x1) under the key (k0, k1), as JAX computes it (20 rounds)."""
    with np.errstate(over="ignore"):
        k0, k1 = np.uint32(k0), np.uint32(k1)
        ks = (k0, k1, k0 ^ k1 ^ np.uint32(0x1BD11BDA))
        x0 = np.asarray(x0, np.uint32) + ks[0]
        x1 = np.asarray(x1, np.uint32) + ks[1]
        for i in range(5):
            for r in _ROTATIONS[i % 2]:
                x0 = x0 + x1
                x1 = (x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r))
                x1 = x0 ^ x1
            x0 = x0 + ks[(i + 1) % 3]
            x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


def _host_key(key) -> np.ndarray | None:
    """A concrete raw threefry key (uint32 words of shape (2,)) as a NumPy array; None for a traced or typed key
    (or another PRNG implementation), which ``jax.random`` handles."""
    if _traced(key) or not hasattr(key, "dtype"):
        return None
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) or np.dtype(key.dtype) != np.uint32:
        return None
    if np.shape(key) != (2,) or jax.config.jax_default_prng_impl != "threefry2x32":
        return None
    return np.asarray(key)


def split(key, num: int = 2) -> jax.Array:
    """``jax.random.split(key, num)``, bit-identical: computed on the host for a concrete raw key, else the first
    ``num`` keys of a split into the next power of two (at least 8)."""
    _check_partitionable()
    num = int(num)
    words = _host_key(key)
    if words is not None:  # partitionable split: key i hashes the counter (0, i)
        x0, x1 = _threefry2x32(
            words[0], words[1], np.zeros(num, np.uint32), np.arange(num, dtype=np.uint32)
        )
        return jax.device_put(np.stack([x0, x1], axis=-1))
    return jax.random.split(key, max(8, 1 << max(num - 1, 0).bit_length()))[:num]


def fold_in(key, data: int) -> jax.Array:
    """``jax.random.fold_in(key, data)``, bit-identical: on the host for a concrete raw key and 0 ≤ data < 2³²."""
    words = _host_key(key)
    if words is None or not isinstance(data, (int, np.integer)) or not 0 <= int(data) < 2**32:
        return jax.random.fold_in(key, data)
    x0, x1 = _threefry2x32(words[0], words[1], np.zeros(1, np.uint32), np.full(1, data, np.uint32))
    return jax.device_put(np.concatenate([x0, x1]))


def prng_key(seed: int) -> jax.Array:
    """``jax.random.PRNGKey(seed)``, bit-identical: the words (0, seed) built on the host for 0 ≤ seed < 2³¹."""
    if (
        not isinstance(seed, (int, np.integer))
        or not 0 <= int(seed) < 2**31
        or jax.config.jax_default_prng_impl != "threefry2x32"
    ):
        return jax.random.PRNGKey(seed)
    return jax.device_put(np.array([0, int(seed)], np.uint32))


def split_list(key, num: int = 2) -> list:
    """``list(jax.random.split(key, num))``, bit-identical, without a program for taking the rows apart (for a
    concrete raw key: each row is put on the device as it is)."""
    keys = split(key, num)
    if _host_key(key) is None:
        return list(keys)
    return [jax.device_put(row) for row in np.asarray(keys)]
