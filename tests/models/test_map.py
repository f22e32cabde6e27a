"""MAP linear regression (write-up §4): densities, closed forms, L-BFGS, FISTA, the ridge path and the sweep.

The Gaussian-prior family is ``jaxml.models.ridge``, the Laplace-prior family ``jaxml.models.lasso``.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.errors import UsageError
from jaxml.lbfgs import minimize_lbfgs
from jaxml.models import _ridge, lasso, ridge


def _problem(key, n=40, d=10, sigma=0.5):
    k_x, k_t, k_e = jax.random.split(key, 3)
    x = jax.random.normal(k_x, (n, d), jnp.float64)
    theta = jax.random.normal(k_t, (d,), jnp.float64)
    y = x @ theta + sigma * jax.random.normal(k_e, (n,), jnp.float64)
    return np.asarray(x), np.asarray(y)


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# --- densities ------------------------------------------------------------------------------------------------


def test_neg_log_likelihood_is_the_gaussian_density(key):
    x, y = _problem(key)
    theta, sigma = np.linspace(-1, 1, x.shape[1]), 0.7
    r = y - x @ theta
    by_hand = np.sum(r**2) / (2 * sigma**2) + len(y) * np.log(np.sqrt(2 * np.pi) * sigma)
    assert float(ridge.neg_log_likelihood(theta, x, y, sigma)) == pytest.approx(by_hand, rel=1e-13)


def test_priors_are_the_densities():
    theta, eta, b = np.array([0.5, -2.0, 0.0, 1.5]), 0.8, 0.3
    gauss = np.sum(theta**2) / (2 * eta**2) + 4 * np.log(np.sqrt(2 * np.pi) * eta)
    laplace = np.sum(np.abs(theta)) / b + 4 * np.log(2 * b)
    assert float(ridge.neg_log_prior(theta, eta)) == pytest.approx(gauss, rel=1e-13)
    assert float(lasso.neg_log_prior(theta, b)) == pytest.approx(laplace, rel=1e-13)


def test_weights_of_the_priors():
    # write-up §4(c): λ_opt = σ²/η²; §4(e): γ = 2σ²/b
    assert ridge.lambda_opt(0.5, 1 / np.sqrt(500)) == pytest.approx(125.0)
    assert lasso.map_gamma(0.5, 0.25) == pytest.approx(2.0)


# --- closed forms and L-BFGS ------------------------------------------------------------------------------------


def test_ridge_closed_form_matches_numpy(key):
    x, y = _problem(key)
    expected = np.linalg.solve(x.T @ x + 3.0 * np.eye(x.shape[1]), x.T @ y)
    assert _rel(ridge.closed_form(x, y, lam=3.0), expected) < 1e-12
    assert _rel(jax.jit(ridge.closed_form)(x, y, lam=3.0), expected) < 1e-12


def test_ridge_fit_solves_the_penalised_least_squares(key):
    from sklearn.linear_model import Ridge

    x, y = _problem(key)
    fit = ridge.fit(x, y, lam=3.0)
    assert isinstance(fit, ridge.RidgeFit) and int(fit.iterations) == 0 and bool(fit.converged)
    assert _rel(fit.theta, ridge.closed_form(x, y, lam=3.0)) == 0.0  # the Cholesky solve itself
    assert float(fit.value) == pytest.approx(
        float(ridge.objective(fit.theta, x, y, 3.0)), rel=1e-14
    )
    # ∇(‖y − Xθ‖² + λ‖θ‖²) = 0 at the solution, up to rounding
    assert float(fit.grad_norm) < 1e-10 * float(jnp.max(jnp.abs(2 * x.T @ y)))
    # the default λ = 1 is scikit-learn's Ridge default, on the same objective
    sk = Ridge(alpha=1.0, fit_intercept=False, solver="cholesky").fit(x, y).coef_
    assert _rel(ridge.fit(x, y).theta, sk) < 1e-12
    # λ = 0 with n < d: the minimum-norm least-squares solution, which interpolates
    x8, y8 = _problem(key, n=8, d=30)
    least = ridge.fit(x8, y8, lam=0.0)
    assert _rel(least.theta, np.linalg.lstsq(x8, y8, rcond=None)[0]) < 1e-12
    assert float(least.value) < 1e-20 * float(jnp.sum(y8**2)) and bool(least.converged)
    for bad in (-1.0, float("nan"), "0.1", True):
        with pytest.raises(UsageError, match="lam"):
            ridge.fit(x, y, lam=bad)


def test_min_norm_least_squares_matches_lstsq(key):
    x, y = _problem(key, n=8, d=30)
    expected = np.linalg.lstsq(x, y, rcond=None)[0]
    assert _rel(ridge.min_norm(x, y), expected) < 1e-12


def test_lbfgs_on_the_posterior_finds_theta_map(key):
    # n > d, n = d, n < d (the posterior is strongly convex in each case), zero-padded to one shape and vmapped:
    # zero rows add a constant to −log p(y|X,θ), so every minimiser is unchanged, and one program serves all three
    sigma, eta = 0.5, 0.3
    problems = [_problem(k, n=n, d=10) for k, n in zip(jax.random.split(key, 3), (25, 10, 4))]
    x_pad, y_pad = ridge.stack_padded([p[0] for p in problems], [p[1] for p in problems])
    fits = jax.vmap(lambda x, y: ridge.fit_map(x, y, sigma=sigma, eta=eta))(x_pad, y_pad)
    assert isinstance(fits, ridge.RidgeFit) and bool(jnp.all(fits.converged))
    for k, (x, y) in enumerate(problems):
        assert _rel(fits.theta[k], ridge.theta_map(x, y, sigma=sigma, eta=eta)) < 1e-9


def test_lbfgs_from_zero_gives_the_minimum_norm_solution(key):
    x, y = _problem(key, n=8, d=30)
    fit = ridge.fit_least_squares(x, y)
    assert bool(fit.converged)
    assert _rel(fit.theta, np.linalg.lstsq(x, y, rcond=None)[0]) < 1e-8


def test_minimize_lbfgs_reports_non_convergence(key):
    x, y = _problem(key)
    fit = minimize_lbfgs(ridge.objective, jnp.zeros(x.shape[1]), x, y, 1.0, max_iter=2)
    assert int(fit.iterations) == 2 and not bool(fit.converged)


# --- FISTA ---------------------------------------------------------------------------------------------------------


def test_soft_threshold():
    v = jnp.array([-3.0, -0.5, 0.0, 0.2, 2.0])
    assert np.allclose(lasso.soft_threshold(v, 1.0), [-2.0, 0.0, 0.0, 0.0, 1.0])


def test_lasso_matches_scikit_learn(key):
    from sklearn.linear_model import Lasso

    x, y = _problem(key, n=40, d=12)
    gamma = 20.0
    fit = lasso.fit(x, y, gamma=gamma)
    # the family's result type; the iteration count is an int32 counter, not a 64-bit integer
    assert isinstance(fit, lasso.LassoFit) and fit.iterations.dtype == jnp.int32
    # scikit-learn minimises (1/(2n))‖y − Xw‖² + α‖w‖₁ = (‖y − Xw‖² + 2nα‖w‖₁)/(2n): α = γ/(2n)
    sk = (
        Lasso(alpha=gamma / (2 * len(y)), fit_intercept=False, tol=1e-14, max_iter=1_000_000)
        .fit(x, y)
        .coef_
    )
    assert bool(fit.converged)
    assert np.max(np.abs(np.asarray(fit.theta) - sk)) < 1e-8 * np.max(np.abs(sk))
    assert np.array_equal(np.asarray(fit.theta) == 0, sk == 0)  # the same exact zeros


def test_lasso_on_an_orthogonal_design_is_soft_thresholding():
    # X with orthonormal columns: ‖y − Xθ‖² + γ‖θ‖₁ is separable, θ = soft(Xᵀy, γ/2)
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((30, 6)))
    y = q @ np.array([3.0, -2.0, 0.4, -0.1, 1.0, 0.0]) + 0.01 * np.arange(30) / 30
    fit = lasso.fit(q, y, gamma=1.0)
    expected = np.sign(q.T @ y) * np.maximum(np.abs(q.T @ y) - 0.5, 0.0)
    assert np.max(np.abs(np.asarray(fit.theta) - expected)) < 1e-9


def test_lasso_path_equals_individual_fits(key):
    x, y = _problem(key, n=30, d=15)
    gammas = jnp.array([0.5, 5.0, 40.0, 1e4])
    path = lasso.path(x, y, gammas=gammas)
    assert path.theta.shape == (4, 15) and bool(jnp.all(path.converged))
    for i, gamma in enumerate(gammas):
        assert np.max(np.abs(np.asarray(path.theta[i] - lasso.fit(x, y, gamma=gamma).theta))) < 1e-8
    assert int(jnp.sum(path.theta[-1] != 0)) == 0  # γ above ‖2Xᵀy‖∞: θ = 0
    nnz = np.asarray(jnp.sum(path.theta != 0, axis=1))
    assert nnz[0] > nnz[2]  # larger γ, sparser


def test_laplace_map_equals_lasso_at_gamma_two_sigma2_over_b(key):
    x, y = _problem(key, n=30, d=12)
    sigma, b = 0.5, 0.05
    laplace = lasso.fit_map(x, y, sigma=sigma, b=b)
    plain = lasso.fit(x, y, gamma=2 * sigma**2 / b)
    assert bool(laplace.converged)
    assert np.max(np.abs(np.asarray(laplace.theta - plain.theta))) < 1e-8 * np.max(
        np.abs(np.asarray(plain.theta))
    )


def test_fista_without_restart_and_a_generic_prox(key):
    # FISTA on a smooth problem (prox = identity) is accelerated gradient descent: it must find the ridge answer
    x, y = _problem(key)
    lam = 2.0
    step = 1.0 / (2 * (np.linalg.eigvalsh(x.T @ x)[-1] + lam))
    fit = lasso.fista(
        ridge.objective,
        lambda v, t: v,
        jnp.zeros(x.shape[1]),
        step=step,
        tol=1e-9,
        smooth_args=(x, y, lam),
        restart=False,
    )
    assert bool(fit.converged)
    assert _rel(fit.theta, ridge.closed_form(x, y, lam=lam)) < 1e-9


# --- ridge path and the double-descent sweep ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["eigh", "svd"])
@pytest.mark.parametrize("n", [12, 30, 60])  # n < d, n = d, n > d
def test_ridge_path_matches_direct_solves(key, method, n):
    x, y = _problem(key, n=n, d=30)
    lams = np.array([0.0, 1e-3, 0.5, 7.0])
    path = ridge.path(x, y, lams=lams, method=method)
    direct = [np.linalg.lstsq(x, y, rcond=None)[0]] + [
        np.linalg.solve(x.T @ x + lam * np.eye(30), x.T @ y) for lam in lams[1:]
    ]
    for got, expected in zip(np.asarray(path), direct):
        assert _rel(got, expected) < 1e-7


def test_zero_rows_change_nothing(key):
    x, y = _problem(key, n=20, d=30)
    lams = np.array([0.0, 1.0])
    padded = ridge.path(
        np.vstack([x, np.zeros((15, 30))]), np.concatenate([y, np.zeros(15)]), lams=lams
    )
    assert np.max(np.abs(np.asarray(padded - ridge.path(x, y, lams=lams)))) < 1e-10


def _direct_grid(xs, ys, lams, x_val, y_val):
    out = np.empty((len(lams), len(xs)))
    for j, (x, y) in enumerate(zip(xs, ys)):
        for i, lam in enumerate(lams):
            theta = (
                np.linalg.lstsq(x, y, rcond=None)[0]
                if lam == 0
                else np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ y)
            )
            out[i, j] = np.mean((y_val - x_val @ theta) ** 2)
    return out


@pytest.mark.parametrize("method", ["eigh", "svd"])
def test_sweep_matches_a_direct_solve_per_n_and_lambda(key, method):
    # nested training sets of a d = 40 problem, n = 20 … 80 (through n = d), and a validation set
    x_all, y_all = _problem(key, n=110, d=40)
    ns = list(range(20, 81, 10))
    xs, ys = [x_all[:n] for n in ns], [y_all[:n] for n in ns]
    x_val, y_val = x_all[80:], y_all[80:]
    # scale · σ²/η² with σ = 0.5, η = 1/√d
    lams = np.array([0.0, 1 / 32, 1 / 4, 1.0, 4.0]) * 0.25 * 40
    grid = np.asarray(ridge.double_descent_sweep(xs, ys, x_val, y_val, lams=lams, method=method))
    expected = _direct_grid(xs, ys, lams, x_val, y_val)
    assert grid.shape == (5, len(ns))
    assert np.max(np.abs(grid - expected) / expected) < 1e-7


def test_sweep_is_one_compilation_for_every_size(key):
    x_all, y_all = _problem(key, n=60, d=10)
    lams, x_val, y_val = np.array([0.0, 1.0]), x_all[50:], y_all[50:]
    ridge.double_descent_sweep(
        [x_all[:20], x_all[:30]], [y_all[:20], y_all[:30]], x_val, y_val, lams=lams
    )
    before = _ridge._sweep._cache_size()
    ridge.double_descent_sweep(
        [x_all[:25], x_all[:30]], [y_all[:25], y_all[:30]], x_val, y_val, lams=lams
    )
    assert _ridge._sweep._cache_size() == before  # same padded shape: no new compilation


# --- usage errors --------------------------------------------------------------------------------------------------


def test_bad_shapes_raise_usage_errors(key):
    x, y = _problem(key)
    with pytest.raises(UsageError, match=r"x \(n, d\) and y \(n,\)"):
        ridge.path(x, y[:-1], lams=[0.0])
    with pytest.raises(UsageError, match="lams"):
        ridge.path(x, y, lams=[[0.0]])
    with pytest.raises(UsageError, match="method"):
        ridge.path(x, y, lams=[0.0], method="qr")
    with pytest.raises(UsageError, match="columns"):
        ridge.double_descent_sweep([x], [y], x[:, :3], y, lams=[0.0])
    with pytest.raises(UsageError, match="same number of columns"):
        ridge.stack_padded([x, x[:, :3]], [y, y])
    with pytest.raises(UsageError):
        lasso.fit(x, y[:5], gamma=1.0)
    with pytest.raises(UsageError, match="1-d"):
        minimize_lbfgs(ridge.objective, jnp.zeros((2, 2)), x, y, 1.0)


def test_float32_without_x64_warns_nothing():
    # with x64 off, float32 problems solve in float32 and nothing asks for a 64-bit dtype
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 8)).astype(np.float32)
    y = (x @ rng.standard_normal(8) + 0.1 * rng.standard_normal(30)).astype(np.float32)
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ridge.path(x, y, lams=[0.0, 1.0]).dtype == jnp.float32
        assert (
            ridge.double_descent_sweep([x[:10], x], [y[:10], y], x, y, lams=[0.0, 1.0]).dtype
            == jnp.float32
        )
        assert ridge.min_norm(x[:5], y[:5]).dtype == jnp.float32
        assert ridge.theta_map(x, y, sigma=0.5, eta=1.0).dtype == jnp.float32
        assert ridge.fit(x, y).theta.dtype == jnp.float32
        fit = lasso.fit(x, y, gamma=2.0, rtol=1e-5)
        assert fit.theta.dtype == jnp.float32 and bool(fit.converged)
        assert lasso.path(x, y, gammas=[1.0, 10.0], rtol=1e-5).theta.dtype == jnp.float32


# --- the old positional spelling (one release) ------------------------------------------------------------------


def test_positional_settings_are_deprecated_and_mean_the_same(key):
    x_all, y_all = _problem(key, n=60, d=10)
    xs, ys, x_val, y_val = (
        [x_all[:20], x_all[:40]],
        [y_all[:20], y_all[:40]],
        x_all[40:],
        y_all[40:],
    )
    lams = np.array([0.0, 1.0])
    # the old order put λ before the validation set: (xs, ys, lams, x_val, y_val)
    with pytest.warns(
        DeprecationWarning, match=r"double_descent_sweep\(xs, ys, x_val, y_val, lams=lams\)"
    ):
        old = ridge.double_descent_sweep(xs, ys, lams, x_val, y_val)
    new = ridge.double_descent_sweep(xs, ys, x_val, y_val, lams=lams)
    np.testing.assert_array_equal(np.asarray(old), np.asarray(new))
    with pytest.warns(DeprecationWarning, match=r"ridge.theta_map\(x, y, sigma=sigma, eta=eta\)"):
        old = ridge.theta_map(x_all, y_all, 0.5, 0.3)
    np.testing.assert_array_equal(old, ridge.theta_map(x_all, y_all, sigma=0.5, eta=0.3))
    with pytest.warns(DeprecationWarning, match=r"lasso.fit\(x, y, gamma=gamma\)"):
        old = lasso.fit(x_all, y_all, 2.0)
    np.testing.assert_array_equal(old.theta, lasso.fit(x_all, y_all, gamma=2.0).theta)
    with pytest.raises(TypeError, match="multiple values"):
        lasso.fit(x_all, y_all, 2.0, gamma=3.0)
