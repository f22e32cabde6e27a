"""jaxml.models.network (§5): forward pass, activations, the linear collapse, jitted training, dtypes, input checks."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.errors import UsageError
from jaxml.models import network


def _data(seed: int = 0, n: int = 30):
    """x (n, 2) uniform in [0, 4]², y = 1 above the line x1 + x2 = 4 (NumPy: no compiled programs)."""
    x = np.random.default_rng(seed).uniform(0.0, 4.0, size=(n, 2))
    return jnp.asarray(x), jnp.asarray((x.sum(axis=1) > 4.0).astype(np.float64))


def test_forward_and_loss_are_the_written_model(key):
    net = network.init(2, 3, key=key)
    x, y = _data(n=9)
    o = network.forward(net.W1, net.W2, x)
    # z = W1 [1, x], h = σ(z), o = W2 · [1, h], one example at a time in NumPy
    W1, W2 = np.asarray(net.W1), np.asarray(net.W2)
    for i in range(9):
        h = 1.0 / (1.0 + np.exp(-(W1 @ np.concatenate([[1.0], np.asarray(x[i])]))))
        assert np.isclose(o[i], W2 @ np.concatenate([[1.0], h]), rtol=1e-14)
    # L = (1/n) Σ (o − y)², and predict thresholds o at 1/2
    assert np.isclose(
        network.loss(net.W1, net.W2, x, y),
        np.mean((np.asarray(o) - np.asarray(y)) ** 2),
        rtol=1e-14,
    )
    np.testing.assert_array_equal(network.predict(net, x), (np.asarray(o) >= 0.5).astype(float))


def test_step_threshold_and_the_step_network_by_hand():
    # write-up §5(b): step(z) = 1 if z >= 1e-10 else 0
    assert network.step(jnp.array([-1.0, 0.0, 9.9e-11, 1e-10, 2.0])).tolist() == [
        0.0,
        0.0,
        0.0,
        1.0,
        1.0,
    ]
    # h1 = step(0.5 - x1), h2 = step(0.5 - x2), h3 = step(x1 + x2 - 4); o = step(h1 + h2 + h3 - 0.5)
    net = network.Network(
        jnp.array([[0.5, -1.0, 0.0], [0.5, 0.0, -1.0], [-4.0, 1.0, 1.0]]),
        jnp.array([-0.5, 1.0, 1.0, 1.0]),
        jnp.zeros(0),
    )
    x = jnp.array([[1.0, 1.0], [0.2, 1.0], [1.0, 0.2], [3.0, 3.0], [2.0, 1.9]])
    assert network.predict_step(net, x).tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_linear_network_collapses_to_one_linear_map(key):
    # write-up §5(c): o = W̃ x̃ with W̃ = W2[0] e_0 + W2[1:] W1 (the intercept passes through), any width
    x = jnp.asarray(np.random.default_rng(1).normal(size=(20, 4)))
    for hidden in (1, 3, 8):
        net = network.init(4, hidden, key=jax.random.fold_in(key, hidden))
        W_tilde = network.collapse(net)
        assert W_tilde.shape == (5,)
        o_net = network.forward(net.W1, net.W2, x, activation=network.linear)
        np.testing.assert_allclose(
            o_net, network.add_intercept(x) @ W_tilde, rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(W_tilde, (net.W2[1:] @ net.W1).at[0].add(net.W2[0]), rtol=1e-14)


def test_fit_is_gradient_descent_and_lowers_the_loss(key):
    net = network.init(2, 3, key=key)
    x, y = _data()
    out = network.fit(net, x, y, learning_rate=0.1, steps=3)
    assert isinstance(out, network.Network) and out.losses.shape == (3,)

    @jax.jit
    def by_hand(W1, W2):  # the same three steps, written out
        losses = []
        for _ in range(3):
            L, (g1, g2) = jax.value_and_grad(network.loss, argnums=(0, 1))(W1, W2, x, y)
            W1, W2 = W1 - 0.1 * g1, W2 - 0.1 * g2
            losses.append(L)
        return W1, W2, jnp.stack(losses)

    W1, W2, losses = by_hand(net.W1, net.W2)
    np.testing.assert_allclose(out.losses, losses, rtol=1e-13)
    np.testing.assert_allclose(out.W1, W1, rtol=1e-12)
    np.testing.assert_allclose(out.W2, W2, rtol=1e-12)
    # continuing from the result, in chunks, keeps going down
    longer = network.fit(out, x, y, learning_rate=0.3, steps=500)
    assert longer.losses[-1] < 0.5 * out.losses[0]


def test_restarts_train_together_under_vmap(key):
    # the experiment trains its random restarts as one vmapped fit: each is the fit it would be alone
    x, y = _data()
    nets = [network.init(2, 3, key=k) for k in jax.random.split(key, 3)]
    stacked = network.Network(*(jnp.stack(leaves) for leaves in zip(*nets)))
    together = jax.vmap(lambda n: network.fit(n, x, y, learning_rate=0.3, steps=50))(stacked)
    for i, net in enumerate(nets):
        alone = network.fit(net, x, y, learning_rate=0.3, steps=50)
        np.testing.assert_allclose(together.W1[i], alone.W1, rtol=1e-12)
        np.testing.assert_allclose(together.losses[i], alone.losses, rtol=1e-12)


def test_init_needs_a_key_and_equals_jax_random_normal(key):
    with pytest.raises(TypeError):
        network.init(2, 3)  # no silent PRNGKey(0)
    a, b = network.init(2, 3, key=key), network.init(2, 3, key=key)
    c = network.init(2, 3, key=jax.random.fold_in(key, 1), scale=2.0)
    assert a.W1.shape == (3, 3) and a.W2.shape == (4,) and a.losses.shape == (0,)
    np.testing.assert_array_equal(a.W1, b.W1)
    k1, k2 = jax.random.split(key)  # the draws are jax.random.normal's, bit for bit
    np.testing.assert_array_equal(a.W1, jax.random.normal(k1, (3, 3)))
    np.testing.assert_array_equal(a.W2, jax.random.normal(k2, (4,)))
    k1, _ = jax.random.split(jax.random.fold_in(key, 1))
    np.testing.assert_array_equal(c.W1, 2.0 * jax.random.normal(k1, (3, 3)))


def test_float32_without_x64_and_without_warnings(key):
    # the library computes in its inputs' dtype and never asks for float64 on its own
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("error")
        net = network.init(2, 3, key=jax.random.PRNGKey(0))
        x = jnp.ones((5, 2))
        y = jnp.array([0.0, 1.0, 0.0, 1.0, 1.0])
        out = network.fit(net, x, y, learning_rate=0.1, steps=2)
        assert net.W1.dtype == out.W1.dtype == out.losses.dtype == jnp.float32
        assert network.predict(out, x).dtype == network.predict_step(out, x).dtype == jnp.float32
    assert (
        network.forward(
            *(w.astype(jnp.float32) for w in (net.W1, net.W2)), jnp.ones((5, 2), jnp.float32)
        ).dtype
        == jnp.float32
    )


@pytest.mark.parametrize(
    "W1_shape, W2_shape, x_shape, y_shape, match",
    [
        ((3, 3), (3,), (5, 2), (5,), "W2 must have shape"),
        ((3, 3), (4,), (5, 3), (5,), "x must have shape"),
        ((3, 3), (4,), (5, 2), (4,), "y must have shape"),
        ((3,), (4,), (5, 2), (5,), "W1 must be a matrix"),
    ],
)
def test_bad_shapes_raise_usage_error(W1_shape, W2_shape, x_shape, y_shape, match):
    with pytest.raises(UsageError, match=match):
        network.loss(jnp.ones(W1_shape), jnp.ones(W2_shape), jnp.ones(x_shape), jnp.ones(y_shape))


def test_bad_shapes_raise_under_jit_too():
    with pytest.raises(UsageError, match="x must have shape"):
        jax.jit(network.forward)(jnp.ones((3, 3)), jnp.ones(4), jnp.ones((5, 4)))
    with pytest.raises(UsageError, match="need d >= 1"):
        network.init(0, 3, key=jax.random.PRNGKey(0))
