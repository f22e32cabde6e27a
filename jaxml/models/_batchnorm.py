"""Batch normalisation (write-up §6, eq. 11-14): the forward pass, and a layer whose backward pass is the
hand-derived formula (eq. 16, fused), registered through ``jax.custom_vjp``.

For a batch x of shape (m, d) (explicit leading batch axis, statistics per feature j)::

    μ = (1/m) Σ_i x^(i)                       (eq. 11)
    v = (1/m) Σ_i (x^(i) - μ)^2               (eq. 12)
    x̂^(i) = (x^(i) - μ) / sqrt(v + ε)         (eq. 13; ε = 0 is the write-up's formula)
    y^(i) = γ ⊙ x̂^(i) + β                     (eq. 14)

Backward (derived in ``derivations/batchnorm.py``), with dy = ∂L/∂y (m, d)::

    ∂L/∂β = Σ_i dy^(i),   ∂L/∂γ = Σ_i dy^(i) ⊙ x̂^(i)
    ∂L/∂x = (γ / sqrt(v + ε)) / m ⊙ (m dy - Σ_i dy^(i) - x̂ ⊙ Σ_i dy^(i) ⊙ x̂^(i))

The fused form needs only the two column sums that ∂L/∂β and ∂L/∂γ already produce, so the whole backward is
two reductions and one elementwise pass over (m, d).

The §5 network with the layer on its hidden pre-activations (§6 in use), trained by full-batch gradient descent::

    z = W1 x̃,   h = σ(BN(z; γ, β)),   o = W2 · [1, h],   L = (1/n) Σᵢ (o⁽ⁱ⁾ − y⁽ⁱ⁾)²

(:class:`BatchNormNetwork`, :func:`fit`): the same loop differentiates through the hand VJP of :func:`batchnorm`
or through autodiff of :func:`batchnorm_reference`, which is how the layer is checked in a training step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .. import _bucketed_random as _random
from ..errors import UsageError
from ._deprecation import positional_settings
from ._network import add_intercept, hidden


def _check(x, gamma, beta, eps) -> None:
    if jnp.ndim(x) != 2:
        raise UsageError(f"x must be a batch of shape (m, d); got shape {jnp.shape(x)}")
    m, d = jnp.shape(x)
    if m < 2:
        raise UsageError(
            f"batch normalisation needs m >= 2 examples (v = 0 for m = 1); got m = {m}"
        )
    for name, a in (("gamma", gamma), ("beta", beta)):
        if jnp.shape(a) != (d,):
            raise UsageError(
                f"{name} must have shape (d,) = ({d},) for x of shape {jnp.shape(x)}; got {jnp.shape(a)}"
            )
    if not isinstance(eps, (int, float)) or eps < 0:
        raise UsageError(f"eps must be a Python number >= 0 (it is a static constant); got {eps!r}")


@positional_settings("batchnorm", ("x", "eps"), name="stats")
def batchnorm_stats(x: jax.Array, *, eps: float = 0.0) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The batch statistics and the normalised batch (eq. 11-13).

    Args:
      x: (m, d) batch.
      eps: ε added to v; default 0 (the write-up's formula).

    Returns:
      (mu (d,), v (d,), x_hat (m, d)).
    """
    mu = jnp.mean(x, axis=0)  # μ = (1/m) Σ_i x^(i)            (eq. 11)
    v = jnp.mean((x - mu) ** 2, axis=0)  # v = (1/m) Σ_i (x^(i) - μ)^2   (eq. 12)
    x_hat = (x - mu) / jnp.sqrt(v + eps)  # x̂ = (x - μ) / sqrt(v + ε)     (eq. 13)
    return mu, v, x_hat


def batchnorm_reference(
    x: jax.Array, gamma: jax.Array, beta: jax.Array, *, eps: float = 0.0
) -> jax.Array:
    """Batch normalisation written plainly (eq. 11-14); its gradients come from JAX's autodiff.

    y^(i) = γ ⊙ (x^(i) - μ) / sqrt(v + ε) + β.

    Args:
      x: (m, d) batch.
      gamma: (d,) scale γ (a parameter of the layer, positional like x).
      beta: (d,) shift β.
      eps: ε added to v; default 0 (the write-up's formula).

    Returns:
      y: (m, d).
    """
    _check(x, gamma, beta, eps)
    _, _, x_hat = batchnorm_stats(x, eps=eps)
    return gamma * x_hat + beta  # y = γ ⊙ x̂ + β                  (eq. 14)


def _normalise(x, eps):
    """x̂ and 1/√(v + ε) in one pass each: the custom layer's forward (one rsqrt per feature, then a multiply)."""
    mu = jnp.mean(x, axis=0)  # μ                                 (eq. 11)
    centred = x - mu
    v = jnp.mean(centred**2, axis=0)  # v                       (eq. 12)
    inv_std = jax.lax.rsqrt(v + eps)  # 1 / √(v + ε)
    return centred * inv_std, inv_std  # x̂ = (x − μ) / √(v + ε)  (eq. 13)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def _batchnorm(x, gamma, beta, eps):
    x_hat, _ = _normalise(x, eps)
    return gamma * x_hat + beta  # y = γ ⊙ x̂ + β                  (eq. 14)


def _batchnorm_fwd(x, gamma, beta, eps):
    x_hat, inv_std = _normalise(x, eps)
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)  # residuals for the backward pass


def batchnorm_backward(x_hat, inv_std, gamma, dy):
    """The hand-derived backward pass of batch normalisation (write-up eq. 16, fused; see the module doc).

    Args:
      x_hat: (m, d) the normalised batch.
      inv_std: (d,) 1/sqrt(v + ε).
      gamma: (d,) scale γ.
      dy: (m, d) ∂L/∂y, the cotangent of the layer's output.

    Returns:
      (dx (m, d), dgamma (d,), dbeta (d,)).
    """
    m = x_hat.shape[0]
    dbeta = jnp.sum(dy, axis=0)  # ∂L/∂β = Σ_i dy^(i)
    dgamma = jnp.sum(dy * x_hat, axis=0)  # ∂L/∂γ = Σ_i dy^(i) ⊙ x̂^(i)
    # ∂L/∂x = (γ/sqrt(v+ε))/m ⊙ (m dy - Σ dy - x̂ ⊙ Σ dy ⊙ x̂): eq. 16 with ∂L/∂v, ∂L/∂μ substituted
    dx = (gamma * inv_std / m) * (m * dy - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def _batchnorm_bwd(eps, residuals, dy):
    x_hat, inv_std, gamma = residuals
    return batchnorm_backward(x_hat, inv_std, gamma, dy)


_batchnorm.defvjp(_batchnorm_fwd, _batchnorm_bwd)


def batchnorm(x: jax.Array, gamma: jax.Array, beta: jax.Array, *, eps: float = 0.0) -> jax.Array:
    """Batch normalisation (eq. 11-14) whose VJP is the hand-derived fused formula (eq. 16), not autodiff.

    y^(i) = γ ⊙ (x^(i) - μ) / sqrt(v + ε) + β; the backward pass is :func:`batchnorm_backward` via
    ``jax.custom_vjp``. Works under ``jax.jit``, ``jax.vmap`` (over extra leading axes) and ``jax.grad``; the
    verifier checks its VJP against autodiff of :func:`batchnorm_reference` (``derivations/batchnorm.py``).

    Args:
      x: (m, d) batch.
      gamma: (d,) scale γ.
      beta: (d,) shift β.
      eps: ε added to v, a static Python number; default 0 (the write-up's formula; with ε = 0 a constant
        feature gives 0/0).

    Returns:
      y: (m, d).
    """
    _check(x, gamma, beta, eps)
    return _batchnorm(x, gamma, beta, float(eps))


# ----------------------------------------------------------------------------------------------------------
# the §5 network with batch norm on its hidden pre-activations, and its training loop
# ----------------------------------------------------------------------------------------------------------

Layer = Callable[..., jax.Array]


class BatchNormNetwork(NamedTuple):
    """The two-layer network with batch normalisation after the first layer, and its loss history.

    Attributes:
      W1: (h, d+1) first-layer weights, column 0 the intercepts.
      gamma: (h,) batch-norm scale γ; beta: (h,) batch-norm shift β.
      W2: (h+1,) second-layer weights, entry 0 the intercept.
      losses: (steps,) L before each gradient step of the last :func:`fit`; (0,) from :func:`init`.
    """

    W1: jax.Array
    gamma: jax.Array
    beta: jax.Array
    W2: jax.Array
    losses: jax.Array


def init(d: int, hidden_units: int, *, key: jax.Array, dtype=None) -> BatchNormNetwork:
    """Random initial weights: W1, W2 ~ N(0, 1), γ = 1 + 0.1 N(0, 1), β = 0.1 N(0, 1), entry by entry.

    Args:
      d: number of inputs (without the intercept).
      hidden_units: h, the number of hidden units.
      key: PRNG key (keyword-only, required; split here into four, never reused).
      dtype: float dtype of the weights; default None: JAX's default float dtype.

    Returns:
      BatchNormNetwork(W1 (h, d+1), gamma (h,), beta (h,), W2 (h+1,), losses (0,)).
    """
    if d < 1 or hidden_units < 1:
        raise UsageError(
            f"need d >= 1 and hidden_units >= 1; got d={d}, hidden_units={hidden_units}"
        )
    dtype = jnp.zeros(0).dtype if dtype is None else jnp.dtype(dtype)
    kW1, kg, kb, kW2 = jax.random.split(key, 4)
    W1 = _random.normal(kW1, (hidden_units, d + 1), dtype)
    gamma = 1.0 + 0.1 * _random.normal(kg, (hidden_units,), dtype)  # γ near 1: BN starts close to x̂
    beta = 0.1 * _random.normal(kb, (hidden_units,), dtype)
    W2 = _random.normal(kW2, (hidden_units + 1,), dtype)
    return BatchNormNetwork(W1, gamma, beta, W2, jnp.zeros((0,), dtype))


def forward(W1, gamma, beta, W2, x: jax.Array, *, layer: Layer = batchnorm) -> jax.Array:
    """o = W2 · [1, σ(BN(W1 x̃; γ, β))] for a batch; the batch statistics are those of ``x``.

    Args:
      W1: (h, d+1) first-layer weights, column 0 the intercepts.
      gamma: (h,) batch-norm scale γ.
      beta: (h,) batch-norm shift β.
      W2: (h+1,) second-layer weights, entry 0 the intercept.
      x: (n, d) inputs, without the intercept column.
      layer: :func:`batchnorm` (hand VJP, the default) or :func:`batchnorm_reference` (autodiff).

    Returns:
      o: (n,) outputs.
    """
    z = hidden(W1, x)  # z = W1 x̃   (n, h)
    h = jax.nn.sigmoid(layer(z, gamma, beta))  # h = σ(γ ⊙ ẑ + β)
    return add_intercept(h) @ W2  # o = W2 · [1, h]


def loss(W1, gamma, beta, W2, x: jax.Array, y: jax.Array, *, layer: Layer = batchnorm) -> jax.Array:
    """L = (1/n) Σᵢ (o⁽ⁱ⁾ − y⁽ⁱ⁾)² of :func:`forward`.

    Args:
      W1: (h, d+1); gamma: (h,); beta: (h,); W2: (h+1,): the parameters, as in :func:`forward`.
      x: (n, d) inputs.
      y: (n,) targets in {0, 1}.
      layer: the batch-norm layer, as in :func:`forward`; default :func:`batchnorm`.

    Returns:
      L, a scalar.
    """
    o = forward(W1, gamma, beta, W2, x, layer=layer)
    return jnp.mean((o - y) ** 2)


def predict(net: BatchNormNetwork, x: jax.Array, *, layer: Layer = batchnorm) -> jax.Array:
    """Class labels 1 where o >= 1/2 (squared loss to {0, 1} targets).

    Args:
      net: a :class:`BatchNormNetwork`.
      x: (n, d) inputs (one batch: its statistics normalise it).
      layer: the batch-norm layer, as in :func:`forward`; default :func:`batchnorm`.

    Returns:
      (n,) labels 0.0 / 1.0, in o's dtype.
    """
    o = forward(net.W1, net.gamma, net.beta, net.W2, x, layer=layer)
    return (o >= 0.5).astype(o.dtype)


@functools.partial(jax.jit, static_argnames=("steps", "layer"))
def fit(
    net: BatchNormNetwork,
    x: jax.Array,
    y: jax.Array,
    *,
    learning_rate: float,
    steps: int,
    layer: Layer = batchnorm,
) -> BatchNormNetwork:
    """``steps`` steps of full-batch gradient descent on :func:`loss`, from ``net``; jitted ``lax.scan``.

    θ := θ − α ∂L/∂θ for θ = (W1, γ, β, W2), the gradient through ``layer``'s backward pass: the hand VJP of
    :func:`batchnorm` (default) or autodiff of :func:`batchnorm_reference`.

    Args:
      net: the starting :class:`BatchNormNetwork` (its ``losses`` are ignored).
      x: (n, d) inputs (one batch: the whole training set).
      y: (n,) targets in {0, 1}.
      learning_rate: α (keyword-only, required).
      steps: number of steps (keyword-only, required; static).
      layer: the batch-norm layer (static); default :func:`batchnorm` (the hand VJP).

    Returns:
      BatchNormNetwork after the steps, with ``losses`` (steps,) = L before each step.
    """
    params = (net.W1, net.gamma, net.beta, net.W2)

    def gd_step(p, _):
        L, g = jax.value_and_grad(lambda q: loss(*q, x, y, layer=layer))(p)
        return jax.tree.map(lambda w, gw: w - learning_rate * gw, p, g), L  # θ := θ − α ∂L/∂θ

    (W1, gamma, beta, W2), losses = jax.lax.scan(gd_step, params, None, length=steps)
    return BatchNormNetwork(W1, gamma, beta, W2, losses)
