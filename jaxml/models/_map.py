"""MAP linear regression (write-up §4): negative log posteriors from the densities, ridge and lasso solvers, and the
double-descent sweep.

The model of §4(c): yᵢ | xᵢ, θ ~ N(θᵀxᵢ, σ²) independently, X (n, d) with rows xᵢᵀ. Two priors:

* Gaussian θ ~ N(0, η²I):  −log p(θ | X, y) = ‖y − Xθ‖²/(2σ²) + ‖θ‖²/(2η²) + const, minimised by the ridge
  solution θ_MAP = (XᵀX + (σ²/η²) I)⁻¹ Xᵀy (§4(c));
* Laplace θⱼ ~ Laplace(0, b):  −log p(θ | X, y) = ‖y − Xθ‖²/(2σ²) + ‖θ‖₁/b + const, i.e. the lasso
  ‖y − Xθ‖² + γ‖θ‖₁ with γ = 2σ²/b (§4(e)).

The negative log posteriors here are written from the densities (``jax.scipy.stats.norm`` / ``laplace``), not from
the closed forms, so that the solvers below check the derivations instead of repeating them:

* :func:`minimize_lbfgs` — optax L-BFGS in one jitted ``lax.while_loop`` (smooth objectives);
* :func:`fista` — accelerated proximal gradient (Beck & Teboulle 2009) with gradient-based adaptive restart
  (O'Donoghue & Candès 2015), jitted ``lax.while_loop``; :func:`fit_lasso`, :func:`lasso_path` (vmapped over γ)
  and :func:`fit_laplace_map` (the Laplace posterior from its densities) build on it.

Ridge with many λ at once (§4(d), double descent). One factorisation per training set serves every λ:

* ``method="eigh"`` (default): XᵀX = V diag(e) Vᵀ, θ(λ) = V diag(1/(e + λ)) Vᵀ Xᵀy;
* ``method="svd"``: X = U diag(s) Vᵀ, θ(λ) = V diag(s/(s² + λ)) Uᵀy (more accurate near n = d, slower).

λ = 0 gives the minimum-norm least-squares solution X⁺y (the limit λ → 0⁺ of ridge): directions whose eigenvalue
of XᵀX is at most ``rcond · e_max`` (singular value at most ``rcond · s_max`` for SVD) are dropped, as a
pseudo-inverse does. Default cut-offs: ``rcond = 10 · max(n, d) · eps`` on the eigenvalues of XᵀX (forming XᵀX
rounds its eigenvalues by about n · eps · e_max) and ``max(n, d) · eps`` on the singular values (NumPy's ``lstsq``
default). On the course data the numerically-null eigenvalues for n < d are ≤ 4e-16 · e_max and the smallest
genuine one (n = d = 500) is 4e-9 · e_max, far on either side of the eigh cut-off 1.8e-12 (float64, n = 800).
For λ > 0 nothing is cut: θ(λ) uses 1/(max(e, 0) + λ).

Training sets of different sizes share one compiled function: rows of zeros are appended up to the largest n
(:func:`pad_rows`). Zero rows change neither XᵀX nor Xᵀy, hence not θ(λ); the stacked (N, n_max, d) designs are
vmapped, which is also the axis to shard across devices. No n × n matrix is formed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import stats

from ..errors import UsageError
from ..lbfgs import LbfgsResult, minimize_lbfgs
from ..sharding import shard_leading

# ----------------------------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------------------------


def _check_xy(x, y, *, what: str = "x, y") -> None:
    """Raise UsageError unless x is (n, d) and y is (n,)."""
    x_shape, y_shape = np.shape(x), np.shape(y)
    if len(x_shape) != 2 or len(y_shape) != 1 or x_shape[0] != y_shape[0]:
        raise UsageError(f"{what}: expected x (n, d) and y (n,); got x {x_shape}, y {y_shape}")


def _check_theta(theta, x) -> None:
    if np.shape(theta) != (np.shape(x)[1],):
        raise UsageError(f"theta must have shape (d,) = ({np.shape(x)[1]},); got {np.shape(theta)}")


def _check_vector(values, name: str) -> None:
    if np.ndim(values) != 1:
        raise UsageError(f"{name} must be a 1-d array of values; got shape {np.shape(values)}")


def _float_dtype(*arrays):
    dtype = jnp.result_type(*arrays)
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)


# ----------------------------------------------------------------------------------------------------------------
# densities (write-up §4(b), (c), (e))
# ----------------------------------------------------------------------------------------------------------------


def neg_log_likelihood(theta, x, y, sigma):
    """−log p(y | X, θ) for yᵢ | xᵢ, θ ~ N(θᵀxᵢ, σ²) independent (write-up §4(c)).

        −log p(y | X, θ) = Σᵢ (yᵢ − θᵀxᵢ)²/(2σ²) + n log(√(2π) σ)

    Args:
      theta: (d,) parameters.
      x: (n, d) inputs, rows xᵢᵀ.
      y: (n,) targets.
      sigma: noise standard deviation σ > 0.

    Returns:
      scalar.
    """
    # log N(yᵢ; θᵀxᵢ, σ²), summed over the independent examples
    return -jnp.sum(stats.norm.logpdf(y, loc=x @ theta, scale=sigma))


def neg_log_prior_gaussian(theta, eta):
    """−log p(θ) for θ ~ N(0, η²I) (write-up §4(b)):  ‖θ‖²/(2η²) + d log(√(2π) η).  theta (d,) -> scalar."""
    return -jnp.sum(stats.norm.logpdf(theta, loc=0.0, scale=eta))


def neg_log_prior_laplace(theta, b):
    """−log p(θ) for independent θⱼ ~ Laplace(0, b), p(θⱼ) = exp(−|θⱼ|/b)/(2b) (write-up §4(e)).

        −log p(θ) = ‖θ‖₁/b + d log(2b).   theta (d,) -> scalar.
    """
    return -jnp.sum(stats.laplace.logpdf(theta, loc=0.0, scale=b))


def neg_log_posterior_gaussian(theta, x, y, sigma, eta):
    """−log p(θ | X, y) + const for the Gaussian prior N(0, η²I) (write-up §4(b), (c)).

        −log p(y | X, θ) − log p(θ)   (the evidence log p(y | X) does not depend on θ and is left out)

    Args: theta (d,), x (n, d), y (n,), sigma σ, eta η.  Returns: scalar.
    """
    return neg_log_likelihood(theta, x, y, sigma) + neg_log_prior_gaussian(theta, eta)


def neg_log_posterior_laplace(theta, x, y, sigma, b):
    """−log p(θ | X, y) + const for independent Laplace(0, b) priors (write-up §4(e)).

        −log p(y | X, θ) − log p(θ) = ‖y − Xθ‖²/(2σ²) + ‖θ‖₁/b + const

    Args: theta (d,), x (n, d), y (n,), sigma σ, b the Laplace scale.  Returns: scalar (non-smooth at θⱼ = 0).
    """
    return neg_log_likelihood(theta, x, y, sigma) + neg_log_prior_laplace(theta, b)


# ----------------------------------------------------------------------------------------------------------------
# the penalised forms the write-up rewrites them into
# ----------------------------------------------------------------------------------------------------------------


def ridge_objective(theta, x, y, lam):
    """‖y − Xθ‖² + λ‖θ‖², minimised by θ = (XᵀX + λI)⁻¹Xᵀy; λ = σ²/η² is the Gaussian MAP (the course's ``reg``).

    Args: theta (d,), x (n, d), y (n,), lam λ ≥ 0.  Returns: scalar.
    """
    r = y - x @ theta  # residual y − Xθ, (n,)
    return jnp.sum(r**2) + lam * jnp.sum(theta**2)


def lasso_objective(theta, x, y, gamma):
    """‖y − Xθ‖² + γ‖θ‖₁ (write-up §4(e)); γ = 2σ²/b is the Laplace MAP.

    Args: theta (d,), x (n, d), y (n,), gamma γ ≥ 0.  Returns: scalar.
    """
    r = y - x @ theta
    return jnp.sum(r**2) + gamma * jnp.sum(jnp.abs(theta))


def lasso_gamma(sigma, b):
    """The lasso weight of a Laplace(0, b) prior under N(θᵀx, σ²) noise: γ = 2σ²/b (write-up §4(e))."""
    return 2.0 * sigma**2 / b


def ridge_lambda_opt(sigma, eta):
    """The ridge weight of a N(0, η²I) prior in ‖y − Xθ‖² + λ‖θ‖²: λ_opt = σ²/η² (write-up §4(c), (d))."""
    return sigma**2 / eta**2


# ----------------------------------------------------------------------------------------------------------------
# closed forms
# ----------------------------------------------------------------------------------------------------------------


def ridge_closed_form(x, y, lam):
    """θ = (XᵀX + λI)⁻¹ Xᵀy, the minimiser of ‖y − Xθ‖² + λ‖θ‖² (Cholesky solve; needs λ > 0 or XᵀX invertible).

    For λ = 0 with n < d (singular XᵀX) use :func:`min_norm_least_squares`.

    Args: x (n, d), y (n,), lam λ.  Returns: θ (d,).
    """
    _check_xy(x, y, what="ridge_closed_form")
    x, y = jnp.asarray(x), jnp.asarray(y)
    a = x.T @ x + lam * jnp.eye(x.shape[1], dtype=x.dtype)  # XᵀX + λI, (d, d), symmetric positive definite
    factor = jax.scipy.linalg.cho_factor(a)
    return jax.scipy.linalg.cho_solve(factor, x.T @ y)  # (XᵀX + λI)⁻¹ Xᵀy


def theta_map_gaussian(x, y, sigma, eta):
    """θ_MAP = (XᵀX + (σ²/η²) I)⁻¹ Xᵀy for N(θᵀx, σ²) noise and a N(0, η²I) prior (write-up §4(c))."""
    return ridge_closed_form(x, y, ridge_lambda_opt(sigma, eta))


def min_norm_least_squares(x, y, *, rcond=None):
    """θ⁺ = X⁺y, the least-squares solution of smallest norm (λ = 0 for n < d), via the SVD of X.

        θ⁺ = V diag(1/sⱼ for sⱼ > rcond·s_max, else 0) Uᵀ y

    Args:
      x: (n, d).
      y: (n,).
      rcond: relative cut-off on the singular values (default ``max(n, d) · eps``, NumPy's ``lstsq`` default).

    Returns:
      θ⁺ (d,): it lies in the row space of X, so no other least-squares solution is shorter.
    """
    _check_xy(x, y, what="min_norm_least_squares")
    x, y = jnp.asarray(x), jnp.asarray(y)
    u, s, vt = jnp.linalg.svd(x, full_matrices=False)
    if rcond is None:
        rcond = max(x.shape) * jnp.finfo(s.dtype).eps
    keep = s > rcond * s[0]
    inv_s = jnp.where(keep, 1.0 / jnp.where(keep, s, 1.0), 0.0)  # 1/sⱼ on the kept values (double where: safe)
    return vt.T @ (inv_s * (u.T @ y))


# ----------------------------------------------------------------------------------------------------------------
# ridge for many λ with one factorisation; the double-descent sweep
# ----------------------------------------------------------------------------------------------------------------


def default_rcond(n: int, d: int, dtype=jnp.float64, method: str = "eigh") -> float:
    """The pseudo-inverse cut-off used at λ = 0: 10·max(n, d)·eps on eig(XᵀX) ("eigh"), max(n, d)·eps on sv(X)."""
    eps = float(jnp.finfo(dtype).eps)
    return (10.0 if method == "eigh" else 1.0) * max(n, d) * eps


def _filter_factors(values, lams, rcond, method):
    """The spectral filter: (L, k) factors f with θ(λ) = V (f ⊙ b) for the decomposition ``method``.

    eigh: values = e (eigenvalues of XᵀX), b = VᵀXᵀy, f = 1/(e + λ);  svd: values = s, b = Uᵀy, f = s/(s² + λ).
    At λ = 0 the values at or below rcond · max are dropped (pseudo-inverse).
    """
    lams = lams[:, None]  # (L, 1) against (1, k)
    if method == "eigh":
        e = jnp.maximum(values, 0.0)[None, :]  # rounding can make null eigenvalues slightly negative
        keep = e > rcond * jnp.max(e)
        ridge = 1.0 / (e + jnp.where(lams > 0, lams, 1.0))  # 1/(e + λ), λ > 0
        pinv = jnp.where(keep, 1.0 / jnp.where(keep, e, 1.0), 0.0)  # 1/e on kept directions, λ = 0
    else:
        s = values[None, :]
        keep = s > rcond * jnp.max(s)
        ridge = s / (s**2 + jnp.where(lams > 0, lams, 1.0))  # s/(s² + λ), λ > 0
        pinv = jnp.where(keep, 1.0 / jnp.where(keep, s, 1.0), 0.0)  # 1/s on kept values, λ = 0
    return jnp.where(lams > 0, ridge, pinv)


def _spectral(x, y, method):
    """One factorisation of the design: (basis V (d, k), values, coefficients b) per ``method``."""
    if method == "eigh":
        e, v = jnp.linalg.eigh(x.T @ x)  # XᵀX = V diag(e) Vᵀ, (d, d)
        return v, e, v.T @ (x.T @ y)  # b = Vᵀ Xᵀ y
    u, s, vt = jnp.linalg.svd(x, full_matrices=False)  # X = U diag(s) Vᵀ
    return vt.T, s, u.T @ y  # b = Uᵀ y


@functools.partial(jax.jit, static_argnames=("method",))
def _ridge_path(x, y, lams, rcond, method):
    v, values, b = _spectral(x, y, method)
    f = _filter_factors(values, lams, rcond, method)  # (L, k)
    return (f * b[None, :]) @ v.T  # θ(λ) = V diag(f(λ)) b, stacked (L, d)


def ridge_path(x, y, lams, *, rcond=None, method: str = "eigh"):
    """Ridge solutions θ(λ) = argmin ‖y − Xθ‖² + λ‖θ‖² for every λ in ``lams``, from ONE factorisation.

        eigh:  θ(λ) = V diag(1/(e + λ)) Vᵀ Xᵀy     (XᵀX = V diag(e) Vᵀ)
        svd:   θ(λ) = V diag(s/(s² + λ)) Uᵀ y       (X = U diag(s) Vᵀ)

    λ = 0 gives the minimum-norm least-squares solution with the module's pseudo-inverse cut-off.

    Args:
      x: (n, d) design (rows of zeros are allowed: they change nothing).
      y: (n,) targets.
      lams: (L,) values λ ≥ 0.
      rcond: pseudo-inverse cut-off at λ = 0 (default :func:`default_rcond`).
      method: "eigh" (default, faster) or "svd" (more accurate when XᵀX is nearly singular).

    Returns:
      (L, d) array, row l = θ(lams[l]).
    """
    _check_xy(x, y, what="ridge_path")
    _check_vector(lams, "lams")
    if method not in ("eigh", "svd"):
        raise UsageError(f"method must be 'eigh' or 'svd'; got {method!r}")
    x, y = jnp.asarray(x), jnp.asarray(y)
    lams = jnp.asarray(lams, x.dtype)
    rcond = default_rcond(*x.shape, x.dtype, method) if rcond is None else rcond
    return _ridge_path(x, y, lams, rcond, method)


def _validation_errors(x, y, lams, x_val, y_val, rcond, method):
    """(L,) validation MSE of θ(λ) for one (possibly zero-padded) design: mean over rows of (y_val − X_val θ)²."""
    v, values, b = _spectral(x, y, method)
    f = _filter_factors(values, lams, rcond, method)
    theta = (f * b[None, :]) @ v.T  # (L, d)
    residual = y_val[None, :] - theta @ x_val.T  # (L, m): y_val − X_val θ(λ), never an (m, m) matrix
    return jnp.mean(residual**2, axis=1)


@functools.partial(jax.jit, static_argnames=("method",))
def _sweep(x_stack, y_stack, lams, x_val, y_val, rcond, method):
    per_n = jax.vmap(_validation_errors, in_axes=(0, 0, None, None, None, None, None))
    return per_n(x_stack, y_stack, lams, x_val, y_val, rcond, method).T  # (L, N)


def pad_rows(xs: Sequence, ys: Sequence):
    """Stack designs of different sizes by appending zero rows up to the largest n.

    Zero rows leave XᵀX and Xᵀy unchanged, so every ridge solution is unchanged.

    Args:
      xs: N arrays (n_i, d).
      ys: N arrays (n_i,).

    Returns:
      x_stack (N, n_max, d), y_stack (N, n_max) as NumPy arrays.
    """
    if len(xs) != len(ys) or not xs:
        raise UsageError(f"pad_rows needs as many x as y arrays (at least one); got {len(xs)} and {len(ys)}")
    for x, y in zip(xs, ys):
        _check_xy(x, y, what="pad_rows")
    d = {np.shape(x)[1] for x in xs}
    if len(d) != 1:
        raise UsageError(f"every design must have the same number of columns d; got {sorted(d)}")
    n_max = max(np.shape(x)[0] for x in xs)
    x_stack = np.zeros((len(xs), n_max, d.pop()), dtype=np.result_type(*xs))
    y_stack = np.zeros((len(xs), n_max), dtype=np.result_type(*ys))
    for i, (x, y) in enumerate(zip(xs, ys)):
        x_stack[i, : len(y)] = np.asarray(x)
        y_stack[i, : len(y)] = np.asarray(y)
    return x_stack, y_stack


def double_descent_sweep(xs: Sequence, ys: Sequence, lams, x_val, y_val, *, rcond=None, method: str = "eigh"):
    """Validation mean squared error for every (training set, λ): one factorisation per training set, all λ at once.

        val_err[l, i] = (1/m) Σⱼ (y_valⱼ − θᵢ(λ_l)ᵀ x_valⱼ)²,   θᵢ(λ) = argmin ‖yᵢ − Xᵢθ‖² + λ‖θ‖²

    The N training sets are zero-padded to the largest n (:func:`pad_rows`: XᵀX and Xᵀy are unchanged), stacked and
    vmapped, so the whole grid is ONE jitted call and one compilation. λ = 0 is the minimum-norm solution. The
    training-set axis is sharded across all visible devices (:mod:`jaxml.sharding`).

    Args:
      xs: N designs (n_i, d) (e.g. the double-descent files train200 … train800).
      ys: N targets (n_i,).
      lams: (L,) λ values ≥ 0 (e.g. scale · λ_opt).
      x_val: (m, d) validation inputs.
      y_val: (m,) validation targets.
      rcond: pseudo-inverse cut-off at λ = 0 (default :func:`default_rcond` for (n_max, d)).
      method: "eigh" (default) or "svd".

    Returns:
      (L, N) array of validation MSEs: one row per λ, one column per training set.

    Reference: Nakkiran et al. 2020, *Optimal Regularization Can Mitigate Double Descent*.
    """
    _check_vector(lams, "lams")
    _check_xy(x_val, y_val, what="double_descent_sweep validation set")
    if method not in ("eigh", "svd"):
        raise UsageError(f"method must be 'eigh' or 'svd'; got {method!r}")
    x_stack, y_stack = pad_rows(xs, ys)
    if np.shape(x_val)[1] != x_stack.shape[2]:
        raise UsageError(f"validation x has {np.shape(x_val)[1]} columns, the training sets {x_stack.shape[2]}")
    dtype = _float_dtype(x_stack, x_val)
    rcond = default_rcond(x_stack.shape[1], x_stack.shape[2], dtype, method) if rcond is None else rcond
    # the training-set axis is spread over every visible device (a no-op with one device), padded to a multiple
    # of the device count; the padded columns are dropped
    x_sharded, y_sharded = shard_leading((jnp.asarray(x_stack, dtype), jnp.asarray(y_stack, dtype)))
    val_err = _sweep(x_sharded, y_sharded, jnp.asarray(lams, dtype), jnp.asarray(x_val, dtype),
                     jnp.asarray(y_val, dtype), rcond, method)
    return val_err[:, : x_stack.shape[0]]


# ----------------------------------------------------------------------------------------------------------------
# L-BFGS for smooth objectives
# ----------------------------------------------------------------------------------------------------------------


def fit_map_gaussian(x, y, sigma, eta, *, theta0=None, gtol: float = 1e-12, max_iter: int = 2000) -> LbfgsResult:
    """θ_MAP for the Gaussian prior by L-BFGS on −log p(y|X,θ) − log p(θ) written from the densities (not the
    closed form).

    Args: x (n, d), y (n,), sigma σ, eta η; theta0 (d,) start (default 0).  Returns: :class:`LbfgsResult`.
    """
    _check_xy(x, y, what="fit_map_gaussian")
    theta0 = jnp.zeros(np.shape(x)[1], _float_dtype(x)) if theta0 is None else theta0
    return minimize_lbfgs(neg_log_posterior_gaussian, theta0, jnp.asarray(x), jnp.asarray(y), sigma, eta,
                          gtol=gtol, max_iter=max_iter)


def fit_least_squares_lbfgs(x, y, *, sigma=1.0, gtol: float = 1e-12, max_iter: int = 2000) -> LbfgsResult:
    """Maximum likelihood (λ = 0) by L-BFGS on −log p(y|X,θ), started at θ = 0.

    Every L-BFGS direction is a combination of gradients Xᵀ(Xθ − y), so from θ₀ = 0 the iterates stay in the row
    space of X: for n < d the limit is the minimum-norm solution X⁺y (an independent check of the pseudo-inverse).
    """
    _check_xy(x, y, what="fit_least_squares_lbfgs")
    theta0 = jnp.zeros(np.shape(x)[1], _float_dtype(x))
    return minimize_lbfgs(neg_log_likelihood, theta0, jnp.asarray(x), jnp.asarray(y), sigma,
                          gtol=gtol, max_iter=max_iter)


# ----------------------------------------------------------------------------------------------------------------
# proximal gradient (FISTA) for smooth + non-smooth objectives
# ----------------------------------------------------------------------------------------------------------------


class ProximalResult(NamedTuple):
    """What :func:`fista` returns.

    Attributes:
      theta: (d,) the last iterate.
      iterations: steps taken.
      residual: a bound on the distance from 0 to the sub-differential of the objective at theta,
        (1/t + L)‖z − θ‖₂ ≤ (2/t)‖z − θ‖₂ for the last extrapolated point z and step t ≤ 1/L.
      converged: residual ≤ tol within ``max_iter`` steps.
    """

    theta: jax.Array
    iterations: jax.Array
    residual: jax.Array
    converged: jax.Array


def soft_threshold(v, tau):
    """prox of τ‖·‖₁: sign(v) max(|v| − τ, 0), elementwise."""
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
    state = (theta0, theta0, one, jnp.asarray(0), jnp.asarray(jnp.inf, theta0.dtype))
    theta, _, _, k, residual = jax.lax.while_loop(cond, body, state)
    return ProximalResult(theta=theta, iterations=k, residual=residual, converged=residual <= tol)


def fista(smooth: Callable, prox: Callable, theta0, *, step, tol, smooth_args=(), prox_args=(),
          max_iter: int = 50_000, restart: bool = True) -> ProximalResult:
    """Minimise F(θ) = f(θ) + g(θ) with FISTA: f smooth (differentiated by ``jax.grad``), g through its prox.

        θ⁺ = prox_{t g}(z − t ∇f(z)),  z ← θ⁺ + ((t_k − 1)/t_{k+1})(θ⁺ − θ),  t_{k+1} = (1 + √(1 + 4t_k²))/2

    with adaptive restart. Jitted ``lax.while_loop``; vmappable over ``smooth_args``/``prox_args`` (e.g. over γ).

    Args:
      smooth: f(theta, *smooth_args) -> scalar, with an L-Lipschitz gradient.
      prox: prox(v, t, *prox_args) -> argmin_u g(u) + ‖u − v‖²/(2t).
      theta0: (d,) start.
      step: t ≤ 1/L.
      tol: stop when the sub-gradient bound ``residual`` (see :class:`ProximalResult`) is ≤ tol.
      smooth_args, prox_args: tuples of extra arguments (traced).
      max_iter: step cap.
      restart: adaptive (gradient-based) restart of the momentum.

    Returns:
      :class:`ProximalResult`.

    Reference: Beck & Teboulle 2009, *A Fast Iterative Shrinkage-Thresholding Algorithm*.
    """
    if not callable(smooth) or not callable(prox):
        raise UsageError("fista(smooth, prox, theta0, ...): smooth and prox must be callables")
    theta0 = jnp.asarray(theta0)
    if theta0.ndim != 1:
        raise UsageError(f"theta0 must be a 1-d array; got shape {theta0.shape}")
    theta0 = theta0.astype(_float_dtype(theta0))
    return _fista(smooth, prox, theta0, tuple(smooth_args), tuple(prox_args), jnp.asarray(step, theta0.dtype),
                  jnp.asarray(tol, theta0.dtype), int(max_iter), bool(restart))


def _squared_loss(theta, x, y):
    """‖y − Xθ‖², the smooth part of the lasso."""
    r = y - x @ theta
    return jnp.sum(r**2)


def _l1_prox(v, t, gamma):
    """prox of t·γ‖·‖₁: soft-thresholding at tγ."""
    return soft_threshold(v, t * gamma)


def _laplace_prox(v, t, b):
    """prox of t·(−log p(θ)) for Laplace(0, b) priors: −log p(θ) = ‖θ‖₁/b + const, so soft-thresholding at t/b."""
    return soft_threshold(v, t / b)


def _largest_eigenvalue(x):
    """λ_max(XᵀX) = s_max(X)², from the smaller of the two Gram matrices."""
    n, d = x.shape
    gram = x @ x.T if n < d else x.T @ x
    return jnp.linalg.eigvalsh(gram)[-1]


def _lasso_scale(x, y, gamma):
    """The problem's gradient scale: max(‖2Xᵀy‖∞, γ) (‖2Xᵀy‖∞ is the γ above which θ = 0 is the answer)."""
    return jnp.maximum(jnp.max(jnp.abs(2.0 * x.T @ y)), gamma)


def fit_lasso(x, y, gamma, *, theta0=None, rtol: float = 1e-10, max_iter: int = 50_000) -> ProximalResult:
    """The lasso argmin ‖y − Xθ‖² + γ‖θ‖₁ by FISTA (step 1/L, L = 2 s_max(X)²).

    Stops when the sub-gradient bound is ≤ rtol · max(‖2Xᵀy‖∞, γ). Coordinates come out exactly 0 (soft-thresholding).

    Args: x (n, d), y (n,), gamma γ ≥ 0, theta0 (d,) start (default 0).  Returns: :class:`ProximalResult`.
    """
    _check_xy(x, y, what="fit_lasso")
    x, y = jnp.asarray(x), jnp.asarray(y)
    dtype = _float_dtype(x)
    x, y = x.astype(dtype), y.astype(dtype)
    theta0 = jnp.zeros(x.shape[1], dtype) if theta0 is None else jnp.asarray(theta0, dtype)
    step = 1.0 / (2.0 * _largest_eigenvalue(x))  # 1/L, ∇‖y − Xθ‖² = 2Xᵀ(Xθ − y) is 2 s_max²-Lipschitz
    tol = rtol * _lasso_scale(x, y, gamma)
    return fista(_squared_loss, _l1_prox, theta0, step=step, tol=tol, smooth_args=(x, y),
                 prox_args=(jnp.asarray(gamma, dtype),), max_iter=max_iter)


@functools.partial(jax.jit, static_argnames=("max_iter",))
def _lasso_path(x, y, gammas, step, rtol, max_iter):
    def one(gamma):
        tol = rtol * _lasso_scale(x, y, gamma)
        return _fista(_squared_loss, _l1_prox, jnp.zeros(x.shape[1], x.dtype), (x, y), (gamma,), step, tol,
                      max_iter, True)

    return jax.vmap(one)(gammas)


def lasso_path(x, y, gammas, *, rtol: float = 1e-10, max_iter: int = 50_000) -> ProximalResult:
    """The lasso solution for every γ in ``gammas``: FISTA vmapped over γ, one jitted call.

    Args: x (n, d), y (n,), gammas (G,).  Returns: :class:`ProximalResult` with a leading (G,) axis.
    """
    _check_xy(x, y, what="lasso_path")
    _check_vector(gammas, "gammas")
    x, y = jnp.asarray(x), jnp.asarray(y)
    dtype = _float_dtype(x)
    x, y = x.astype(dtype), y.astype(dtype)
    step = 1.0 / (2.0 * _largest_eigenvalue(x))
    return _lasso_path(x, y, jnp.asarray(gammas, dtype), step, jnp.asarray(rtol, dtype), int(max_iter))


def fit_laplace_map(x, y, sigma, b, *, theta0=None, rtol: float = 1e-10, max_iter: int = 50_000) -> ProximalResult:
    """θ_MAP for independent Laplace(0, b) priors, by FISTA on the negative log posterior from the densities.

    Smooth part: −log p(y | X, θ) = −Σ log N(yᵢ; θᵀxᵢ, σ²) (differentiated by ``jax.grad``; L = s_max(X)²/σ²);
    non-smooth part: −log p(θ) = ‖θ‖₁/b + const, through its prox (soft-thresholding at t/b). No γ appears: the
    equivalence with the lasso at γ = 2σ²/b is what this solver lets one check.

    Args: x (n, d), y (n,), sigma σ, b Laplace scale, theta0 (d,) start (default 0).
    Returns: :class:`ProximalResult`; stops when the sub-gradient bound is ≤ rtol · max(‖Xᵀy‖∞/σ², 1/b).
    """
    _check_xy(x, y, what="fit_laplace_map")
    x, y = jnp.asarray(x), jnp.asarray(y)
    dtype = _float_dtype(x)
    x, y = x.astype(dtype), y.astype(dtype)
    theta0 = jnp.zeros(x.shape[1], dtype) if theta0 is None else jnp.asarray(theta0, dtype)
    sigma, b = jnp.asarray(sigma, dtype), jnp.asarray(b, dtype)
    step = sigma**2 / _largest_eigenvalue(x)  # 1/L for ∇(−log p(y|X,θ)) = Xᵀ(Xθ − y)/σ²
    tol = rtol * jnp.maximum(jnp.max(jnp.abs(x.T @ y)) / sigma**2, 1.0 / b)
    return fista(neg_log_likelihood, _laplace_prox, theta0, step=step, tol=tol, smooth_args=(x, y, sigma),
                 prox_args=(b,), max_iter=max_iter)
