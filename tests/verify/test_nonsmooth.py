"""Sub-gradient (KKT) optimality checks for ‖y − Xθ‖² + γ‖θ‖₁ and for general smooth + γ‖θ‖₁ objectives."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml import models
from jaxml.errors import UsageError
from jaxml.verify import MistakeKind, check_l1_optimality, check_lasso_kkt


@pytest.fixture
def lasso(key):
    """A sparse lasso problem and its FISTA solution: (theta, x, y, gamma)."""
    k_x, k_t, k_e = jax.random.split(key, 3)
    x = jax.random.normal(k_x, (40, 15), jnp.float64)
    truth = jnp.where(jnp.arange(15) < 5, 2.0 * jax.random.normal(k_t, (15,)), 0.0)
    y = x @ truth + 0.5 * jax.random.normal(k_e, (40,), jnp.float64)
    # a weight that leaves some, not all, coordinates at 0
    gamma = 0.3 * float(jnp.max(jnp.abs(2 * x.T @ y)))
    fit = models.lasso.fit(x, y, gamma=gamma)
    assert bool(fit.converged)
    return np.asarray(fit.theta), np.asarray(x), np.asarray(y), gamma


def test_the_solution_passes(lasso):
    theta, x, y, gamma = lasso
    report = check_lasso_kkt(theta, x, y, gamma)
    assert report.ok, str(report)
    assert report.max_rel_error < 1e-9 and report.diagnosis is None and report.mistake is None
    assert 0 < report.n_nonzero < 15 and report.n_zero == 15 - report.n_nonzero
    assert report.gamma_implied == pytest.approx(gamma, rel=1e-9)
    assert "PASS" in str(report)


def test_scikit_learn_solution_passes(lasso):
    from sklearn.linear_model import Lasso

    _, x, y, gamma = lasso
    sk = (
        Lasso(alpha=gamma / (2 * len(y)), fit_intercept=False, tol=1e-14, max_iter=1_000_000)
        .fit(x, y)
        .coef_
    )
    assert check_lasso_kkt(sk, x, y, gamma).ok


def test_a_perturbed_solution_fails(lasso):
    theta, x, y, gamma = lasso
    bad = theta.copy()
    bad[np.flatnonzero(theta)[0]] += 1e-2
    report = check_lasso_kkt(bad, x, y, gamma)
    assert not report.ok and report.max_rel_error > 1e-6
    assert "FAIL" in str(report) and report.mistake is not None
    assert report.mistake.kind is MistakeKind.NOT_CONVERGED, str(report)


@pytest.mark.parametrize("factor", [2.0, 0.5])
def test_a_wrong_weight_is_named(lasso, factor):
    # the solution for γ checked against γ/factor: it is optimal for the weight factor·(γ/factor) = γ
    theta, x, y, gamma = lasso
    report = check_lasso_kkt(theta, x, y, gamma / factor)
    assert not report.ok
    assert report.mistake.kind is MistakeKind.CONSTANT_FACTOR, str(report)  # the wrong weight
    assert report.mistake.factor == pytest.approx(factor, rel=1e-6)


def test_scikit_learn_alpha_slip_is_named(lasso):
    # passing scikit-learn's alpha = γ/(2n) where γ was meant: off by 2n
    theta, x, y, gamma = lasso
    report = check_lasso_kkt(theta, x, y, gamma / (2 * len(y)))
    assert not report.ok and report.mistake.kind is MistakeKind.CONSTANT_FACTOR, str(report)
    assert report.mistake.factor == pytest.approx(2 * len(y), rel=1e-6)  # 2n = 80


def test_a_sign_flip_is_named(lasso):
    theta, x, y, gamma = lasso
    # with y' = 2Xθ − y the residual flips sign: ∇f(θ) = 2Xᵀ(Xθ − y') = +γ sign θ on the active set, which is what
    # a solver that ascends f (or writes the residual as Xθ − y with the wrong sign) converges to
    report = check_lasso_kkt(theta, x, 2 * x @ theta - y, gamma)
    assert not report.ok and report.mistake.kind is MistakeKind.SIGN, str(report)
    assert report.mistake.factor == -1.0
    assert check_lasso_kkt(-theta, x, -y, gamma).ok  # the symmetric problem: still optimal


def test_smooth_solver_tiny_coordinates_are_named(lasso):
    theta, x, y, gamma = lasso
    smeared = np.where(theta == 0, 1e-12, theta)  # what L-BFGS on |θ| leaves instead of exact zeros
    report = check_lasso_kkt(smeared, x, y, gamma)
    assert not report.ok and report.mistake.kind is MistakeKind.NOT_SPARSE, str(report)
    assert report.mistake.param("count") == int(np.sum(theta == 0))  # every smeared zero
    assert check_lasso_kkt(smeared, x, y, gamma, zero_tol=1e-10).ok  # counted as zero, it passes


def test_zero_coordinates_that_should_be_active_are_named(lasso):
    theta, x, y, gamma = lasso
    clipped = theta.copy()
    clipped[np.argmax(np.abs(theta))] = 0.0  # kill the largest coordinate
    report = check_lasso_kkt(clipped, x, y, gamma)
    # zero coordinates that should be non-zero: the worst violation is at one of them
    assert not report.ok and report.mistake.kind is MistakeKind.NOT_STATIONARY, str(report)
    assert report.mistake.param("count") >= 1 and clipped[report.worst_index] == 0.0


def test_theta_zero_is_optimal_above_gamma_max(lasso):
    _, x, y, _ = lasso
    gamma_max = float(np.max(np.abs(2 * x.T @ y)))
    assert check_lasso_kkt(np.zeros(15), x, y, 1.001 * gamma_max).ok
    report = check_lasso_kkt(np.zeros(15), x, y, 0.9 * gamma_max)
    assert not report.ok and report.mistake.kind is MistakeKind.NOT_STATIONARY, str(report)
    assert report.mistake.param("count") >= 1  # zero coordinates that should be non-zero


def test_general_smooth_part_and_per_coordinate_weights(lasso):
    theta, x, y, gamma = lasso
    smooth = lambda t, x, y: jnp.sum((y - x @ t) ** 2)
    general = check_l1_optimality(smooth, theta, x, y, gamma=gamma)
    specific = check_lasso_kkt(theta, x, y, gamma)
    assert general.ok and general.max_abs_error == pytest.approx(specific.max_abs_error, abs=1e-9)
    weights = np.full(15, gamma)
    assert check_l1_optimality(smooth, theta, x, y, gamma=weights).ok
    weights[np.flatnonzero(theta)[0]] *= (
        3.0  # a heavier weight on an active coordinate moves the optimum
    )
    assert not check_l1_optimality(smooth, theta, x, y, gamma=weights).ok


def test_laplace_posterior_is_a_lasso_in_disguise(lasso):
    # F = −log p(y|X,θ) + ‖θ‖₁/b: the smooth part is written from the density, the weight is 1/b
    _, x, y, _ = lasso
    sigma, b = 0.5, 0.02
    fit = models.lasso.fit_map(x, y, sigma=sigma, b=b)
    assert check_l1_optimality(
        models.lasso.neg_log_likelihood, fit.theta, x, y, sigma, gamma=1 / b
    ).ok
    assert check_lasso_kkt(fit.theta, x, y, 2 * sigma**2 / b).ok


def test_float32_default_tolerance_and_atol(lasso):
    theta, x, y, gamma = lasso
    report32 = check_lasso_kkt(theta.astype(np.float32), x, y, gamma)
    assert report32.rtol == 1e-3 and report32.ok
    assert not check_lasso_kkt(theta + 1e-3, x, y, gamma, atol=1e-6).ok
    assert check_lasso_kkt(theta, x, y, gamma, atol=1e-6).tolerance == "atol 1e-06"


def test_usage_errors(lasso):
    theta, x, y, gamma = lasso
    with pytest.raises(UsageError, match=r"theta \(d,\), x \(n, d\), y \(n,\)"):
        check_lasso_kkt(theta[:-1], x, y, gamma)
    with pytest.raises(UsageError, match="gamma"):
        check_lasso_kkt(theta, x, y, np.ones(3))
    with pytest.raises(UsageError, match="non-negative"):
        check_lasso_kkt(theta, x, y, -1.0)
    with pytest.raises(UsageError, match="callable"):
        check_l1_optimality(None, theta, gamma=1.0)


def test_non_finite_theta_is_named(lasso):
    theta, x, y, gamma = lasso
    bad = theta.copy()
    bad[0] = np.nan
    report = check_lasso_kkt(bad, x, y, gamma)
    assert not report.ok and report.mistake.kind is MistakeKind.NON_FINITE, str(report)
