"""The logistic-regression derivations (write-up §1) against autodiff, in float64."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from jaxml_derivations import logistic

from jaxml.models.logistic import log_likelihood
from jaxml.verify import MistakeKind, check_gradient, check_hessian


def _points(key, n=300):
    return jax.vmap(logistic._example)(jax.random.split(key, n))


def test_gradient_matches_autodiff_to_1e_10(key):
    batch = _points(key)
    report = check_gradient(
        log_likelihood, logistic.log_likelihood_grad, *(a[0] for a in batch), at=batch, rtol=1e-10
    )
    assert report.ok, str(report)


def test_full_hessian_matches_autodiff_to_1e_10(key):
    batch = _points(key)
    report = check_hessian(
        log_likelihood,
        logistic.log_likelihood_hessian,
        *(a[0] for a in batch),
        at=batch,
        rtol=1e-10,
    )
    assert report.ok, str(report)


def test_hessian_is_negative_semidefinite(key):
    theta, x, y = logistic._example(key)
    eig = jnp.linalg.eigvalsh(logistic.log_likelihood_hessian(theta, x, y))
    assert jnp.all(eig <= 1e-12)


def test_sum_slip_is_diagnosed_as_missing_1_over_n(key):
    report = check_gradient(
        log_likelihood, logistic.log_likelihood_grad_sum, *logistic._example(key)
    )
    assert not report.ok
    # missing 1/n, n = 40: the sum where the mean was meant
    assert report.mistake.kind is MistakeKind.CONSTANT_FACTOR, str(report)
    assert report.mistake.factor == pytest.approx(40, rel=1e-9)


def test_gradient_stable_for_huge_theta():
    # θ ~ 1e3 (far along B's separating direction): z in the thousands, still finite
    theta = jnp.array([-1000.0, 1000.0, 1000.0])
    x = jnp.array([[1.0, 0.9, 0.8], [1.0, 0.1, 0.2]])
    y = jnp.array([1.0, 0.0])
    assert jnp.isfinite(log_likelihood(theta, x, y))
    assert jnp.all(jnp.isfinite(logistic.log_likelihood_grad(theta, x, y)))
    assert jnp.all(jnp.isfinite(logistic.log_likelihood_hessian(theta, x, y)))
