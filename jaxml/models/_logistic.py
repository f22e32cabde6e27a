"""Logistic regression (write-up §1): the mean log-likelihood, written stably, and its jitted fits.

    h_θ(x) = σ(θᵀx),   ℓ(θ) = (1/n) Σᵢ [ yᵢ log σ(θᵀxᵢ) + (1 − yᵢ) log(1 − σ(θᵀxᵢ)) ]

with x including the intercept entry x₀ = 1. log σ(z) is computed as ``jax.nn.log_sigmoid(z)`` and
log(1 − σ(z)) = log σ(−z), so ℓ stays finite for |θᵀx| in the thousands.

Fits:

* :func:`gradient_ascent` — θ ← θ + α_t ∇ℓ(θ) from θ₀ = 0 with the course's stopping rule ‖Δθ‖ < 1e-15; an optax
  step (constant rate, a schedule such as :func:`inverse_power_schedule`, or an L2-penalised chain from
  :func:`l2_optimizer`) inside a jitted ``lax.while_loop`` run in chunks (progress, θ at chosen iterations).
* :func:`newton` — θ ← θ − (∇²ℓ)⁻¹∇ℓ, jitted, with the hand-derived gradient and Hessian of
  ``derivations/logistic.py``; for data that are not linearly separable.

Both use the hand gradient ∇ℓ = (1/n) Xᵀ(y − σ(Xθ)) of ``derivations/logistic.py`` (verified against autodiff by
``jaxml verify``), imported lazily because that module imports this one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..errors import UsageError


def add_intercept(x) -> jnp.ndarray:
    """Prepend the intercept column: (n, d) -> (n, d + 1) with x[:, 0] = 1."""
    x = jnp.asarray(x)
    if x.ndim != 2:
        raise UsageError(f"add_intercept expects x of shape (n, d), got {x.shape}")
    return jnp.concatenate([jnp.ones((x.shape[0], 1), x.dtype), x], axis=1)


def check_xy(theta, x, y) -> None:
    """Raise UsageError unless theta (d,), x (n, d), y (n,) fit together."""
    theta_shape, x_shape, y_shape = np.shape(theta), np.shape(x), np.shape(y)
    if len(x_shape) != 2 or len(theta_shape) != 1 or len(y_shape) != 1:
        raise UsageError(
            f"expected theta (d,), x (n, d), y (n,); got {theta_shape}, {x_shape}, {y_shape}"
        )
    if x_shape[1] != theta_shape[0] or x_shape[0] != y_shape[0]:
        raise UsageError(f"shapes do not fit: theta {theta_shape}, x {x_shape}, y {y_shape}")


def log_likelihood(theta, x, y):
    """Mean log-likelihood ℓ(θ) = (1/n) Σ yᵢ log σ(θᵀxᵢ) + (1 − yᵢ) log σ(−θᵀxᵢ).

    Args:
      theta: (d,) parameters (intercept first).
      x: (n, d) inputs with the intercept column.
      y: (n,) labels in {0, 1}.

    Returns:
      scalar ℓ(θ) ≤ 0.
    """
    z = x @ theta
    # log σ(z) and log(1 − σ(z)) = log σ(−z), both via the stable log-sigmoid
    return jnp.mean(y * jax.nn.log_sigmoid(z) + (1.0 - y) * jax.nn.log_sigmoid(-z))


def predict_proba(theta, x):
    """h_θ(x) = σ(θᵀx) for x (n, d) -> (n,)."""
    return jax.nn.sigmoid(x @ theta)


# ----------------------------------------------------------------------------------------------------------------
# Gradient ascent (write-up §1(a)-(c)): a jitted while_loop, run in chunks
# ----------------------------------------------------------------------------------------------------------------


def check_labelled(x, y) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Validate a training set and return it as float JAX arrays.

    Args:
      x: (n, d) inputs, intercept column included.
      y: (n,) labels in {0, 1}.

    Raises:
      UsageError: wrong shapes, non-finite inputs, labels outside {0, 1}.
    """
    x_shape, y_shape = np.shape(x), np.shape(y)
    if len(x_shape) != 2 or len(y_shape) != 1 or x_shape[0] != y_shape[0]:
        raise UsageError(
            f"expected x (n, d) and y (n,) with the same n; got x {x_shape}, y {y_shape}"
        )
    if x_shape[0] == 0:
        raise UsageError("the training set is empty (n = 0)")
    x_np, y_np = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if not (np.all(np.isfinite(x_np)) and np.all(np.isfinite(y_np))):
        raise UsageError("x or y contains NaN or inf")
    if not np.all((y_np == 0.0) | (y_np == 1.0)):
        raise UsageError(f"labels must be 0 or 1; got values {np.unique(y_np)[:5]}")
    dtype = (
        jnp.asarray(x).dtype if jnp.issubdtype(jnp.asarray(x).dtype, jnp.floating) else jnp.float64
    )
    return jnp.asarray(x, dtype), jnp.asarray(y, dtype)


def inverse_power_schedule(alpha0: float, power: float) -> optax.Schedule:
    """The decreasing step α_t = α₀ / t^p at iteration t = 1, 2, ... as an optax schedule.

    optax counts updates from 0, so the schedule is ``count ↦ α₀ / (count + 1)^p``. (optax ships exponential,
    polynomial-to-a-floor and cosine decays but no inverse power; this is the one the write-up's §1(c)(ii) uses.)

    Args:
      alpha0: the first step α₁.
      power: p > 0.

    Returns:
      A schedule usable as ``optax.sgd(learning_rate=...)``.
    """
    if not (alpha0 > 0 and power > 0):
        raise UsageError(
            f"inverse_power_schedule needs alpha0 > 0 and power > 0; got {alpha0}, {power}"
        )

    def schedule(count):
        return alpha0 / (count + 1.0) ** power  # α_t = α₀ / t^p,  t = count + 1

    return schedule


class AscentResult(NamedTuple):
    """What :func:`gradient_ascent` returns.

    Attributes:
      theta: (d,) final parameters (NumPy).
      iterations: steps taken.
      converged: True when the last step had ‖Δθ‖ < tol (the course's stopping rule; it says nothing about ∇ℓ).
      step_norm: ‖Δθ‖ of the last step.
      recorded: {iteration: θ (d,)} at the requested ``record_at`` iterations that were reached.
    """

    theta: np.ndarray
    iterations: int
    converged: bool
    step_norm: float
    recorded: dict


class _AscentState(NamedTuple):
    theta: jax.Array
    opt_state: object
    iteration: jax.Array
    step_norm: jax.Array


def _default_gradient(theta, x, y):
    """∇ℓ(θ) = (1/n) Xᵀ(y − σ(Xθ)), the hand-derived gradient of the foundation (derivations/logistic.py)."""
    from jaxml_derivations.logistic import log_likelihood_grad  # lazy: derivations imports this module

    return log_likelihood_grad(theta, x, y)


# optax.sgd with its rate held in the optimiser state, so every constant rate shares one compiled loop
_CONSTANT_SGD = optax.inject_hyperparams(optax.sgd)(learning_rate=1.0)


@functools.lru_cache(maxsize=64)
def _chunk_runner(gradient: Callable, optimizer: optax.GradientTransformation) -> Callable:
    """The jitted loop: steps until ``iteration == stop_at`` or ‖Δθ‖ < tol. Cached per (gradient, optimizer)."""

    def step(state: _AscentState, x, y) -> _AscentState:
        g = gradient(state.theta, x, y)  # ∇ (objective to maximise)
        # optax minimises: feed −∇ so that sgd's update is −α·(−∇) = +α∇ (gradient ascent)
        updates, opt_state = optimizer.update(-g, state.opt_state, state.theta)
        theta = optax.apply_updates(state.theta, updates)  # θ_{t+1} = θ_t + α_t ∇ℓ(θ_t)
        return _AscentState(
            theta=theta,
            opt_state=opt_state,
            iteration=state.iteration + 1,
            step_norm=jnp.linalg.norm(theta - state.theta),  # ‖Δθ‖, the stopping statistic
        )

    @jax.jit
    def run(state: _AscentState, x, y, stop_at, tol) -> _AscentState:
        def cond(s):
            return (s.iteration < stop_at) & ~(s.step_norm < tol)

        return jax.lax.while_loop(cond, lambda s: step(s, x, y), state)

    return run


def gradient_ascent(
    x,
    y,
    *,
    learning_rate: float | optax.Schedule = 10.0,
    optimizer: optax.GradientTransformation | None = None,
    gradient: Callable | None = None,
    theta0=None,
    tol: float = 1e-15,
    max_iterations: int = 1_000_000,
    record_at=(),
    chunk_size: int = 50_000,
    on_chunk: Callable[[int], None] | None = None,
) -> AscentResult:
    """Batch gradient ascent on the mean log-likelihood, θ ← θ + α_t ∇ℓ(θ), from θ₀ = 0 (write-up §1).

    Stops at the course's rule ‖θ_{t+1} − θ_t‖ < tol, or after ``max_iterations`` steps. The step is an optax
    transformation (``optax.sgd(learning_rate)`` by default), jitted in a ``lax.while_loop`` that runs
    ``chunk_size`` iterations per call, so a caller can show progress between chunks (``on_chunk``) and read θ
    at chosen iterations (``record_at``). α = 10 on the mean gradient is the course's 0.1 on the sum for n = 100.

    Args:
      x: (n, d) inputs with intercept column.
      y: (n,) labels in {0, 1}.
      learning_rate: constant α, or an optax schedule α(count) (count = t − 1); ignored when ``optimizer`` given.
      optimizer: any optax transformation applied to −∇ (e.g. ``optax.chain(optax.add_decayed_weights(λ),
        optax.sgd(α))`` for an L2 penalty λ/2 ‖θ‖²). Reuse one object across calls to reuse the compiled loop.
      gradient: ``gradient(theta, x, y) -> (d,)`` of the objective to maximise; default the hand-derived ∇ℓ
        (jaxml_derivations.logistic.log_likelihood_grad).
      theta0: (d,) start; default zeros.
      tol: the stopping threshold on ‖Δθ‖.
      max_iterations: iteration cap.
      record_at: iterations at which to keep θ.
      chunk_size: iterations per jitted call.
      on_chunk: called with the iteration count after every chunk.

    Returns:
      :class:`AscentResult`.
    """
    x, y = check_labelled(x, y)
    theta = jnp.zeros(x.shape[1], x.dtype) if theta0 is None else jnp.asarray(theta0, x.dtype)
    check_xy(theta, x, y)
    if max_iterations < 0 or chunk_size < 1:
        raise UsageError(
            f"need max_iterations >= 0 and chunk_size >= 1; got {max_iterations}, {chunk_size}"
        )
    record_at = sorted({int(t) for t in record_at})
    if any(t < 1 for t in record_at):
        raise UsageError(f"record_at iterations must be >= 1; got {record_at}")
    constant = optimizer is None and not callable(learning_rate)
    if optimizer is None:
        optimizer = _CONSTANT_SGD if constant else optax.sgd(learning_rate)
    run = _chunk_runner(_default_gradient if gradient is None else gradient, optimizer)
    opt_state = optimizer.init(theta)
    if constant:  # the rate lives in the state: no recompilation for a new rate
        opt_state = opt_state._replace(
            hyperparams={
                **opt_state.hyperparams,
                "learning_rate": jnp.asarray(learning_rate, x.dtype),
            }
        )

    state = _AscentState(
        theta=theta,
        opt_state=opt_state,
        iteration=jnp.asarray(0, jnp.int64),
        step_norm=jnp.asarray(jnp.inf, x.dtype),
    )
    tol = jnp.asarray(tol, x.dtype)
    stops = sorted(
        {*range(chunk_size, max_iterations, chunk_size), max_iterations, *record_at} - {0}
    )
    stops = [t for t in stops if t <= max_iterations]
    recorded = {}
    for stop_at in stops:
        state = run(state, x, y, jnp.asarray(stop_at, jnp.int64), tol)
        iteration = int(state.iteration)
        if iteration == stop_at and stop_at in record_at:
            recorded[stop_at] = np.asarray(state.theta)
        if on_chunk is not None:
            on_chunk(iteration)
        if iteration < stop_at:  # stopped early: converged
            break
    step_norm = float(state.step_norm)
    return AscentResult(
        theta=np.asarray(state.theta),
        iterations=int(state.iteration),
        converged=bool(step_norm < float(tol)),
        step_norm=step_norm,
        recorded=recorded,
    )


def l2_regularised_log_likelihood(theta, x, y, lam):
    """The penalised objective of §1(c)(iv): ℓ(θ) − (λ/2) ‖θ‖² (every entry of θ penalised, intercept included).

    Args:
      theta: (d,); x: (n, d) with intercept; y: (n,) in {0, 1}; lam: λ >= 0.

    Returns:
      scalar.
    """
    return log_likelihood(theta, x, y) - 0.5 * lam * jnp.sum(theta**2)


@functools.lru_cache(maxsize=64)
def l2_optimizer(lam: float, learning_rate: float = 10.0) -> optax.GradientTransformation:
    """Gradient ascent on ℓ(θ) − (λ/2)‖θ‖²: optax weight decay λθ added to −∇ℓ, then sgd(α).

    The step is θ ← θ + α (∇ℓ(θ) − λθ). Cached: the same (λ, α) reuses one compiled loop.
    """
    return optax.chain(optax.add_decayed_weights(lam), optax.sgd(learning_rate))


# ----------------------------------------------------------------------------------------------------------------
# Newton's method (second solver; needs data that are not separable)
# ----------------------------------------------------------------------------------------------------------------


class NewtonResult(NamedTuple):
    """What :func:`newton` returns.

    Attributes:
      theta: (d,) final parameters (the last finite iterate).
      iterations: Newton steps taken.
      converged: ‖Δθ‖ < tol reached with a finite, negative-definite Hessian.
      step_norm: ‖Δθ‖ of the last step.
      grad_norm: ‖∇ℓ(θ)‖ at the returned θ.
      finite: False when a step produced NaN/inf (the Hessian became singular: the MLE does not exist).
    """

    theta: np.ndarray
    iterations: int
    converged: bool
    step_norm: float
    grad_norm: float
    finite: bool


@jax.jit
def _newton_loop(theta, x, y, tol, max_iterations):
    from jaxml_derivations.logistic import log_likelihood_grad, log_likelihood_hessian

    def cond(carry):
        _, it, step_norm, finite = carry
        return (it < max_iterations) & ~(step_norm < tol) & finite

    def body(carry):
        theta, it, _, _ = carry
        g = log_likelihood_grad(theta, x, y)  # ∇ℓ(θ)
        hessian = log_likelihood_hessian(theta, x, y)  # ∇²ℓ(θ), negative definite off separability
        new = theta - jnp.linalg.solve(hessian, g)  # θ ← θ − (∇²ℓ)⁻¹ ∇ℓ
        finite = jnp.all(jnp.isfinite(new))
        step_norm = jnp.linalg.norm(new - theta)
        return jnp.where(finite, new, theta), it + 1, jnp.where(finite, step_norm, jnp.inf), finite

    carry = (theta, jnp.asarray(0, jnp.int64), jnp.asarray(jnp.inf, theta.dtype), jnp.asarray(True))
    return jax.lax.while_loop(cond, body, carry)


def newton(x, y, *, theta0=None, tol: float = 1e-12, max_iterations: int = 100) -> NewtonResult:
    """Newton's method for the maximum-likelihood θ: θ ← θ − (∇²ℓ(θ))⁻¹ ∇ℓ(θ), jitted, from θ₀ = 0.

    Uses the hand-derived gradient and Hessian of derivations/logistic.py. Quadratic convergence when the data
    are not linearly separable (the MLE exists); on separable data the Hessian vanishes as ‖θ‖ grows and the
    iteration ends non-converged (``finite`` False when a step overflowed).

    Args:
      x: (n, d) with intercept column; y: (n,) in {0, 1}.
      theta0: (d,) start, default zeros.
      tol: stop when ‖Δθ‖ < tol.
      max_iterations: cap on Newton steps.

    Returns:
      :class:`NewtonResult`.
    """
    from jaxml_derivations.logistic import log_likelihood_grad

    x, y = check_labelled(x, y)
    theta = jnp.zeros(x.shape[1], x.dtype) if theta0 is None else jnp.asarray(theta0, x.dtype)
    check_xy(theta, x, y)
    theta, it, step_norm, finite = _newton_loop(theta, x, y, tol, max_iterations)
    step_norm = float(step_norm)
    return NewtonResult(
        theta=np.asarray(theta),
        iterations=int(it),
        converged=bool(finite) and step_norm < tol,
        step_norm=step_norm,
        grad_norm=float(jnp.linalg.norm(log_likelihood_grad(theta, x, y))),
        finite=bool(finite),
    )
