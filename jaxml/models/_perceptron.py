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
:func:`jaxml.models.kernel_matvec`.
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

from ._kernels import Kernel, _as_matrix, check_kernel, kernel_matvec, kernel_row, rbf_kernel


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=("beta", "x", "online_margin"),
    meta_fields=("kernel", "alpha"),
)
@dataclasses.dataclass(frozen=True)
class KernelPerceptron:
    """A trained kernel perceptron (a pytree; ``kernel`` and ``alpha`` are static).

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


def perceptron_g(z: jax.Array) -> jax.Array:
    """The perceptron's threshold, g(z) = 1 if z >= 0 else 0 (write-up §3; note g(0) = 1)."""
    return jnp.where(z >= 0, 1.0, 0.0).astype(jnp.result_type(z, jnp.float32))


def _fit_chunk(kernel, x, y, alpha, beta, margin, idx):
    """Scan over the example indices ``idx`` (padded with indices >= n, which change nothing)."""
    n = x.shape[0]
    k = jnp.arange(n)

    def step(carry, i):
        beta, margin = carry
        valid = i < n
        j = jnp.minimum(i, n - 1)
        row = kernel_row(kernel, x, x[j])  # K(x_k, x_i) for every k, O(n) memory
        # s_i = sum_{k<i} beta_k K(x_k, x_i); `where` (not a 0/1 product) so a non-finite K for k >= i can't leak
        s = jnp.sum(jnp.where(k < j, beta * row, 0.0))
        # beta_i = alpha [y_i - g(s_i)]   (write-up eq. 1)
        beta_i = alpha * (y[j] - perceptron_g(s))
        beta = beta.at[j].set(jnp.where(valid, beta_i, beta[j]))
        margin = margin.at[j].set(jnp.where(valid, s, margin[j]))
        return (beta, margin), None

    (beta, margin), _ = jax.lax.scan(step, (beta, margin), idx)
    return beta, margin


_fit_chunk_jit = jax.jit(_fit_chunk, static_argnums=(0,))


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


def perceptron_fit(
    x,
    y,
    *,
    kernel: Kernel = rbf_kernel,
    alpha: float = 0.5,
    chunk_size: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> KernelPerceptron:
    """Train the kernel perceptron with one pass over (x, y) in order (write-up §3, eq. 1).

    beta_i = alpha [y_i - g(sum_{k<i} beta_k K(x_k, x_i))], g(z) = 1 if z >= 0 else 0, beta starts at 0.

    The pass is a jitted ``lax.scan``; with ``chunk_size`` it runs as consecutive jitted scans of that many
    examples and calls ``on_chunk(done, n)`` between them (for a progress bar). Memory is O(n) per step: the
    n x n Gram matrix is never formed.

    Args:
      x: (n, d) training points, float (float64 by default under jaxml).
      y: (n,) labels in {0, 1}.
      kernel: K(x, z) on two (d,) vectors returning a scalar (``dot_kernel``, ``rbf_kernel``,
        ``non_psd_kernel``, ``polynomial_kernel`` or the user's own).
      alpha: learning rate (write-up: 0.5).
      chunk_size: examples per jitted scan; None runs the whole pass as one scan.
      on_chunk: called as on_chunk(done, n) after each chunk.

    Returns:
      A :class:`KernelPerceptron` holding beta (n,), the training points and the online margins.

    Example:
      >>> model = perceptron_fit(x_train, y_train, kernel=rbf_kernel, alpha=0.5)
      >>> y_hat = perceptron_predict(model, x_test)
    """
    x = _as_matrix("x", x)
    n, d = x.shape
    if n == 0:
        raise UsageError("x must hold at least one training point; got shape (0, d)")
    y = _check_labels(y, n).astype(x.dtype)
    if not isinstance(x, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(x))):
        raise UsageError("x contains NaN or infinite values")
    if not isinstance(alpha, (int, float, np.number)) or not math.isfinite(alpha) or alpha <= 0:
        raise UsageError(f"alpha must be a positive finite number; got {alpha!r}")
    check_kernel(kernel, d, x.dtype)
    if chunk_size is None:
        chunk_size = n
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise UsageError(f"chunk_size must be a positive integer or None; got {chunk_size!r}")
    chunk_size = int(min(chunk_size, n))

    beta = jnp.zeros((n,), x.dtype)  # theta^(0) = 0  <=>  beta = 0
    margin = jnp.zeros((n,), x.dtype)
    alpha_arr = jnp.asarray(alpha, x.dtype)
    n_chunks = -(-n // chunk_size)
    for c in range(
        n_chunks
    ):  # one jitted scan per chunk; the last chunk is padded with indices >= n
        idx = jnp.arange(c * chunk_size, (c + 1) * chunk_size)
        beta, margin = _fit_chunk_jit(kernel, x, y, alpha_arr, beta, margin, idx)
        if on_chunk is not None:
            on_chunk(min((c + 1) * chunk_size, n), n)
    return KernelPerceptron(beta=beta, x=x, online_margin=margin, kernel=kernel, alpha=float(alpha))


def perceptron_margin(
    model: KernelPerceptron, x_new, *, block_size: int | None = None
) -> jax.Array:
    """The score sum_j beta_j K(x_j, x) for each row x of ``x_new``, computed in blocks of rows.

    Args:
      model: a trained :class:`KernelPerceptron`.
      x_new: (m, d) points.
      block_size: rows per block (memory ~ block_size * n); default keeps a block near 2^22 kernel values.

    Returns:
      (m,) margins; theta^T phi(x) for the implicit theta = sum_j beta_j phi(x_j).
    """
    if not isinstance(model, KernelPerceptron):
        raise UsageError(
            f"model must be a KernelPerceptron from perceptron_fit; got {type(model).__name__}"
        )
    return kernel_matvec(model.kernel, model.x, model.beta, x_new, block_size=block_size)


def perceptron_predict(
    model: KernelPerceptron, x_new, *, block_size: int | None = None
) -> jax.Array:
    """Predicted labels h(x) = g(sum_j beta_j K(x_j, x)) in {0, 1} (write-up §3(a)(ii)), in blocks of rows.

    Args:
      model: a trained :class:`KernelPerceptron`.
      x_new: (m, d) points.
      block_size: rows per block, see :func:`perceptron_margin`.

    Returns:
      (m,) float array of 0.0 / 1.0.
    """
    return perceptron_g(perceptron_margin(model, x_new, block_size=block_size))
