"""Logistic regression (write-up §1): the mean log-likelihood, written stably, and its jitted fits.

    h_θ(x) = σ(θᵀx),   ℓ(θ) = (1/n) Σᵢ [ yᵢ log σ(θᵀxᵢ) + (1 − yᵢ) log(1 − σ(θᵀxᵢ)) ]

with x including the intercept entry x₀ = 1. log σ(z) is computed as ``jax.nn.log_sigmoid(z)`` and
log(1 − σ(z)) = log σ(−z), so ℓ stays finite for |θᵀx| in the thousands.

Fits (both return one :class:`LogisticRegression`):

* :func:`fit` — gradient ascent θ ← θ + α_t (∇ℓ(θ) − λθ) from θ₀ = 0 until ‖Δθ‖ < tol (the course's rule
  with tol = 1e-15; the defaults are a safe step and √ε), in a jitted ``lax.while_loop`` run in chunks (progress, θ at chosen iterations). The step is an
  optax transformation; the built-in one keeps α₀, the schedule's power p (α_t = α₀ / t^p) and λ in its state, so
  every rate, schedule and penalty shares one compiled loop per data shape.
* :func:`fit_newton` — θ ← θ − (∇²ℓ)⁻¹∇ℓ, jitted; for data that are not linearly separable.

Both take ``gradient=`` (and Newton ``hessian=``) callables ``f(theta, x, y)``; the defaults are autodiff
(``jax.grad`` / ``jax.hessian`` of :func:`log_likelihood`). Pass hand-derived ones to use them instead (the §1
experiment passes ``jaxml_derivations.logistic``'s, verified by ``jaxml verify``).

Dtypes: the fits compute in the floating dtype of ``x`` (float32 stays float32; integers become the default
float dtype), count iterations in int32, and never ask for a 64-bit type on their own.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import UsageError
from ._deprecation import positional_settings

if TYPE_CHECKING:
    import optax

# ----------------------------------------------------------------------------------------------------------------
# The model: ℓ(θ), h_θ(x), inputs
# ----------------------------------------------------------------------------------------------------------------


def add_intercept(x):
    """Prepend the intercept column: x (n, d) -> (n, d + 1) with x[:, 0] = 1.

    NumPy in, NumPy out (no XLA program for one-shot preprocessing); a JAX array (or a tracer) in, JAX out.

    Args:
      x: (n, d) inputs, NumPy or JAX (integers become float64 on the NumPy path).

    Returns:
      (n, d + 1) array, column 0 all ones, in x's floating dtype.
    """
    if isinstance(x, jax.Array):
        if x.ndim != 2:
            raise UsageError(f"add_intercept expects x of shape (n, d), got {x.shape}")
        return jnp.concatenate([jnp.ones((x.shape[0], 1), x.dtype), x], axis=1)
    x = np.asarray(x)
    if x.ndim != 2:
        raise UsageError(f"add_intercept expects x of shape (n, d), got {x.shape}")
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    return np.concatenate([np.ones((x.shape[0], 1), dtype), x.astype(dtype, copy=False)], axis=1)


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


def l2_regularised_log_likelihood(theta, x, y, lam):
    """The penalised objective of §1(c)(iv): ℓ(θ) − (λ/2) ‖θ‖² (every entry of θ penalised, intercept included).

    A function of the maths, differentiated and vmapped by position like :func:`log_likelihood`, so λ is its
    fourth positional argument.

    Args:
      theta: (d,) parameters, intercept first.
      x: (n, d) inputs with the intercept column.
      y: (n,) labels in {0, 1}.
      lam: λ >= 0.

    Returns:
      scalar ℓ(θ) − (λ/2) ‖θ‖².
    """
    return log_likelihood(theta, x, y) - 0.5 * lam * jnp.sum(theta**2)


def _theta(result_or_theta):
    return getattr(result_or_theta, "theta", result_or_theta)


def predict_proba(result, x):
    """The probabilities h_θ(x) = σ(θᵀx) = p(y = 1 | x).

    Args:
      result: a :class:`LogisticRegression`, or θ (d,).
      x: (n, d) inputs with the intercept column.

    Returns:
      (n,) probabilities in [0, 1], a JAX array.
    """
    return jax.nn.sigmoid(jnp.asarray(x) @ jnp.asarray(_theta(result)))


def predict(result, x):
    """Labels 1{θᵀx > 0} (= 1{h_θ(x) > 1/2}).

    Args:
      result: a :class:`LogisticRegression`, or θ (d,).
      x: (n, d) inputs with the intercept column.

    Returns:
      (n,) int32 labels in {0, 1}, a JAX array.
    """
    return (jnp.asarray(x) @ jnp.asarray(_theta(result)) > 0).astype(jnp.int32)


def float_dtype(x) -> np.dtype:
    """The dtype a fit computes in: x's floating dtype, else the default float (float64 only under x64)."""
    dtype = np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return np.dtype(jax.dtypes.canonicalize_dtype(dtype))


def check_labelled(x, y) -> tuple[jax.Array, jax.Array]:
    """Validate a training set and return it as JAX arrays of one floating dtype (:func:`float_dtype` of x).

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
    x_np, y_np = np.asarray(x), np.asarray(y)
    if not (np.all(np.isfinite(x_np)) and np.all(np.isfinite(y_np))):
        raise UsageError("x or y contains NaN or inf")
    if not np.all((y_np == 0) | (y_np == 1)):
        raise UsageError(f"labels must be 0 or 1; got values {np.unique(y_np)[:5]}")
    dtype = float_dtype(x)
    return _as_array(x, dtype), _as_array(y, dtype)


def _as_array(a, dtype) -> jax.Array:
    """``a`` as a JAX array of ``dtype``; NumPy goes through device_put (no XLA program is compiled for it)."""
    if isinstance(a, jax.Array):
        return a.astype(dtype)
    return jax.device_put(np.asarray(a, dtype))


def _check_theta(theta, x) -> None:
    if np.shape(theta) != (x.shape[1],):
        raise UsageError(f"shapes do not fit: theta {np.shape(theta)}, x {x.shape}")


def _full(value, dtype) -> jax.Array:
    """A scalar JAX array, placed without compiling a program (``jnp.full`` would compile one per dtype)."""
    return jax.device_put(np.asarray(value, dtype))


def _start(theta0, x) -> jax.Array:
    """θ₀: zeros, or the caller's start in x's dtype."""
    if theta0 is None:
        return jax.device_put(np.zeros(x.shape[1], x.dtype))
    _check_theta(theta0, x)
    return _as_array(theta0, x.dtype)


class LogisticRegression(NamedTuple):
    """A fitted logistic regression (:func:`fit` or :func:`fit_newton`).

    Attributes:
      theta: (d,) final parameters, intercept first (NumPy; Newton: the last finite iterate).
      iterations: steps taken.
      converged: the last step had ‖Δθ‖ < tol (and, for Newton, every iterate stayed finite). For gradient
        ascent this is the course's stopping rule; it says nothing about ∇ℓ (a vanishing step size also stops it).
      step_norm: ‖Δθ‖ of the last step.
      finite: False when an iterate overflowed (Newton on separable data: the MLE does not exist).
      recorded: {iteration: θ (d,)} at the ``record_at`` iterations that were reached (gradient ascent only).
    """

    theta: np.ndarray
    iterations: int
    converged: bool
    step_norm: float
    finite: bool = True
    recorded: Mapping[int, np.ndarray] = types.MappingProxyType({})


# the autodiff defaults, built once so that the compiled loops are reused across calls
_autodiff_gradient = jax.grad(log_likelihood)
_autodiff_hessian = jax.hessian(log_likelihood)


# ----------------------------------------------------------------------------------------------------------------
# Gradient ascent (write-up §1(a)-(c)): one jitted while_loop, run in chunks
# ----------------------------------------------------------------------------------------------------------------


class InversePowerSchedule(NamedTuple):
    """The decreasing step α_t = α₀ / t^p at iteration t = 1, 2, ... (write-up §1(c)(ii)); an optax schedule.

    optax counts updates from 0, so calling it maps ``count ↦ α₀ / (count + 1)^p``. :func:`fit` recognises it
    and keeps (α₀, p) as traced state (no new compiled loop per schedule).
    """

    alpha0: float
    power: float

    def __call__(self, count):
        if isinstance(count, (int, float)):  # a Python count: Python arithmetic
            return self.alpha0 / (count + 1.0) ** self.power  # α_t = α₀ / t^p,  t = count + 1
        t = (count + 1).astype(jnp.result_type(float))  # optax's int32 count, as the default float
        return self.alpha0 / t**self.power


@positional_settings("logistic", ("alpha0", "power"))
def inverse_power_schedule(*, alpha0: float, power: float) -> InversePowerSchedule:
    """α_t = α₀ / t^p as an optax schedule (optax ships exponential, polynomial and cosine decays, not this one).

    Args:
      alpha0: the first step α₁ > 0 (keyword-only, required).
      power: p > 0 (keyword-only, required).

    Returns:
      An :class:`InversePowerSchedule`, usable as ``fit(..., learning_rate=...)`` or ``optax.sgd(...)``.

    Example:
      >>> schedule = logistic.inverse_power_schedule(alpha0=10.0, power=3.0)  # α_t = 10 / t³
    """
    if not (alpha0 > 0 and power > 0):
        raise UsageError(
            f"inverse_power_schedule needs alpha0 > 0 and power > 0; got {alpha0}, {power}"
        )
    return InversePowerSchedule(float(alpha0), float(power))


class _StepState(NamedTuple):
    """The built-in step's state: the update count and its hyperparameters, all traced."""

    count: jax.Array  # int32, updates so far (t − 1)
    alpha0: jax.Array
    power: jax.Array  # 0 for a constant rate
    lam: jax.Array  # L2 penalty λ (0: none)


def _power(t, p):
    """t^p, with p = 0, 1, 2, 3 as exact products: what XLA makes of a constant power (pow(t, 3) -> t·(t·t)),
    so a traced p gives the bits a schedule compiled with p fixed gives (exact while t^p < 2^53)."""
    powers = [jnp.ones_like(t), t, t * t, t * (t * t)]
    return jnp.select([p == k for k in range(4)], powers, t**p)


def _step_init(params) -> _StepState:
    zero = jnp.zeros((), params.dtype)
    return _StepState(count=jnp.zeros((), jnp.int32), alpha0=zero, power=zero, lam=zero)


def _step_update(updates, state: _StepState, params):
    """optax ``add_decayed_weights(λ)`` then ``sgd(α₀ / t^p)``: u = −α_t (updates + λθ), with updates = −∇ℓ."""
    t = (state.count + 1).astype(updates.dtype)  # t = count + 1
    alpha = state.alpha0 / _power(t, state.power)  # α_t = α₀ / t^p
    decayed = updates + state.lam * params  # −∇ℓ(θ) + λθ, the gradient of −(ℓ − (λ/2)‖θ‖²)
    return (-alpha) * decayed, state._replace(count=state.count + 1)  # sgd: −α_t × (that)


# one object (one compiled loop per data shape) for every constant rate, InversePowerSchedule and λ
# optax is imported where it is used: it takes ~0.1 s, and `import jaxml` should cost little more than JAX
@functools.cache
def _builtin_step():
    """The built-in step as an optax transformation (one object: jitted loops keyed on it compile once)."""
    import optax

    return optax.GradientTransformation(_step_init, _step_update)


def _builtin_state(theta, learning_rate, lam) -> _StepState:
    alpha0, power = (
        (learning_rate.alpha0, learning_rate.power)
        if isinstance(learning_rate, InversePowerSchedule)
        else (learning_rate, 0.0)
    )
    dtype = theta.dtype
    return _StepState(
        count=_full(0, np.int32),
        alpha0=_full(alpha0, dtype),
        power=_full(power, dtype),
        lam=_full(lam, dtype),
    )


def optax_update(optimizer: optax.GradientTransformation, grads, state, params):
    """``optimizer.update(grads, state, params)`` traced under standard dtype promotion.

    optax's own arithmetic assumes it (Adam's bias correction computes b₁ ** count, a float to an int32 power,
    which ``jax_numpy_dtype_promotion="strict"`` rejects); the updates keep the parameters' dtype either way.
    """
    with jax.numpy_dtype_promotion("standard"):
        return optimizer.update(grads, state, params)


class _AscentState(NamedTuple):
    theta: jax.Array
    opt_state: object
    iteration: jax.Array  # int32
    step_norm: jax.Array


@functools.partial(jax.jit, static_argnames=("gradient", "optimizer"))
def _ascent_chunk(state: _AscentState, x, y, stop_at, tol, *, gradient, optimizer) -> _AscentState:
    """Step until ``iteration == stop_at`` or ‖Δθ‖ < tol. One program per (gradient, optimizer, shapes)."""
    import optax

    def step(s: _AscentState) -> _AscentState:
        g = gradient(s.theta, x, y)  # ∇ℓ(θ), the objective to maximise
        # optax minimises: feed −∇ so that sgd's update is −α·(−∇) = +α∇ (gradient ascent)
        updates, opt_state = optax_update(optimizer, -g, s.opt_state, s.theta)
        theta = optax.apply_updates(s.theta, updates)  # θ_{t+1} = θ_t + α_t ∇ℓ(θ_t)
        # ‖Δθ‖, the stopping statistic
        return _AscentState(theta, opt_state, s.iteration + 1, jnp.linalg.norm(theta - s.theta))

    def cond(s: _AscentState):
        return (s.iteration < stop_at) & ~(s.step_norm < tol)

    return jax.lax.while_loop(cond, step, state)


def _optimizer_and_state(theta, learning_rate, l2, optimizer):
    """The optax transformation and its initial state: the built-in step unless the caller brings one."""
    if optimizer is not None:
        if l2 != 0.0:
            raise UsageError(
                "give either optimizer= or l2= (add optax.add_decayed_weights to your optimizer)"
            )
        return optimizer, optimizer.init(theta)
    if l2 < 0:
        raise UsageError(f"l2 must be >= 0; got {l2}")
    if callable(learning_rate) and not isinstance(learning_rate, InversePowerSchedule):
        if l2 != 0.0:
            raise UsageError(
                "an optax schedule with l2= needs optimizer=optax.chain(add_decayed_weights, sgd)"
            )
        # a new program: pass optimizer= and reuse it to avoid that
        import optax

        optimizer = optax.sgd(learning_rate)
        return optimizer, optimizer.init(theta)
    return _builtin_step(), _builtin_state(theta, learning_rate, l2)


def _safe_step(x, lam: float) -> float:
    """α = 1/L, L = λ_max(XᵀX)/(4n) + λ: ∇²(ℓ − (λ/2)‖θ‖²) = −(1/n) Xᵀ diag(σ(1 − σ)) X − λI, and σ(1 − σ) ≤ 1/4.

    One-shot host work: the largest eigenvalue of the smaller Gram matrix (XᵀX or XXᵀ, the same non-zero spectrum).
    """
    a = np.asarray(x, np.float64)
    n, d = a.shape
    gram = a.T @ a if d <= n else a @ a.T
    curvature = float(np.linalg.eigvalsh(gram)[-1]) / (4.0 * n) + lam  # L
    # X = 0 and λ = 0: ℓ is constant, any step does
    return 1.0 / curvature if curvature > 0 else 1.0


def _stops(chunk_size: int, max_iterations: int, record_at) -> list[int]:
    """The iterations at which the chunked loop returns to Python: chunk ends, record points and the cap."""
    stops = {*range(chunk_size, max_iterations, chunk_size), max_iterations, *record_at} - {0}
    return sorted(t for t in stops if t <= max_iterations)


def fit(
    x,
    y,
    *,
    learning_rate: float | InversePowerSchedule | optax.Schedule | None = None,
    l2: float = 0.0,
    optimizer: optax.GradientTransformation | None = None,
    gradient: Callable | None = None,
    theta0=None,
    tol: float | None = None,
    max_iterations: int = 10_000,
    record_at=(),
    chunk_size: int = 50_000,
    on_chunk: Callable[[int], None] | None = None,
) -> LogisticRegression:
    """Batch gradient ascent on ℓ(θ) − (λ/2)‖θ‖²: θ ← θ + α_t (∇ℓ(θ) − λθ) from θ₀ = 0 (write-up §1).

    Stops when ‖θ_{t+1} − θ_t‖ < tol, or after ``max_iterations`` steps, in a jitted ``lax.while_loop`` that
    returns to Python every ``chunk_size`` iterations (``on_chunk`` for progress) and at the ``record_at``
    iterations (θ kept there). A constant α, an :func:`inverse_power_schedule` and λ are traced: they share one
    compiled loop.

    The defaults suit a user's own data: the step α = 1/L, with L = λ_max(XᵀX)/(4n) + λ the largest curvature of
    the objective (with it every step increases the objective), ‖Δθ‖ < √ε of x's dtype, at most 10,000 steps.
    The course's protocol (write-up §1) is ``learning_rate=10.0, tol=1e-15, max_iterations=1_000_000``: α = 10
    on the mean gradient is the course's 0.1 on the sum for n = 100; the §1 experiment passes these explicitly.

    Args:
      x: (n, d) inputs with intercept column.
      y: (n,) labels in {0, 1}.
      learning_rate: constant α, :func:`inverse_power_schedule` (α₀, p), or any optax schedule (count = t − 1);
        default None: α = 1/L, L = λ_max(XᵀX)/(4n) + λ (computed once, on the host).
      l2: λ >= 0 (every entry of θ penalised, the intercept too); default 0 (no penalty).
      optimizer: any optax transformation applied to −∇ℓ instead of the built-in step (then ``learning_rate``
        and ``l2`` are unused). Reuse one object across calls to reuse its compiled loop. Default None.
      gradient: ``gradient(theta, x, y) -> (d,)``, ∇ℓ; default autodiff (``jax.grad(log_likelihood)``).
      theta0: (d,) start; default zeros.
      tol: the stopping threshold on ‖Δθ‖; default None: √ε of x's dtype (1.5e-8 in float64, 3.5e-4 in float32).
      max_iterations: iteration cap (< 2³¹); default 10,000.
      record_at: iterations at which to keep θ; default none.
      chunk_size: iterations per jitted call; default 50,000.
      on_chunk: called with the iteration count after every jitted call; default None.

    Returns:
      :class:`LogisticRegression` (``finite`` False if θ overflowed).

    Example:
      >>> result = logistic.fit(logistic.add_intercept(x_raw), y)
      >>> course = logistic.fit(x, y, learning_rate=10.0, tol=1e-15, max_iterations=1_000_000)
    """
    x, y = check_labelled(x, y)
    theta = _start(theta0, x)
    if learning_rate is None and optimizer is None:
        learning_rate = _safe_step(x, float(l2))
    if tol is None:
        tol = float(np.sqrt(np.finfo(x.dtype).eps))
    if not (0 <= max_iterations < 2**31 and chunk_size >= 1):
        raise UsageError(
            f"need 0 <= max_iterations < 2**31 and chunk_size >= 1; got {max_iterations}, {chunk_size}"
        )
    record_at = sorted({int(t) for t in record_at})
    if any(t < 1 for t in record_at):
        raise UsageError(f"record_at iterations must be >= 1; got {record_at}")
    optimizer, opt_state = _optimizer_and_state(theta, learning_rate, float(l2), optimizer)
    run = functools.partial(
        _ascent_chunk,
        gradient=_autodiff_gradient if gradient is None else gradient,
        optimizer=optimizer,
    )
    state = _AscentState(theta, opt_state, _full(0, np.int32), _full(np.inf, x.dtype))
    tol_x = _full(tol, x.dtype)
    recorded = {}
    for stop_at in _stops(chunk_size, max_iterations, record_at):
        state = run(state, x, y, _full(stop_at, np.int32), tol_x)
        iteration = int(state.iteration)
        if iteration == stop_at and stop_at in record_at:
            recorded[stop_at] = np.asarray(state.theta)
        if on_chunk is not None:
            on_chunk(iteration)
        if iteration < stop_at:  # stopped early: converged
            break
    step_norm, theta = float(state.step_norm), np.asarray(state.theta)
    return LogisticRegression(
        theta=theta,
        iterations=int(state.iteration),
        converged=bool(step_norm < float(tol_x)),
        step_norm=step_norm,
        finite=bool(np.all(np.isfinite(theta))),
        recorded=recorded,
    )


# ----------------------------------------------------------------------------------------------------------------
# Newton's method (second solver; needs data that are not separable)
# ----------------------------------------------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnames=("gradient", "hessian"))
def _newton_loop(theta, x, y, tol, max_iterations, *, gradient, hessian):
    def cond(carry):
        _, it, step_norm, finite = carry
        return (it < max_iterations) & ~(step_norm < tol) & finite

    def body(carry):
        theta, it, _, _ = carry
        g = gradient(theta, x, y)  # ∇ℓ(θ)
        h = hessian(theta, x, y)  # ∇²ℓ(θ), negative definite off separability
        new = theta - jnp.linalg.solve(h, g)  # θ ← θ − (∇²ℓ)⁻¹ ∇ℓ
        finite = jnp.all(jnp.isfinite(new))
        step_norm = jnp.linalg.norm(new - theta)
        return jnp.where(finite, new, theta), it + 1, jnp.where(finite, step_norm, jnp.inf), finite

    carry = (theta, jnp.zeros((), jnp.int32), jnp.full((), jnp.inf, theta.dtype), jnp.asarray(True))
    return jax.lax.while_loop(cond, body, carry)


def fit_newton(
    x,
    y,
    *,
    gradient: Callable | None = None,
    hessian: Callable | None = None,
    theta0=None,
    tol: float = 1e-12,
    max_iterations: int = 100,
) -> LogisticRegression:
    """Newton's method for the maximum-likelihood θ: θ ← θ − (∇²ℓ(θ))⁻¹ ∇ℓ(θ), jitted, from θ₀ = 0.

    Quadratic convergence when the data are not linearly separable (the MLE exists); on separable data the
    Hessian vanishes as ‖θ‖ grows and the iteration ends non-converged (``finite`` False when a step overflowed).

    Args:
      x: (n, d) inputs with the intercept column.
      y: (n,) labels in {0, 1}.
      gradient: ``gradient(theta, x, y) -> (d,)``, ∇ℓ; default None: ``jax.grad(log_likelihood)``.
      hessian: ``hessian(theta, x, y) -> (d, d)``, ∇²ℓ; default None: ``jax.hessian(log_likelihood)``.
      theta0: (d,) start; default zeros.
      tol: stop when ‖Δθ‖ < tol; default 1e-12.
      max_iterations: cap on Newton steps; default 100.

    Returns:
      :class:`LogisticRegression` (``recorded`` empty).
    """
    x, y = check_labelled(x, y)
    theta = _start(theta0, x)
    theta, it, step_norm, finite = _newton_loop(
        theta,
        x,
        y,
        _full(tol, x.dtype),
        _full(max_iterations, np.int32),
        gradient=_autodiff_gradient if gradient is None else gradient,
        hessian=_autodiff_hessian if hessian is None else hessian,
    )
    step_norm = float(step_norm)
    return LogisticRegression(
        theta=np.asarray(theta),
        iterations=int(it),
        converged=bool(finite) and step_norm < tol,
        step_norm=step_norm,
        finite=bool(finite),
    )
