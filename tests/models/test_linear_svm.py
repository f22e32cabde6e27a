"""The hinge-loss, L2-regularised linear SVM (write-up §1(d)), fitted with optax and certified by duality.

Every fit of one data shape shares one compiled program (λ, steps and the rate are traced).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxml.data import synthetic
from jaxml.errors import UsageError
from jaxml.models import linear_svm, logistic
from jaxml.models._linear_svm import _adam_cosine
from jaxml.separability import max_margin


def _data(seed, gap=0.06, n=100):
    x_raw, y = synthetic.separable_2d(np.random.default_rng(seed), n=n, gap=gap)
    return x_raw, logistic.add_intercept(x_raw), y


def test_objective_matches_its_definition():
    _, x, y = _data(0, n=20)
    theta, lam = np.array([0.5, -1.0, 2.0]), 0.3
    y_pm = 2 * y - 1
    # b not penalised
    expected = 0.5 * lam * (1.0 + 4.0) + np.mean(np.maximum(0.0, 1.0 - y_pm * (x @ theta)))
    assert float(linear_svm.objective(jnp.asarray(theta), x, y, lam)) == pytest.approx(
        expected, rel=1e-14
    )
    assert linear_svm.margin(theta) == pytest.approx(1 / np.sqrt(5.0))
    result = linear_svm.LinearSVM(
        theta=theta, objective=expected, steps=0, margin=linear_svm.margin(theta)
    )
    np.testing.assert_allclose(linear_svm.decision(result, x), x @ theta, rtol=1e-14)
    np.testing.assert_array_equal(linear_svm.predict(result, x), (x @ theta > 0).astype(int))


@pytest.mark.parametrize("lam", [1e-2, 1e-3])
def test_fit_matches_scikit_learn_svc(lam):
    from sklearn.svm import SVC

    x_raw, x, y = _data(1, gap=0.0)  # gap 0: overlapping margins, a soft fit
    fit = linear_svm.fit(x, y, lam=lam, steps=60_000)
    # (λ/2)‖w‖² + mean hinge  ==  (1/(n λ)) × [ ½‖w‖² + C Σ hinge ] with C = 1 / (n λ)
    svc = SVC(kernel="linear", C=1.0 / (len(y) * lam), tol=1e-10).fit(x_raw, y)
    np.testing.assert_allclose(fit.theta, np.r_[svc.intercept_, svc.coef_[0]], rtol=2e-3, atol=2e-3)


def test_default_fit_is_bitwise_optax_adam_with_cosine_decay():
    """λ, steps and the rate are traced, with the bits of optax.adam(optax.cosine_decay_schedule(1, T))."""
    _, x, y = _data(2)
    before = None
    for lam, steps in ((1e-2, 3_000), (1e-3, 2_000)):
        ours = linear_svm.fit(x, y, lam=lam, steps=steps)
        ref = linear_svm.fit(
            x,
            y,
            lam=lam,
            steps=steps,
            optimizer=optax.adam(optax.cosine_decay_schedule(1.0, steps)),
        )
        np.testing.assert_array_equal(ours.theta, ref.theta)
        before = _adam_cosine._cache_size() if before is None else before
    assert _adam_cosine._cache_size() == before  # the second (λ, steps) compiled nothing


def test_duality_gap_certifies_the_fit_and_weak_duality_holds():
    _, x, y = _data(2)
    lam = 1e-3
    alpha, dual = linear_svm.dual(x, y, lam=lam)
    y_pm = 2 * y - 1
    assert np.all((alpha >= 0) & (alpha <= 1 / len(y)))
    assert abs(alpha @ y_pm) < 1e-15  # exactly feasible
    # weak duality: every θ has J(θ) >= D(α)
    for theta in np.random.default_rng(3).normal(scale=5.0, size=(50, 3)):
        assert float(linear_svm.objective(jnp.asarray(theta), x, y, lam)) >= dual - 1e-12
    fit = linear_svm.fit(x, y, lam=lam, steps=60_000)
    gap = linear_svm.duality_gap(fit, x, y, lam=lam)
    assert 0.0 <= gap < 1e-6 * fit.objective
    assert fit.objective == pytest.approx(
        float(linear_svm.objective(jnp.asarray(fit.theta), x, y, lam)), rel=1e-15
    )
    # and a deliberately bad θ is NOT certified
    assert linear_svm.duality_gap(fit.theta * 0.9, x, y, lam=lam) > 1e-4


def test_positional_lam_is_deprecated():
    _, x, y = _data(2)
    theta = np.array([0.1, 1.0, -1.0])
    with pytest.warns(DeprecationWarning, match=r"linear_svm.duality_gap\(result, x, y, lam=lam\)"):
        old = linear_svm.duality_gap(theta, x, y, 1e-3)
    assert old == linear_svm.duality_gap(theta, x, y, lam=1e-3)


def test_small_lambda_recovers_the_hard_margin_and_theta_stays_bounded():
    x_raw, x, y = _data(4, gap=0.1)
    hard = max_margin(x_raw, y)
    for lam in (1e-2, 1e-3, 1e-4):
        fit = linear_svm.fit(x, y, lam=lam, steps=60_000)
        assert np.linalg.norm(fit.theta[1:]) <= np.sqrt(2.0 / lam)  # J(θ*) <= J(0) = 1
        assert fit.margin >= hard.margin - 1e-6  # ‖w_soft‖ <= ‖w_hard‖
    # small enough λ: every point outside the margin, so the soft fit IS the hard-margin SVM
    assert fit.margin == pytest.approx(hard.margin, rel=1e-3)
    longer = linear_svm.fit(x, y, lam=1e-4, steps=120_000)
    np.testing.assert_allclose(longer.theta, fit.theta, rtol=1e-3)  # more steps do not move it


def test_float32_without_x64_and_no_warnings():
    _, x, y = _data(5, n=40)
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = linear_svm.fit(x.astype(np.float32), y.astype(np.float32), lam=1e-2, steps=500)
    assert fit.theta.dtype == np.float32 and np.isfinite(fit.objective) and fit.margin > 0


def test_bad_input():
    x, y = np.ones((3, 3)), np.array([0.0, 1.0, 1.0])
    with pytest.raises(UsageError, match="lam"):
        linear_svm.fit(x, y, lam=0.0)
    with pytest.raises(UsageError, match="0 or 1"):
        linear_svm.fit(x, np.array([-1.0, 1.0, 1.0]), lam=1.0)
    with pytest.raises(UsageError, match="theta0"):
        linear_svm.fit(x, y, lam=1.0, theta0=np.zeros(2))
    with pytest.raises(UsageError, match="steps"):
        linear_svm.fit(x, y, lam=1.0, steps=1)
