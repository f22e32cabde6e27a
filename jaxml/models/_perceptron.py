"""The kernelised perceptron of write-up §3: one pass over the training set, state = coefficients beta.

The primal perceptron (write-up §3(a)) is theta <- theta + alpha (y - g(theta^T phi(x))) phi(x), theta^(0) = 0,
with g(z) = 1 if z >= 0 else 0. By induction theta^(i) = sum_{j<=i} beta_j phi(x^(j)), so the state is the
vector beta over the training points, filled in file order by write-up eq. (1):

    beta_i = alpha [y^(i) - g(sum_{k<i} beta_k K(x^(k), x^(i)))],

and a prediction is h(x) = g(sum_j beta_j K(x^(j), x)). ``derivations/perceptron.py`` checks that this dual form
equals the primal one when phi is an explicit finite feature map.

Cost: the pass is a jitted ``lax.scan`` over the examples. Step i evaluates the kernel of x^(i) against all n
training points (entries k >= i are masked; their beta is still 0 anyway), so training is O(n^2) kernel
evaluations but O(n) memory: no n x n Gram matrix is formed. Predictions go through the blocked
:func:`jaxml.models.kernels.matvec`. One compiled program serves every call with the same kernel and shapes.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.errors import UsageError

from ._kernels import Kernel, as_matrix, check_kernel, float_dtype, matvec, rbf, row


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=("beta", "x", "online_margin"),
    meta_fields=("kernel", "alpha"),
)
@dataclasses.dataclass(frozen=True)
class KernelPerceptron:
    """A trained kernel perceptron, the family's result (a pytree; ``kernel`` and ``alpha`` are static).

    A registered dataclass rather than a NamedTuple: the kernel is a function, static under ``jax.jit``.

    Attributes:
      beta: (n,) coefficients, beta_i = alpha [y_i - g(sum_{k<i} beta_k K(x_k, x_i))] (write-up eq. 1).
      x: (n, d) training points, the expansion points of theta = sum_j beta_j phi(x_j).
      online_margin: (n,) the margin the perceptron saw at step i, sum_{k<i} beta_k K(x_k, x_i), before it
        set beta_i (the "online" prediction g of that margin decided the update).
      kernel: K(x, z) on (d,) vectors.
      alpha: the learning rate.
    """

    beta: jax.Array
    x: jax.Array
    online_margin: jax.Array
    kernel: Kernel
    alpha: float


def g(z: jax.Array) -> jax.Array:
    """The perceptron's threshold, g(z) = 1 if z >= 0 else 0 (write-up §3; note g(0) = 1), in z's float dtype.

    Private to the module: :func:`predict` is g of :func:`margin`.
    """
    return jnp.where(z >= 0, 1.0, 0.0).astype(float_dtype(z))


@functools.partial(jax.jit, static_argnums=(0, 1))
def _fit_chunk(kernel, chunk, x, y, alpha, beta, margin, start):
    """Steps start, ..., start + chunk - 1 of the pass (indices >= n are padding and change nothing)."""
    n = x.shape[0]
    k = jnp.arange(n, dtype=jnp.int32)

    def step(carry, i):
        beta, margin = carry
        valid = i < n
        j = jnp.minimum(i, n - 1)
        kernel_row = row(kernel, x, x[j])  # K(x_k, x_i) for every k, O(n) memory
        # s_i = sum_{k<i} beta_k K(x_k, x_i); `where` (not a 0/1 product) so a non-finite K for k >= i can't leak
        s = jnp.sum(jnp.where(k < j, beta * kernel_row, 0.0))
        # beta_i = alpha [y_i - g(s_i)]   (write-up eq. 1)
        beta_i = alpha * (y[j] - g(s))
        beta = beta.at[j].set(jnp.where(valid, beta_i, beta[j]))
        margin = margin.at[j].set(jnp.where(valid, s, margin[j]))
        return (beta, margin), None

    idx = start + jnp.arange(chunk, dtype=jnp.int32)
    (beta, margin), _ = jax.lax.scan(step, (beta, margin), idx)
    return beta, margin


def _check_labels(y, n: int) -> jax.Array:
    y = jnp.asarray(y)
    if y.shape != (n,):
        raise UsageError(f"y must have shape ({n},) to match x; got shape {y.shape}")
    if not isinstance(y, jax.core.Tracer):
        values = np.unique(np.asarray(y))
        if not np.all(np.isin(values, [0.0, 1.0])):
            raise UsageError(
                f"y must hold labels in {{0, 1}} (the perceptron's g is 0/1); got values {values[:5].tolist()}"
            )
    return y


def _check_options(x, alpha, chunk_size) -> int:
    """Validate x's values, alpha and chunk_size; return the chunk size to use."""
    if not isinstance(x, jax.core.Tracer) and not np.all(np.isfinite(np.asarray(x))):
        raise UsageError("x contains NaN or infinite values")
    if not isinstance(alpha, (int, float, np.number)) or not math.isfinite(alpha) or alpha <= 0:
        raise UsageError(f"alpha must be a positive finite number; got {alpha!r}")
    n = x.shape[0]
    if chunk_size is None:
        return n
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise UsageError(f"chunk_size must be a positive integer or None; got {chunk_size!r}")
    return int(min(chunk_size, n))


def fit(
    x,
    y,
    *,
    kernel: Kernel = rbf,
    alpha: float = 0.5,
    chunk_size: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> KernelPerceptron:
    """Train the kernel perceptron with one pass over (x, y) in order (write-up §3, eq. 1).

    beta_i = alpha [y_i - g(sum_{k<i} beta_k K(x_k, x_i))], g(z) = 1 if z >= 0 else 0, beta starts at 0.

    The pass is a jitted ``lax.scan``; with ``chunk_size`` it runs as consecutive jitted scans of that many
    examples (one compiled program for all of them) and calls ``on_chunk(done, n)`` between them (for a progress
    bar). Memory is O(n) per step: the n x n Gram matrix is never formed. Works under ``jax.jit`` too.

    Args:
      x: (n, d) training points, float (computed in their dtype).
      y: (n,) labels in {0, 1}.
      kernel: K(x, z) on two (d,) vectors returning a scalar (``kernels.dot``, ``kernels.rbf``,
        ``kernels.non_psd``, ``kernels.polynomial`` or the user's own); default ``kernels.rbf`` (sigma = 1).
      alpha: learning rate > 0; default 0.5 (the write-up's). beta scales with alpha and g reads only the sign
        of the margin, so predictions do not depend on alpha > 0 (up to rounding).
      chunk_size: examples per jitted scan; default None: the whole pass as one scan.
      on_chunk: called as on_chunk(done, n) after each chunk; default None.

    Returns:
      A :class:`KernelPerceptron` holding beta (n,), the training points and the online margins.

    Example:
      >>> model = perceptron.fit(x_train, y_train, kernel=kernels.rbf, alpha=0.5)
      >>> y_hat = perceptron.predict(model, x_test)
    """
    x = as_matrix("x", x)
    n, d = x.shape
    if n == 0:
        raise UsageError("x must hold at least one training point; got shape (0, d)")
    y = _check_labels(y, n).astype(x.dtype)
    chunk = _check_options(x, alpha, chunk_size)
    check_kernel(kernel, d, dtype=x.dtype)

    beta = np.zeros((n,), x.dtype)  # theta^(0) = 0  <=>  beta = 0
    margin = np.zeros((n,), x.dtype)
    alpha_arr = np.asarray(alpha, x.dtype)
    # one jitted scan per chunk; the last one is padded with indices >= n
    for start in range(0, n, chunk):
        beta, margin = _fit_chunk(kernel, chunk, x, y, alpha_arr, beta, margin, np.int32(start))
        if on_chunk is not None:
            on_chunk(min(start + chunk, n), n)
    return KernelPerceptron(beta=beta, x=x, online_margin=margin, kernel=kernel, alpha=float(alpha))


def margin(model: KernelPerceptron, x_new, *, block_size: int | None = None) -> jax.Array:
    """The score sum_j beta_j K(x_j, x) for each row x of ``x_new``, computed in blocks of rows.

    Args:
      model: a trained :class:`KernelPerceptron`.
      x_new: (m, d) points.
      block_size: rows per block (memory ~ block_size * n); default None: a block of about 2^22 kernel values
        (see :func:`jaxml.models.kernels.matvec`).

    Returns:
      (m,) margins; theta^T phi(x) for the implicit theta = sum_j beta_j phi(x_j).
    """
    if not isinstance(model, KernelPerceptron):
        raise UsageError(
            f"model must be a KernelPerceptron from perceptron.fit; got {type(model).__name__}"
        )
    return matvec(model.kernel, model.x, model.beta, x_new, block_size=block_size)


def predict(model: KernelPerceptron, x_new, *, block_size: int | None = None) -> jax.Array:
    """Predicted labels h(x) = g(sum_j beta_j K(x_j, x)) in {0, 1} (write-up §3(a)(ii)), in blocks of rows.

    Args:
      model: a trained :class:`KernelPerceptron`.
      x_new: (m, d) points.
      block_size: rows per block, see :func:`margin`; default None.

    Returns:
      (m,) float array of 0.0 / 1.0.
    """
    return _g_jit(margin(model, x_new, block_size=block_size))


_g_jit = jax.jit(g)  # one small program instead of three eager ones per shape
