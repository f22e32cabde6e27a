"""Logistic regression: the gradient and Hessian of the mean log-likelihood, derived by hand (write-up §1).

With h = σ(Xθ) for X (n, d) (rows xᵢᵀ, intercept included) and labels y ∈ {0, 1}ⁿ,

    ℓ(θ) = (1/n) Σᵢ yᵢ log hᵢ + (1 − yᵢ) log(1 − hᵢ).

Since dσ/dz = σ(1 − σ),  d/dz log σ(z) = 1 − σ(z)  and  d/dz log(1 − σ(z)) = −σ(z), so each term's derivative in
zᵢ = θᵀxᵢ is yᵢ(1 − hᵢ) − (1 − yᵢ)hᵢ = yᵢ − hᵢ. The chain rule through zᵢ = θᵀxᵢ gives

    ∇ℓ(θ)  = (1/n) Xᵀ (y − h)                       (the gradient-ascent direction of §1)
    ∇²ℓ(θ) = −(1/n) Xᵀ diag(h ⊙ (1 − h)) X           (negative semidefinite: ℓ is concave)

The as-written variant people most often write, Xᵀ(y − h) without the 1/n, is the gradient of the *sum*
log-likelihood; the verifier flags it against the mean (see ``log_likelihood_grad_sum``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxml.models.logistic import log_likelihood
from jaxml.testing import draws as _draws
from jaxml.verify import derivation, hessian


def _example(key):
    """A random problem: n = 40 points in d = 3 (intercept + 2 features), labels in {0, 1}, θ of moderate size."""
    k_theta, k_x, k_y = _draws.split(key, 3)
    x = jnp.concatenate([jnp.ones((40, 1)), _draws.normal(k_x, (40, 2))], axis=1)
    y = jax.random.bernoulli(k_y, 0.5, (40,)).astype(x.dtype)
    theta = 2.0 * _draws.normal(k_theta, (3,))
    return theta, x, y


@derivation(of=log_likelihood, example=_example, equation="§1: ∇ℓ(θ) = (1/n) Xᵀ(y − σ(Xθ))")
def log_likelihood_grad(theta, x, y):
    """∇ℓ(θ) = (1/n) Xᵀ (y − σ(Xθ)).  theta (d,), x (n, d), y (n,) -> (d,)."""
    h = jax.nn.sigmoid(x @ theta)
    return x.T @ (y - h) / y.shape[0]


@hessian(of=log_likelihood, example=_example, equation="§1: ∇²ℓ(θ) = −(1/n) Xᵀ diag(h(1−h)) X")
def log_likelihood_hessian(theta, x, y):
    """∇²ℓ(θ) = −(1/n) Xᵀ diag(h(1 − h)) X with h = σ(Xθ).  -> (d, d)."""
    h = jax.nn.sigmoid(x @ theta)
    return -(x.T * (h * (1.0 - h))) @ x / y.shape[0]


@derivation(
    of=log_likelihood,
    example=_example,
    name="log_likelihood_grad_sum (common slip)",
    equation="§1, written for the sum",
    expected_failure=True,
    erratum="Xᵀ(y − h) is the gradient of the SUM log-likelihood; ℓ here is the mean, so 1/n is missing",
)
def log_likelihood_grad_sum(theta, x, y):
    """Xᵀ(y − σ(Xθ)): the gradient of Σᵢ log p(yᵢ|xᵢ), kept as a documented slip against the mean ℓ."""
    return x.T @ (y - jax.nn.sigmoid(x @ theta))
