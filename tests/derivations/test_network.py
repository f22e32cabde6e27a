"""The §5 backprop derivations against autodiff, and the write-up's as-written formulas caught with the right
diagnosis (float64)."""

from __future__ import annotations

import importlib

import jax
import numpy as np
import pytest

from jaxml_derivations import network as nn
from jaxml.models._network import network_loss
from jaxml.verify import check_gradient, entries, run_entry


def _points(key, make=nn._example, n=300):
    return tuple(jax.vmap(make)(jax.random.split(key, n)))


@pytest.mark.parametrize(
    "grad, loss, argnums, make",
    [
        (nn.dL_dW2, network_loss, 1, nn._example),
        (nn.dL_dW1, network_loss, 0, nn._example),
        (nn.dL_dW12, nn.loss_of_w12, 0, nn._example_w12),
    ],
    ids=["dL_dW2", "dL_dW1", "dL_dW12"],
)
def test_hand_backprop_matches_autodiff_to_1e_10(key, grad, loss, argnums, make):
    at = _points(key, make)
    report = check_gradient(loss, grad, *(a[0] for a in at), argnums=argnums, at=at, rtol=1e-10)
    assert report.ok, str(report)


def test_w12_is_entry_1_1_of_the_W1_gradient(key):
    # index convention: W¹₁,₂ (input x₁ -> hidden unit 2) = W1[1, 1]
    W1, W2, x, y = nn._example(key)
    assert nn.W12_INDEX == (1, 1)
    np.testing.assert_allclose(nn.dL_dW12(W1[1, 1], W1, W2, x, y), nn.dL_dW1(W1, W2, x, y)[1, 1], rtol=1e-13)


def test_eq9_as_written_is_per_example_and_its_mean_is_right(key):
    at = _points(key)
    report = check_gradient(network_loss, nn.writeup_eq9, *(a[0] for a in at), argnums=1, at=at)
    assert not report.ok
    assert "per-example gradients" in report.diagnosis and "where the mean was meant" in report.diagnosis
    W1, W2, x, y = nn._example(key)
    # the only mistake is the missing 1/n Σ: averaging the rows gives the correct gradient
    np.testing.assert_allclose(nn.writeup_eq9(W1, W2, x, y).mean(axis=0), nn.dL_dW2(W1, W2, x, y), rtol=1e-12)


def test_eq10_as_written_is_per_example_and_its_mean_is_right(key):
    at = _points(key)
    report = check_gradient(network_loss, nn.writeup_eq10, *(a[0] for a in at), argnums=0, at=at)
    assert not report.ok
    assert "per-example gradients" in report.diagnosis and "where the mean was meant" in report.diagnosis
    W1, W2, x, y = nn._example(key)
    np.testing.assert_allclose(nn.writeup_eq10(W1, W2, x, y).mean(axis=0), nn.dL_dW1(W1, W2, x, y), rtol=1e-12)


def test_eq10_literal_has_the_shape_of_z(key):
    at = _points(key)
    report = check_gradient(network_loss, nn.writeup_eq10_literal, *(a[0] for a in at), argnums=0, at=at)
    assert not report.ok
    assert report.diagnosis.startswith(f"wrong shape: expected (3, 3), got ({nn.N_EXAMPLES}, 3)")


def test_w12_as_written_is_right_only_where_z2_is_w12_x1(key):
    w12, W1, W2, x, y = nn._example_w12(key, n=1)
    W1r, xr = nn._restrict(W1, x)  # bias of hidden unit 2 = 0, x₂ = 0: z₂ = W¹₁,₂ x₁
    np.testing.assert_allclose(nn.writeup_w12(w12, W1r, W2, xr, y)[0], nn.dL_dW12(w12, W1r, W2, xr, y), rtol=1e-12)
    assert not np.isclose(nn.writeup_w12(w12, W1, W2, x, y)[0], nn.dL_dW12(w12, W1, W2, x, y), rtol=1e-6)


def test_sigma_argument_check_names_the_mistake(key):
    report = nn.writeup_w12_sigma_argument(100, key)
    assert not report.ok  # the as-written formula fails, as expected
    assert report.restricted.ok and not report.general.ok
    assert report.diagnosis.startswith("σ′ evaluated at W¹₁,₂x₁ instead of the hidden unit's whole pre-activation")
    assert "where the mean was meant" in report.batch.diagnosis


def test_sigma_argument_check_would_pass_a_correct_formula(key, monkeypatch):
    # a check that cannot fail is a defect: swap in the correct per-example formula and the verdict flips
    def per_example_correct(w12, W1, W2, x, y):
        return jax.vmap(lambda xi, yi: nn.dL_dW12(w12, W1, W2, xi[None], yi[None]))(x, y)

    monkeypatch.setattr(nn, "writeup_w12", per_example_correct)
    report = nn.writeup_w12_sigma_argument(50, key)
    assert report.ok and "NOT found" in report.diagnosis


def test_every_declared_entry_behaves_as_expected(key):
    importlib.import_module("jaxml_derivations.network")
    outcomes = {e.fn.__name__: run_entry(e, points=100, key=key) for e in entries("jaxml_derivations.network")}
    assert set(outcomes) == {"dL_dW2", "dL_dW1", "dL_dW12", "writeup_eq9", "writeup_eq10", "writeup_eq10_literal",
                             "writeup_w12", "writeup_w12_sigma_argument"}
    for name, o in outcomes.items():
        assert o.ok, f"{name}: {o.verdict}: {o.diagnosis}"
        assert o.expected_failure == name.startswith("writeup_")
        if o.expected_failure:
            assert o.erratum  # each as-written formula says what is wrong
