"""Linear support vector machine, hinge loss with an L2 penalty (write-up §1(d)), fitted with optax.

With x including the intercept entry x₀ = 1, θ = (b, w) and ỹ = 2y − 1 ∈ {−1, +1}, the primal objective is

    J(θ) = (λ/2) ‖w‖² + (1/n) Σᵢ max(0, 1 − ỹᵢ θᵀxᵢ)          (the intercept b is not penalised)

and its margin is 1/‖w‖ (the distance from the boundary θᵀx = 0 to either line θᵀx = ±1). Unlike the
log-likelihood on separable data, J is bounded below by (λ/2)‖w‖² and J(0) = 1, so ‖w‖ ≤ √(2/λ) at the
minimiser whatever the data: the fit cannot run off to infinity.

J is not differentiable at the hinge, so a fit's optimality is certified through the dual

    D(α) = Σᵢ αᵢ − (1/(2λ)) ‖Σᵢ αᵢ ỹᵢ x̃ᵢ‖²,   0 ≤ αᵢ ≤ 1/n,   Σᵢ αᵢ ỹᵢ = 0     (x̃ = x without intercept)

(weak duality: J(θ) ≥ D(α) for every feasible α, so J(θ) − D(α) bounds how far θ is from optimal).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..errors import UsageError
from ._logistic import check_labelled


def hinge_objective(theta, x, y, lam):
    """J(θ) = (λ/2)‖w‖² + (1/n) Σ max(0, 1 − ỹᵢ θᵀxᵢ), θ = (b, w), ỹ = 2y − 1.

    Args:
      theta: (d,) intercept first; x: (n, d) with intercept column; y: (n,) labels in {0, 1}; lam: λ > 0.

    Returns:
      scalar J(θ).
    """
    y_pm = 2.0 * y - 1.0  # ỹ ∈ {−1, +1}
    hinge = jnp.maximum(0.0, 1.0 - y_pm * (x @ theta))  # max(0, 1 − ỹᵢ θᵀxᵢ)
    return 0.5 * lam * jnp.sum(theta[1:] ** 2) + jnp.mean(hinge)


def svm_margin(theta) -> float:
    """The SVM margin 1/‖w‖ of θ = (b, w)."""
    return float(1.0 / np.linalg.norm(np.asarray(theta)[1:]))


class SVMResult(NamedTuple):
    """What :func:`fit_linear_svm` returns.

    Attributes:
      theta: (d,) = (b, w), NumPy.
      objective: J(θ).
      steps: optimiser steps taken.
      margin: 1/‖w‖.
    """

    theta: np.ndarray
    objective: float
    steps: int
    margin: float


@functools.lru_cache(maxsize=16)
def default_optimizer(steps: int, learning_rate: float = 1.0) -> optax.GradientTransformation:
    """Adam with a cosine decay of the step to 0 over ``steps``: the subgradient method's vanishing step."""
    return optax.adam(optax.cosine_decay_schedule(learning_rate, steps))


@functools.lru_cache(maxsize=16)
def _runner(optimizer: optax.GradientTransformation, steps: int):
    grad = jax.grad(hinge_objective)  # a subgradient at the kinks (JAX splits ties of max evenly)

    @jax.jit
    def run(theta, x, y, lam):
        def body(carry, _):
            theta, state = carry
            updates, state = optimizer.update(grad(theta, x, y, lam), state, theta)
            return (optax.apply_updates(theta, updates), state), None

        carry, _ = jax.lax.scan(body, (theta, optimizer.init(theta)), None, length=steps)
        return carry[0]

    return run


def fit_linear_svm(
    x, y, *, lam: float, steps: int = 100_000, optimizer=None, theta0=None
) -> SVMResult:
    """Minimise the hinge-loss SVM objective J (module docstring) with an optax optimiser, full batch, jitted.

    Args:
      x: (n, d) inputs with intercept column.
      y: (n,) labels in {0, 1}.
      lam: λ > 0, the L2 penalty on w.
      steps: optimiser steps (one ``lax.scan``).
      optimizer: optax transformation; default :func:`default_optimizer` (Adam, cosine-decayed step from 1.0).
      theta0: (d,) start, default zeros.

    Returns:
      :class:`SVMResult`. Certify it with :func:`svm_duality_gap`.
    """
    x, y = check_labelled(x, y)
    if not lam > 0:
        raise UsageError(f"lam must be > 0 (it bounds ‖w‖ ≤ √(2/λ)); got {lam}")
    if steps < 2:
        raise UsageError(f"steps must be >= 2; got {steps}")
    theta = jnp.zeros(x.shape[1], x.dtype) if theta0 is None else jnp.asarray(theta0, x.dtype)
    if theta.shape != (x.shape[1],):
        raise UsageError(f"theta0 must have shape ({x.shape[1]},); got {theta.shape}")
    optimizer = default_optimizer(int(steps)) if optimizer is None else optimizer
    theta = np.asarray(_runner(optimizer, int(steps))(theta, x, y, jnp.asarray(lam, x.dtype)))
    return SVMResult(
        theta=theta,
        objective=float(hinge_objective(theta, x, y, lam)),
        steps=int(steps),
        margin=svm_margin(theta),
    )


def _single_threaded_blas():
    """Limit BLAS to one thread if threadpoolctl is installed (it comes with scikit-learn); else do nothing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _minimize_dual(minimize, dual, g, y_pm, n, lam):
    """SLSQP on −D(α) over 0 ≤ α ≤ 1/n, Σ αᵢ ỹᵢ = 0; ∇D(α) = 1 − G Gᵀα / λ."""
    return minimize(
        lambda a: -dual(a),
        np.zeros(n),
        jac=lambda a: -(np.ones(n) - g @ (g.T @ a) / lam),
        bounds=[(0.0, 1.0 / n)] * n,
        constraints=[{"type": "eq", "fun": lambda a: a @ y_pm, "jac": lambda a: y_pm}],
        method="SLSQP",
        options={"ftol": 1e-16, "maxiter": 5000},
    )


def svm_dual(x, y, lam: float) -> tuple[np.ndarray, float]:
    """A feasible dual point α and D(α), by SciPy SLSQP (module docstring), for the duality-gap certificate.

    Args:
      x: (n, d) with intercept column; y: (n,) in {0, 1}; lam: λ > 0.

    Returns:
      (α (n,), D(α)). α is made exactly feasible (clipped to [0, 1/n], then rescaled on one class so that
      Σ αᵢ ỹᵢ = 0), so D(α) is a true lower bound on min J whatever the solver's accuracy.
    """
    from scipy.optimize import minimize

    x, y = check_labelled(x, y)
    x_tilde, y_pm = np.asarray(x)[:, 1:], 2.0 * np.asarray(y) - 1.0
    n = x_tilde.shape[0]
    g = y_pm[:, None] * x_tilde  # rows ỹᵢ x̃ᵢ

    def dual(alpha):  # D(α) = Σα − ‖Gᵀα‖² / (2λ)
        v = g.T @ alpha
        return alpha.sum() - 0.5 / lam * (v @ v)

    with (
        _single_threaded_blas()
    ):  # a 100-variable QP: BLAS threads only contend (seconds on a busy machine)
        res = _minimize_dual(minimize, dual, g, y_pm, n, lam)
    alpha = np.clip(res.x, 0.0, 1.0 / n)
    # exact feasibility Σ αᵢ ỹᵢ = 0: shrink the heavier class's weights (stays within [0, 1/n])
    pos, neg = alpha[y_pm > 0].sum(), alpha[y_pm < 0].sum()
    if pos > neg:
        alpha = np.where(y_pm > 0, alpha * (neg / pos), alpha)
    elif neg > pos:
        alpha = np.where(y_pm < 0, alpha * (pos / neg), alpha)
    return alpha, float(dual(alpha))


def svm_duality_gap(theta, x, y, lam: float) -> float:
    """J(θ) − D(α*) ≥ J(θ) − min J ≥ 0: how far θ is from the SVM optimum in objective (weak duality)."""
    _, d_value = svm_dual(x, y, lam)
    return float(hinge_objective(jnp.asarray(theta), *check_labelled(x, y), lam)) - d_value
