"""The §6 batch-norm layer: forward pass, the hand VJP (custom_vjp) against autodiff, jit/vmap, dtypes, checks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml import models
from jaxml.errors import UsageError


def _batch(key, m=16, d=5, dtype=jnp.float64):
    kx, kg, kb, kc = jax.random.split(key, 4)
    x = (3.0 * jax.random.normal(kx, (m, d)) + 2.0).astype(dtype)
    gamma = jax.random.normal(kg, (d,)).astype(dtype)
    beta = jax.random.normal(kb, (d,)).astype(dtype)
    c = jax.random.normal(kc, (m, d)).astype(dtype)
    return x, gamma, beta, c


def _loss(layer, eps):
    return lambda x, gamma, beta, c: jnp.sum(c * jnp.tanh(layer(x, gamma, beta, eps=eps)))


def test_forward_normalises_each_feature(key):
    x, gamma, beta, _ = _batch(key)
    y = models.batchnorm(x, gamma, beta)
    # y = γ x̂ + β with x̂ of mean 0 and (biased) variance 1 per feature
    x_hat = (y - beta) / gamma
    np.testing.assert_allclose(x_hat.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose((x_hat**2).mean(axis=0), 1.0, rtol=1e-13)
    np.testing.assert_allclose(y, models.batchnorm_reference(x, gamma, beta), rtol=1e-14)


def test_eps_is_added_to_v(key):
    x, gamma, beta, _ = _batch(key)
    mu, v = x.mean(axis=0), x.var(axis=0)
    expected = gamma * (x - mu) / np.sqrt(v + 0.5) + beta
    np.testing.assert_allclose(models.batchnorm(x, gamma, beta, eps=0.5), expected, rtol=1e-13)


@pytest.mark.parametrize("eps", [0.0, 1e-3, 0.1])
@pytest.mark.parametrize("jit", [False, True])
def test_hand_vjp_equals_autodiff(key, eps, jit):
    args = _batch(key)
    hand = jax.grad(_loss(models.batchnorm, eps), argnums=(0, 1, 2))
    auto = jax.grad(_loss(models.batchnorm_reference, eps), argnums=(0, 1, 2))
    if jit:
        hand = jax.jit(hand)
    for h, a in zip(hand(*args), auto(*args)):
        np.testing.assert_allclose(h, a, rtol=1e-11, atol=1e-13 * float(jnp.max(jnp.abs(a))))


def test_hand_vjp_under_vmap(key):
    # a stack of 4 independent batches
    xs, gammas, betas, cs = jax.vmap(_batch)(jax.random.split(key, 4))
    hand = jax.vmap(jax.grad(_loss(models.batchnorm, 0.0), argnums=(0, 1, 2)))(xs, gammas, betas, cs)
    auto = jax.vmap(jax.grad(_loss(models.batchnorm_reference, 0.0), argnums=(0, 1, 2)))(xs, gammas, betas, cs)
    for h, a in zip(hand, auto):
        np.testing.assert_allclose(h, a, rtol=1e-11, atol=1e-13)


def test_the_custom_backward_is_the_one_that_runs(key):
    # only the custom forward saves 1/sqrt(v + ε) with rsqrt; the plain forward (and its autodiff) never does
    x, gamma, beta, c = _batch(key)
    hand = str(jax.make_jaxpr(jax.grad(_loss(models.batchnorm, 0.0)))(x, gamma, beta, c))
    auto = str(jax.make_jaxpr(jax.grad(_loss(models.batchnorm_reference, 0.0)))(x, gamma, beta, c))
    assert "rsqrt" in hand and "rsqrt" not in auto
    # and its output is batchnorm_backward's (to rounding: the traced forward fuses differently)
    _, v, x_hat = models.batchnorm_stats(x)
    y = models.batchnorm(x, gamma, beta)
    dy = c * (1.0 - jnp.tanh(y) ** 2)
    expected = models.batchnorm_backward(x_hat, jax.lax.rsqrt(v), gamma, dy)
    got = jax.grad(_loss(models.batchnorm, 0.0), argnums=(0, 1, 2))(x, gamma, beta, c)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-15)


def test_float32_in_float32_out(key):
    x, gamma, beta, c = _batch(key, m=64, d=32, dtype=jnp.float32)
    y = models.batchnorm(x, gamma, beta, eps=1e-5)
    grads = jax.jit(jax.grad(_loss(models.batchnorm, 1e-5), argnums=(0, 1, 2)))(x, gamma, beta, c)
    assert y.dtype == jnp.float32 and all(g.dtype == jnp.float32 for g in grads)
    auto = jax.grad(_loss(models.batchnorm_reference, 1e-5), argnums=(0, 1, 2))(x, gamma, beta, c)
    for g, a in zip(grads, auto):
        np.testing.assert_allclose(g, a, rtol=1e-4, atol=1e-5 * float(jnp.max(jnp.abs(a))))


def test_usable_in_a_jitted_training_step(key):
    x, gamma, beta, _ = _batch(key)
    target = jnp.tanh(x[:, ::-1])

    def loss(p, layer):
        return jnp.mean((layer(x, p[0], p[1]) - target) ** 2)

    @jax.jit
    def steps(p):
        def one(p, _):
            g_hand = jax.grad(loss)(p, models.batchnorm)
            return jax.tree.map(lambda w, g: w - 0.1 * g, p, g_hand), loss(p, models.batchnorm)

        return jax.lax.scan(one, p, None, length=50)

    p, losses = steps((gamma, beta))
    assert losses[-1] < losses[0]
    # the same steps through autodiff of the plain forward land at the same place
    q = (gamma, beta)
    for _ in range(50):
        g_auto = jax.grad(loss)(q, models.batchnorm_reference)
        q = jax.tree.map(lambda w, g: w - 0.1 * g, q, g_auto)
    for a, b in zip(p, q):
        np.testing.assert_allclose(a, b, rtol=1e-11)


@pytest.mark.parametrize(
    "x_shape, g_shape, b_shape, eps, match",
    [
        ((8,), (8,), (8,), 0.0, "batch of shape"),
        ((1, 3), (3,), (3,), 0.0, "m >= 2"),
        ((8, 3), (4,), (3,), 0.0, "gamma must have shape"),
        ((8, 3), (3,), (3, 1), 0.0, "beta must have shape"),
        ((8, 3), (3,), (3,), -1.0, "eps must be"),
    ],
)
def test_bad_input_raises_usage_error(x_shape, g_shape, b_shape, eps, match):
    with pytest.raises(UsageError, match=match):
        models.batchnorm(jnp.ones(x_shape), jnp.ones(g_shape), jnp.ones(b_shape), eps=eps)
