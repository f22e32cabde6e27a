"""Logistic regression (write-up §1): the stable log-likelihood, jitted gradient ascent and Newton's method.

Small problems (n <= 100, d = 3) and one compiled loop per shape: every test here is cheap.
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jaxml_derivations.logistic import log_likelihood_grad, log_likelihood_hessian

from jaxml.data import synthetic
from jaxml.errors import UsageError
from jaxml.models import logistic
from jaxml.models._logistic import _ascent_chunk


def _noisy(rng, n=100):
    """Labels drawn from σ((x0 + x1 − 1) / 0.1): overlapping classes, the MLE exists."""
    x = rng.uniform(size=(n, 2))
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(x.sum(1) - 1) / 0.1))).astype(float)
    return x, y


def _separable(seed):
    x_raw, y = synthetic.separable_2d(np.random.default_rng(seed))
    return logistic.add_intercept(x_raw), y


# write-up §1: the course's protocol (the library's defaults are a safe step, √ε and 10,000 steps)
COURSE = {"learning_rate": 10.0, "tol": 1e-15, "max_iterations": 1_000_000}


def _course_fit(x, y, **options):
    """``logistic.fit`` with the course's settings, ``options`` overriding them."""
    return logistic.fit(x, y, **{**COURSE, **options})


def _numpy_step(theta, x, y, alpha):
    """One step of the course's loop in NumPy: θ + α (1/n) Xᵀ(y − σ(Xθ))."""
    return theta + alpha * x.T @ (y - 1 / (1 + np.exp(-x @ theta))) / len(y)


# ---- the loss -----------------------------------------------------------------------------------------------


def test_log_likelihood_matches_a_direct_formula(key):
    x = logistic.add_intercept(np.asarray(jax.random.uniform(key, (30, 2))))
    y = (np.asarray(jax.random.uniform(jax.random.fold_in(key, 1), (30,))) < 0.5).astype(np.float64)
    theta = jnp.array([0.3, -1.2, 2.0])
    h = 1 / (1 + np.exp(-x @ np.asarray(theta)))
    direct = np.mean(y * np.log(h) + (1 - y) * np.log(1 - h))
    assert float(logistic.log_likelihood(theta, x, y)) == pytest.approx(direct, rel=1e-13)
    assert float(jax.jit(logistic.log_likelihood)(theta, x, y)) == pytest.approx(direct, rel=1e-13)


@pytest.mark.parametrize("scale", [1e2, 1e3, 1e4])
def test_no_nan_or_inf_for_huge_theta_on_separable_data(scale):
    # issue #3: θ as large as 1e3 along B's separating direction (z in the thousands)
    x, y = _separable(0)
    theta = scale * jnp.array([-1.0, 1.0, 1.0])
    value = logistic.log_likelihood(theta, x, y)
    grads = [log_likelihood_grad(theta, x, y), jax.grad(logistic.log_likelihood)(theta, x, y)]
    assert jnp.isfinite(value) and all(bool(jnp.all(jnp.isfinite(g))) for g in grads)
    # and accurate: log σ(z) = −log(1 + e^−z) computed by logaddexp in NumPy
    z = x @ np.asarray(theta)
    reference = np.mean(-y * np.logaddexp(0, -z) - (1 - y) * np.logaddexp(0, z))
    assert float(value) == pytest.approx(reference, rel=1e-12, abs=1e-300)
    # a few gradient-ascent steps from there stay finite
    fit = _course_fit(x, y, theta0=theta, max_iterations=100)
    assert fit.finite and np.all(np.isfinite(fit.theta))


@pytest.mark.real_data
def test_no_nan_or_inf_for_theta_1e3_on_course_b(data_dir):
    from jaxml.data import locate

    b = locate(data_dir).logreg_stability()["b"]
    x = logistic.add_intercept(b.x)
    for theta in (
        1e3 * jnp.array([-1.0, 1.0, 1.0]),
        jnp.array([-1e3, 1e3, -1e3]),
        jnp.full(3, -1e3),
    ):
        assert jnp.isfinite(logistic.log_likelihood(theta, x, b.y))
        assert jnp.all(jnp.isfinite(log_likelihood_grad(theta, x, b.y)))
        assert jnp.all(jnp.isfinite(jax.grad(logistic.log_likelihood)(theta, x, b.y)))


def test_add_intercept_and_predictions():
    x = logistic.add_intercept(np.array([[0.5, 2.0], [-3.0, 1.0]]))
    np.testing.assert_array_equal(x, [[1.0, 0.5, 2.0], [1.0, -3.0, 1.0]])
    assert isinstance(x, np.ndarray)  # NumPy in, NumPy out: no XLA program for preprocessing
    xj = logistic.add_intercept(jnp.asarray([[0.5, 2.0]]))
    assert isinstance(xj, jax.Array) and xj.shape == (1, 3)
    result = logistic.LogisticRegression(
        theta=np.array([0.0, 1.0, 0.0]), iterations=0, converged=False, step_norm=0.0
    )
    np.testing.assert_allclose(
        logistic.predict_proba(result, x), 1 / (1 + np.exp([-0.5, 3.0])), rtol=1e-12
    )
    np.testing.assert_array_equal(logistic.predict(result, x), [1, 0])
    np.testing.assert_array_equal(logistic.predict(result.theta, x), [1, 0])
    with pytest.raises(UsageError, match=r"\(n, d\)"):
        logistic.add_intercept(np.ones(3))


# ---- gradient ascent ----------------------------------------------------------------------------------------


def test_first_steps_match_numpy():
    x_raw, y = _noisy(np.random.default_rng(1))
    x = logistic.add_intercept(x_raw)
    theta = np.zeros(3)
    for _ in range(5):
        theta = _numpy_step(theta, x, y, 10.0)
    for gradient in (None, log_likelihood_grad):  # autodiff (default) and the hand-derived gradient
        fit = logistic.fit(x, y, learning_rate=10.0, max_iterations=5, gradient=gradient)
        np.testing.assert_allclose(fit.theta, theta, rtol=1e-12)
        assert fit.iterations == 5 and not fit.converged


def test_the_gradient_callable_is_the_one_used():
    x, y = _separable(2)
    doubled = lambda theta, x, y: 2.0 * log_likelihood_grad(theta, x, y)
    one = logistic.fit(x, y, learning_rate=2.0, max_iterations=50, gradient=doubled)
    two = logistic.fit(x, y, learning_rate=4.0, max_iterations=50, gradient=log_likelihood_grad)
    np.testing.assert_allclose(one.theta, two.theta, rtol=1e-13)


def test_chunking_and_recording_do_not_change_the_trajectory():
    x, y = _separable(2)
    one = _course_fit(x, y, max_iterations=3_000, chunk_size=3_000, record_at=(1_000, 2_000))
    many = _course_fit(x, y, max_iterations=3_000, chunk_size=7, record_at=(2_000,))
    short = _course_fit(x, y, max_iterations=1_000)
    # bitwise: the same steps in the same order
    np.testing.assert_array_equal(one.theta, many.theta)
    np.testing.assert_array_equal(one.recorded[2_000], many.recorded[2_000])
    np.testing.assert_array_equal(one.recorded[1_000], short.theta)
    calls = []
    _course_fit(x, y, max_iterations=1_000, chunk_size=300, on_chunk=calls.append)
    assert calls == [300, 600, 900, 1_000]


@pytest.mark.parametrize(
    "builtin, optimizer",
    [
        ({"learning_rate": 10.0}, optax.sgd(10.0)),
        (
            {"learning_rate": logistic.inverse_power_schedule(alpha0=10.0, power=3.0)},
            optax.sgd(logistic.inverse_power_schedule(alpha0=10.0, power=3.0)),
        ),
        (
            {"learning_rate": logistic.inverse_power_schedule(alpha0=10.0, power=2.0)},
            optax.sgd(logistic.inverse_power_schedule(alpha0=10.0, power=2.0)),
        ),
        (
            {"learning_rate": 1.0, "l2": 1e-2},
            optax.chain(optax.add_decayed_weights(1e-2), optax.sgd(1.0)),
        ),
    ],
    ids=["constant", "1/t^3", "1/t^2", "l2"],
)
def test_builtin_step_is_bitwise_the_optax_one(builtin, optimizer):
    """Rates, schedules and λ are traced state of one loop, with the bits of the optax transformations."""
    x, y = _separable(3)
    ours = logistic.fit(x, y, max_iterations=2_000, gradient=log_likelihood_grad, **builtin)
    ref = logistic.fit(
        x, y, max_iterations=2_000, gradient=log_likelihood_grad, optimizer=optimizer
    )
    np.testing.assert_array_equal(ours.theta, ref.theta)
    assert ours.iterations == ref.iterations


def test_rates_schedules_and_penalties_share_one_compiled_loop():
    x, y = _separable(4)
    logistic.fit(x, y, max_iterations=10)  # compiled (or already cached) for this shape
    before = _ascent_chunk._cache_size()
    for options in (
        {"learning_rate": 0.5},
        {"learning_rate": logistic.inverse_power_schedule(alpha0=3.0, power=1.5)},
        {"learning_rate": 2.0, "l2": 0.1},
    ):
        logistic.fit(x, y, max_iterations=10, **options)
    assert _ascent_chunk._cache_size() == before


def test_converges_on_overlapping_classes_to_the_mle():
    from sklearn.linear_model import LogisticRegression

    x_raw, y = _noisy(np.random.default_rng(3))
    x = logistic.add_intercept(x_raw)
    fit = _course_fit(x, y)
    assert fit.converged and fit.step_norm < 1e-15
    assert np.linalg.norm(log_likelihood_grad(jnp.asarray(fit.theta), x, y)) < 1e-13
    newton = logistic.fit_newton(x, y)
    assert newton.converged and newton.finite and newton.iterations < 30
    np.testing.assert_allclose(fit.theta, newton.theta, atol=1e-9)
    hand = logistic.fit_newton(x, y, gradient=log_likelihood_grad, hessian=log_likelihood_hessian)
    np.testing.assert_allclose(hand.theta, newton.theta, atol=1e-12)
    # an independent solver (C = 1e12: no penalty to within rounding)
    sk = LogisticRegression(C=1e12, tol=1e-12, max_iter=10_000).fit(x_raw, y)
    np.testing.assert_allclose(fit.theta, np.r_[sk.intercept_, sk.coef_[0]], rtol=1e-4)


def test_stopping_rule_is_exact():
    x_raw, y = _noisy(np.random.default_rng(4))
    x = logistic.add_intercept(x_raw)
    fit = _course_fit(x, y)
    before = _course_fit(x, y, max_iterations=fit.iterations - 1)
    assert fit.converged and not before.converged and before.step_norm >= 1e-15


def test_diverges_on_separable_data():
    x, y = _separable(5)
    fit = _course_fit(x, y, max_iterations=100_000, record_at=(10_000, 50_000))
    assert not fit.converged and fit.iterations == 100_000
    norms = [
        np.linalg.norm(fit.recorded[10_000]),
        np.linalg.norm(fit.recorded[50_000]),
        np.linalg.norm(fit.theta),
    ]
    assert norms[0] < norms[1] < norms[2]
    lls = [
        float(logistic.log_likelihood(jnp.asarray(t), x, y))
        for t in (fit.recorded[10_000], fit.theta)
    ]
    assert lls[0] < lls[1] < 0.0
    newton = logistic.fit_newton(x, y)
    assert not newton.converged


def test_inverse_power_schedule_and_false_convergence():
    schedule = logistic.inverse_power_schedule(alpha0=10.0, power=3.0)
    assert float(schedule(0)) == 10.0 and float(schedule(9)) == pytest.approx(10.0 / 1000.0)
    x, y = _separable(6)
    # α_t = 10 / t³: θ_t = θ_{t−1} + (10 / t³) ∇ℓ, checked against NumPy for 4 steps
    fit = logistic.fit(x, y, learning_rate=schedule, max_iterations=4)
    theta = np.zeros(3)
    for t in range(1, 5):
        theta = _numpy_step(theta, x, y, 10.0 / t**3)
    np.testing.assert_allclose(fit.theta, theta, rtol=1e-12)
    # run to the stop: it "converges" with the gradient still far from zero
    fit = _course_fit(x, y, learning_rate=schedule)
    g = np.linalg.norm(log_likelihood_grad(jnp.asarray(fit.theta), x, y))
    assert fit.converged and float(schedule(fit.iterations - 1)) * g < 1e-15 and g > 1e-2


def test_l2_step_and_stationary_answer():
    x, y = _separable(7)
    lam, theta0 = 1e-3, np.array([0.1, 0.2, -0.3])
    one = _course_fit(x, y, l2=lam, theta0=theta0, max_iterations=1)
    expected = theta0 + 10.0 * (
        np.asarray(log_likelihood_grad(jnp.asarray(theta0), x, y)) - lam * theta0
    )
    np.testing.assert_allclose(one.theta, expected, rtol=1e-13)
    fit = _course_fit(x, y, l2=lam)
    assert fit.converged  # separable data, yet the penalised objective has a maximiser
    g = jax.grad(logistic.l2_regularised_log_likelihood)(jnp.asarray(fit.theta), x, y, lam)
    assert float(jnp.linalg.norm(g)) < 1e-13


def test_library_defaults_are_a_safe_step_and_sqrt_eps():
    """A user's ``fit(x, y)``: α = 1/L with L = λ_max(XᵀX)/(4n) + λ, ‖Δθ‖ < √ε, at most 10,000 steps."""
    x_raw, y = _noisy(np.random.default_rng(3))
    x = logistic.add_intercept(x_raw)
    lam = 1e-3
    curvature = np.linalg.eigvalsh(x.T @ x)[-1] / (4 * len(y)) + lam  # L
    one = logistic.fit(x, y, l2=lam, max_iterations=1)
    # θ₁ = θ₀ + (1/L)(∇ℓ(θ₀) − λθ₀) from θ₀ = 0
    expected = np.asarray(log_likelihood_grad(jnp.zeros(3), x, y)) / curvature
    np.testing.assert_allclose(one.theta, expected, rtol=1e-12)
    fit = logistic.fit(x, y)
    assert fit.converged and fit.iterations < 10_000
    assert fit.step_norm < np.sqrt(np.finfo(np.float64).eps)
    np.testing.assert_allclose(fit.theta, logistic.fit_newton(x, y).theta, atol=1e-5)
    # separable data have no maximiser: the 10,000-step cap ends the run, θ still finite
    capped = logistic.fit(*_separable(5))
    assert not capped.converged and capped.iterations == 10_000 and capped.finite
    with jax.enable_x64(False):  # float32: ‖Δθ‖ < √ε₃₂ is reachable, 1e-15 (the course's) is not
        fit32 = logistic.fit(x.astype(np.float32), y.astype(np.float32))
    assert fit32.converged and fit32.step_norm < np.sqrt(np.finfo(np.float32).eps)


def test_positional_settings_are_deprecated():
    with pytest.warns(
        DeprecationWarning, match=r"inverse_power_schedule\(alpha0=alpha0, power=power\)"
    ):
        old = logistic.inverse_power_schedule(10.0, 3.0)
    assert old == logistic.inverse_power_schedule(alpha0=10.0, power=3.0)


def test_any_optax_optimizer_plugs_in():
    x_raw, y = _noisy(np.random.default_rng(8))
    x = logistic.add_intercept(x_raw)
    fit = logistic.fit(x, y, optimizer=optax.adam(0.05), tol=1e-12, max_iterations=200_000)
    np.testing.assert_allclose(fit.theta, logistic.fit_newton(x, y).theta, atol=1e-6)


def test_float32_without_x64_and_no_warnings():
    """With x64 off (a float32 user's setting): float32 in, float32 out, no warning, no 64-bit request."""
    x_raw, y = _noisy(np.random.default_rng(9), n=40)
    x64 = logistic.add_intercept(x_raw)
    x32, y32 = x64.astype(np.float32), y.astype(np.float32)
    schedule = logistic.inverse_power_schedule(alpha0=5.0, power=0.5)
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = logistic.fit(x32, y32, max_iterations=300, tol=1e-6, learning_rate=schedule)
        newton = logistic.fit_newton(x32, y32, tol=1e-5)
        # integer labels: float32
        l2 = logistic.fit(x32, y.astype(np.int32), l2=1e-2, max_iterations=50)
        p = logistic.predict_proba(newton, x32)
    assert fit.theta.dtype == newton.theta.dtype == l2.theta.dtype == np.float32
    assert p.dtype == jnp.float32 and np.all(np.isfinite(fit.theta))
    assert newton.converged
    np.testing.assert_allclose(newton.theta, logistic.fit_newton(x64, y).theta, rtol=1e-3)


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
        logistic.fit(x, y, max_iterations=1)
    with pytest.raises(UsageError):
        logistic.fit_newton(x, y)


def test_bad_options_are_usage_errors():
    x, y = np.ones((3, 3)), np.array([0.0, 1.0, 1.0])
    with pytest.raises(UsageError, match="shapes do not fit"):
        logistic.fit(x, y, theta0=np.zeros(2))
    with pytest.raises(UsageError):
        logistic.inverse_power_schedule(alpha0=0.0, power=2.0)
    with pytest.raises(UsageError):
        logistic.fit(x, y, record_at=(0,))
    with pytest.raises(UsageError, match="optimizer= or l2="):
        logistic.fit(x, y, optimizer=optax.sgd(1.0), l2=0.1)
    with pytest.raises(UsageError, match="l2"):
        logistic.fit(x, y, l2=-1.0)
