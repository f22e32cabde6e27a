"""The §5 network model: forward pass, activations, the linear collapse, jitted training, input checks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml import models
from jaxml.errors import UsageError
from jaxml.models._network import linear


def _params(key, d=2, hidden=3):
    return models.network_init(d, hidden, key=key)


def test_forward_matches_the_written_model(key):
    W1, W2 = _params(key)
    x = jax.random.normal(jax.random.fold_in(key, 1), (7, 2))
    o = models.network_forward(W1, W2, x)
    # z = W1 [1, x], h = σ(z), o = W2 · [1, h], one example at a time in NumPy
    for i in range(7):
        z = np.asarray(W1) @ np.concatenate([[1.0], np.asarray(x[i])])
        h = 1.0 / (1.0 + np.exp(-z))
        assert np.isclose(o[i], np.asarray(W2) @ np.concatenate([[1.0], h]), rtol=1e-14)


def test_loss_is_the_mean_squared_error(key):
    W1, W2 = _params(key)
    x = jax.random.normal(jax.random.fold_in(key, 1), (9, 2))
    y = (jax.random.uniform(jax.random.fold_in(key, 2), (9,)) > 0.5).astype(jnp.float64)
    o = models.network_forward(W1, W2, x)
    assert np.isclose(models.network_loss(W1, W2, x, y), np.mean((np.asarray(o) - np.asarray(y)) ** 2), rtol=1e-14)


def test_step_threshold_is_1e_minus_10():
    # write-up §5(b): step(z) = 1 if z >= 1e-10 else 0
    z = jnp.array([-1.0, 0.0, 9.9e-11, 1e-10, 2.0])
    assert models.step(z).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_step_network_by_hand():
    # h1 = step(0.5 - x1), h2 = step(0.5 - x2), h3 = step(x1 + x2 - 4); o = step(h1 + h2 + h3 - 0.5)
    W1 = jnp.array([[0.5, -1.0, 0.0], [0.5, 0.0, -1.0], [-4.0, 1.0, 1.0]])
    W2 = jnp.array([-0.5, 1.0, 1.0, 1.0])
    x = jnp.array([[1.0, 1.0], [0.2, 1.0], [1.0, 0.2], [3.0, 3.0], [2.0, 1.9]])
    assert models.step_network_predict(W1, W2, x).tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("hidden", [1, 3, 8])
def test_linear_network_collapses_to_one_linear_map(key, hidden):
    W1, W2 = models.network_init(4, hidden, key=key)
    x = jax.random.normal(jax.random.fold_in(key, 1), (20, 4))
    W_tilde = models.linear_network_collapse(W1, W2)
    assert W_tilde.shape == (5,)
    o_net = models.network_forward(W1, W2, x, activation=linear)
    o_lin = jnp.concatenate([jnp.ones((20, 1)), x], axis=1) @ W_tilde
    np.testing.assert_allclose(o_net, o_lin, rtol=1e-12, atol=1e-12)
    # W̃ = W2[0] e_0 + W2[1:] W1: the intercept passes through
    expected = (W2[1:] @ W1).at[0].add(W2[0])
    np.testing.assert_allclose(W_tilde, expected, rtol=1e-14)


def test_train_is_gradient_descent(key):
    params = _params(key)
    x = jax.random.uniform(jax.random.fold_in(key, 1), (30, 2), maxval=4.0)
    y = (x[:, 0] > 2.0).astype(jnp.float64)
    out, losses = models.network_train(params, x, y, learning_rate=0.1, steps=3)
    assert losses.shape == (3,)
    # the same three steps by hand
    p = params
    for t in range(3):
        loss, g = jax.value_and_grad(lambda q: models.network_loss(q.W1, q.W2, x, y))(p)
        assert np.isclose(losses[t], loss, rtol=1e-13)
        p = models.NetworkParams(p.W1 - 0.1 * g.W1, p.W2 - 0.1 * g.W2)
    np.testing.assert_allclose(out.W1, p.W1, rtol=1e-12)
    np.testing.assert_allclose(out.W2, p.W2, rtol=1e-12)


def test_train_lowers_the_loss(key):
    params = _params(key)
    x = jax.random.uniform(jax.random.fold_in(key, 1), (60, 2), maxval=4.0)
    y = (x[:, 0] + x[:, 1] > 4.0).astype(jnp.float64)
    _, losses = models.network_train(params, x, y, learning_rate=0.3, steps=500)
    assert losses[-1] < 0.5 * losses[0]


def test_init_needs_a_key_and_is_deterministic(key):
    a = models.network_init(2, 3, key=key)
    b = models.network_init(2, 3, key=key)
    c = models.network_init(2, 3, key=jax.random.fold_in(key, 1))
    assert a.W1.shape == (3, 3) and a.W2.shape == (4,)
    np.testing.assert_array_equal(a.W1, b.W1)
    assert not np.allclose(a.W1, c.W1)


def test_float32_stays_float32(key):
    W1, W2 = (w.astype(jnp.float32) for w in _params(key))
    x = jnp.ones((5, 2), jnp.float32)
    assert models.network_forward(W1, W2, x).dtype == jnp.float32
    assert models.step_network_predict(W1, W2, x).dtype == jnp.float32


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
        models.network_loss(jnp.ones(W1_shape), jnp.ones(W2_shape), jnp.ones(x_shape), jnp.ones(y_shape))


def test_bad_shapes_raise_under_jit_too():
    with pytest.raises(UsageError, match="x must have shape"):
        jax.jit(models.network_forward)(jnp.ones((3, 3)), jnp.ones(4), jnp.ones((5, 4)))
