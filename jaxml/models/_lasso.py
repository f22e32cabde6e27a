"""The lasso as MAP estimation with a Laplace prior (write-up §4(e)), solved by proximal gradient (FISTA).

With yᵢ | xᵢ, θ ~ N(θᵀxᵢ, σ²) and independent θⱼ ~ Laplace(0, b), p(θⱼ) = exp(−|θⱼ|/b)/(2b),

    −log p(θ | X, y) = ‖y − Xθ‖²/(2σ²) + ‖θ‖₁/b + const  ∝  ‖y − Xθ‖² + γ‖θ‖₁,   γ = 2σ²/b.

The objective is not differentiable at θⱼ = 0, so the solver is FISTA — accelerated proximal gradient (Beck &
Teboulle 2009) with gradient-based adaptive restart (O'Donoghue & Candès 2015) — in a jitted ``lax.while_loop``:
:func:`fit` (the lasso), :func:`path` (vmapped over γ, one program) and :func:`fit_map` (the Laplace posterior
written from its densities, no γ in sight) build on :func:`fista`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import stats

from .._compile import as_device_array, one_program
from ..errors import UsageError
from ._deprecation import positional_settings
from ._map import as_float, check_vector, check_xy, float_dtype, neg_log_likelihood


class LassoFit(NamedTuple):
    """A FISTA fit of the Laplace-prior family (:func:`fit`, :func:`fit_map`, :func:`path`, :func:`fista`).

    Attributes:
      theta: (d,) the last iterate.
      iterations: steps taken (int32).
      residual: a bound on the distance from 0 to the sub-differential of the objective at theta,
        (1/t + L)‖z − θ‖₂ ≤ (2/t)‖z − θ‖₂ for the last extrapolated point z and step t ≤ 1/L.
      converged: residual ≤ tol within ``max_iter`` steps.
    """

    theta: jax.Array
    iterations: jax.Array
    residual: jax.Array
    converged: jax.Array


# ----------------------------------------------------------------------------------------------------------------
# densities (write-up §4(e)) and the penalised form
# ----------------------------------------------------------------------------------------------------------------


def neg_log_prior_laplace(theta, b):
    """−log p(θ) for independent θⱼ ~ Laplace(0, b), p(θⱼ) = exp(−|θⱼ|/b)/(2b) (write-up §4(e)).

    −log p(θ) = ‖θ‖₁/b + d log(2b).

    Args:
      theta: (d,) parameters.
      b: the Laplace scale b > 0.

    Returns:
      scalar.
    """
    return -jnp.sum(stats.laplace.logpdf(theta, loc=0.0, scale=b))


def neg_log_posterior_laplace(theta, x, y, sigma, b):
    """−log p(θ | X, y) + const for independent Laplace(0, b) priors (write-up §4(e)).

        −log p(y | X, θ) − log p(θ) = ‖y − Xθ‖²/(2σ²) + ‖θ‖₁/b + const

    A density of the maths: its arguments are positional, as ``jax.grad``, the solvers and ``jaxml.verify``
    pass them.

    Args:
      theta: (d,) parameters.
      x: (n, d) inputs.
      y: (n,) targets.
      sigma: the noise standard deviation σ > 0.
      b: the Laplace scale b > 0.

    Returns:
      scalar (non-smooth at θⱼ = 0).
    """
    return neg_log_likelihood(theta, x, y, sigma) + neg_log_prior_laplace(theta, b)


def objective(theta, x, y, gamma):
    """‖y − Xθ‖² + γ‖θ‖₁ (write-up §4(e)); γ = 2σ²/b is the Laplace MAP.

    Args:
      theta: (d,) parameters.
      x: (n, d) inputs.
      y: (n,) targets.
      gamma: γ ≥ 0 (positional: the objective is the maths, differentiated and vmapped by position).

    Returns:
      scalar.
    """
    r = y - x @ theta
    return jnp.sum(r**2) + gamma * jnp.sum(jnp.abs(theta))


def map_gamma(sigma, b):
    """The lasso weight of a Laplace(0, b) prior under N(θᵀx, σ²) noise: γ = 2σ²/b (write-up §4(e)).

    Args:
      sigma: the noise standard deviation σ (a number or an array).
      b: the Laplace scale b > 0 (a number or an array, broadcast with sigma).

    Returns:
      γ, of the broadcast shape.
    """
    return 2.0 * sigma**2 / b


# ----------------------------------------------------------------------------------------------------------------
# proximal gradient (FISTA) for smooth + non-smooth objectives
# ----------------------------------------------------------------------------------------------------------------


def soft_threshold(v, tau):
    """prox of τ‖·‖₁: sign(v) max(|v| − τ, 0), elementwise.

    Args:
      v: array of any shape.
      tau: the threshold τ ≥ 0 (broadcast with v).

    Returns:
      array of v's shape.
    """
    return jnp.sign(v) * jnp.maximum(jnp.abs(v) - tau, 0.0)


@functools.partial(jax.jit, static_argnames=("smooth", "prox", "max_iter", "restart"))
def _fista(smooth, prox, theta0, smooth_args, prox_args, step, tol, max_iter, restart):
    grad = jax.grad(smooth)

    def cond(state):
        _, _, _, k, residual = state
        return (k < max_iter) & (residual > tol)

    def body(state):
        theta, z, t, k, _ = state
        g = grad(z, *smooth_args)  # ∇f at the extrapolated point z
        theta_new = prox(z - step * g, step, *prox_args)  # θ⁺ = prox_{t g}(z − t ∇f(z))
        # (z − θ⁺)/t − ∇f(z) + ∇f(θ⁺) ∈ ∂F(θ⁺), of norm ≤ (1/t + L)‖z − θ⁺‖ ≤ (2/t)‖z − θ⁺‖ since t ≤ 1/L
        residual = 2.0 * jnp.linalg.norm(z - theta_new) / step
        t_new = (1.0 + jnp.sqrt(1.0 + 4.0 * t**2)) / 2.0  # t_{k+1} = (1 + √(1 + 4 t_k²))/2
        # adaptive restart (O'Donoghue & Candès 2015): drop the momentum when it points uphill
        reset = restart & (jnp.vdot(z - theta_new, theta_new - theta) > 0)
        momentum = jnp.where(reset, 0.0, (t - 1.0) / t_new)
        z_new = theta_new + momentum * (theta_new - theta)  # z = θ⁺ + ((t_k − 1)/t_{k+1})(θ⁺ − θ)
        return theta_new, z_new, jnp.where(reset, 1.0, t_new), k + 1, residual

    one = jnp.ones((), theta0.dtype)
    state = (theta0, theta0, one, jnp.zeros((), jnp.int32), jnp.asarray(jnp.inf, theta0.dtype))
    theta, _, _, k, residual = jax.lax.while_loop(cond, body, state)
    return LassoFit(theta=theta, iterations=k, residual=residual, converged=residual <= tol)


def fista(
    smooth: Callable,
    prox: Callable,
    theta0,
    *,
    step,
    tol,
    smooth_args=(),
    prox_args=(),
    max_iter: int = 50_000,
    restart: bool = True,
) -> LassoFit:
    """Minimise F(θ) = f(θ) + g(θ) with FISTA: f smooth (differentiated by ``jax.grad``), g through its prox.

        θ⁺ = prox_{t g}(z − t ∇f(z)),  z ← θ⁺ + ((t_k − 1)/t_{k+1})(θ⁺ − θ),  t_{k+1} = (1 + √(1 + 4t_k²))/2

    with adaptive restart. Jitted ``lax.while_loop`` (one program per (smooth, prox, shapes)); vmappable over
    ``smooth_args``/``prox_args`` (e.g. over γ). Pass module-level functions: a fresh lambda compiles again.

    Args:
      smooth: f(theta, *smooth_args) -> scalar, with an L-Lipschitz gradient.
      prox: prox(v, t, *prox_args) -> argmin_u g(u) + ‖u − v‖²/(2t).
      theta0: (d,) start.
      step: t ≤ 1/L (keyword-only, required).
      tol: stop when the sub-gradient bound ``residual`` (see :class:`LassoFit`) is ≤ tol (keyword-only,
        required).
      smooth_args: tuple of extra arguments of ``smooth`` (traced); default ().
      prox_args: tuple of extra arguments of ``prox`` (traced); default ().
      max_iter: step cap; default 50,000.
      restart: adaptive (gradient-based) restart of the momentum; default True.

    Returns:
      :class:`LassoFit`.

    Reference: Beck & Teboulle 2009, *A Fast Iterative Shrinkage-Thresholding Algorithm*.
    """
    if not callable(smooth) or not callable(prox):
        raise UsageError("fista(smooth, prox, theta0, ...): smooth and prox must be callables")
    theta0 = as_device_array(theta0)
    if theta0.ndim != 1:
        raise UsageError(f"theta0 must be a 1-d array; got shape {theta0.shape}")
    theta0 = theta0.astype(float_dtype(theta0))
    return _fista(
        smooth,
        prox,
        theta0,
        tuple(smooth_args),
        tuple(prox_args),
        np.asarray(step, theta0.dtype),  # NumPy scalars: no conversion program
        np.asarray(tol, theta0.dtype),
        int(max_iter),
        bool(restart),
    )


def squared_loss(theta, x, y):
    """‖y − Xθ‖², the smooth part of the lasso.

    Args:
      theta: (d,) parameters.
      x: (n, d) inputs.
      y: (n,) targets.

    Returns:
      scalar.
    """
    r = y - x @ theta
    return jnp.sum(r**2)


def _l1_prox(v, t, gamma):
    """prox of t·γ‖·‖₁: soft-thresholding at tγ."""
    return soft_threshold(v, t * gamma)


def _laplace_prox(v, t, b):
    """prox of t·(−log p(θ)) for Laplace(0, b) priors: −log p(θ) = ‖θ‖₁/b + const, so soft-thresholding at t/b."""
    return soft_threshold(v, t / b)


def largest_eigenvalue(x) -> float:
    """λ_max(XᵀX) = s_max(X)², from the smaller of the two Gram matrices (one-shot, as a Python float)."""
    n, d = x.shape
    gram = x @ x.T if n < d else x.T @ x
    return float(np.asarray(jnp.linalg.eigvalsh(gram))[-1])


@one_program
def _gram_spectrum_and_xty(x, y):
    """The eigenvalues of the smaller Gram matrix (as :func:`largest_eigenvalue` computes them) and Xᵀy, as one
    program inside ``jaxml verify``."""
    n, d = x.shape
    gram = x @ x.T if n < d else x.T @ x
    return jnp.linalg.eigvalsh(gram), x.T @ y


def _scales(x, y) -> tuple[float, float]:
    """(λ_max(XᵀX), ‖Xᵀy‖∞): the step and stopping scales of a lasso fit (‖Xᵀy‖∞ is the gradient scale of
    ‖y − Xθ‖² at θ = 0, up to the factor 2)."""
    eigenvalues, xty = _gram_spectrum_and_xty(x, y)
    return float(np.asarray(eigenvalues)[-1]), float(np.max(np.abs(np.asarray(xty))))


@positional_settings("lasso", ("x", "y", "gamma"))
def fit(
    x, y, *, gamma: float = 1.0, theta0=None, rtol: float = 1e-10, max_iter: int = 50_000
) -> LassoFit:
    """The lasso θ = argmin ‖y − Xθ‖² + γ‖θ‖₁ by FISTA (step 1/L, L = 2 s_max(X)²).

    Stops when the sub-gradient bound is ≤ rtol · max(‖2Xᵀy‖∞, γ) (‖2Xᵀy‖∞ is the γ above which θ = 0 is the
    answer). Coordinates come out exactly 0 (soft-thresholding).

    Args:
      x: (n, d) inputs.
      y: (n,) targets.
      gamma: γ ≥ 0; default 1.0 (as the ridge λ of :func:`jaxml.models.ridge.fit`, on the same ‖y − Xθ‖²;
        scikit-learn's ``Lasso(alpha)`` scales the loss by 1/(2n), so its α is γ/(2n)). The Laplace MAP is
        γ = 2σ²/b (:func:`map_gamma`).
      theta0: (d,) start; default zeros.
      rtol: relative stopping tolerance (see above); default 1e-10.
      max_iter: step cap; default 50,000.

    Returns:
      :class:`LassoFit` (``converged`` False if ``max_iter`` ran out first).

    Example:
      >>> fit = lasso.fit(x, y, gamma=0.5)
      >>> fit.theta  # (d,), exact zeros where the penalty wins
    """
    check_xy(x, y, what="lasso.fit")
    x, y = as_float(x, y)
    theta0 = np.zeros(x.shape[1], x.dtype) if theta0 is None else np.asarray(theta0, x.dtype)
    # 1/L, ∇‖y − Xθ‖² = 2Xᵀ(Xθ − y) is 2 s_max²-Lipschitz
    lipschitz, xty_scale = _scales(x, y)
    step = 1.0 / (2.0 * lipschitz)
    tol = rtol * max(2.0 * xty_scale, float(gamma))
    return fista(
        squared_loss,
        _l1_prox,
        theta0,
        step=step,
        tol=tol,
        smooth_args=(x, y),
        prox_args=(jnp.asarray(gamma, x.dtype),),
        max_iter=max_iter,
    )


@functools.partial(jax.jit, static_argnames=("max_iter",))
def _path(x, y, gammas, step, rtol, max_iter):
    def one(gamma):
        # the problem's gradient scale max(‖2Xᵀy‖∞, γ)
        tol = rtol * jnp.maximum(jnp.max(jnp.abs(2.0 * x.T @ y)), gamma)
        return _fista(
            squared_loss,
            _l1_prox,
            jnp.zeros(x.shape[1], x.dtype),
            (x, y),
            (gamma,),
            step,
            tol,
            max_iter,
            True,
        )

    return jax.vmap(one)(gammas)


@positional_settings("lasso", ("x", "y", "gammas"))
def path(x, y, *, gammas, rtol: float = 1e-10, max_iter: int = 50_000) -> LassoFit:
    """The lasso solution θ(γ) = argmin ‖y − Xθ‖² + γ‖θ‖₁ for every γ in ``gammas``: FISTA vmapped over γ, one
    jitted call (each γ as :func:`fit` from θ = 0).

    Args:
      x: (n, d) inputs.
      y: (n,) targets.
      gammas: (G,) values γ ≥ 0 (keyword-only, required).
      rtol: relative stopping tolerance, see :func:`fit`; default 1e-10.
      max_iter: step cap per γ; default 50,000.

    Returns:
      :class:`LassoFit` with a leading (G,) axis on every field.
    """
    check_xy(x, y, what="lasso.path")
    check_vector(gammas, "gammas")
    x, y = as_float(x, y)
    step = np.asarray(1.0 / (2.0 * largest_eigenvalue(x)), x.dtype)
    return _path(x, y, np.asarray(gammas, x.dtype), step, np.asarray(rtol, x.dtype), int(max_iter))


@positional_settings("lasso", ("x", "y", "sigma", "b"))
def fit_map(
    x, y, *, sigma: float, b: float, theta0=None, rtol: float = 1e-10, max_iter: int = 50_000
) -> LassoFit:
    """θ_MAP for independent Laplace(0, b) priors, by FISTA on the negative log posterior from the densities.

    Smooth part: −log p(y | X, θ) = −Σ log N(yᵢ; θᵀxᵢ, σ²) (differentiated by ``jax.grad``; L = s_max(X)²/σ²);
    non-smooth part: −log p(θ) = ‖θ‖₁/b + const, through its prox (soft-thresholding at t/b). No γ appears: the
    equivalence with the lasso at γ = 2σ²/b is what this solver lets one check.

    Args:
      x: (n, d) inputs.
      y: (n,) targets.
      sigma: the noise standard deviation σ > 0 (keyword-only, required: a parameter of the model).
      b: the Laplace scale b > 0 (keyword-only, required).
      theta0: (d,) start; default zeros.
      rtol: stop when the sub-gradient bound is ≤ rtol · max(‖Xᵀy‖∞/σ², 1/b); default 1e-10.
      max_iter: step cap; default 50,000.

    Returns:
      :class:`LassoFit`.
    """
    check_xy(x, y, what="lasso.fit_map")
    x, y = as_float(x, y)
    theta0 = np.zeros(x.shape[1], x.dtype) if theta0 is None else np.asarray(theta0, x.dtype)
    sigma, b = float(sigma), float(b)
    lipschitz, xty_scale = _scales(x, y)
    step = sigma**2 / lipschitz  # 1/L for ∇(−log p(y|X,θ)) = Xᵀ(Xθ − y)/σ²
    tol = rtol * max(xty_scale / sigma**2, 1.0 / b)
    return fista(
        neg_log_likelihood,
        _laplace_prox,
        theta0,
        step=step,
        tol=tol,
        smooth_args=(x, y, np.asarray(sigma, x.dtype)),
        prox_args=(np.asarray(b, x.dtype),),
        max_iter=max_iter,
    )
