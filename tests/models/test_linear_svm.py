"""The hinge-loss, L2-regularised linear SVM (write-up §1(d)), fitted with optax and certified by duality."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from jaxml import models
from jaxml.errors import UsageError
from jaxml.separability import max_margin
from jaxml.data import synthetic




def test_objective_matches_its_definition(key):
    rng = np.random.default_rng(0)
    x_raw, y = synthetic.separable_2d(rng, n=20, gap=0.06)
    x = np.asarray(models.add_intercept(x_raw))
    theta = np.array([0.5, -1.0, 2.0])
    lam = 0.3
    y_pm = 2 * y - 1
    expected = 0.5 * lam * (1.0 + 4.0) + np.mean(
        np.maximum(0.0, 1.0 - y_pm * (x @ theta))
    )  # b not penalised
    assert float(models.hinge_objective(jnp.asarray(theta), x, y, lam)) == pytest.approx(
        expected, rel=1e-14
    )
    assert models.svm_margin(theta) == pytest.approx(1 / np.sqrt(5.0))


@pytest.mark.parametrize("lam", [1e-2, 1e-3])
def test_fit_matches_scikit_learn_svc(lam):
    from sklearn.svm import SVC

    x_raw, y = synthetic.separable_2d(
        np.random.default_rng(1), gap=0.0
    )  # gap 0: overlapping margins, a soft fit
    x = models.add_intercept(x_raw)
    fit = models.fit_linear_svm(x, y, lam=lam, steps=60_000)
    # (lam/2)||w||^2 + mean hinge  ==  (1/(n lam)) x [ (1/2)||w||^2 + C sum hinge ] with C = 1 / (n lam)
    svc = SVC(kernel="linear", C=1.0 / (len(y) * lam), tol=1e-10).fit(x_raw, y)
    np.testing.assert_allclose(fit.theta, np.r_[svc.intercept_, svc.coef_[0]], rtol=2e-3, atol=2e-3)


def test_duality_gap_certifies_the_fit_and_weak_duality_holds():
    x_raw, y = synthetic.separable_2d(np.random.default_rng(2), gap=0.06)
    x = models.add_intercept(x_raw)
    lam = 1e-3
    alpha, dual = models.svm_dual(x, y, lam)
    y_pm = 2 * y - 1
    assert np.all((alpha >= 0) & (alpha <= 1 / len(y)))
    assert abs(alpha @ y_pm) < 1e-15  # exactly feasible
    # weak duality: every theta has J(theta) >= D(alpha)
    rng = np.random.default_rng(3)
    for theta in rng.normal(scale=5.0, size=(50, 3)):
        assert float(models.hinge_objective(jnp.asarray(theta), x, y, lam)) >= dual - 1e-12
    fit = models.fit_linear_svm(x, y, lam=lam, steps=60_000)
    gap = models.svm_duality_gap(fit.theta, x, y, lam)
    assert 0.0 <= gap < 1e-6 * fit.objective
    # and a deliberately bad theta is NOT certified
    assert models.svm_duality_gap(fit.theta * 0.9, x, y, lam) > 1e-4


def test_small_lambda_recovers_the_hard_margin_and_theta_stays_bounded():
    x_raw, y = synthetic.separable_2d(np.random.default_rng(4), gap=0.1)
    x = models.add_intercept(x_raw)
    hard = max_margin(x_raw, y)
    for lam in (1e-2, 1e-3, 1e-4):
        fit = models.fit_linear_svm(x, y, lam=lam, steps=60_000)
        w_norm = np.linalg.norm(fit.theta[1:])
        assert w_norm <= np.sqrt(2.0 / lam)  # J(theta*) <= J(0) = 1
        assert fit.margin >= hard.margin - 1e-6  # ||w_soft|| <= ||w_hard||
    # small enough lambda: every point outside the margin, so the soft fit IS the hard-margin SVM
    assert fit.margin == pytest.approx(hard.margin, rel=1e-3)
    longer = models.fit_linear_svm(x, y, lam=1e-4, steps=120_000)
    np.testing.assert_allclose(longer.theta, fit.theta, rtol=1e-3)  # more steps do not move it


def test_bad_input():
    x, y = np.ones((3, 3)), np.array([0.0, 1.0, 1.0])
    with pytest.raises(UsageError, match="lam"):
        models.fit_linear_svm(x, y, lam=0.0)
    with pytest.raises(UsageError, match="0 or 1"):
        models.fit_linear_svm(x, np.array([-1.0, 1.0, 1.0]), lam=1.0)
    with pytest.raises(UsageError, match="theta0"):
        models.fit_linear_svm(x, y, lam=1.0, theta0=np.zeros(2))


@pytest.mark.real_data
def test_course_b_svm_converges_to_a_bounded_theta(data_dir):
    from jaxml.data import locate

    b = locate(data_dir).logreg_stability()["b"]
    x = models.add_intercept(b.x)
    fit = models.fit_linear_svm(x, b.y, lam=1e-4, steps=100_000)
    assert models.svm_duality_gap(fit.theta, x, b.y, 1e-4) < 1e-6 * fit.objective
    assert np.linalg.norm(fit.theta) < 100  # logistic regression's theta passes 450 in 1e6 steps
    assert fit.margin >= max_margin(b.x, b.y).margin
