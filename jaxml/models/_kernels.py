"""Kernels as pairwise functions K(x, z) of two single examples, and blocked kernel–vector products.

Every kernel here takes two vectors of shape (d,) and returns a scalar; batches come from ``jax.vmap``.
A user's own kernel is any JAX-traceable function with the same contract (``(d,), (d,) -> ()``);
parameters are bound with ``functools.partial`` (``partial(rbf, sigma=2.0)``).

:func:`matvec` evaluates f_i = sum_j beta_j K(x_j, z_i) for many z_i in blocks of rows, so memory stays
O(block_size * n) and never O(n * m). :func:`gram` builds the whole matrix and is meant for small sets only
(an eigenvalue check on the course's 200 training points).

Dtypes: everything computes in the floating dtype of its inputs (integer inputs become the default float).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxml._compile import as_device_array
from jaxml.errors import UsageError

from ._deprecation import positional_settings

Kernel = Callable[[jax.Array, jax.Array], jax.Array]

# The course starter's threshold for "x is the same point as z" in its non-PSD kernel (CS229 PS2 p03,
# ``non_psd_kernel``): a squared distance below 1e-5.
NON_PSD_EPS = 1e-5

# Blocked products hold at most about this many kernel values at once (2^22 float64 = 32 MiB).
_DEFAULT_BLOCK_ELEMENTS = 2**22


def float_dtype(*arrays) -> jnp.dtype:
    """The floating dtype to compute in: the inputs' (if floating), else the default float (float32 without x64)."""
    dtype = jnp.result_type(*arrays)
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)


def dot(x: jax.Array, z: jax.Array) -> jax.Array:
    """Dot-product kernel, K(x, z) = x^T z (write-up §3(c)); feature map phi(x) = x.

    Args:
      x: vector of shape (d,).
      z: vector of shape (d,).

    Returns:
      A scalar.
    """
    return jnp.dot(x, z)  # K(x, z) = x^T z


@positional_settings("kernels", ("x", "z", "sigma"))
def rbf(x: jax.Array, z: jax.Array, *, sigma: float = 1.0) -> jax.Array:
    """Radial basis function kernel, K(x, z) = exp(-||x - z||^2 / (2 sigma^2)) (write-up §3(c), sigma = 1).

    The squared distance is summed from the differences (not ||x||^2 + ||z||^2 - 2 x^T z), so K(x, x) = 1
    exactly and nearby points lose no digits to cancellation.

    Args:
      x: vector of shape (d,).
      z: vector of shape (d,).
      sigma: the radius, > 0; default 1.0 (write-up §3(c)). Bind another with
        ``functools.partial(rbf, sigma=2.0)``.

    Returns:
      A scalar in (0, 1].
    """
    sq_dist = jnp.sum((x - z) ** 2)  # ||x - z||^2
    return jnp.exp(-sq_dist / (2.0 * sigma**2))  # exp(-||x - z||^2 / (2 sigma^2))


@positional_settings("kernels", ("x", "z", "eps"))
def non_psd(x: jax.Array, z: jax.Array, *, eps: float = NON_PSD_EPS) -> jax.Array:
    """The course's non-PSD "kernel": K(x, z) = -1 if ||x - z||^2 < eps, else 0.

    As in the CS229 PS2 starter (p03 ``non_psd_kernel``, eps = 1e-5 on the *squared* distance). On n distinct
    points (pairwise squared distances >= eps) its Gram matrix is -I: every eigenvalue is -1, so no feature map
    phi with K(x, z) = <phi(x), phi(z)> exists (that would make every Gram matrix PSD).

    Args:
      x: vector of shape (d,).
      z: vector of shape (d,).
      eps: squared-distance threshold for "the same point"; default :data:`NON_PSD_EPS` = 1e-5 (the starter's).

    Returns:
      A scalar, -1.0 or 0.0, in the inputs' floating dtype.
    """
    sq_dist = jnp.sum((x - z) ** 2)  # ||x - z||^2
    # -1 on (near-)coincident points, else 0
    return jnp.where(sq_dist < eps, -1.0, 0.0).astype(float_dtype(x, z))


@positional_settings("kernels", ("x", "z", "degree", "c"))
def polynomial(x: jax.Array, z: jax.Array, *, degree: int = 2, c: float = 1.0) -> jax.Array:
    """Inhomogeneous polynomial kernel, K(x, z) = (c + x^T z)^degree.

    For degree 2 and c = 1 its explicit feature map is phi(x) = (1, sqrt(2) x, vec(x x^T)) (see
    ``derivations/perceptron.py``).

    Args:
      x: vector of shape (d,).
      z: vector of shape (d,).
      degree: a positive integer power; default 2.
      c: the constant added to x^T z; default 1.0.

    Returns:
      A scalar.
    """
    return (c + jnp.dot(x, z)) ** degree  # (c + x^T z)^degree


@positional_settings("kernels", ("kernel", "d", "dtype"))
def check_kernel(kernel, d: int, *, dtype=None) -> None:
    """Raise UsageError unless ``kernel`` maps two (d,) vectors to a scalar (checked abstractly, no FLOPs).

    Args:
      kernel: the candidate K(x, z).
      d: the input dimension.
      dtype: the inputs' dtype; default None: the default float dtype.

    Returns:
      None.

    Raises:
      UsageError: ``kernel`` is not callable, fails on two (d,) vectors, or does not return a scalar.
    """
    if not callable(kernel):
        raise UsageError(
            f"kernel must be a function K(x, z) of two (d,) vectors, got {type(kernel).__name__}"
        )
    spec = jax.ShapeDtypeStruct((d,), jnp.result_type(float) if dtype is None else dtype)
    try:
        out = jax.eval_shape(kernel, spec, spec)
    except Exception as exc:  # a user's kernel that cannot be traced on (d,) inputs
        raise UsageError(
            f"kernel {getattr(kernel, '__name__', kernel)!r} failed on two vectors of shape ({d},): {exc}"
        ) from exc
    if not hasattr(out, "shape") or out.shape != ():
        shape = getattr(out, "shape", type(out).__name__)
        raise UsageError(
            f"kernel must return a scalar for two vectors of shape ({d},); it returned shape {shape}. "
            "Write K for single examples (jaxml vmaps it), e.g. lambda x, z: jnp.dot(x, z)."
        )


def as_matrix(name: str, a, d: int | None = None) -> jax.Array:
    """``a`` as an (n, d) floating JAX array (integers become the default float); UsageError otherwise."""
    a = as_device_array(a)
    if a.ndim != 2:
        raise UsageError(f"{name} must have shape (n, d); got shape {a.shape}")
    if d is not None and a.shape[1] != d:
        raise UsageError(
            f"{name} must have {d} columns like the training points; got shape {a.shape}"
        )
    if not jnp.issubdtype(a.dtype, jnp.floating):
        a = a.astype(float_dtype(a))
    return a


def default_block_size(n: int, m: int) -> int:
    """Rows of queries per block so one block holds about 2^22 kernel values: min(m, max(1, 2^22 // n))."""
    return int(max(1, min(m, _DEFAULT_BLOCK_ELEMENTS // max(n, 1))))


def row(kernel: Kernel, x: jax.Array, z: jax.Array) -> jax.Array:
    """The kernel of one query against all points: (K(x_1, z), ..., K(x_n, z)), in O(n) memory.

    Args:
      kernel: K(x, z) on (d,) vectors.
      x: (n, d) points.
      z: (d,) the query.

    Returns:
      (n,) array.
    """
    return jax.vmap(kernel, in_axes=(0, None))(x, z)


def gram(kernel: Kernel, x, z=None) -> jax.Array:
    """The full kernel matrix G_ij = K(x_i, z_j) of shape (n, m) (z defaults to x).

    Materialises n * m values: for small sets only (e.g. the eigenvalues of the 200 x 200 training Gram
    matrix). For products with a vector use :func:`matvec`, which never forms it. Not jitted (one-shot use).

    Args:
      kernel: K(x, z) on (d,) vectors.
      x: (n, d) points.
      z: (m, d) points, or None for x.

    Returns:
      (n, m) array.
    """
    x = as_matrix("x", x)
    z = x if z is None else as_matrix("z", z, x.shape[1])
    check_kernel(kernel, x.shape[1], dtype=x.dtype)
    return jax.vmap(jax.vmap(kernel, in_axes=(None, 0)), in_axes=(0, None))(x, z)


def _matvec(kernel: Kernel, x, beta, z, block_size: int):
    def one(z_i):  # f(z_i) = sum_j beta_j K(x_j, z_i)
        return jnp.dot(beta, row(kernel, x, z_i))

    # lax.map with batch_size vmaps `one` over blocks of block_size queries: one (block_size, n) kernel block
    # at a time, never the (m, n) matrix.
    return jax.lax.map(one, z, batch_size=block_size)


_matvec_jit = jax.jit(_matvec, static_argnums=(0, 4))


def matvec(kernel: Kernel, x, beta, z, *, block_size: int | None = None) -> jax.Array:
    """Blocked kernel–vector product f_i = sum_j beta_j K(x_j, z_i), without forming the (m, n) kernel matrix.

    Jitted once per (kernel, shapes, block size).

    Args:
      kernel: K(x, z) on (d,) vectors.
      x: (n, d) expansion points (e.g. the training set).
      beta: (n,) coefficients.
      z: (m, d) query points.
      block_size: queries per block (memory ~ block_size * n values); default None: a block of about 2^22
        kernel values (32 MiB in float64), min(m, max(1, 2^22 // n)) rows.

    Returns:
      (m,) array f.
    """
    x = as_matrix("x", x)
    z = as_matrix("z", z, x.shape[1])
    beta = jnp.asarray(beta)
    if beta.shape != (x.shape[0],):
        raise UsageError(
            f"beta must have shape ({x.shape[0]},) to match x {x.shape}; got {beta.shape}"
        )
    check_kernel(kernel, x.shape[1], dtype=x.dtype)
    if block_size is None:
        block_size = default_block_size(x.shape[0], z.shape[0])
    if int(block_size) < 1:
        raise UsageError(f"block_size must be a positive integer; got {block_size}")
    if z.shape[0] == 0:
        return jnp.zeros((0,), float_dtype(beta, x))
    return _matvec_jit(kernel, x, beta, z, int(min(block_size, z.shape[0])))


def min_eigenvalue(gram_matrix: jax.Array | np.ndarray) -> float:
    """Smallest eigenvalue of a Gram matrix (symmetrised first, in NumPy float64): K is a valid (Mercer) kernel
    only if every Gram matrix has min_eigenvalue ≥ 0.

    Args:
      gram_matrix: (n, n) symmetric matrix, e.g. :func:`gram` of n points.

    Returns:
      The smallest eigenvalue, a Python float.
    """
    g = np.asarray(gram_matrix, dtype=np.float64)
    return float(np.linalg.eigvalsh(0.5 * (g + g.T))[0])
