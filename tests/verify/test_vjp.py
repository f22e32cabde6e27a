"""check_vjp: custom VJP / JVP rules against jax.vjp of the plain function (issue #13), on §6's batch norm; given
points, domains and points outside f's domain (issue #22)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml import models
from jaxml.testing import assert_vjp
from jaxml.verify import MistakeKind, VjpReport, check_vjp

from .test_jvp import X, _documented, plain


@pytest.fixture
def batch():
    rng = np.random.default_rng(1)
    return rng.normal(size=(6, 4)) * 2.0 + 1.0, rng.normal(size=4), rng.normal(size=4)


def test_batchnorm_custom_vjp_passes(batch):
    """§6: jaxml.models.batchnorm's hand backward pass (eq. 16, fused) is the VJP of the plain forward."""
    report = check_vjp(
        models.batchnorm.reference, models.batchnorm.layer, *batch, argnums=(0, 1, 2), points=8
    )
    assert isinstance(report, VjpReport)
    assert report.ok, str(report)
    assert report.max_rel_error < 1e-12
    assert any("linear in the cotangent: ok" in line for line in report.structure)
    assert any("skipped (no JVP" in line for line in report.structure)  # a custom_vjp has no JVP
    assert_vjp(
        lambda x, g, b: models.batchnorm.reference(x, g, b, eps=0.1),
        lambda x, g, b: models.batchnorm.layer(x, g, b, eps=0.1),
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
    assert check_vjp(models.batchnorm.reference, _layer(_right), *batch, argnums=(0, 1, 2)).ok

    def no_gamma(x_hat, inv, gamma, dy):
        dx, dg, db = _right(x_hat, inv, gamma, dy)
        return dx / gamma, dg, db

    report = check_vjp(models.batchnorm.reference, _layer(no_gamma), *batch, argnums=(0, 1, 2))
    assert not report.ok
    assert report.mistake.kind is MistakeKind.AXIS_SCALE, str(report)
    assert report.mistake.leaf == "x" and report.mistake.param("axis") == 1  # a scale per column
    assert report.mistake.param("named") == "divided by gamma: a factor gamma is missing"


def test_a_rule_that_is_not_linear_in_the_cotangent_is_named(batch):
    def squared(x_hat, inv, gamma, dy):
        dx, dg, db = _right(x_hat, inv, gamma, dy * jnp.abs(dy))
        return dx, dg, db

    report = check_vjp(models.batchnorm.reference, _layer(squared), *batch, argnums=(0, 1, 2))
    assert not report.ok and report.mistake.kind is MistakeKind.STRUCTURAL_RULE, str(report)
    assert "not linear in the cotangent" in report.diagnosis  # no field says which rule is broken


def test_a_rule_with_a_constant_term_fails_the_zero_cotangent_check(batch):
    def shifted(x_hat, inv, gamma, dy):
        dx, dg, db = _right(x_hat, inv, gamma, dy)
        return dx, dg, db + 1.0

    report = check_vjp(models.batchnorm.reference, _layer(shifted), *batch, argnums=(0, 1, 2))
    assert not report.ok and report.mistake.kind is MistakeKind.STRUCTURAL_RULE, str(report)
    # the second structural finding (the first: not linear); no field says which rule is broken
    assert "zero cotangent gives a non-zero VJP" in report.diagnosis


def test_custom_jvp_rules_get_the_dot_product_test():
    @jax.custom_jvp
    def cube(x):
        return x**3

    cube.defjvps(lambda t, ans, x: 3.0 * x**2 * t)
    report = check_vjp(lambda x: x**3, cube, jnp.arange(1.0, 4.0))
    assert report.ok and any("dot-product test: ok" in line for line in report.structure)

    @jax.custom_jvp
    def cube_wrong(x):
        return x**3

    cube_wrong.defjvps(lambda t, ans, x: 2.0 * x**2 * t)
    wrong = check_vjp(lambda x: x**3, cube_wrong, jnp.arange(1.0, 4.0))
    assert not wrong.ok and wrong.mistake.kind is MistakeKind.CONSTANT_FACTOR, str(wrong)
    assert wrong.mistake.factor == pytest.approx(2 / 3)  # 2x² where 3x² is right


def test_the_documented_custom_jvp_rule_through_check_vjp():
    """The JAX documentation's x / (1 + √x) (see test_jvp.py): its rule transposed by JAX is the VJP; x = 0 is
    compared with one-sided difference quotients of <c, f>, points outside x >= 0 are skipped."""
    on_domain = check_vjp(plain, _documented(), X, domain="nonnegative")
    assert on_domain.ok, str(on_domain)
    assert "at 1 entry where autodiff's VJP is not finite" in on_domain.note
    assert "dot-product test: ok" in on_domain.structure

    anywhere = check_vjp(plain, _documented(), X)
    assert anywhere.ok, str(anywhere)
    assert f"{16 - anywhere.points} of 16 points skipped: f is not finite there" in anywhere.note
    assert anywhere.points < 16

    wrong = check_vjp(plain, _documented(factor=1.0), X, domain="nonnegative")
    assert not wrong.ok and wrong.mistake.kind is MistakeKind.CONSTANT_FACTOR, str(wrong)
    assert wrong.mistake.factor == pytest.approx(2.0)
    # the second finding, at x = 0: no field carries it
    assert "yours differs from the one-sided difference quotient" in wrong.diagnosis


def test_given_points_with_shared_arguments(batch):
    x, gamma, beta = batch
    xs = np.stack([x * s + s for s in (0.5, 1.0, 2.0, 3.0, 4.0)])
    report = check_vjp(
        models.batchnorm.reference,
        _layer(_right),
        x,
        gamma,
        beta,
        argnums=(0, 1, 2),
        at=(xs, None, None),
    )
    assert report.ok and report.points == 5, str(report)

    def no_gamma(x_hat, inv, gamma, dy):
        dx, dg, db = _right(x_hat, inv, gamma, dy)
        return dx / gamma, dg, db

    wrong = check_vjp(
        models.batchnorm.reference,
        _layer(no_gamma),
        x,
        gamma,
        beta,
        argnums=(0, 1, 2),
        at=(xs, None, None),
    )
    assert not wrong.ok and wrong.mistake.kind is MistakeKind.AXIS_SCALE, str(wrong)
    assert wrong.mistake.param("named") == "divided by gamma: a factor gamma is missing"


def test_on_a_symmetric_domain_only_the_symmetric_part_counts():
    @jax.custom_vjp
    def corner(s):
        return s[0, 1]

    # the symmetric cotangent: the same first-order change as autodiff's one-hot along symmetric directions
    corner.defvjp(lambda s: (s[0, 1], None), lambda _, c: (0.5 * c * (jnp.eye(2)[:, ::-1]),))
    s = jnp.array([[2.0, 0.3], [0.3, 1.0]])
    report = check_vjp(lambda s: s[0, 1], corner, s, domain="symmetric")
    assert report.ok, str(report)
    assert "only the symmetric part" in report.note
    assert not check_vjp(lambda s: s[0, 1], corner, s).ok


def test_no_finite_point_is_no_pass():
    report = check_vjp(plain, _documented(), -jnp.ones(3), points=4)
    assert not report.ok and report.mistake.kind is MistakeKind.NON_FINITE, str(report)
    assert report.points == 0  # nothing compared
    # no field carries how many points were tried
    assert "f is not finite at any of the 4 points" in report.diagnosis


def test_the_earlier_argument_order_still_works_with_a_warning():
    """check_vjp(f, rule): the plain function first, as check_gradient(f, grad_f); check_vjp(rule, f) warns."""

    @jax.custom_vjp
    def square(x):
        return x**2

    square.defvjp(lambda x: (x**2, x), lambda x, g: (2.0 * x * g,))
    x = jnp.arange(1.0, 4.0)
    with pytest.warns(DeprecationWarning, match="plain function first"):
        old = check_vjp(square, lambda x: x**2, x, points=3)
    new = check_vjp(lambda x: x**2, square, x, points=3)
    assert old.ok and new.ok and old.max_abs_error == new.max_abs_error
