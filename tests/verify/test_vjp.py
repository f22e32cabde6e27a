"""check_vjp: custom VJP / JVP rules against jax.vjp of the plain function (issue #13), on §6's batch norm."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml import models
from jaxml.testing import assert_vjp
from jaxml.verify import VjpReport, check_vjp


@pytest.fixture
def batch():
    rng = np.random.default_rng(1)
    return rng.normal(size=(6, 4)) * 2.0 + 1.0, rng.normal(size=4), rng.normal(size=4)


def test_batchnorm_custom_vjp_passes(batch):
    """§6: jaxml.models.batchnorm's hand backward pass (eq. 16, fused) is the VJP of the plain forward."""
    report = check_vjp(
        models.batchnorm.layer, models.batchnorm.reference, *batch, argnums=(0, 1, 2), points=8
    )
    assert isinstance(report, VjpReport)
    assert report.ok, str(report)
    assert report.max_rel_error < 1e-12
    assert any("linear in the cotangent: ok" in line for line in report.structure)
    assert any("skipped (no JVP" in line for line in report.structure)  # a custom_vjp has no JVP
    assert_vjp(
        lambda x, g, b: models.batchnorm.layer(x, g, b, eps=0.1),
        lambda x, g, b: models.batchnorm.reference(x, g, b, eps=0.1),
        *batch,
        argnums=(0, 1, 2),
        points=4,
    )


def _layer(backward):
    """A batch-norm layer (ε = 0) with the given backward rule ``backward(x_hat, inv_std, gamma, dy)``."""

    @jax.custom_vjp
    def layer(x, gamma, beta):
        return models.batchnorm.reference(x, gamma, beta)

    def fwd(x, gamma, beta):
        mu = jnp.mean(x, axis=0)
        inv = 1.0 / jnp.sqrt(jnp.mean((x - mu) ** 2, axis=0))
        return layer(x, gamma, beta), ((x - mu) * inv, inv, gamma)

    layer.defvjp(fwd, lambda res, dy: backward(*res, dy))
    return layer


def _right(x_hat, inv, gamma, dy):
    m = dy.shape[0]
    dx = (gamma * inv) / m * (m * dy - dy.sum(0) - x_hat * (dy * x_hat).sum(0))
    return dx, jnp.sum(dy * x_hat, axis=0), jnp.sum(dy, axis=0)


def test_a_hand_rule_passes_and_a_missing_gamma_fails(batch):
    assert check_vjp(_layer(_right), models.batchnorm.reference, *batch, argnums=(0, 1, 2)).ok

    def no_gamma(x_hat, inv, gamma, dy):
        dx, dg, db = _right(x_hat, inv, gamma, dy)
        return dx / gamma, dg, db

    report = check_vjp(_layer(no_gamma), models.batchnorm.reference, *batch, argnums=(0, 1, 2))
    assert not report.ok
    assert "x: a scale per column" in report.diagnosis and "divided by gamma" in report.diagnosis


def test_a_rule_that_is_not_linear_in_the_cotangent_is_named(batch):
    def squared(x_hat, inv, gamma, dy):
        dx, dg, db = _right(x_hat, inv, gamma, dy * jnp.abs(dy))
        return dx, dg, db

    report = check_vjp(_layer(squared), models.batchnorm.reference, *batch, argnums=(0, 1, 2))
    assert not report.ok and "not linear in the cotangent" in report.diagnosis


def test_a_rule_with_a_constant_term_fails_the_zero_cotangent_check(batch):
    def shifted(x_hat, inv, gamma, dy):
        dx, dg, db = _right(x_hat, inv, gamma, dy)
        return dx, dg, db + 1.0

    report = check_vjp(_layer(shifted), models.batchnorm.reference, *batch, argnums=(0, 1, 2))
    assert not report.ok and "zero cotangent gives a non-zero VJP" in report.diagnosis


def test_custom_jvp_rules_get_the_dot_product_test():
    @jax.custom_jvp
    def cube(x):
        return x**3

    cube.defjvps(lambda t, ans, x: 3.0 * x**2 * t)
    report = check_vjp(cube, lambda x: x**3, jnp.arange(1.0, 4.0))
    assert report.ok and any("dot-product test: ok" in line for line in report.structure)

    @jax.custom_jvp
    def cube_wrong(x):
        return x**3

    cube_wrong.defjvps(lambda t, ans, x: 2.0 * x**2 * t)
    wrong = check_vjp(cube_wrong, lambda x: x**3, jnp.arange(1.0, 4.0))
    assert not wrong.ok and "constant factor" in wrong.diagnosis
