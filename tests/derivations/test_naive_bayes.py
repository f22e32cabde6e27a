"""derivations/naive_bayes.py: the Laplace-smoothed ML closed form minimises −ℓ in the softmax parametrisation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxml_derivations import naive_bayes as hand

from jaxml.models import naive_bayes
from jaxml.verify import MistakeKind, check_closed_form, load_file, run_entry


@pytest.mark.parametrize("seed", [0, 1])
def test_closed_form_is_the_minimiser(seed):
    k_example, k_start = jax.random.split(jax.random.PRNGKey(seed))
    x, y = hand.make_example(k_example)
    report = check_closed_form(
        hand.neg_smoothed_log_likelihood,
        hand.naive_bayes_mle,
        x,
        y,
        key=k_start,
        transform=hand._probabilities,
    )
    assert report.ok, str(report)
    assert report.stationarity < 1e-12  # ∇(−ℓ) vanishes at the closed form (float64)
    assert report.solver_rel_diff < 1e-8  # and L-BFGS from a random start lands on it


def test_unsmoothed_estimate_is_not_the_laplace_minimiser(key):
    x, y = hand.make_example(key)
    x = x + 1.0  # every count positive: the α = 0 estimate is finite
    report = check_closed_form(
        hand.neg_smoothed_log_likelihood,
        hand.naive_bayes_mle_unsmoothed,
        x,
        y,
        transform=hand._probabilities,
    )
    assert not report.ok
    # the gradient does not vanish
    assert report.mistake.kind is MistakeKind.NOT_STATIONARY, str(report)
    assert report.mistake.param("stationarity") == report.stationarity > report.stationarity_tol
    # ... but it is the minimiser of the α = 0 objective
    report0 = check_closed_form(
        lambda th, x, y: hand.neg_smoothed_log_likelihood(th, x, y, 0.0),
        hand.naive_bayes_mle_unsmoothed,
        x,
        y,
        transform=hand._probabilities,
    )
    assert report0.ok, str(report0)


def _smoothed_prior(x, y):
    """A common variant: Laplace-smoothing the class prior too, φ_y = (1 + n_1)/(2 + n)."""
    theta = hand.naive_bayes_mle(x, y)
    n1, n = jnp.sum(y), y.shape[0]
    return {
        "prior_logits": jnp.log(jnp.stack([(1 + n - n1) / (2 + n), (1 + n1) / (2 + n)])),
        "word_logits": theta["word_logits"],
    }


def _double_smoothing(x, y):
    """α counted twice: (2 + N_kc) / (2V + Σ_j N_jc)."""
    return hand.naive_bayes_mle(x, y, alpha=2.0)


@pytest.mark.parametrize("wrong", [_smoothed_prior, _double_smoothing])
def test_wrong_variants_fail(key, wrong):
    # (a wrong *denominator* alone would pass: in logits, normalisation is the softmax's additive constant and
    # the comparison is of the probabilities — the numerators are what the derivation must get right)
    x, y = hand.make_example(key)
    report = check_closed_form(
        hand.neg_smoothed_log_likelihood, wrong, x, y, transform=hand._probabilities
    )
    assert not report.ok
    # the gradient does not vanish
    assert report.mistake.kind is MistakeKind.NOT_STATIONARY, str(report)
    assert report.mistake.param("stationarity") == report.stationarity > report.stationarity_tol


def test_registered_for_jaxml_verify():
    # load_file imports this one file as `jaxml verify FILE` does (independent of the other derivations)
    entries = load_file(hand.__file__)
    assert [e.kind for e in entries] == ["closed_form"]
    outcome = run_entry(entries[0], points=3, key=jax.random.PRNGKey(5))
    assert outcome.as_expected and outcome.verdict == "pass", outcome.report


def test_model_fit_equals_the_derivation(key):
    x, y = hand.make_example(key)
    model = naive_bayes.fit(x, y)
    theta = hand.naive_bayes_mle(x, y)
    np.testing.assert_allclose(
        np.asarray(model.log_phi), np.asarray(theta["word_logits"]), rtol=1e-13
    )
    np.testing.assert_allclose(
        np.asarray(model.log_prior), np.asarray(theta["prior_logits"]), rtol=1e-13
    )
