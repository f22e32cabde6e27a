"""Wording and structure (issue #13): Hessians say Hessian, labels name the argument, per-row / per-column scales,
swapped tuples and missing keys are named; reports are immutable and print PASS/FAIL the same way."""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

from jaxml import models
from jaxml.verify import (
    MistakeKind,
    Report,
    check_closed_form,
    check_gradient,
    check_hessian,
    check_lasso_kkt,
)


def mse(theta, x, y):
    return jnp.mean((x @ theta - y) ** 2)


@pytest.fixture
def problem():
    rng = np.random.default_rng(7)
    return rng.normal(size=4), rng.normal(size=(30, 4)), rng.normal(size=30)


def test_hessian_reports_say_hessian(problem):
    report = check_hessian(mse, lambda t, x, y: -2.0 * x.T @ x / y.shape[0], *problem)
    assert not report.ok
    assert report.mistake.kind is MistakeKind.SIGN, str(report)
    assert report.mistake.factor == pytest.approx(-1.0)
    # wording is the subject here
    assert "your Hessian is the negative" in report.diagnosis and "gradient" not in report.diagnosis
    assert "your Hessian vs jax.hessian" in str(report)


def test_leaf_labels_name_the_argument():
    f = lambda a, b, c: jnp.sum(jnp.sin(a) * b) + jnp.sum(b * c**2)
    grads = lambda a, b, c: (jnp.sin(a) + c**2, -2.0 * b * c)  # ∂/∂c has the wrong sign
    report = check_gradient(f, grads, np.ones(3), np.full(3, 2.0), np.full(3, 0.5), argnums=(1, 2))
    assert report.mistake.kind is MistakeKind.SIGN, str(report)
    assert report.mistake.leaf == "c"  # argument c, not "[1]" (the second of argnums)
    # wording is the subject here: the sentence starts with the label
    assert report.diagnosis.startswith("c: sign flip")
    assert report.worst_index[1] == "c"


def test_pytree_labels_carry_the_argument_name():
    f = lambda params, x: jnp.sum(jnp.tanh(x @ params["w"] + params["b"]))

    def grad(params, x):
        s = 1.0 - jnp.tanh(x @ params["w"] + params["b"]) ** 2
        return {"w": x.T @ s, "b": -jnp.sum(s)}

    params = {"w": np.ones(3), "b": np.array(0.1)}
    report = check_gradient(f, grad, params, np.random.default_rng(0).normal(size=(8, 3)), points=3)
    assert report.mistake.kind is MistakeKind.SIGN, str(report)
    assert report.mistake.leaf == "params['b']"


def _bn_loss(x, gamma, beta, c):
    return jnp.sum(c * jnp.tanh(models.batchnorm.reference(x, gamma, beta)))


def _bn_dx(x, gamma, beta, c, with_gamma=True):
    """∂L/∂x through batch norm (eq. 16, fused), optionally without γ (the slip)."""
    m = x.shape[0]
    mu, v = x.mean(0), x.var(0)
    x_hat = (x - mu) / jnp.sqrt(v)
    dy = c * (1.0 - jnp.tanh(gamma * x_hat + beta) ** 2)
    scale = gamma if with_gamma else 1.0
    return (scale / jnp.sqrt(v)) / m * (m * dy - dy.sum(0) - x_hat * (dy * x_hat).sum(0))


def test_a_per_column_scale_is_named_after_the_argument():
    rng = np.random.default_rng(2)
    args = rng.normal(size=(8, 5)), rng.normal(size=5), rng.normal(size=5), rng.normal(size=(8, 5))
    assert check_gradient(_bn_loss, _bn_dx, *args, points=6).ok
    report = check_gradient(_bn_loss, lambda *a: _bn_dx(*a, with_gamma=False), *args, points=6)
    assert not report.ok
    assert report.mistake.kind is MistakeKind.AXIS_SCALE, str(report)
    assert report.mistake.param("axis") == 1  # the columns (features) of x, (8, 5) per point
    assert report.mistake.param("named") == "divided by gamma: a factor gamma is missing"
    # wording is the subject here
    assert "a scale per column: your gradient is the true one divided by gamma" in report.diagnosis


def test_a_per_row_scale_is_named():
    f = lambda W, X: jnp.sum(jnp.tanh(X @ W))
    grad = lambda W, X: X.T @ (1.0 - jnp.tanh(X @ W) ** 2)
    rng = np.random.default_rng(4)
    W, X = rng.normal(size=(3, 4)), rng.normal(size=(6, 3))
    report = check_gradient(
        f, lambda W, X: grad(W, X) * np.arange(1.0, 4.0)[:, None], W, X, points=4
    )
    assert report.mistake.kind is MistakeKind.AXIS_SCALE, str(report)
    assert report.mistake.param("axis") == 0 and report.mistake.param("named") is None
    # wording is the subject here (and no field carries the range of s)
    assert "a scale per row" in report.diagnosis and "s from 1 to 3" in report.diagnosis


def test_swapped_tuple_order_is_named():
    f = lambda a, b: jnp.sum(jnp.sin(a)) + jnp.sum(b**2)
    report = check_gradient(
        f, lambda a, b: (2.0 * b, jnp.cos(a)), np.ones(3), np.ones((2, 2)), argnums=(0, 1)
    )
    assert report.mistake.kind is MistakeKind.SWAPPED, str(report)
    assert report.mistake.param("order") == (1, 0)
    # wording is the subject here: the entries are named after the arguments
    assert (
        "order swapped" in report.diagnosis
        and "(b, a) where (a, b) was expected" in report.diagnosis
    )
    same_shapes = check_gradient(
        f, lambda a, b: (2.0 * b, jnp.cos(a)), np.ones(3), np.full(3, 0.3), argnums=(0, 1)
    )
    # shapes agree: the values tell
    assert same_shapes.mistake.kind is MistakeKind.SWAPPED, str(same_shapes)
    assert same_shapes.mistake.param("order") == (1, 0)


def test_missing_and_extra_pytree_keys_are_named():
    f = lambda p, x: jnp.sum(jnp.tanh(x @ p["w"] + p["b"]))
    x = np.random.default_rng(5).normal(size=(6, 3))
    params = {"w": np.ones(3), "b": np.array(0.1)}
    missing = check_gradient(
        f, lambda p, x: {"w": x.T @ (1.0 - jnp.tanh(x @ p["w"] + p["b"]) ** 2)}, params, x
    )
    assert missing.mistake.kind is MistakeKind.STRUCTURE, str(missing)
    expected = set(missing.mistake.param("expected"))
    assert expected == {"['w']", "['b']"}
    assert expected - set(missing.mistake.param("got")) == {"['b']"}  # missing ['b']
    extra = check_gradient(f, lambda p, x: {"w": p["w"], "b": p["b"], "c": p["b"]}, params, x)
    assert extra.mistake.kind is MistakeKind.STRUCTURE, str(extra)
    assert set(extra.mistake.param("got")) - set(extra.mistake.param("expected")) == {"['c']"}
    single = check_gradient(f, lambda p, x: p["w"], params, x)
    assert single.mistake.kind is MistakeKind.STRUCTURE, str(single)
    assert single.mistake.param("got") == ("",)  # a single array
    # wording is the subject here: the expected leaves are named after the argument
    assert "got a single array" in single.diagnosis and "p['b']" in single.diagnosis


def test_reports_are_immutable_and_share_one_type(problem):
    _, x, y = problem
    grad = check_gradient(
        mse, lambda t, x, y: 2.0 * x.T @ (x @ t - y) / y.shape[0], *problem, points=2
    )
    closed = check_closed_form(
        lambda t, x, y: jnp.sum((x @ t - y) ** 2),
        lambda x, y: jnp.linalg.solve(x.T @ x, x.T @ y),
        x,
        y,
    )
    kkt = check_lasso_kkt(np.zeros(4), x, y, gamma=1e6)
    for report in (grad, closed, kkt):
        assert isinstance(report, Report)
        assert str(report).startswith(f"{report.name}: PASS - ")
    for report in (grad, closed, kkt):
        with pytest.raises(dataclasses.FrozenInstanceError):
            report.ok = False
        with pytest.raises(dataclasses.FrozenInstanceError):
            report.name = "renamed in place"
    assert dataclasses.replace(grad, name="renamed").name == "renamed"
