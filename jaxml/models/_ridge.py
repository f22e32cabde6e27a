"""Ridge regression as MAP estimation with a Gaussian prior (write-up §4(b)-(d)), and the double-descent sweep.

With yᵢ | xᵢ, θ ~ N(θᵀxᵢ, σ²) and θ ~ N(0, η²I),

    −log p(θ | X, y) = ‖y − Xθ‖²/(2σ²) + ‖θ‖²/(2η²) + const,   θ_MAP = (XᵀX + (σ²/η²) I)⁻¹ Xᵀy   (§4(c)),

i.e. ridge ‖y − Xθ‖² + λ‖θ‖² with λ_opt = σ²/η² (the course's ``reg``).

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
(:func:`stack_padded`). Zero rows change neither XᵀX nor Xᵀy, hence not θ(λ); the stacked (N, n_max, d) designs are
vmapped, which is also the axis to shard across devices. No n × n matrix is formed.

The L-BFGS fits (:func:`fit_map`, :func:`fit_least_squares`) minimise the densities' negative log posterior, not
the closed form: they are the independent check of §4(c). Their objective is a module-level function, so one
compiled L-BFGS program serves every problem of the same shapes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import stats

from ..errors import UsageError
from ..lbfgs import minimize_lbfgs
from ..sharding import shard_leading
from ._deprecation import positional_settings
from ._map import as_float, check_vector, check_xy, float_dtype, neg_log_likelihood


class RidgeFit(NamedTuple):
    """A fit of the Gaussian-prior family: the direct solve of :func:`fit`, or L-BFGS on the densities
    (:func:`fit_map`, :func:`fit_least_squares`).

    Attributes:
      theta: (d,) the minimiser found.
      value: the objective f at theta (:func:`fit`: ‖y − Xθ‖² + λ‖θ‖²).
      grad_norm: ‖∇f(theta)‖∞ (for :func:`fit`, a check of the solve: zero up to rounding).
      iterations: L-BFGS steps taken (0 for the direct solve of :func:`fit`).
      converged: L-BFGS: ‖∇f‖∞ ≤ gtol · ‖∇f(θ₀)‖∞ was reached within ``max_iter``; :func:`fit`: θ is finite.
    """

    theta: jax.Array
    value: jax.Array
    grad_norm: jax.Array
    iterations: jax.Array
    converged: jax.Array


# ----------------------------------------------------------------------------------------------------------------
# densities (write-up §4(b), (c)) and the penalised form
# ----------------------------------------------------------------------------------------------------------------


def neg_log_prior_gaussian(theta, eta):
    """−log p(θ) for θ ~ N(0, η²I) (write-up §4(b)):  ‖θ‖²/(2η²) + d log(√(2π) η).

    Args:
      theta: (d,) parameters.
      eta: the prior's standard deviation η > 0.

    Returns:
      scalar.
    """
    return -jnp.sum(stats.norm.logpdf(theta, loc=0.0, scale=eta))


def neg_log_posterior_gaussian(theta, x, y, sigma, eta):
    """−log p(θ | X, y) + const for the Gaussian prior N(0, η²I) (write-up §4(b), (c)).

        −log p(y | X, θ) − log p(θ)   (the evidence log p(y | X) does not depend on θ and is left out)

    A density of the maths: its arguments are positional, as ``jax.grad``, the solvers and ``jaxml.verify``
    pass them.

    Args:
      theta: (d,) parameters.
      x: (n, d) inputs.
      y: (n,) targets.
      sigma: the noise standard deviation σ > 0.
      eta: the prior's standard deviation η > 0.

    Returns:
      scalar.
    """
    return neg_log_likelihood(theta, x, y, sigma) + neg_log_prior_gaussian(theta, eta)


def objective(theta, x, y, lam):
    """‖y − Xθ‖² + λ‖θ‖², minimised by θ = (XᵀX + λI)⁻¹Xᵀy; λ = σ²/η² is the Gaussian MAP (the course's ``reg``).

    Args:
      theta: (d,) parameters.
      x: (n, d) inputs.
      y: (n,) targets.
      lam: λ ≥ 0 (positional: the objective is the maths, differentiated and vmapped by position).

    Returns:
      scalar.
    """
    r = y - x @ theta  # residual y − Xθ, (n,)
    return jnp.sum(r**2) + lam * jnp.sum(theta**2)


def lambda_opt(sigma, eta):
    """The ridge weight of a N(0, η²I) prior in ‖y − Xθ‖² + λ‖θ‖²: λ_opt = σ²/η² (write-up §4(c), (d)).

    Args:
      sigma: the noise standard deviation σ (a number or an array).
      eta: the prior's standard deviation η > 0 (broadcast with sigma).

    Returns:
      λ_opt, of the broadcast shape.
    """
    return sigma**2 / eta**2


# ----------------------------------------------------------------------------------------------------------------
# closed forms
# ----------------------------------------------------------------------------------------------------------------


@positional_settings("ridge", ("x", "y", "lam"))
def closed_form(x, y, *, lam):
    """θ = (XᵀX + λI)⁻¹ Xᵀy, the minimiser of ‖y − Xθ‖² + λ‖θ‖² (Cholesky solve; needs λ > 0 or XᵀX invertible).

    For λ = 0 with n < d (singular XᵀX) use :func:`min_norm`; :func:`fit` picks for you. Jittable.

    Args:
      x: (n, d) inputs, floating.
      y: (n,) targets.
      lam: λ (keyword-only, required).

    Returns:
      θ (d,), a JAX array.
    """
    check_xy(x, y, what="ridge.closed_form")
    x, y = jnp.asarray(x), jnp.asarray(y)
    # XᵀX + λI, (d, d), symmetric positive definite
    a = x.T @ x + lam * jnp.eye(x.shape[1], dtype=x.dtype)
    factor = jax.scipy.linalg.cho_factor(a)
    return jax.scipy.linalg.cho_solve(factor, x.T @ y)  # (XᵀX + λI)⁻¹ Xᵀy


@positional_settings("ridge", ("x", "y", "sigma", "eta"))
def theta_map(x, y, *, sigma, eta):
    """θ_MAP = (XᵀX + (σ²/η²) I)⁻¹ Xᵀy for N(θᵀx, σ²) noise and a N(0, η²I) prior (write-up §4(c)).

    Args:
      x: (n, d) inputs, floating.
      y: (n,) targets.
      sigma: the noise standard deviation σ (keyword-only, required).
      eta: the prior's standard deviation η > 0 (keyword-only, required).

    Returns:
      θ_MAP (d,), a JAX array.
    """
    return closed_form(x, y, lam=lambda_opt(sigma, eta))


def min_norm(x, y, *, rcond=None):
    """θ⁺ = X⁺y, the least-squares solution of smallest norm (λ = 0 for n < d), via the SVD of X.

        θ⁺ = V diag(1/sⱼ for sⱼ > rcond·s_max, else 0) Uᵀ y

    Args:
      x: (n, d) inputs, floating.
      y: (n,) targets.
      rcond: relative cut-off on the singular values; default None: ``max(n, d) · eps`` (NumPy's ``lstsq``).

    Returns:
      θ⁺ (d,): it lies in the row space of X, so no other least-squares solution is shorter.
    """
    check_xy(x, y, what="ridge.min_norm")
    x, y = jnp.asarray(x), jnp.asarray(y)
    u, s, vt = jnp.linalg.svd(x, full_matrices=False)
    if rcond is None:
        rcond = max(x.shape) * jnp.finfo(s.dtype).eps
    return vt.T @ (_inverse_kept(s, rcond) * (u.T @ y))


@jax.jit
def _inverse_kept(s, rcond):
    """1/sⱼ where sⱼ > rcond · s_max, else 0 (s descending): exact elementwise operations, one small program."""
    keep = s > rcond * s[0]
    # double where: no division by a dropped value
    return jnp.where(keep, 1.0 / jnp.where(keep, s, 1.0), 0.0)


@jax.jit
def _summary(theta, x, y, lam):
    """f(θ) = ‖y − Xθ‖² + λ‖θ‖², ‖∇f(θ)‖∞ and whether θ is finite, in one small program."""
    r = x @ theta - y  # Xθ − y
    value = jnp.sum(r**2) + lam * jnp.sum(theta**2)
    grad = 2.0 * (x.T @ r + lam * theta)  # ∇f = 2Xᵀ(Xθ − y) + 2λθ
    return value, jnp.max(jnp.abs(grad)), jnp.all(jnp.isfinite(theta))


def fit(x, y, *, lam: float = 1.0) -> RidgeFit:
    """Ridge regression: θ = argmin ‖y − Xθ‖² + λ‖θ‖² = (XᵀX + λI)⁻¹ Xᵀy, solved directly.

    λ > 0: a Cholesky solve (:func:`closed_form`); λ = 0: the minimum-norm least-squares solution X⁺y
    (:func:`min_norm`, the limit λ → 0⁺, defined for n < d too). λ = σ²/η² is the MAP estimate under
    yᵢ ~ N(θᵀxᵢ, σ²) and θ ~ N(0, η²I) (:func:`theta_map`, write-up §4(c)).

    Args:
      x: (n, d) inputs (integers become the default float dtype). Add a column of ones for an intercept (it is
        penalised like every other entry).
      y: (n,) targets.
      lam: λ ≥ 0; default 1.0 (scikit-learn's ``Ridge`` default, on the same objective).

    Returns:
      :class:`RidgeFit`: theta (d,), value ‖y − Xθ‖² + λ‖θ‖², grad_norm ‖∇f(θ)‖∞ (zero up to rounding),
      iterations 0, converged (θ finite).

    Example:
      >>> fit = ridge.fit(x, y, lam=0.1)
      >>> y_hat = x_test @ fit.theta
    """
    check_xy(x, y, what="ridge.fit")
    try:
        value = float(lam)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(lam, (bool, str, bytes)) or not value >= 0:
        raise UsageError(f"ridge.fit: lam must be a number >= 0; got {lam!r}")
    x, y = as_float(x, y)
    lam = value
    theta = closed_form(x, y, lam=lam) if lam > 0 else min_norm(x, y)
    value, grad_norm, finite = _summary(theta, x, y, np.asarray(lam, x.dtype))
    iterations = jax.device_put(np.int32(0))
    return RidgeFit(theta, value, grad_norm, iterations, finite)


# ----------------------------------------------------------------------------------------------------------------
# ridge for many λ with one factorisation; the double-descent sweep
# ----------------------------------------------------------------------------------------------------------------


def default_rcond(n: int, d: int, dtype=None, method: str = "eigh") -> float:
    """The pseudo-inverse cut-off used at λ = 0: 10·max(n, d)·eps on eig(XᵀX) ("eigh"), max(n, d)·eps on sv(X).

    ``dtype`` defaults to the default float (float64 under x64). Private to the module: :func:`path` and
    :func:`double_descent_sweep` take ``rcond=`` to set another.
    """
    eps = float(jnp.finfo(jnp.result_type(float) if dtype is None else dtype).eps)
    return (10.0 if method == "eigh" else 1.0) * max(n, d) * eps


def _filter_factors(values, lams, rcond, method):
    """The spectral filter: (L, k) factors f with θ(λ) = V (f ⊙ b) for the decomposition ``method``.

    eigh: values = e (eigenvalues of XᵀX), b = VᵀXᵀy, f = 1/(e + λ);  svd: values = s, b = Uᵀy, f = s/(s² + λ).
    At λ = 0 the values at or below rcond · max are dropped (pseudo-inverse).
    """
    lams = lams[:, None]  # (L, 1) against (1, k)
    if method == "eigh":
        # rounding can make null eigenvalues slightly negative
        e = jnp.maximum(values, 0.0)[None, :]
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
def _path(x, y, lams, rcond, method):
    v, values, b = _spectral(x, y, method)
    f = _filter_factors(values, lams, rcond, method)  # (L, k)
    return (f * b[None, :]) @ v.T  # θ(λ) = V diag(f(λ)) b, stacked (L, d)


def _check_method(method: str) -> None:
    if method not in ("eigh", "svd"):
        raise UsageError(f"method must be 'eigh' or 'svd'; got {method!r}")


@positional_settings("ridge", ("x", "y", "lams"))
def path(x, y, *, lams, rcond=None, method: str = "eigh"):
    """Ridge solutions θ(λ) = argmin ‖y − Xθ‖² + λ‖θ‖² for every λ in ``lams``, from ONE factorisation.

        eigh:  θ(λ) = V diag(1/(e + λ)) Vᵀ Xᵀy     (XᵀX = V diag(e) Vᵀ)
        svd:   θ(λ) = V diag(s/(s² + λ)) Uᵀ y       (X = U diag(s) Vᵀ)

    λ = 0 gives the minimum-norm least-squares solution with the module's pseudo-inverse cut-off.

    Args:
      x: (n, d) design (rows of zeros are allowed: they change nothing).
      y: (n,) targets.
      lams: (L,) values λ ≥ 0 (keyword-only, required).
      rcond: the relative pseudo-inverse cut-off at λ = 0; default None: 10·max(n, d)·eps on the eigenvalues
        of XᵀX ("eigh"), max(n, d)·eps on the singular values of X ("svd").
      method: "eigh" (default, faster) or "svd" (more accurate when XᵀX is nearly singular).

    Returns:
      (L, d) array, row l = θ(lams[l]).
    """
    check_xy(x, y, what="ridge.path")
    check_vector(lams, "lams")
    _check_method(method)
    x, y = jnp.asarray(x), jnp.asarray(y)
    lams = np.asarray(lams, x.dtype)
    rcond = default_rcond(*x.shape, x.dtype, method) if rcond is None else rcond
    return _path(x, y, lams, rcond, method)


def _validation_errors(x, y, lams, x_val, y_val, rcond, method):
    """(L,) validation MSE of θ(λ) for one (possibly zero-padded) design: mean over rows of (y_val − X_val θ)²."""
    v, values, b = _spectral(x, y, method)
    f = _filter_factors(values, lams, rcond, method)
    theta = (f * b[None, :]) @ v.T  # (L, d)
    # (L, m): y_val − X_val θ(λ), never an (m, m) matrix
    residual = y_val[None, :] - theta @ x_val.T
    return jnp.mean(residual**2, axis=1)


@functools.partial(jax.jit, static_argnames=("method",))
def _sweep(x_stack, y_stack, lams, x_val, y_val, rcond, method):
    per_n = jax.vmap(_validation_errors, in_axes=(0, 0, None, None, None, None, None))
    return per_n(x_stack, y_stack, lams, x_val, y_val, rcond, method).T  # (L, N)


def stack_padded(xs: Sequence, ys: Sequence):
    """N regression problems of different sizes as one batch: zero rows appended up to the largest n, stacked.

    Zero rows leave XᵀX and Xᵀy unchanged, so every ridge solution (and θ_MAP) of problem i is the same on its
    padded design, and −log p(y | X, θ) only gains a θ-independent constant: ``jax.vmap`` a solver over the
    stack, one compiled program for every n (as :func:`double_descent_sweep` does).

    Args:
      xs: N arrays (n_i, d), the same d.
      ys: N arrays (n_i,).

    Returns:
      (x_stack (N, n_max, d), y_stack (N, n_max)), NumPy arrays.

    Example:
      >>> x_pad, y_pad = ridge.stack_padded([x200, x800], [y200, y800])  # (2, 800, d), (2, 800)
      >>> jax.vmap(lambda x, y: ridge.theta_map(x, y, sigma=0.5, eta=eta))(x_pad, y_pad)
    """
    if len(xs) != len(ys) or not xs:
        raise UsageError(
            f"stack_padded needs as many x as y arrays (at least one); got {len(xs)} and {len(ys)}"
        )
    for x, y in zip(xs, ys):
        check_xy(x, y, what="stack_padded")
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


@positional_settings("ridge", ("xs", "ys", "lams", "x_val", "y_val"))
def double_descent_sweep(
    xs: Sequence, ys: Sequence, x_val, y_val, *, lams, rcond=None, method: str = "eigh"
):
    """Validation mean squared error for every (training set, λ): one factorisation per training set, all λ at once.

        val_err[l, i] = (1/m) Σⱼ (y_valⱼ − θᵢ(λ_l)ᵀ x_valⱼ)²,   θᵢ(λ) = argmin ‖yᵢ − Xᵢθ‖² + λ‖θ‖²

    The N training sets are zero-padded to the largest n (:func:`stack_padded`: XᵀX and Xᵀy are unchanged), stacked and
    vmapped, so the whole grid is ONE jitted call and one compilation. λ = 0 is the minimum-norm solution. The
    training-set axis is sharded across all visible devices (:mod:`jaxml.sharding`).

    Args:
      xs: N designs (n_i, d) (e.g. the double-descent files train200 … train800).
      ys: N targets (n_i,).
      x_val: (m, d) validation inputs.
      y_val: (m,) validation targets.
      lams: (L,) λ values ≥ 0 (e.g. scale · λ_opt) (keyword-only, required).
      rcond: the relative pseudo-inverse cut-off at λ = 0; default None: as :func:`path` for (n_max, d).
      method: "eigh" (default) or "svd".

    Returns:
      (L, N) array of validation MSEs: one row per λ, one column per training set.

    Reference: Nakkiran et al. 2020, *Optimal Regularization Can Mitigate Double Descent*.
    """
    check_vector(lams, "lams")
    check_xy(x_val, y_val, what="double_descent_sweep validation set")
    _check_method(method)
    x_stack, y_stack = stack_padded(xs, ys)
    if np.shape(x_val)[1] != x_stack.shape[2]:
        raise UsageError(
            f"validation x has {np.shape(x_val)[1]} columns, the training sets {x_stack.shape[2]}"
        )
    dtype = float_dtype(x_stack, x_val)
    rcond = (
        default_rcond(x_stack.shape[1], x_stack.shape[2], dtype, method) if rcond is None else rcond
    )
    # the training-set axis is spread over every visible device (a no-op with one device), padded to a multiple
    # of the device count; the padded columns are dropped
    x_sharded, y_sharded = shard_leading((jnp.asarray(x_stack, dtype), jnp.asarray(y_stack, dtype)))
    val_err = _sweep(
        x_sharded,
        y_sharded,
        np.asarray(lams, dtype),
        jnp.asarray(x_val, dtype),
        jnp.asarray(y_val, dtype),
        rcond,
        method,
    )
    return val_err[:, : x_stack.shape[0]]


# ----------------------------------------------------------------------------------------------------------------
# L-BFGS on the densities (the independent check of the closed forms)
# ----------------------------------------------------------------------------------------------------------------


@positional_settings("ridge", ("x", "y", "sigma", "eta"))
def fit_map(
    x, y, *, sigma, eta, theta0=None, gtol: float = 1e-12, max_iter: int = 2000
) -> RidgeFit:
    """θ_MAP for the Gaussian prior by L-BFGS on −log p(y|X,θ) − log p(θ) written from the densities (not the
    closed form). Vmappable over (x, y).

    Args:
      x: (n, d) inputs.
      y: (n,) targets.
      sigma: the noise standard deviation σ > 0 (keyword-only, required: a parameter of the model).
      eta: the prior's standard deviation η > 0 (keyword-only, required).
      theta0: (d,) start; default zeros.
      gtol: relative gradient tolerance, see :func:`jaxml.lbfgs.minimize_lbfgs`; default 1e-12.
      max_iter: L-BFGS step cap; default 2,000.

    Returns:
      :class:`RidgeFit`.
    """
    check_xy(x, y, what="ridge.fit_map")
    x, y = as_float(x, y)
    theta0 = np.zeros(x.shape[1], x.dtype) if theta0 is None else theta0
    return RidgeFit(
        *minimize_lbfgs(
            neg_log_posterior_gaussian, theta0, x, y, sigma, eta, gtol=gtol, max_iter=max_iter
        )
    )


def fit_least_squares(x, y, *, sigma=1.0, gtol: float = 1e-12, max_iter: int = 2000) -> RidgeFit:
    """Maximum likelihood (λ = 0) by L-BFGS on −log p(y|X,θ), started at θ = 0.

    Every L-BFGS direction is a combination of gradients Xᵀ(Xθ − y), so from θ₀ = 0 the iterates stay in the row
    space of X: for n < d the limit is the minimum-norm solution X⁺y (an independent check of the pseudo-inverse).

    Args:
      x: (n, d) inputs.
      y: (n,) targets.
      sigma: σ > 0, which scales the objective only; default 1.0.
      gtol: relative gradient tolerance, see :func:`jaxml.lbfgs.minimize_lbfgs`; default 1e-12.
      max_iter: L-BFGS step cap; default 2,000.

    Returns:
      :class:`RidgeFit`.
    """
    check_xy(x, y, what="ridge.fit_least_squares")
    x, y = as_float(x, y)
    theta0 = np.zeros(x.shape[1], x.dtype)
    return RidgeFit(
        *minimize_lbfgs(neg_log_likelihood, theta0, x, y, sigma, gtol=gtol, max_iter=max_iter)
    )
