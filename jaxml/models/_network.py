"""The write-up's two-layer network (§5): sigmoid, step and linear activations, and its jitted training.

The model, intercepts folded into the weights (write-up §5(a))::

    x̃ = [1, x_1, ..., x_d]              (d+1,)     input with its intercept entry
    z = W1 x̃                            (h,)       W1: (h, d+1), row j-1 = hidden unit j, column i = input i
    h = σ(z),  h̃ = [1, h_1, ..., h_h]   (h+1,)
    o = W2 · h̃                          scalar     W2: (h+1,), W2[0] = output intercept, W2[j] = hidden unit j
    J = (o - y)^2,   L = (1/n) Σ_i J^(i)

Index convention. In code W1[j-1, i] is the weight from input x_i (i = 0 is the intercept) into hidden unit
h_j (1-based j, as the write-up numbers hidden units), and W2[j] the weight from h_j to the output. The
course problem names the weight from x_i to h_j ``w^[1]_{i,j}``; the write-up's ``W^[1]_{1,2}`` (whose update
uses ``W^[2]_2``, so it feeds hidden unit 2) is therefore ``W1[1, 1]`` here (hidden unit 2, input x_1).

Every function takes an explicit leading batch axis: ``x`` is (n, d), outputs are (n,). Everything computes in
the dtype of its inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from .. import _bucketed_random as _random
from ..errors import UsageError

#: The write-up's step activation (§5(b)): step(z) = 1 if z >= STEP_THRESHOLD else 0.
STEP_THRESHOLD = 1e-10

Activation = Callable[[jax.Array], jax.Array]


class Network(NamedTuple):
    """A two-layer network: its weights, and the loss history of the :func:`fit` call that produced it.

    Attributes:
      W1: (h, d+1) first-layer weights, column 0 the intercepts.
      W2: (h+1,) second-layer weights, entry 0 the intercept.
      losses: (steps,) L before each gradient step of the last :func:`fit`; (0,) from :func:`init`.
    """

    W1: jax.Array
    W2: jax.Array
    losses: jax.Array


# ----------------------------------------------------------------------------------------------------------
# input checks (shapes are static, so these also run under jit)
# ----------------------------------------------------------------------------------------------------------


def _check_weights(W1, W2) -> None:
    if jnp.ndim(W1) != 2:
        raise UsageError(f"W1 must be a matrix (h, d+1); got shape {jnp.shape(W1)}")
    if jnp.ndim(W2) != 1 or jnp.shape(W2)[0] != jnp.shape(W1)[0] + 1:
        raise UsageError(
            f"W2 must have shape (h+1,) = ({jnp.shape(W1)[0] + 1},) for W1 of shape {jnp.shape(W1)}; "
            f"got {jnp.shape(W2)}"
        )


def _check_inputs(W1, x, y=None) -> None:
    if jnp.ndim(x) != 2 or jnp.shape(x)[1] + 1 != jnp.shape(W1)[1]:
        raise UsageError(
            f"x must have shape (n, d) with d + 1 = {jnp.shape(W1)[1]} (W1 is {jnp.shape(W1)}); "
            f"got {jnp.shape(x)}"
        )
    if y is not None and jnp.shape(y) != (jnp.shape(x)[0],):
        raise UsageError(f"y must have shape (n,) = ({jnp.shape(x)[0]},); got {jnp.shape(y)}")


# ----------------------------------------------------------------------------------------------------------
# activations and the forward pass
# ----------------------------------------------------------------------------------------------------------


def add_intercept(x: jax.Array) -> jax.Array:
    """Prepend a column of ones: x̃ = [1, x].

    Args:
      x: (n, d) inputs (or (..., d): the last axis is extended).

    Returns:
      (n, d+1) JAX array in x's dtype, column 0 all ones.
    """
    return jnp.concatenate([jnp.ones(x.shape[:-1] + (1,), x.dtype), x], axis=-1)


def step(z: jax.Array) -> jax.Array:
    """The write-up's step activation (§5(b)): step(z) = 1 if z >= 1e-10 else 0, elementwise.

    Args:
      z: array of any shape.

    Returns:
      array of z's shape and dtype, entries 0 or 1.
    """
    one, zero = jnp.ones((), z.dtype), jnp.zeros((), z.dtype)
    return jnp.where(z >= STEP_THRESHOLD, one, zero)


def linear(z: jax.Array) -> jax.Array:
    """The identity activation (§5(c)).

    Args:
      z: array of any shape.

    Returns:
      z itself.
    """
    return z


def hidden(W1: jax.Array, x: jax.Array) -> jax.Array:
    """Pre-activations of the hidden layer, z = W1 x̃, for a batch.

    Args:
      W1: (h, d+1) first-layer weights, column 0 the intercepts.
      x: (n, d) inputs, without the intercept column.

    Returns:
      z: (n, h).
    """
    return add_intercept(x) @ W1.T  # z^(i) = W1 x̃^(i)


def forward(
    W1: jax.Array, W2: jax.Array, x: jax.Array, *, activation: Activation = jax.nn.sigmoid
) -> jax.Array:
    """The network's output o = W2 · [1, activation(W1 x̃)] for a batch (write-up §5(a)).

    Args:
      W1: (h, d+1) first-layer weights, column 0 the intercepts.
      W2: (h+1,) second-layer weights, entry 0 the intercept.
      x: (n, d) inputs, without the intercept column.
      activation: the hidden activation: ``jax.nn.sigmoid`` (§5(a), default), :func:`step` (§5(b)) or
        :func:`linear` (§5(c)).

    Returns:
      o: (n,) the (pre-threshold) outputs.
    """
    _check_weights(W1, W2)
    _check_inputs(W1, x)
    z = hidden(W1, x)  # z = W1 x̃
    h = activation(z)  # h = σ(z)
    return add_intercept(h) @ W2  # o = W2 h̃


def loss(
    W1: jax.Array,
    W2: jax.Array,
    x: jax.Array,
    y: jax.Array,
    *,
    activation: Activation = jax.nn.sigmoid,
) -> jax.Array:
    """The write-up's loss L = (1/n) Σ_i (o^(i) - y^(i))^2 (the sigmoid network unless ``activation`` says).

    Args:
      W1: (h, d+1) first-layer weights.
      W2: (h+1,) second-layer weights.
      x: (n, d) inputs, without the intercept column.
      y: (n,) targets in {0, 1}.
      activation: the hidden activation (see :func:`forward`); default ``jax.nn.sigmoid``.

    Returns:
      L, a scalar.
    """
    _check_weights(W1, W2)
    _check_inputs(W1, x, y)
    o = forward(W1, W2, x, activation=activation)
    return jnp.mean((o - y) ** 2)  # L = (1/n) Σ J^(i), J = (o - y)^2


def predict(net: Network, x: jax.Array, *, activation: Activation = jax.nn.sigmoid) -> jax.Array:
    """Class labels of a network trained on squared loss to {0, 1}: 1 where o >= 1/2.

    Args:
      net: a :class:`Network`.
      x: (n, d) inputs, without the intercept column.
      activation: the hidden activation (see :func:`forward`); default ``jax.nn.sigmoid``.

    Returns:
      (n,) labels 0.0 / 1.0, in o's dtype.
    """
    o = forward(net.W1, net.W2, x, activation=activation)
    return (o >= 0.5).astype(o.dtype)


def predict_step(net: Network, x: jax.Array) -> jax.Array:
    """Class labels of the all-step network of §5(b): step(W2 · [1, step(W1 x̃)]).

    Args:
      net: a :class:`Network` (e.g. the write-up's hand-set weights).
      x: (n, d) inputs, without the intercept column.

    Returns:
      (n,) labels 0.0 / 1.0, in x's dtype.
    """
    return step(forward(net.W1, net.W2, x, activation=step))  # the output unit is a step too


def collapse(net: Network) -> jax.Array:
    """The single linear map a linear-activation network collapses to (write-up §5(c)): W̃ = W2 W1.

    With intercepts folded in, h̃ = [1; W1 x̃] = Ŵ1 x̃ with Ŵ1 = [e_0ᵀ; W1] (the extra row passes the 1 through),
    so o = W2 Ŵ1 x̃ = W̃ x̃ with W̃ = W2 Ŵ1 = W2[0] e_0 + W2[1:] W1 -- the write-up's W̃ = W^[2] W^[1].

    Args:
      net: a :class:`Network` with W1 (h, d+1), W2 (h+1,).

    Returns:
      W_tilde: (d+1,), entry 0 the intercept, so that o = W_tilde · x̃.
    """
    W1, W2 = net.W1, net.W2
    _check_weights(W1, W2)
    # Ŵ1 = [e_0ᵀ; W1]
    W1_hat = jnp.concatenate([jnp.eye(1, W1.shape[1], dtype=W1.dtype), W1], axis=0)
    return W2 @ W1_hat  # W̃ = W2 Ŵ1


# ----------------------------------------------------------------------------------------------------------
# initialisation and training: full-batch gradient descent, jitted, lax.scan over steps
# ----------------------------------------------------------------------------------------------------------


def init(d: int, hidden: int, *, key: jax.Array, scale: float = 1.0, dtype=None) -> Network:
    """Random initial weights, every entry N(0, scale^2).

    The draws equal ``jax.random.normal``'s, made through ``jaxml._random`` (one compiled program per size bucket,
    so initialising many networks, or networks of several sizes, compiles no new program).

    Args:
      d: number of inputs (without the intercept).
      hidden: number of hidden units h.
      key: PRNG key (keyword-only, required; split here, never reused).
      scale: standard deviation of the entries; default 1.0.
      dtype: float dtype of the weights; default None: JAX's default float dtype.

    Returns:
      Network(W1 (hidden, d+1), W2 (hidden+1,), losses (0,)).
    """
    if d < 1 or hidden < 1:
        raise UsageError(f"need d >= 1 and hidden >= 1; got d={d}, hidden={hidden}")
    dtype = jnp.zeros(0).dtype if dtype is None else jnp.dtype(dtype)
    k1, k2 = jax.random.split(key)
    W1 = _random.normal(k1, (hidden, d + 1), dtype)
    W2 = _random.normal(k2, (hidden + 1,), dtype)
    if scale != 1.0:  # (a scale of 1 leaves the draws as they are)
        W1, W2 = scale * W1, scale * W2
    return Network(W1, W2, jnp.zeros((0,), dtype))


@functools.partial(jax.jit, static_argnames=("steps", "activation"))
def fit(
    net: Network,
    x: jax.Array,
    y: jax.Array,
    *,
    learning_rate: float,
    steps: int,
    activation: Activation = jax.nn.sigmoid,
) -> Network:
    """``steps`` steps of full-batch gradient descent on the network's loss, from ``net`` (write-up §5(a)).

    W1 := W1 - α ∂L/∂W1,  W2 := W2 - α ∂L/∂W2, with L the mean squared error (gradients by autodiff; the hand
    backprop is verified against it in ``derivations/network.py``). Jitted, one ``lax.scan`` over the steps:
    call it again on its result to continue (in chunks, to report progress between them); ``jax.vmap`` it
    over a stack of networks to train random restarts together.

    Args:
      net: the starting :class:`Network` (its ``losses`` are ignored).
      x: (n, d) inputs, without the intercept column.
      y: (n,) targets in {0, 1}.
      learning_rate: α (keyword-only, required: no step suits every network).
      steps: number of steps (keyword-only, required; static).
      activation: the hidden activation (static); default ``jax.nn.sigmoid``, as §5(a).

    Returns:
      Network after the steps, with ``losses`` (steps,) = L before each step.
    """
    _check_weights(net.W1, net.W2)
    _check_inputs(net.W1, x, y)
    value_and_grad = jax.value_and_grad(lambda p: loss(p[0], p[1], x, y, activation=activation))

    def gd_step(p, _):
        L, g = value_and_grad(p)
        p = jax.tree.map(lambda w, gw: w - learning_rate * gw, p, g)  # W := W - α ∂L/∂W
        return p, L

    (W1, W2), losses = jax.lax.scan(gd_step, (net.W1, net.W2), None, length=steps)
    return Network(W1, W2, losses)
