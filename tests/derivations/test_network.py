"""The §5 backprop derivations against autodiff, and the write-up's as-written formulas caught with the right
diagnosis (float64). The verifier runs every declared entry once (a module fixture); the tests read its outcomes."""

from __future__ import annotations

import importlib

import jax
import numpy as np
import pytest
from jaxml_derivations import network as nn

from jaxml.verify import MistakeKind, entries, run_entry

POINTS = (
    200  # as `jaxml reproduce` checks them (one compiled program per check for the whole suite)
)


@pytest.fixture(scope="module")
def outcomes():
    """{function name: Outcome} of every entry of jaxml_derivations.network, at POINTS points each."""
    importlib.import_module("jaxml_derivations.network")
    key = jax.random.PRNGKey(11)
    return {
        e.fn.__name__: run_entry(e, points=POINTS, key=jax.random.fold_in(key, i))
        for i, e in enumerate(entries("jaxml_derivations.network"))
    }


def test_every_declared_entry_behaves_as_expected(outcomes):
    assert set(outcomes) == {
        "dL_dW2",
        "dL_dW1",
        "dL_dW12",
        "writeup_eq9",
        "writeup_eq10",
        "writeup_eq10_literal",
        "writeup_w12",
        "writeup_w12_sigma_argument",
    }
    for name, o in outcomes.items():
        assert o.as_expected, f"{name}: {o.verdict}: {o.diagnosis}"
        assert o.points == POINTS
        assert o.expected_failure == name.startswith("writeup_")
        if o.expected_failure:
            assert o.erratum  # each as-written formula says what is wrong


@pytest.mark.parametrize("name", ["dL_dW2", "dL_dW1", "dL_dW12"])
def test_hand_backprop_matches_autodiff_to_1e_10(outcomes, name):
    assert outcomes[name].verdict == "pass" and outcomes[name].max_rel_error <= 1e-10


@pytest.mark.parametrize("name", ["writeup_eq9", "writeup_eq10"])
def test_eq9_and_eq10_as_written_are_per_example(outcomes, name):
    mistake = outcomes[name].mistake
    assert outcomes[name].verdict == "expected fail"
    # per-example gradients (one per example, axis 0) where the mean was meant
    assert mistake.kind is MistakeKind.PER_EXAMPLE, outcomes[name].diagnosis
    assert mistake.param("reduction") == "mean"
    assert mistake.param("axes") == (0,) and mistake.param("lengths") == (nn.N_EXAMPLES,)


def test_eq10_literal_has_the_shape_of_z(outcomes):
    outcome = outcomes["writeup_eq10_literal"]
    assert outcome.mistake.kind is MistakeKind.SHAPE, outcome.diagnosis
    # no field carries the expected and the given shapes
    assert outcome.diagnosis.startswith(f"wrong shape: expected (3, 3), got ({nn.N_EXAMPLES}, 3)")


def test_sigma_argument_check_names_the_mistake(outcomes):
    report = outcomes["writeup_w12_sigma_argument"].report
    assert not report.ok  # the as-written formula fails, as expected
    assert report.restricted.ok and not report.general.ok
    # no field carries it: this derivation's own report (W12Report) has a diagnosis and no mistake
    assert report.diagnosis.startswith(
        "σ′ evaluated at W¹₁,₂x₁ instead of the hidden unit's whole pre-activation"
    )
    # the n-example check: per-example values where the mean was meant
    assert report.batch.mistake.kind is MistakeKind.PER_EXAMPLE, str(report.batch)
    assert report.batch.mistake.param("reduction") == "mean"


def test_the_as_written_means_are_right(key):
    # the only mistake of eq. 9 and eq. 10 is the missing 1/n Σ: averaging the rows gives the correct gradient
    W1, W2, x, y = nn._example(key)
    np.testing.assert_allclose(
        nn.writeup_eq9(W1, W2, x, y).mean(axis=0), nn.dL_dW2(W1, W2, x, y), rtol=1e-12
    )
    np.testing.assert_allclose(
        nn.writeup_eq10(W1, W2, x, y).mean(axis=0), nn.dL_dW1(W1, W2, x, y), rtol=1e-12
    )
    # index convention: W¹₁,₂ (input x₁ -> hidden unit 2) = W1[1, 1]
    assert nn.W12_INDEX == (1, 1)
    np.testing.assert_allclose(
        nn.dL_dW12(W1[1, 1], W1, W2, x, y), nn.dL_dW1(W1, W2, x, y)[1, 1], rtol=1e-13
    )


def test_w12_as_written_is_right_only_where_z2_is_w12_x1(key):
    w12, W1, W2, x, y = nn._example_w12(key, n=1)
    W1r, xr = nn._restrict(W1, x)  # bias of hidden unit 2 = 0, x₂ = 0: z₂ = W¹₁,₂ x₁
    np.testing.assert_allclose(
        nn.writeup_w12(w12, W1r, W2, xr, y)[0], nn.dL_dW12(w12, W1r, W2, xr, y), rtol=1e-12
    )
    assert not np.isclose(
        nn.writeup_w12(w12, W1, W2, x, y)[0], nn.dL_dW12(w12, W1, W2, x, y), rtol=1e-6
    )


def test_sigma_argument_check_would_pass_a_correct_formula(key, monkeypatch):
    # a check that cannot fail is a defect: swap in the correct per-example formula and the verdict flips
    def per_example_correct(w12, W1, W2, x, y):
        return jax.vmap(lambda xi, yi: nn.dL_dW12(w12, W1, W2, xi[None], yi[None]))(x, y)

    monkeypatch.setattr(nn, "writeup_w12", per_example_correct)
    report = nn.writeup_w12_sigma_argument(50, key)
    # no field carries it: W12Report has a diagnosis and no mistake
    assert report.ok and "NOT found" in report.diagnosis


def test_examples_are_jax_random_draws(key):
    # the bucketed draws of jaxml.testing.draws (imported as _draws) are jax.random's, bit for bit
    k1, k2, kx, ky = jax.random.split(key, 4)
    W1, W2, x, y = nn._example(key)
    np.testing.assert_array_equal(W1, jax.random.normal(k1, (3, 3)))
    np.testing.assert_array_equal(W2, jax.random.normal(k2, (4,)))
    np.testing.assert_array_equal(x, 1.5 * np.asarray(jax.random.normal(kx, (nn.N_EXAMPLES, 2))))
    np.testing.assert_array_equal(
        y, jax.random.bernoulli(ky, 0.5, (nn.N_EXAMPLES,)).astype(W1.dtype)
    )
