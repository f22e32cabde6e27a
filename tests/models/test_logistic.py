"""Logistic regression (write-up §1): the stable log-likelihood, jitted gradient ascent and Newton's method."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml_derivations.logistic import log_likelihood_grad
from jaxml import models
from jaxml.errors import UsageError
from jaxml.data import synthetic




def _noisy(rng, n=100):
    """Labels drawn from sigmoid((x0 + x1 - 1) / 0.1): overlapping classes, the MLE exists."""
    x = rng.uniform(size=(n, 2))
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(x.sum(1) - 1) / 0.1))).astype(float)
    return x, y


def _numpy_ascent(x, y, alpha, iterations, tol=1e-15):
    """The course starter's loop in NumPy (mean gradient, sigma = 1 / (1 + e^-z)): (theta, iterations)."""
    theta = np.zeros(x.shape[1])
    for i in range(1, iterations + 1):
        new = theta + alpha * x.T @ (y - 1 / (1 + np.exp(-x @ theta))) / len(y)
        done = np.linalg.norm(new - theta) < tol
        theta = new
        if done:
            return theta, i
    return theta, iterations


# ---- the loss -----------------------------------------------------------------------------------------------


def test_log_likelihood_matches_a_direct_formula(key):
    x = models.add_intercept(jax.random.uniform(key, (30, 2)))
    y = (jax.random.uniform(jax.random.fold_in(key, 1), (30,)) < 0.5).astype(jnp.float64)
    theta = jnp.array([0.3, -1.2, 2.0])
    h = 1 / (1 + np.exp(-np.asarray(x) @ np.asarray(theta)))
    direct = np.mean(np.asarray(y) * np.log(h) + (1 - np.asarray(y)) * np.log(1 - h))
    assert float(models.log_likelihood(theta, x, y)) == pytest.approx(direct, rel=1e-13)
    assert float(jax.jit(models.log_likelihood)(theta, x, y)) == pytest.approx(direct, rel=1e-13)


@pytest.mark.parametrize("scale", [1e2, 1e3, 1e4])
def test_no_nan_or_inf_for_huge_theta_on_separable_data(scale):
    # issue #3: theta as large as 1e3 along B's separating direction (z in the thousands)
    x_raw, y = synthetic.separable_2d(np.random.default_rng(0))
    x = models.add_intercept(x_raw)
    theta = scale * jnp.array([-1.0, 1.0, 1.0])
    value = models.log_likelihood(theta, x, y)
    grads = [log_likelihood_grad(theta, x, y), jax.grad(models.log_likelihood)(theta, x, y)]
    assert jnp.isfinite(value) and all(bool(jnp.all(jnp.isfinite(g))) for g in grads)
    # and accurate: log sigma(z) = -log(1 + e^-z) computed by logaddexp in NumPy
    z = np.asarray(x) @ np.asarray(theta)
    reference = np.mean(-y * np.logaddexp(0, -z) - (1 - y) * np.logaddexp(0, z))
    assert float(value) == pytest.approx(reference, rel=1e-12, abs=1e-300)
    # a few gradient-ascent steps from there stay finite
    fit = models.gradient_ascent(x, y, theta0=theta, max_iterations=100)
    assert np.all(np.isfinite(fit.theta))


@pytest.mark.real_data
def test_no_nan_or_inf_for_theta_1e3_on_course_b(data_dir):
    from jaxml.data import locate

    b = locate(data_dir).logreg_stability()["b"]
    x = models.add_intercept(b.x)
    for theta in (
        1e3 * jnp.array([-1.0, 1.0, 1.0]),
        jnp.array([-1e3, 1e3, -1e3]),
        jnp.full(3, -1e3),
    ):
        assert jnp.isfinite(models.log_likelihood(theta, x, b.y))
        assert jnp.all(jnp.isfinite(log_likelihood_grad(theta, x, b.y)))
        assert jnp.all(jnp.isfinite(jax.grad(models.log_likelihood)(theta, x, b.y)))


# ---- gradient ascent ----------------------------------------------------------------------------------------


def test_first_steps_match_numpy():
    x_raw, y = _noisy(np.random.default_rng(1))
    x = np.asarray(models.add_intercept(x_raw))
    fit = models.gradient_ascent(x, y, learning_rate=10.0, max_iterations=5)
    theta, _ = _numpy_ascent(x, y, 10.0, 5)
    np.testing.assert_allclose(fit.theta, theta, rtol=1e-12)
    assert fit.iterations == 5 and not fit.converged


def test_chunking_and_recording_do_not_change_the_trajectory():
    x_raw, y = synthetic.separable_2d(np.random.default_rng(2))
    x = models.add_intercept(x_raw)
    one = models.gradient_ascent(
        x, y, max_iterations=3_000, chunk_size=3_000, record_at=(1_000, 2_000)
    )
    many = models.gradient_ascent(x, y, max_iterations=3_000, chunk_size=7, record_at=(2_000,))
    short = models.gradient_ascent(x, y, max_iterations=1_000)
    np.testing.assert_array_equal(
        one.theta, many.theta
    )  # bitwise: the same steps in the same order
    np.testing.assert_array_equal(one.recorded[2_000], many.recorded[2_000])
    np.testing.assert_array_equal(one.recorded[1_000], short.theta)
    calls = []
    models.gradient_ascent(x, y, max_iterations=1_000, chunk_size=300, on_chunk=calls.append)
    assert calls == [300, 600, 900, 1_000]


def test_converges_on_overlapping_classes_to_the_mle():
    from sklearn.linear_model import LogisticRegression

    x_raw, y = _noisy(np.random.default_rng(3))
    x = models.add_intercept(x_raw)
    fit = models.gradient_ascent(x, y)
    assert fit.converged and fit.step_norm < 1e-15
    assert np.linalg.norm(log_likelihood_grad(jnp.asarray(fit.theta), x, y)) < 1e-13
    newton = models.newton(x, y)
    assert newton.converged and newton.iterations < 30
    np.testing.assert_allclose(fit.theta, newton.theta, atol=1e-9)
    # an independent solver (C = 1e12: no penalty to within rounding)
    sk = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(x_raw, y)
    np.testing.assert_allclose(fit.theta, np.r_[sk.intercept_, sk.coef_[0]], rtol=1e-4)


def test_stopping_rule_is_exact():
    x_raw, y = _noisy(np.random.default_rng(4))
    x = models.add_intercept(x_raw)
    fit = models.gradient_ascent(x, y)
    before = models.gradient_ascent(x, y, max_iterations=fit.iterations - 1)
    assert fit.converged and not before.converged and before.step_norm >= 1e-15


def test_diverges_on_separable_data():
    x_raw, y = synthetic.separable_2d(np.random.default_rng(5))
    x = models.add_intercept(x_raw)
    fit = models.gradient_ascent(x, y, max_iterations=100_000, record_at=(10_000, 50_000))
    assert not fit.converged and fit.iterations == 100_000
    norms = [
        np.linalg.norm(fit.recorded[10_000]),
        np.linalg.norm(fit.recorded[50_000]),
        np.linalg.norm(fit.theta),
    ]
    assert norms[0] < norms[1] < norms[2]
    lls = [
        float(models.log_likelihood(jnp.asarray(t), x, y))
        for t in (fit.recorded[10_000], fit.theta)
    ]
    assert lls[0] < lls[1] < 0.0
    newton = models.newton(x, y)
    assert not newton.converged


def test_inverse_power_schedule_and_false_convergence():
    schedule = models.inverse_power_schedule(10.0, 3.0)
    assert float(schedule(0)) == 10.0 and float(schedule(9)) == pytest.approx(10.0 / 1000.0)
    x_raw, y = synthetic.separable_2d(np.random.default_rng(6))
    x = np.asarray(models.add_intercept(x_raw))
    # the schedule inside optax.sgd: theta_t = theta_{t-1} + (10 / t^3) grad, checked against NumPy for 4 steps
    fit = models.gradient_ascent(x, y, learning_rate=schedule, max_iterations=4)
    theta = np.zeros(3)
    for t in range(1, 5):
        theta = theta + 10.0 / t**3 * x.T @ (y - 1 / (1 + np.exp(-x @ theta))) / len(y)
    np.testing.assert_allclose(fit.theta, theta, rtol=1e-12)
    # run to the stop: it "converges" with the gradient still far from zero
    fit = models.gradient_ascent(x, y, learning_rate=schedule)
    assert fit.converged
    assert (
        float(schedule(fit.iterations - 1)) * np.linalg.norm(log_likelihood_grad(fit.theta, x, y))
        < 1e-15
    )
    assert np.linalg.norm(log_likelihood_grad(fit.theta, x, y)) > 1e-2


def test_l2_optimizer_step_and_stationary_answer():
    x_raw, y = synthetic.separable_2d(np.random.default_rng(7))
    x = models.add_intercept(x_raw)
    lam = 1e-3
    opt = models.l2_optimizer(lam, 10.0)
    one = models.gradient_ascent(
        x, y, optimizer=opt, theta0=jnp.array([0.1, 0.2, -0.3]), max_iterations=1
    )
    theta0 = np.array([0.1, 0.2, -0.3])
    expected = theta0 + 10.0 * (
        np.asarray(log_likelihood_grad(jnp.asarray(theta0), x, y)) - lam * theta0
    )
    np.testing.assert_allclose(one.theta, expected, rtol=1e-13)
    fit = models.gradient_ascent(x, y, optimizer=opt)
    assert fit.converged  # separable data, yet the penalised objective has a maximiser
    g = jax.grad(models.l2_regularised_log_likelihood)(jnp.asarray(fit.theta), x, y, lam)
    assert float(jnp.linalg.norm(g)) < 1e-13


def test_any_optax_optimizer_plugs_in():
    x_raw, y = _noisy(np.random.default_rng(8))
    x = models.add_intercept(x_raw)
    fit = models.gradient_ascent(
        x, y, optimizer=optax.adam(0.05), tol=1e-12, max_iterations=200_000
    )
    reference = models.newton(x, y).theta
    np.testing.assert_allclose(fit.theta, reference, atol=1e-6)


@pytest.mark.parametrize(
    "x, y, match",
    [
        (np.ones((5, 3)), np.ones(4), "same n"),
        (np.ones(5), np.ones(5), "same n"),
        (np.ones((3, 3)), np.array([1.0, -1.0, 1.0]), "0 or 1"),
        (np.full((2, 3), np.inf), np.ones(2), "NaN or inf"),
    ],
)
def test_bad_input_is_a_usage_error(x, y, match):
    with pytest.raises(UsageError, match=match):
        models.gradient_ascent(x, y, max_iterations=1)
    with pytest.raises(UsageError):
        models.newton(x, y)


def test_bad_theta0_and_schedule_are_usage_errors():
    x, y = np.ones((3, 3)), np.array([0.0, 1.0, 1.0])
    with pytest.raises(UsageError, match="shapes do not fit"):
        models.gradient_ascent(x, y, theta0=np.zeros(2))
    with pytest.raises(UsageError):
        models.inverse_power_schedule(0.0, 2.0)
    with pytest.raises(UsageError):
        models.gradient_ascent(x, y, record_at=(0,))


# ---- the course data ----------------------------------------------------------------------------------------


@pytest.mark.real_data
def test_course_data_theta_b_matches_numpy_and_the_issue(data_dir):
    from jaxml.data import locate

    b = locate(data_dir).logreg_stability()["b"]
    x = models.add_intercept(b.x)
    fit = models.gradient_ascent(
        x, b.y, max_iterations=250_000, record_at=(10_000, 100_000, 250_000)
    )
    # issue #3 (from the write-up §1(b), more digits): within 0.005 / 0.01 / 0.01
    np.testing.assert_allclose(fit.recorded[10_000], [-52.741, 52.930, 52.697], atol=0.005)
    np.testing.assert_allclose(fit.recorded[100_000], [-121.211, 121.487, 121.242], atol=0.01)
    np.testing.assert_allclose(fit.recorded[250_000], [-165.752, 166.390, 165.718], atol=0.01)
    theta_np, _ = _numpy_ascent(np.asarray(x), b.y, 10.0, 10_000)
    np.testing.assert_allclose(fit.recorded[10_000], theta_np, rtol=1e-10)


@pytest.mark.real_data
def test_course_data_a_converges_like_numpy(data_dir):
    from jaxml.data import locate

    a = locate(data_dir).logreg_stability()["a"]
    x = models.add_intercept(a.x)
    fit = models.gradient_ascent(x, a.y)
    theta_np, iterations_np = _numpy_ascent(np.asarray(x), a.y, 10.0, 1_000_000)
    assert fit.converged
    # the count at which ||dtheta|| first drops below 1e-15 depends on the last bits of sigma: within 0.1%
    assert abs(fit.iterations - iterations_np) <= 1e-3 * iterations_np
    np.testing.assert_allclose(fit.theta, theta_np, rtol=1e-10)
    newton = models.newton(x, a.y)
    assert newton.converged
    np.testing.assert_allclose(newton.theta, fit.theta, atol=1e-9)
