"""The §6 batch-norm derivations (eq. 11-16) against autodiff at several batch shapes, in float64; the v-path of
∂L/∂μ; and wrong variants caught (so the checks can fail)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml_derivations import batchnorm as bn
from jaxml.verify import check_gradient, entries, run_entry

FORMULAS = {fn.__name__: (fn, of, argnums, kind) for fn, of, argnums, kind in bn.FORMULAS}


def _at(key, m, d, kind, n):
    return tuple(jax.vmap(bn.examples_for(m, d)[kind])(jax.random.split(key, n)))


ENTRIES = {e.name: e for e in entries("jaxml_derivations.batchnorm")}


def test_every_formula_is_declared_to_the_verifier():
    assert len(ENTRIES) == len(FORMULAS) + 1  # + the custom_vjp layer check
    assert {f"batchnorm {name}" for name in FORMULAS} < set(ENTRIES)


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_declared_check_passes_to_1e_10(key, name):
    # what `jaxml verify` runs, at (m, d) = (6, 4): every formula of §6 and the custom-VJP layer
    outcome = run_entry(ENTRIES[name], points=300, key=key)
    assert outcome.verdict == "pass", f"{name}: {outcome.diagnosis}"
    assert outcome.max_rel_error <= 1e-10, f"{name}: max rel error {outcome.max_rel_error:.2e}"


@pytest.mark.parametrize("m, d", [(3, 2), (40, 3)])
def test_every_formula_at_other_batch_shapes(key, m, d):
    # the layer's VJP at other shapes: tests/models/test_batchnorm.py and the experiment (check_shapes)
    for i, (fn, of, argnums, kind) in enumerate(bn.FORMULAS):
        at = _at(jax.random.fold_in(key, i), m, d, kind, 30)
        r = check_gradient(of, fn, *(a[0] for a in at), argnums=argnums, at=at, rtol=1e-10)
        assert r.ok, f"{fn.__name__} at ({m}, {d}): {r}"


def test_eq16_term_by_term_equals_the_fused_form(key):
    args = bn.examples_for(8, 3)["layer"](key)
    np.testing.assert_allclose(bn.dL_dx(*args), bn.dL_dx_fused(*args), rtol=1e-12, atol=1e-14)


def test_v_path_of_dmu_vanishes_at_the_batch_mean_only(key):
    ex = bn.examples_for(bn.M, bn.D)
    at_mean = ex["mu_batch_mean"](key)
    general = ex["mu_general"](key)
    total = bn.dL_dmu_total(*at_mean)
    assert jnp.max(jnp.abs(bn.dL_dmu_v_path(*at_mean))) <= 1e-13 * jnp.max(jnp.abs(total))
    assert jnp.max(jnp.abs(bn.dL_dmu_v_path(*general))) >= 1e-3 * jnp.max(jnp.abs(bn.dL_dmu_total(*general)))


def test_the_simplified_dmu_is_wrong_away_from_the_batch_mean(key):
    # write-up §6(c) drops the v-path because μ is the batch mean; at another μ that formula is not the gradient
    at = _at(key, bn.M, bn.D, "mu_general", 100)
    report = check_gradient(bn.loss_of_mu, bn.dL_dmu, *(a[0] for a in at), argnums=1, at=at)
    assert not report.ok


def test_eq16_without_the_mu_term_is_caught(key):
    def missing_mu_term(x, gamma, beta, c, A):
        mu, v, _, dy = bn._dy(x, gamma, beta, c, A)
        dx_hat = dy * gamma
        return dx_hat / jnp.sqrt(v) + 2.0 * (x - mu) / x.shape[0] * bn.dL_dv_formula(dx_hat, x, mu, v)

    at = _at(key, bn.M, bn.D, "layer", 100)
    assert not check_gradient(bn.bn_loss, missing_mu_term, *(a[0] for a in at), at=at).ok


def test_a_layer_with_a_wrong_backward_is_caught(key, monkeypatch):
    # the layer check must be able to fail: give the layer a backward without the x̂ Σ dy x̂ term
    def bad_vjp(eps):
        def grad(params, c, A):
            x, gamma, beta = params

            def one(x, gamma, beta, c):
                _, v, x_hat = bn.batchnorm_stats(x, eps)
                dy = bn.downstream_grad(gamma * x_hat + beta, c, A)
                inv = 1.0 / jnp.sqrt(v + eps)
                return (gamma * inv / x.shape[0]) * (x.shape[0] * dy - dy.sum(0)), (dy * x_hat).sum(0), dy.sum(0)

            return jax.vmap(one)(x, gamma, beta, c)

        return grad

    monkeypatch.setattr(bn, "_layer_vjp", bad_vjp)
    assert not bn.check_layer_vjp(5, 3, points=20, key=key).ok


def test_batch_of_two_has_zero_input_gradient(key):
    # m = 2: x̂ = ±1 whatever x is, so ∂L/∂x = 0 (why the shape checks start at m = 3)
    x, gamma, beta, c, A = bn.examples_for(2, 3)["layer"](key)
    _, _, _, dy = bn._dy(x, gamma, beta, c, A)
    assert jnp.max(jnp.abs(bn.dL_dx_fused(x, gamma, beta, c, A))) <= 1e-12 * jnp.max(jnp.abs(dy * gamma))
