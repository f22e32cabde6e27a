"""check_closed_form: stationarity + agreement with a jitted L-BFGS solve."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

from jaxml.lbfgs import minimize_lbfgs
from jaxml.testing import assert_closed_form, assert_gradient, assert_gradient_fails
from jaxml.verify import MistakeKind, check_closed_form


def ridge_objective(theta, x, y, lam):
    """‖y − Xθ‖² + λ‖θ‖², written from its definition."""
    return jnp.sum((y - x @ theta) ** 2) + lam * jnp.sum(theta**2)


def ridge_solution(x, y, lam):
    """θ = (XᵀX + λI)⁻¹ Xᵀy."""
    return jnp.linalg.solve(x.T @ x + lam * jnp.eye(x.shape[1]), x.T @ y)


@pytest.fixture
def problem(key):
    k1, k2 = jax.random.split(key)
    return jax.random.normal(k1, (40, 5)), jax.random.normal(k2, (40,)), 0.7


def test_right_closed_form_passes(problem, key):
    report = check_closed_form(ridge_objective, ridge_solution, *problem, key=key)
    assert report.ok, str(report)
    assert report.stationarity < 1e-10
    assert report.solver_rel_diff < 1e-8
    assert report.solver_converged


def test_closed_form_with_wrong_regulariser_fails(problem):
    wrong = lambda x, y, lam: ridge_solution(x, y, 2 * lam)
    report = check_closed_form(ridge_objective, wrong, *problem)
    assert not report.ok
    # the gradient does not vanish (the mistake) ...
    assert report.mistake.kind is MistakeKind.NOT_STATIONARY, str(report)
    assert report.mistake.param("stationarity") == report.stationarity > report.stationarity_tol
    # ... and the solver finds a lower objective (the diagnosis's second finding; the report's
    # fields carry it)
    assert report.objective_solver < report.objective_closed_form, str(report)


def test_closed_form_off_by_a_sign_is_named(problem):
    report = check_closed_form(ridge_objective, lambda *a: -ridge_solution(*a), *problem)
    assert not report.ok and report.mistake.kind is MistakeKind.SIGN, str(report)
    assert report.mistake.factor == pytest.approx(-1.0, rel=1e-6)


def test_a_maximiser_is_not_a_minimiser():
    # f(θ) = θ⁴/4 − θ²/2 has a stationary maximum at 0 and minima at ±1
    f = lambda theta: jnp.sum(theta**4 / 4 - theta**2 / 2)
    report = check_closed_form(f, lambda: jnp.zeros(2), start=jnp.array([0.5, -2.0]))
    assert report.stationarity == 0.0
    assert not report.ok
    # the solver finds a lower objective (the report's fields carry it) ...
    assert report.objective_solver < report.objective_closed_form, str(report)
    # ... and the mistake is that finding (zeros are "0 x the minimiser" in the sentence, no factor worth naming)
    assert report.mistake.kind is MistakeKind.NOT_MINIMISER


def test_transform_compares_up_to_a_symmetry():
    # softmax logits are defined up to an additive constant: compare probabilities
    counts = jnp.array([3.0, 1.0, 6.0])
    nll = lambda logits: -jnp.sum(counts * jax.nn.log_softmax(logits))
    report = check_closed_form(
        nll, lambda: jnp.log(counts / counts.sum()) + 5.0, transform=jax.nn.softmax
    )
    assert report.ok, str(report)


def test_lbfgs_minimiser():
    f = lambda t, c: jnp.sum((t - c) ** 2) + 0.1 * jnp.sum(t**4)
    fit = minimize_lbfgs(f, jnp.zeros(3), jnp.arange(3.0))
    assert fit.converged and fit.grad_norm < 1e-10 and fit.iterations > 0
    assert jnp.max(jnp.abs(jax.grad(f)(fit.theta, jnp.arange(3.0)))) < 1e-10


def test_testing_helpers_raise_with_the_report(problem):
    x, y, lam = problem
    theta = jnp.zeros(5)
    g = lambda t, x, y, lam: jax.grad(ridge_objective)(t, x, y, lam)
    assert_gradient(ridge_objective, g, theta, x, y, lam)
    # wording is the subject here: the message is the report
    with pytest.raises(AssertionError, match="constant factor 2"):
        assert_gradient(ridge_objective, lambda *a: 2 * g(*a), theta, x, y, lam)
    # wording is the subject here: diagnosis_contains is the helper's argument
    failed = assert_gradient_fails(
        ridge_objective, lambda *a: -g(*a), theta, x, y, lam, diagnosis_contains="sign flip"
    )
    assert failed.mistake.kind is MistakeKind.SIGN, str(failed)
    with pytest.raises(AssertionError, match="expected a wrong gradient"):
        assert_gradient_fails(ridge_objective, g, theta, x, y, lam)
    assert_closed_form(ridge_objective, ridge_solution, x, y, lam)
