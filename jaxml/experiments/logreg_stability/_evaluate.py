"""One-shot evaluations of ℓ, ∇ℓ and ∇²ℓ at many θ, in a few small jitted programs instead of op by op.

The experiment evaluates the hand-derived gradient and Hessian (``jaxml_derivations.logistic``) and ℓ at some
two hundred θ. Run outside ``jit``, each JAX operation of those formulas compiles its own XLA program (about
forty of them); here each quantity is one jitted program per data shape. The programs compute every number
with the same roundings as the op-by-op evaluation the write-up's figures were first produced with, so the
results stay identical to the last bit:

* Xᵀ is materialised once (row-major) and passed in: inside ``jit``, XLA would fold the transpose into the
  product and sum in another order;
* n is passed as a traced scalar: XLA rewrites a division by a constant as a multiplication by its reciprocal;
* the autodiff gradient of the penalised objective is two programs (the dot product apart), because fused into
  one program XLA contracts a multiply and an add into a fused multiply-add.

``tests/experiments/test_logreg_stability.py`` checks each function against its op-by-op evaluation, bit for bit.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ...models import logistic


class Problem(NamedTuple):
    """A data set placed once: x (n, d) with intercept, its transpose (d, n), y (n,), n as a float scalar."""

    x: jax.Array
    x_t: jax.Array
    y: jax.Array
    n: jax.Array
    x_np: np.ndarray
    y_np: np.ndarray


def problem(x: np.ndarray, y: np.ndarray) -> Problem:
    """Place (x with intercept, y) on the default device, with what the programs below need."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    put = jax.device_put
    return Problem(put(x), put(np.ascontiguousarray(x.T)), put(y), put(np.float64(len(y))), x, y)


@jax.jit
def _log_likelihood_and_gradient(theta, x, x_t, y, n):
    # ℓ(θ), and the hand gradient ∇ℓ(θ) = (1/n) Xᵀ(y − σ(Xθ)) (jaxml_derivations.logistic.log_likelihood_grad)
    h = jax.nn.sigmoid(x @ theta)
    return logistic.log_likelihood(theta, x, y), (x_t @ (y - h)) / n


@jax.jit
def _hessian(theta, x, x_t, n):
    # ∇²ℓ(θ) = −(1/n) Xᵀ diag(h(1 − h)) X (jaxml_derivations.logistic.log_likelihood_hessian)
    h = jax.nn.sigmoid(x @ theta)
    weighted = jax.lax.optimization_barrier(x_t * jax.lax.optimization_barrier(h * (1.0 - h)))
    return (-weighted) @ x / n


def _neg_mean_log_likelihood_of_z(z, y):
    """−(1/n) Σ yᵢ log σ(zᵢ) + (1 − yᵢ) log σ(−zᵢ): −ℓ as a function of z = Xθ."""
    return -jnp.mean(y * jax.nn.log_sigmoid(z) + (1.0 - y) * jax.nn.log_sigmoid(-z))


@jax.jit
def _penalised_gradient_parts(theta, x, y, lam):
    # f(θ) = −(ℓ(θ) − (λ/2)‖θ‖²):  ∇f = Xᵀ ∂f/∂z + λθ, the two terms as autodiff forms them
    df_dz = jax.grad(_neg_mean_log_likelihood_of_z)(x @ theta, y)
    return df_dz, (0.5 * lam * 1.0) * (2.0 * theta)


@jax.jit
def _vector_matrix(v, x):
    return v @ x


_norm = jax.jit(jnp.linalg.norm)


def log_likelihood_and_gradient(theta, p: Problem) -> tuple[float, np.ndarray]:
    """(ℓ(θ), ∇ℓ(θ) (d,)) with the hand-derived gradient's formula."""
    ll, g = _log_likelihood_and_gradient(
        jax.device_put(np.asarray(theta, np.float64)), p.x, p.x_t, p.y, p.n
    )
    return float(ll), np.asarray(g)


def log_likelihood(theta, p: Problem) -> float:
    """ℓ(θ)."""
    return log_likelihood_and_gradient(theta, p)[0]


def grad_norm(theta, p: Problem) -> float:
    """‖∇ℓ(θ)‖ (NumPy's norm of the hand gradient)."""
    return float(np.linalg.norm(log_likelihood_and_gradient(theta, p)[1]))


def grad_norm_jax(theta, p: Problem) -> float:
    """‖∇ℓ(θ)‖ as ``jnp.linalg.norm`` computes it (how Newton's result reported it)."""
    return float(_norm(jax.device_put(log_likelihood_and_gradient(theta, p)[1])))


def hessian(theta, p: Problem) -> np.ndarray:
    """∇²ℓ(θ) (d, d), the hand-derived Hessian's formula."""
    return np.asarray(_hessian(jax.device_put(np.asarray(theta, np.float64)), p.x, p.x_t, p.n))


def penalised_autodiff_gradient(theta, p: Problem, lam: float) -> np.ndarray:
    """``jax.grad`` of −(ℓ(θ) − (λ/2)‖θ‖²) at θ: (d,)."""
    theta = jax.device_put(np.asarray(theta, np.float64))
    df_dz, penalty = _penalised_gradient_parts(theta, p.x, p.y, jax.device_put(np.float64(lam)))
    return np.asarray(penalty) + np.asarray(_vector_matrix(df_dz, p.x))  # λθ + Xᵀ ∂f/∂z
