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

from ..errors import UsageError
from ._deprecation import positional_settings
from ._logistic import _full, _start, check_labelled, optax_update


def objective(theta, x, y, lam):
    """J(θ) = (λ/2)‖w‖² + (1/n) Σ max(0, 1 − ỹᵢ θᵀxᵢ), θ = (b, w), ỹ = 2y − 1.

    A function of the maths, differentiated by position (``jax.grad``), so λ is its fourth positional argument.

    Args:
      theta: (d,) = (b, w), intercept first.
      x: (n, d) inputs with the intercept column.
      y: (n,) labels in {0, 1}.
      lam: λ > 0.

    Returns:
      scalar J(θ).
    """
    y_pm = 2.0 * y - 1.0  # ỹ ∈ {−1, +1}
    hinge = jnp.maximum(0.0, 1.0 - y_pm * (x @ theta))  # max(0, 1 − ỹᵢ θᵀxᵢ)
    return 0.5 * lam * jnp.sum(theta[1:] ** 2) + jnp.mean(hinge)


@jax.jit
def _mean_hinge(theta, x, y):
    """(1/n) Σ max(0, 1 − ỹᵢ θᵀxᵢ), the data term of :func:`objective`."""
    return jnp.mean(jnp.maximum(0.0, 1.0 - (2.0 * y - 1.0) * (x @ theta)))


def _objective_value(theta, x, y, lam: float) -> float:
    """J(θ) as a float: the hinge mean jitted, the penalty (λ/2)‖w‖² of the d − 1 weights in NumPy.

    One small program instead of a dozen op-by-op ones; each rounding is the one evaluating :func:`objective`
    outside jit performs (no fused multiply-add across the two terms).
    """
    w = np.asarray(theta)[1:]
    penalty = 0.5 * lam * np.sum(w**2)  # (λ/2) ‖w‖²
    return float(penalty + np.asarray(_mean_hinge(_as_jax(theta, x.dtype), x, y)))


def _as_jax(theta, dtype) -> jax.Array:
    return (
        theta.astype(dtype)
        if isinstance(theta, jax.Array)
        else jax.device_put(np.asarray(theta, dtype))
    )


def _theta(result_or_theta):
    return getattr(result_or_theta, "theta", result_or_theta)


def margin(result) -> float:
    """The SVM margin 1/‖w‖ of θ = (b, w): the distance from θᵀx = 0 to either line θᵀx = ±1.

    Args:
      result: a :class:`LinearSVM`, or θ (d,) intercept first.

    Returns:
      1/‖w‖ as a Python float.
    """
    return float(1.0 / np.linalg.norm(np.asarray(_theta(result))[1:]))


def decision(result, x):
    """The score θᵀx.

    Args:
      result: a :class:`LinearSVM`, or θ (d,) intercept first.
      x: (n, d) inputs with the intercept column.

    Returns:
      (n,) scores, a JAX array.
    """
    return jnp.asarray(x) @ jnp.asarray(_theta(result))


def predict(result, x):
    """Labels 1{θᵀx > 0}.

    Args:
      result: a :class:`LinearSVM`, or θ (d,) intercept first.
      x: (n, d) inputs with the intercept column.

    Returns:
      (n,) int32 labels in {0, 1}, a JAX array.
    """
    return (decision(result, x) > 0).astype(jnp.int32)


class LinearSVM(NamedTuple):
    """A fitted linear SVM (:func:`fit`).

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


_subgradient = jax.grad(objective)  # a subgradient at the kinks (JAX splits ties of max evenly)


@functools.cache
def _adam():
    """optax's Adam scaling (one object: the jitted loops keyed on it compile once). optax is imported where it is
    used: it takes ~0.1 s, and `import jaxml` should cost little more than JAX."""
    import optax

    return optax.scale_by_adam()


def _cosine_step(count, steps, learning_rate):
    """optax.cosine_decay_schedule(learning_rate, steps)(count) with ``steps`` traced.

    optax computes π·count/T with T a constant, which XLA turns into count·(π·(1/T)); that is written out here
    so that a traced T gives the same bits.
    """
    count = jnp.minimum(count.astype(steps.dtype), steps)
    cosine_decay = 0.5 * (1 + jnp.cos(count * (jnp.pi * (1.0 / steps))))  # ½(1 + cos(π t / T))
    decayed = (1 - 0.0) * cosine_decay**1.0 + 0.0  # optax's (1 − α)·c^e + α with α = 0, e = 1
    return learning_rate * decayed


@jax.jit
def _adam_cosine(theta, x, y, lam, steps, learning_rate):
    """The default fit: Adam with a cosine-decayed step, ``steps`` full-batch steps; λ, T, rate all traced."""
    import optax

    adam = _adam()

    def body(_, carry):
        theta, state, count = carry
        updates, state = optax_update(adam, _subgradient(theta, x, y, lam), state, theta)
        # sgd flips the sign
        step_size = -1 * _cosine_step(count, steps.astype(theta.dtype), learning_rate)
        updates = jnp.array(step_size, dtype=updates.dtype) * updates
        return optax.apply_updates(theta, updates), state, count + 1

    carry = (theta, adam.init(theta), jnp.zeros((), jnp.int32))
    return jax.lax.fori_loop(0, steps, body, carry)[0]


@functools.partial(jax.jit, static_argnames=("optimizer", "steps"))
def _optax_scan(theta, x, y, lam, *, optimizer, steps):
    """A caller's optax optimiser for ``steps`` full-batch steps (one program per optimizer object and steps)."""
    import optax

    def body(carry, _):
        theta, state = carry
        updates, state = optax_update(optimizer, _subgradient(theta, x, y, lam), state, theta)
        return (optax.apply_updates(theta, updates), state), None

    carry, _ = jax.lax.scan(body, (theta, optimizer.init(theta)), None, length=steps)
    return carry[0]


def fit(
    x,
    y,
    *,
    lam: float,
    steps: int = 100_000,
    learning_rate: float = 1.0,
    optimizer=None,
    theta0=None,
) -> LinearSVM:
    """Minimise the hinge-loss SVM objective J (module docstring) with optax, full batch, jitted.

    The default is the subgradient method's vanishing step through Adam: ``optax.adam`` with
    ``optax.cosine_decay_schedule(learning_rate, steps)``, where λ, ``steps`` and the rate are traced (every fit
    of one data shape shares one program).

    Args:
      x: (n, d) inputs with intercept column.
      y: (n,) labels in {0, 1}.
      lam: λ > 0, the L2 penalty on w (keyword-only, required: it sets the margin, see the module docstring).
      steps: optimiser steps; default 100,000.
      learning_rate: the initial step of the default cosine schedule; default 1.0.
      optimizer: an optax transformation instead of the default (``learning_rate`` then unused); default None.
      theta0: (d,) start; default zeros.

    Returns:
      :class:`LinearSVM`. Certify it with :func:`duality_gap`.
    """
    x, y = check_labelled(x, y)
    if not lam > 0:
        raise UsageError(f"lam must be > 0 (it bounds ‖w‖ ≤ √(2/λ)); got {lam}")
    if not 2 <= steps < 2**31:
        raise UsageError(f"steps must be in [2, 2**31); got {steps}")
    if theta0 is not None and np.shape(theta0) != (x.shape[1],):
        raise UsageError(f"theta0 must have shape ({x.shape[1]},); got {np.shape(theta0)}")
    theta = _start(theta0, x)
    lam_x = _full(lam, x.dtype)
    if optimizer is None:
        theta = _adam_cosine(
            theta, x, y, lam_x, _full(steps, np.int32), _full(learning_rate, x.dtype)
        )
    else:
        theta = _optax_scan(theta, x, y, lam_x, optimizer=optimizer, steps=int(steps))
    theta = np.asarray(theta)
    return LinearSVM(
        theta=theta,
        objective=_objective_value(theta, x, y, lam),
        steps=int(steps),
        margin=margin(theta),
    )


def _single_threaded_blas():
    """Limit BLAS to one thread if threadpoolctl is installed (it comes with scikit-learn); else do nothing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _minimize_dual(minimize, dual_value, g, y_pm, n, lam):
    """SLSQP on −D(α) over 0 ≤ α ≤ 1/n, Σ αᵢ ỹᵢ = 0; ∇D(α) = 1 − G Gᵀα / λ."""
    return minimize(
        lambda a: -dual_value(a),
        np.zeros(n),
        jac=lambda a: -(np.ones(n) - g @ (g.T @ a) / lam),
        bounds=[(0.0, 1.0 / n)] * n,
        constraints=[{"type": "eq", "fun": lambda a: a @ y_pm, "jac": lambda a: y_pm}],
        method="SLSQP",
        options={"ftol": 1e-16, "maxiter": 5000},
    )


@positional_settings("linear_svm", ("x", "y", "lam"))
def dual(x, y, *, lam: float) -> tuple[np.ndarray, float]:
    """A feasible dual point α and D(α), by SciPy SLSQP (module docstring), for the duality-gap certificate.

    Args:
      x: (n, d) inputs with the intercept column.
      y: (n,) labels in {0, 1}.
      lam: λ > 0 (keyword-only, required), the penalty of the primal J.

    Returns:
      (α (n,), D(α)). α is made exactly feasible (clipped to [0, 1/n], then rescaled on one class so that
      Σ αᵢ ỹᵢ = 0), so D(α) is a true lower bound on min J whatever the solver's accuracy.
    """
    from scipy.optimize import minimize

    x, y = check_labelled(x, y)
    x_tilde, y_pm = np.asarray(x, np.float64)[:, 1:], 2.0 * np.asarray(y, np.float64) - 1.0
    n = x_tilde.shape[0]
    g = y_pm[:, None] * x_tilde  # rows ỹᵢ x̃ᵢ

    def dual_value(alpha):  # D(α) = Σα − ‖Gᵀα‖² / (2λ)
        v = g.T @ alpha
        return alpha.sum() - 0.5 / lam * (v @ v)

    with (
        _single_threaded_blas()
    ):  # a 100-variable QP: BLAS threads only contend (seconds on a busy machine)
        res = _minimize_dual(minimize, dual_value, g, y_pm, n, lam)
    alpha = np.clip(res.x, 0.0, 1.0 / n)
    # exact feasibility Σ αᵢ ỹᵢ = 0: shrink the heavier class's weights (stays within [0, 1/n])
    pos, neg = alpha[y_pm > 0].sum(), alpha[y_pm < 0].sum()
    if pos > neg:
        alpha = np.where(y_pm > 0, alpha * (neg / pos), alpha)
    elif neg > pos:
        alpha = np.where(y_pm < 0, alpha * (pos / neg), alpha)
    return alpha, float(dual_value(alpha))


@positional_settings("linear_svm", ("result", "x", "y", "lam"))
def duality_gap(result, x, y, *, lam: float) -> float:
    """J(θ) − D(α*) ≥ J(θ) − min J ≥ 0: how far θ is from the optimum (weak duality).

    Args:
      result: a :class:`LinearSVM`, or θ (d,) intercept first.
      x: (n, d) inputs with the intercept column.
      y: (n,) labels in {0, 1}.
      lam: λ > 0 (keyword-only, required), the λ the fit minimised J for.

    Returns:
      The gap J(θ) − D(α) as a Python float (≥ 0 up to rounding).
    """
    _, d_value = dual(x, y, lam=lam)
    x, y = check_labelled(x, y)
    return _objective_value(_theta(result), x, y, lam) - d_value
