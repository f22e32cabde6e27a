"""Kinks: a valid sub-gradient at a non-differentiable point passes and is named; a bug elsewhere still fails."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.verify import MistakeKind, check_gradient


def relu_layer(x, dout):
    """L = Σ dout ⊙ max(x, 0): at x = 0 autodiff splits the tie (0.5 · dout)."""
    return jnp.sum(dout * jnp.maximum(x, 0.0))


def relu_backward(x, dout):
    return jnp.where(x > 0, dout, 0.0)  # the usual backward pass: sub-gradient 0 at x = 0


def relu_backward_ge(x, dout):
    return jnp.where(x >= 0, dout, 0.0)  # the other end of the sub-differential: dout at x = 0


@pytest.fixture
def relu_inputs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 10))
    x[np.abs(x) < 0.6] = 0.0  # exact zeros: about 45 of the 100 entries
    return x, rng.normal(size=(10, 10))


@pytest.mark.parametrize("backward", [relu_backward, relu_backward_ge], ids=["x>0", "x>=0"])
def test_relu_at_exact_zeros_passes_with_either_subgradient(relu_inputs, backward):
    x, dout = relu_inputs
    zeros = int(np.sum(x == 0))
    report = check_gradient(relu_layer, backward, x, dout, points=5)
    assert report.ok, str(report)
    assert report.subgradients == zeros  # every zero of point 0 (the perturbed points have none)
    assert "valid subgradient" in report.note and "non-differentiable" in report.note
    assert report.max_rel_error < 1e-13  # the differentiable entries agree to float64


def test_relu_zeros_at_every_point(relu_inputs):
    x, dout = relu_inputs
    at = (np.stack([x, 2.0 * x, -x]), None)  # zeros stay zeros at every point
    report = check_gradient(relu_layer, relu_backward_ge, x, dout, at=at)
    assert report.ok and report.subgradients == 3 * int(np.sum(x == 0))


def test_a_wrong_mask_still_fails(relu_inputs):
    x, dout = relu_inputs
    report = check_gradient(
        relu_layer, lambda x, dout: jnp.where(x > 0.5, dout, 0.0), x, dout, points=5
    )
    assert not report.ok
    # some entries are wrong, the others match
    assert report.mistake.kind is MistakeKind.PARTIAL, str(report)
    assert 0 < report.mistake.param("count") == len(report.mistake.entries) < x.size


def test_a_value_outside_the_subdifferential_is_named(relu_inputs):
    x, dout = relu_inputs
    report = check_gradient(
        relu_layer,
        lambda x, dout: jnp.where(x > 0, dout, 0.0) + jnp.where(x == 0, 2.0 * dout, 0.0),
        x,
        dout,
        points=3,
    )
    assert not report.ok
    assert report.mistake.kind is MistakeKind.NOT_SUBGRADIENT, str(report)
    # outside the sub-differential at every zero of point 0 (not a group counted several times)
    assert report.mistake.param("count") == int(np.sum(x == 0))
    assert report.mistake.param("counted") is None


def test_hinge_subgradient_at_margin_exactly_one():
    hinge = lambda w, X, y: jnp.mean(jnp.maximum(0.0, 1.0 - y * (X @ w)))
    grad = lambda w, X, y: (
        -jnp.mean(jnp.where((y * (X @ w) < 1)[:, None], y[:, None] * X, 0.0), axis=0)
    )
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = np.array([1.0, 1.0, -1.0])
    w = np.array([1.0, 0.5])  # example 0 sits exactly on the margin: y xᵀw = 1
    report = check_gradient(hinge, grad, w, X, y, points=4)
    assert report.ok and report.subgradients == 1, str(report)
    wrong = check_gradient(hinge, lambda w, X, y: 2.0 * grad(w, X, y), w, X, y, points=4)
    assert not wrong.ok  # a factor away from the kink is still a bug


def test_abs_at_zero():
    f = lambda t: jnp.sum(jnp.abs(t))
    report = check_gradient(
        f, lambda t: jnp.where(t > 0, 1.0, -1.0), np.array([0.0, 1.5, -2.0]), points=3
    )
    assert report.ok and report.subgradients == 1  # -1 ∈ [-1, 1] at t = 0
