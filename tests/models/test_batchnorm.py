"""jaxml.models.batchnorm (§6): the layer's forward pass, its hand VJP (custom_vjp) against autodiff under jit and
vmap, dtypes, the batch-norm network and its training loop, input checks."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.data import DataSource
from jaxml.errors import UsageError
from jaxml.models import batchnorm


def _batch(seed=0, m=16, d=5, dtype=np.float64):
    """x (m, d) with per-feature scale and offset, gamma, beta (d,), c (m, d): NumPy, no compiled programs."""
    rng = np.random.default_rng(seed)
    x = 3.0 * rng.normal(size=(m, d)) + 2.0
    gamma, beta, c = rng.normal(size=d), rng.normal(size=d), rng.normal(size=(m, d))
    return tuple(jnp.asarray(a.astype(dtype)) for a in (x, gamma, beta, c))


def _loss(layer, eps):
    return lambda x, gamma, beta, c: jnp.sum(c * jnp.tanh(layer(x, gamma, beta, eps=eps)))


def test_forward_normalises_each_feature_and_adds_eps_to_v():
    x, gamma, beta, _ = _batch()
    y = batchnorm.layer(x, gamma, beta)
    # y = γ x̂ + β with x̂ of mean 0 and (biased) variance 1 per feature
    x_hat = (y - beta) / gamma
    np.testing.assert_allclose(x_hat.mean(axis=0), 0.0, atol=1e-14)
    np.testing.assert_allclose((x_hat**2).mean(axis=0), 1.0, rtol=1e-13)
    np.testing.assert_allclose(y, batchnorm.reference(x, gamma, beta), rtol=1e-14)
    mu, v = np.mean(x, axis=0), np.var(x, axis=0)
    expected = gamma * (x - mu) / np.sqrt(v + 0.5) + beta
    np.testing.assert_allclose(batchnorm.layer(x, gamma, beta, eps=0.5), expected, rtol=1e-13)
    np.testing.assert_allclose(batchnorm.stats(x)[1], v, rtol=1e-13)


def test_positional_eps_is_deprecated():
    x, _, _, _ = _batch()
    with pytest.warns(DeprecationWarning, match=r"write batchnorm\.stats\(x, eps=eps\)"):
        old = batchnorm.stats(x, 0.5)
    for a, b in zip(old, batchnorm.stats(x, eps=0.5)):
        np.testing.assert_array_equal(a, b)


def test_hand_vjp_equals_autodiff_jitted_or_not():
    args = _batch()
    for eps in (0.0, 1e-3, 0.1):
        hand = jax.jit(jax.grad(_loss(batchnorm.layer, eps), argnums=(0, 1, 2)))
        auto = jax.jit(jax.grad(_loss(batchnorm.reference, eps), argnums=(0, 1, 2)))
        for h, a in zip(hand(*args), auto(*args)):
            np.testing.assert_allclose(h, a, rtol=1e-11, atol=1e-13 * float(jnp.max(jnp.abs(a))))
    # and op by op, without jit
    eager = jax.grad(_loss(batchnorm.layer, 0.0), argnums=(0, 1, 2))(*args)
    for e, a in zip(
        eager, jax.jit(jax.grad(_loss(batchnorm.reference, 0.0), argnums=(0, 1, 2)))(*args)
    ):
        np.testing.assert_allclose(e, a, rtol=1e-11, atol=1e-13 * float(jnp.max(jnp.abs(a))))


def test_hand_vjp_under_vmap():
    # a stack of 4 independent batches
    xs, gammas, betas, cs = (jnp.stack(a) for a in zip(*(_batch(seed) for seed in range(4))))
    grads = {
        layer: jax.jit(jax.vmap(jax.grad(_loss(layer, 0.0), argnums=(0, 1, 2))))(
            xs, gammas, betas, cs
        )
        for layer in (batchnorm.layer, batchnorm.reference)
    }
    for h, a in zip(grads[batchnorm.layer], grads[batchnorm.reference]):
        np.testing.assert_allclose(h, a, rtol=1e-11, atol=1e-13)


def test_the_custom_backward_is_the_one_that_runs():
    # only the custom forward saves 1/sqrt(v + ε) with rsqrt; the plain forward (and its autodiff) never does
    x, gamma, beta, c = _batch()
    hand = str(jax.make_jaxpr(jax.grad(_loss(batchnorm.layer, 0.0)))(x, gamma, beta, c))
    auto = str(jax.make_jaxpr(jax.grad(_loss(batchnorm.reference, 0.0)))(x, gamma, beta, c))
    assert "rsqrt" in hand and "rsqrt" not in auto

    @jax.jit
    def both(
        x, gamma, beta, c
    ):  # its output is backward's (to rounding: the traced forward fuses differently)
        _, v, x_hat = batchnorm.stats(x)
        dy = c * (1.0 - jnp.tanh(batchnorm.layer(x, gamma, beta)) ** 2)
        expected = batchnorm.backward(x_hat, jax.lax.rsqrt(v), gamma, dy)
        return jax.grad(_loss(batchnorm.layer, 0.0), argnums=(0, 1, 2))(x, gamma, beta, c), expected

    got, expected = both(x, gamma, beta, c)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-15)


def test_float32_in_float32_out_and_no_x64_needed():
    x, gamma, beta, c = _batch(m=64, d=32, dtype=np.float32)
    grads = jax.jit(jax.grad(_loss(batchnorm.layer, 1e-5), argnums=(0, 1, 2)))(x, gamma, beta, c)
    assert all(g.dtype == jnp.float32 for g in grads)
    auto = jax.jit(jax.grad(_loss(batchnorm.reference, 1e-5), argnums=(0, 1, 2)))(x, gamma, beta, c)
    for g, a in zip(grads, auto):
        np.testing.assert_allclose(g, a, rtol=1e-4, atol=1e-5 * float(jnp.max(jnp.abs(a))))
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("error")
        net = batchnorm.init(2, 3, key=jax.random.PRNGKey(0))
        xs = jnp.asarray(np.random.default_rng(0).uniform(0.0, 4.0, (8, 2)), jnp.float32)
        out = batchnorm.fit(
            net, xs, (xs[:, 0] > 2.0).astype(jnp.float32), learning_rate=0.1, steps=2
        )
        assert out.W1.dtype == out.gamma.dtype == out.losses.dtype == jnp.float32
        assert batchnorm.layer(x, gamma, beta).dtype == jnp.float32


def test_network_fit_with_the_hand_vjp_tracks_autodiff(key):
    # the §6 check in a training loop, on the §5 stand-in data: 1,000 gradient-descent steps through the hand
    # backward and through autodiff of the plain layer land at the same weights; and they train
    split = DataSource(None).simple_nn()
    x, y = jnp.asarray(split.x), jnp.asarray(split.y)
    net = batchnorm.init(2, 3, key=key)
    assert isinstance(net, batchnorm.BatchNormNetwork) and net.losses.shape == (0,)
    hand = batchnorm.fit(net, x, y, learning_rate=0.3, steps=1_000)
    auto = batchnorm.fit(net, x, y, learning_rate=0.3, steps=1_000, layer=batchnorm.reference)
    for name in ("W1", "gamma", "beta", "W2"):
        np.testing.assert_allclose(getattr(hand, name), getattr(auto, name), rtol=0, atol=1e-12)
    np.testing.assert_allclose(hand.losses, auto.losses, rtol=1e-12)
    assert hand.losses[-1] < 0.7 * hand.losses[0]
    o = batchnorm.forward(hand.W1, hand.gamma, hand.beta, hand.W2, x)
    np.testing.assert_allclose(
        hand.losses[-1], np.mean((np.asarray(o) - np.asarray(y)) ** 2), rtol=0.05
    )
    np.testing.assert_array_equal(batchnorm.predict(hand, x), (np.asarray(o) >= 0.5).astype(float))


def test_init_needs_a_key_and_equals_jax_random(key):
    with pytest.raises(TypeError):
        batchnorm.init(2, 3)  # no silent PRNGKey(0)
    net = batchnorm.init(2, 3, key=key)
    kW1, kg, kb, kW2 = jax.random.split(key, 4)
    np.testing.assert_array_equal(net.W1, jax.random.normal(kW1, (3, 3)))
    np.testing.assert_array_equal(net.gamma, 1.0 + 0.1 * np.asarray(jax.random.normal(kg, (3,))))
    np.testing.assert_array_equal(net.beta, 0.1 * np.asarray(jax.random.normal(kb, (3,))))
    np.testing.assert_array_equal(net.W2, jax.random.normal(kW2, (4,)))


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
        batchnorm.layer(jnp.ones(x_shape), jnp.ones(g_shape), jnp.ones(b_shape), eps=eps)
