"""The §6 batch-norm derivations (eq. 11-16) against autodiff at several batch shapes, in float64; the v-path of
∂L/∂μ; and wrong variants caught (so the checks can fail). The shape checks run once (a module fixture)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxml_derivations import batchnorm as bn

from jaxml.verify import check_gradient, entries

FORMULAS = {fn.__name__: (fn, of, argnums, kind) for fn, of, argnums, kind in bn.FORMULAS}
ENTRIES = {e.name: e for e in entries("jaxml_derivations.batchnorm")}
SHAPES = ((3, 2), (40, 3))  # beside the declared (6, 4), which the experiment checks at 200 points


@pytest.fixture(scope="module")
def reports():
    """{formula: {(m, d): GradientReport}} of every formula and the custom-VJP layer at SHAPES, 40 points each."""
    return bn.check_shapes(SHAPES, points=40, key=jax.random.PRNGKey(21))


def _at(key, m, d, kind, n):
    return tuple(jax.vmap(bn.examples_for(m, d)[kind])(jax.random.split(key, n)))


def test_every_formula_is_declared_to_the_verifier():
    assert len(ENTRIES) == len(FORMULAS) + 1  # + the custom_vjp layer check
    for name, (fn, of, argnums, kind) in FORMULAS.items():
        # what `jaxml verify` runs: this formula, loss, argnums and example
        entry = ENTRIES[f"batchnorm {name}"]
        assert (entry.fn, entry.target, entry.argnums) == (fn, of, argnums)
        assert entry.example is bn._EXAMPLES[kind]


def test_every_formula_and_the_layer_pass_to_1e_10_at_every_shape(reports):
    assert set(reports) == set(FORMULAS) | {"custom_vjp"}
    for name, by_shape in reports.items():
        assert set(by_shape) == set(SHAPES)
        for shape, r in by_shape.items():
            assert r.ok and r.max_rel_error <= 1e-10, f"{name} at {shape}: {r}"


def test_eq16_term_by_term_equals_the_fused_form(key):
    args = bn.examples_for(8, 3)["layer"](key)
    np.testing.assert_allclose(bn.dL_dx(*args), bn.dL_dx_fused(*args), rtol=1e-12, atol=1e-14)


def test_v_path_of_dmu_vanishes_at_the_batch_mean_only(key):
    at_mean, general = bn.v_path_ratios(key, points=20)
    assert at_mean <= 1e-13  # Σᵢ (x⁽ⁱ⁾ − μ) = 0 at the batch mean
    assert general >= 1e-3


def test_the_simplified_dmu_is_wrong_away_from_the_batch_mean(key):
    # write-up §6(c) drops the v-path because μ is the batch mean; at another μ that formula is not the gradient
    at = _at(key, bn.M, bn.D, "mu_general", 100)
    assert not check_gradient(bn.loss_of_mu, bn.dL_dmu, *(a[0] for a in at), argnums=1, at=at).ok


def test_eq16_without_the_mu_term_is_caught(key):
    def missing_mu_term(x, gamma, beta, c, A):
        mu, v, _, dy = bn._dy(x, gamma, beta, c, A)
        dx_hat = dy * gamma
        return dx_hat / jnp.sqrt(v) + 2.0 * (x - mu) / x.shape[0] * bn.dL_dv_formula(
            dx_hat, x, mu, v
        )

    at = _at(key, bn.M, bn.D, "layer", 100)
    assert not check_gradient(bn.bn_loss, missing_mu_term, *(a[0] for a in at), at=at).ok


def test_a_layer_with_a_wrong_backward_is_caught(key, monkeypatch):
    # the layer check must be able to fail: give the layer a backward without the x̂ Σ dy x̂ term
    def bad_vjp(eps):
        def grad(params, c, A):
            x, gamma, beta = params

            def one(x, gamma, beta, c):
                _, v, x_hat = bn.batchnorm.stats(x, eps=eps)
                dy = bn.downstream_grad(gamma * x_hat + beta, c, A)
                inv = 1.0 / jnp.sqrt(v + eps)
                return (
                    (gamma * inv / x.shape[0]) * (x.shape[0] * dy - dy.sum(0)),
                    (dy * x_hat).sum(0),
                    dy.sum(0),
                )

            return jax.vmap(one)(x, gamma, beta, c)

        return grad

    monkeypatch.setattr(bn, "_layer_vjp", bad_vjp)
    assert not bn.check_layer_vjp(bn.M, bn.D, points=20, key=key).ok


def test_batch_of_two_has_zero_input_gradient(key):
    # m = 2: x̂ = ±1 whatever x is, so ∂L/∂x = 0 (why the shape checks start at m = 3)
    x, gamma, beta, c, A = bn.examples_for(2, 3)["layer"](key)
    _, _, _, dy = bn._dy(x, gamma, beta, c, A)
    assert jnp.max(jnp.abs(bn.dL_dx_fused(x, gamma, beta, c, A))) <= 1e-12 * jnp.max(
        jnp.abs(dy * gamma)
    )


def test_examples_are_jax_random_draws(key):
    # the bucketed draws of jaxml.testing.draws (imported as _draws) are jax.random's, bit for bit
    _, _, _, kg, _, kc, ka = jax.random.split(key, 7)
    _, gamma, _, c, A = bn.examples_for(6, 4)["layer"](key)
    np.testing.assert_array_equal(gamma, jax.random.normal(kg, (4,)))
    np.testing.assert_array_equal(c, jax.random.normal(kc, (6, 4)))
    np.testing.assert_array_equal(A, jax.random.normal(ka, (bn.K, 24)) / jnp.sqrt(24))
    kv = jax.random.fold_in(key, 1)
    np.testing.assert_array_equal(
        bn._draws.uniform(kv, (4,), minval=-1.0, maxval=1.0),
        jax.random.uniform(kv, (4,), minval=-1.0, maxval=1.0),
    )
    np.testing.assert_array_equal(bn._draws.split(kv, 3), jax.random.split(kv, 3))
