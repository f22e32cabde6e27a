"""Backpropagation through the two-layer sigmoid network of write-up §5(a), by hand, beside the write-up's
formulas exactly as written (eq. 9, eq. 10 and the update of W¹₁,₂), three of which are wrong.

The model (intercepts folded in; ``jaxml.models.network`` gives the shapes), for a batch of n examples::

    z⁽ⁱ⁾ = W1 x̃⁽ⁱ⁾,  h⁽ⁱ⁾ = σ(z⁽ⁱ⁾),  o⁽ⁱ⁾ = W2 · h̃⁽ⁱ⁾,  J⁽ⁱ⁾ = (o⁽ⁱ⁾ − y⁽ⁱ⁾)²,  L = (1/n) Σᵢ J⁽ⁱ⁾

Correct backprop. ∂L/∂J⁽ⁱ⁾ = 1/n for each example, ∂J/∂o = 2(o − y), ∂o/∂W2 = h̃, ∂o/∂h = W2[1:],
∂h/∂z = σ(z)(1 − σ(z)), ∂z/∂W1 = x̃ᵀ, so with δ⁽ⁱ⁾ = (2/n)(o⁽ⁱ⁾ − y⁽ⁱ⁾)::

    ∂L/∂W2 = Σᵢ δ⁽ⁱ⁾ h̃⁽ⁱ⁾                                  (h+1,)       [eq. 9, corrected]
    ∂L/∂W1 = Σᵢ δ⁽ⁱ⁾ (W2[1:] ⊙ σ′(z⁽ⁱ⁾)) x̃⁽ⁱ⁾ᵀ               (h, d+1)     [eq. 10, corrected]

Index convention for the single weight. The course problem calls the weight from input x_i to hidden unit h_j
``w^[1]_{i,j}``; the write-up's update of W¹₁,₂ multiplies by W²₂, the output weight of hidden unit 2, so W¹₁,₂ is
the weight from x₁ into h₂. In code (rows of W1 = hidden units, 0-based; column 0 = intercept, column i = x_i)
that is ``W1[1, 1]``, and W²₂ is ``W2[2]``. Its gradient only reaches L through z₂ = W1[1] · x̃::

    ∂L/∂W¹₁,₂ = (1/n) Σᵢ 2(o⁽ⁱ⁾ − y⁽ⁱ⁾) W²₂ σ′(z₂⁽ⁱ⁾) x₁⁽ⁱ⁾,    z₂⁽ⁱ⁾ = W¹₀,₂ + W¹₁,₂ x₁⁽ⁱ⁾ + W¹₂,₂ x₂⁽ⁱ⁾

The write-up's mistakes (coded below exactly as written, declared as expected failures):

* It sets ∂L/∂J = (1/n)·n = 1, then writes eq. 9 and eq. 10 for one example's (o, y, x). Read as written, they
  are per-example gradients ∂J⁽ⁱ⁾/∂W, not the gradient of the mean L = (1/n) Σ J⁽ⁱ⁾: the 1/n Σ is missing.
* Eq. 10 "2(o − y) W^[2] x σ′(W^[1]x)" is not even shape-consistent: W^[2]x would be an inner product (a scalar,
  and only computable when h = d + 1), and the product then has the shape of z, not of W^[1]. We code the most
  charitable reading, the outer product (W2[1:] ⊙ σ′(z)) x̃ᵀ, and, separately, the literal one.
* The W¹₁,₂ update evaluates σ′ at W¹₁,₂ x⁽ⁱ⁾ instead of at the hidden unit's whole pre-activation z₂⁽ⁱ⁾; it is also
  per-example (superscript (i), no sum). ``writeup_w12_sigma_argument`` isolates the σ′ mistake.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.models import network
from jaxml.testing import draws as _draws
from jaxml.verify import check_gradient, derivation, one_program, verification

N_EXAMPLES = 10  # batch size of the random examples (distinct from d + 1 = 3 and h + 1 = 4)
HIDDEN_UNIT = 2  # the write-up's W¹₁,₂ feeds hidden unit 2 (1-based) ...
INPUT = 1  # ... from input x₁ (1-based; column 0 of W1 is the intercept)
W12_INDEX = (HIDDEN_UNIT - 1, INPUT)  # (1, 1): W¹₁,₂ = W1[1, 1] in code


def _sigmoid_prime(z):
    s = jax.nn.sigmoid(z)
    return s * (1.0 - s)  # σ′(z) = σ(z)(1 − σ(z))


def _example(key, n: int = N_EXAMPLES):
    """A random 2-3-1 network and batch: W1 (3, 3), W2 (4,), x (n, 2), y (n,) in {0, 1}."""
    k1, k2, kx, ky = _draws.split(key, 4)
    W1 = _draws.normal(k1, (3, 3))
    W2 = _draws.normal(k2, (4,))
    x = 1.5 * _draws.normal(kx, (n, 2))
    # Bernoulli(1/2): jax.random.bernoulli's definition
    y = (_draws.uniform(ky, (n,)) < 0.5).astype(W1.dtype)
    return W1, W2, x, y


def network_loss(W1, W2, x, y):
    """L = (1/n) Σᵢ (o⁽ⁱ⁾ − y⁽ⁱ⁾)² of the sigmoid network (:func:`jaxml.models.network.loss`): what eq. 9 and eq. 10
    differentiate.  W1 (h, d+1), W2 (h+1,), x (n, d), y (n,) -> scalar."""
    return network.loss(W1, W2, x, y)


def _forward(W1, W2, x):
    """The forward quantities backprop needs: x̃ (n, d+1), z (n, h), h̃ (n, h+1), o (n,)."""
    x_tilde = network.add_intercept(x)
    z = network.hidden(W1, x)  # z = W1 x̃
    h_tilde = network.add_intercept(jax.nn.sigmoid(z))  # h̃ = [1, σ(z)]
    o = h_tilde @ W2  # o = W2 · h̃
    return x_tilde, z, h_tilde, o


# ----------------------------------------------------------------------------------------------------------
# correct backprop
# ----------------------------------------------------------------------------------------------------------


@derivation(
    of=network_loss,
    argnums=1,
    example=_example,
    name="network dL_dW2",
    equation="§5(a) eq. 9, corrected: ∂L/∂W2",
)
def dL_dW2(W1, W2, x, y):
    """∂L/∂W2 = (2/n) Σᵢ (o⁽ⁱ⁾ − y⁽ⁱ⁾) h̃⁽ⁱ⁾.  W1 (h, d+1), W2 (h+1,), x (n, d), y (n,) -> (h+1,)."""
    _, _, h_tilde, o = _forward(W1, W2, x)
    delta = 2.0 * (o - y) / y.shape[0]  # δ⁽ⁱ⁾ = ∂L/∂o⁽ⁱ⁾ = (1/n) · 2(o⁽ⁱ⁾ − y⁽ⁱ⁾)
    return h_tilde.T @ delta  # Σᵢ δ⁽ⁱ⁾ ∂o⁽ⁱ⁾/∂W2 = Σᵢ δ⁽ⁱ⁾ h̃⁽ⁱ⁾


@derivation(
    of=network_loss,
    argnums=0,
    example=_example,
    name="network dL_dW1",
    equation="§5(a) eq. 10, corrected: ∂L/∂W1",
)
def dL_dW1(W1, W2, x, y):
    """∂L/∂W1 = (2/n) Σᵢ (o⁽ⁱ⁾ − y⁽ⁱ⁾) (W2[1:] ⊙ σ′(z⁽ⁱ⁾)) x̃⁽ⁱ⁾ᵀ.  -> (h, d+1)."""
    x_tilde, z, _, o = _forward(W1, W2, x)
    delta = 2.0 * (o - y) / y.shape[0]  # δ⁽ⁱ⁾ = ∂L/∂o⁽ⁱ⁾
    # ∂L/∂z⁽ⁱ⁾ = δ⁽ⁱ⁾ W2[1:] ⊙ σ′(z⁽ⁱ⁾)   (n, h)
    delta_z = delta[:, None] * W2[1:] * _sigmoid_prime(z)
    return delta_z.T @ x_tilde  # Σᵢ ∂L/∂z⁽ⁱ⁾ x̃⁽ⁱ⁾ᵀ


def loss_of_w12(w12, W1, W2, x, y):
    """L as a function of the single weight W¹₁,₂ = W1[1, 1] (the other entries of W1 held at their values)."""
    return network_loss(W1.at[W12_INDEX].set(w12), W2, x, y)


def _example_w12(key, n: int = N_EXAMPLES):
    """(W¹₁,₂, W1, W2, x, y) of a random network and batch (:func:`_example`)."""
    W1, W2, x, y = _example(key, n)
    return W1[W12_INDEX], W1, W2, x, y


@derivation(
    of=loss_of_w12,
    argnums=0,
    example=_example_w12,
    name="network dL_dW12",
    equation="§5(a) update of W¹₁,₂, corrected (W¹₁,₂ = W1[1, 1]: input x₁ -> hidden unit 2)",
)
def dL_dW12(w12, W1, W2, x, y):
    """∂L/∂W¹₁,₂ = (1/n) Σᵢ 2(o⁽ⁱ⁾ − y⁽ⁱ⁾) W²₂ σ′(z₂⁽ⁱ⁾) x₁⁽ⁱ⁾ with z₂⁽ⁱ⁾ the WHOLE pre-activation of hidden unit 2.

    w12 scalar, W1 (3, 3) (its [1, 1] entry is replaced by w12), W2 (4,), x (n, 2), y (n,) -> scalar.
    """
    W1 = W1.at[W12_INDEX].set(w12)
    x_tilde, z, _, o = _forward(W1, W2, x)
    z2 = z[:, HIDDEN_UNIT - 1]  # z₂⁽ⁱ⁾ = W¹₀,₂ + W¹₁,₂ x₁⁽ⁱ⁾ + W¹₂,₂ x₂⁽ⁱ⁾
    x1 = x_tilde[:, INPUT]  # x₁⁽ⁱ⁾
    return jnp.mean(2.0 * (o - y) * W2[HIDDEN_UNIT] * _sigmoid_prime(z2) * x1)


# ----------------------------------------------------------------------------------------------------------
# the write-up's formulas, as written
# ----------------------------------------------------------------------------------------------------------

_ERRATUM_MEAN = (
    "∂L/∂J is taken as (1/n)·n = 1, so the formula is one example's gradient ∂J⁽ⁱ⁾/∂W; the gradient "
    "of the mean L = (1/n) Σᵢ J⁽ⁱ⁾ is the average of these over the batch (1/n Σᵢ is missing)"
)


@derivation(
    of=network_loss,
    argnums=1,
    example=_example,
    name="writeup_eq9 (as written)",
    equation="write-up §5(a) eq. 9: ∂L/∂W² = 2(o − y) σ(W¹x)",
    expected_failure=True,
    erratum=_ERRATUM_MEAN,
)
def writeup_eq9(W1, W2, x, y):
    """Eq. 9 exactly as written: ∂L/∂W² = 2(o − y) · 1/(1 + e^(−W¹x)), for each example.

    Why per-example: the write-up sets ∂L/∂J = (1/n)·n = 1 and writes the result in one example's o, y, x (its
    W¹₁,₂ update repeats it with a superscript (i) and no sum), so the faithful vectorised reading evaluates it
    example by example and returns the stack. σ(W¹x) is read as h̃ = [1, σ(W¹x̃)] (the intercept unit of h is 1,
    as the write-up folds intercepts into the weights). Returns (n, h+1).
    """
    x_tilde = network.add_intercept(x)
    # [1, 1/(1 + e^(−W¹x))]
    h_tilde = network.add_intercept(1.0 / (1.0 + jnp.exp(-(x_tilde @ W1.T))))
    o = h_tilde @ W2
    return 2.0 * (o - y)[:, None] * h_tilde  # 2(o⁽ⁱ⁾ − y⁽ⁱ⁾) h̃⁽ⁱ⁾, one row per example


@derivation(
    of=network_loss,
    argnums=0,
    example=_example,
    name="writeup_eq10 (as written)",
    equation="write-up §5(a) eq. 10: ∂L/∂W¹ = 2(o − y) W²x e^(−W¹x)/(1 + e^(−W¹x))²",
    expected_failure=True,
    erratum=_ERRATUM_MEAN
    + ". Also, W²x read literally is an inner product and gives the shape of z, "
    "not of W¹; coded here as the charitable outer product (W²[1:] ⊙ σ′(z)) x̃ᵀ",
)
def writeup_eq10(W1, W2, x, y):
    """Eq. 10, charitable reading: ∂L/∂W¹ = 2(o − y) (W² ⊙ e^(−W¹x)/(1 + e^(−W¹x))²) xᵀ, for each example.

    Per-example for the reason given in :func:`writeup_eq9`. "W^[2] x (...)" cannot be a product in the written
    order (see :func:`writeup_eq10_literal`); the shape-consistent reading puts W² (its hidden-unit entries) and
    σ′ on the rows and x̃ on the columns. σ′ is written as e^(−z)/(1 + e^(−z))², as in the write-up.
    Returns (n, h, d+1).
    """
    x_tilde = network.add_intercept(x)
    z = x_tilde @ W1.T  # W¹x
    o = network.add_intercept(1.0 / (1.0 + jnp.exp(-z))) @ W2
    sigma_prime = jnp.exp(-z) / (1.0 + jnp.exp(-z)) ** 2  # e^(−W¹x)/(1 + e^(−W¹x))², as written
    rows = 2.0 * (o - y)[:, None] * W2[1:] * sigma_prime  # 2(o − y) W² ⊙ σ′   (n, h)
    return rows[:, :, None] * x_tilde[:, None, :]  # ⊗ x̃: one (h, d+1) matrix per example


@derivation(
    of=network_loss,
    argnums=0,
    example=_example,
    name="writeup_eq10_literal (as written, literally)",
    equation="write-up §5(a) eq. 10, products in the written order",
    expected_failure=True,
    erratum="2(o − y) W^[2] x σ′(W^[1]x) in the written order: W^[2]x is an inner product of the hidden "
    "weights with the input (defined only because h = d + 1 = 3 here), so the result has the shape of z "
    "(one entry per hidden unit), not of W^[1]",
)
def writeup_eq10_literal(W1, W2, x, y):
    """Eq. 10 with its products taken in the written order, per example: 2(o − y) (W2[1:] · x̃) σ′(W1 x̃).

    Returns (n, h): the shape of z⁽ⁱ⁾ per example, where ∂L/∂W1 has shape (h, d+1).
    """
    x_tilde = network.add_intercept(x)
    z = x_tilde @ W1.T
    o = network.add_intercept(1.0 / (1.0 + jnp.exp(-z))) @ W2
    sigma_prime = jnp.exp(-z) / (1.0 + jnp.exp(-z)) ** 2
    w2_x = x_tilde @ W2[1:]  # "W^[2] x": an inner product, one scalar per example
    return 2.0 * (o - y)[:, None] * w2_x[:, None] * sigma_prime


@derivation(
    of=loss_of_w12,
    argnums=0,
    example=_example_w12,
    name="writeup_w12 (as written)",
    equation="write-up §5(a): ∂L/∂W¹₁,₂ = 2(o⁽ⁱ⁾ − y⁽ⁱ⁾) W²₂ x⁽ⁱ⁾ σ′(W¹₁,₂ x⁽ⁱ⁾)",
    expected_failure=True,
    erratum="σ′ is evaluated at W¹₁,₂ x₁ instead of hidden unit 2's whole pre-activation "
    "z₂ = W¹₀,₂ + W¹₁,₂ x₁ + W¹₂,₂ x₂; and the formula is per-example (no 1/n Σᵢ). "
    "See writeup_w12_sigma_argument for the check that isolates the σ′ mistake",
)
def writeup_w12(w12, W1, W2, x, y):
    """The write-up's W¹₁,₂ gradient exactly as written, for each example (x⁽ⁱ⁾ read as the input x₁⁽ⁱ⁾ the weight
    multiplies):

        2(o⁽ⁱ⁾ − y⁽ⁱ⁾) W²₂ x₁⁽ⁱ⁾ e^(−W¹₁,₂ x₁⁽ⁱ⁾) / (1 + e^(−W¹₁,₂ x₁⁽ⁱ⁾))².

    Same arguments as :func:`dL_dW12`; returns (n,): one value per example.
    """
    W1 = W1.at[W12_INDEX].set(w12)
    _, _, _, o = _forward(W1, W2, x)
    x1 = x[:, INPUT - 1]  # x₁⁽ⁱ⁾ (x has no intercept column)
    u = w12 * x1  # W¹₁,₂ x⁽ⁱ⁾ — the argument the write-up gives σ′
    return 2.0 * (o - y) * W2[HIDDEN_UNIT] * x1 * jnp.exp(-u) / (1.0 + jnp.exp(-u)) ** 2


# ----------------------------------------------------------------------------------------------------------
# naming the W¹₁,₂ mistake: where the other terms of z₂ vanish, the as-written formula is right
# ----------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class W12Report:
    """What :func:`writeup_w12_sigma_argument` found (the fields ``jaxml verify`` reads, plus the three checks)."""

    ok: bool
    points: int
    max_abs_error: float
    max_rel_error: float
    diagnosis: str | None
    restricted: object  # GradientReport: one example, z₂ = W¹₁,₂ x₁ (bias 0, x₂ = 0)
    general: object  # GradientReport: one example, general z₂
    batch: object  # GradientReport: n examples, z₂ = W¹₁,₂ x₁ for each
    tolerance: str = "rtol 1e-09"
    compares: str = "as-written W¹₁,₂ formula vs jax.grad of L at three kinds of point"


def _restrict(W1, x):
    """Make z₂ = W¹₁,₂ x₁: zero hidden unit 2's intercept W¹₀,₂ and every example's other input x₂."""
    return W1.at[HIDDEN_UNIT - 1, 0].set(0.0), x.at[:, 1].set(0.0)


# a stack of (W1, x); setting entries to 0 is exact, so jit is safe
_restrict_stack = jax.jit(jax.vmap(_restrict))


def _writeup_w12_single(w12, W1, W2, x, y):
    """:func:`writeup_w12` for one example (n = 1): its single entry, a scalar like the gradient."""
    return writeup_w12(w12, W1, W2, x, y)[0]


@one_program
def _sigma_argument_points(keys) -> dict:
    """The three kinds of point of :func:`writeup_w12_sigma_argument`, one stack per kind: "restricted" (n = 1,
    z₂ = W¹₁,₂ x₁), "general" (n = 1), "batch" (n examples, z₂ = W¹₁,₂ x₁ for each); one compiled program."""
    one = jax.vmap(lambda k: _example_w12(k, n=1))(keys)
    batch = jax.vmap(_example_w12)(keys)

    def restricted(w12, W1, W2, x, y):
        W1, x = _restrict_stack(W1, x)
        return w12, W1, W2, x, y

    return {"restricted": restricted(*one), "general": tuple(one), "batch": restricted(*batch)}


@verification(
    linear_algebra=False,  # no solve / eigh: may run beside another entry
    name="writeup_w12_sigma_argument",
    expected_failure=True,
    equation="write-up §5(a): ∂L/∂W¹₁,₂ as written",
    compares="as-written W¹₁,₂ vs jax.grad: 1 example with z₂ = W¹₁,₂x₁; 1 general; n with z₂ = W¹₁,₂x₁",
    erratum="σ′ must be evaluated at z₂ = W¹₀,₂ + W¹₁,₂ x₁ + W¹₂,₂ x₂, not at W¹₁,₂ x₁",
)
def writeup_w12_sigma_argument(points: int, key) -> W12Report:
    """Isolate the σ′ mistake in the write-up's W¹₁,₂ formula by choosing where to evaluate it.

    1. one example (n = 1, so mean = per-example) with W¹₀,₂ = 0 and x₂ = 0, where z₂ = W¹₁,₂ x₁: the as-written
       formula must match autodiff exactly;
    2. one example at general points: it must not (only σ′'s argument differs from 1.);
    3. n examples, each with z₂ = W¹₁,₂ x₁: per-example values whose mean is the gradient.
    The check "fails" (as expected) when 1. passes and 2. fails; its diagnosis names the mistake.
    """
    points_at = _sigma_argument_points(_draws.split(key, points))
    reports = {}
    for label, at in points_at.items():
        first = tuple(np.asarray(a)[0] for a in at)  # shapes only: NumPy, no compiled indexing
        # the as-written value is per example; with n = 1 compare its single entry with the scalar gradient
        grad = _writeup_w12_single if label != "batch" else writeup_w12
        reports[label] = check_gradient(
            loss_of_w12, grad, *first, at=at, name=f"writeup_w12 ({label})"
        )
    r, g, b = reports["restricted"], reports["general"], reports["batch"]
    named = r.ok and not g.ok
    if named:
        diagnosis = (
            f"σ′ evaluated at W¹₁,₂x₁ instead of the hidden unit's whole pre-activation z₂ = W¹₀,₂ + W¹₁,₂x₁ + "
            f"W¹₂,₂x₂: with one example where W¹₀,₂ = 0 and x₂ = 0 (so z₂ = W¹₁,₂x₁) it matches autodiff "
            f"(max rel error {r.max_rel_error:.1e}), at general points it does not (max rel error "
            f"{g.max_rel_error:.2g}); and it is per-example: on {N_EXAMPLES} examples with z₂ = W¹₁,₂x₁ the "
            f"verifier says: {b.diagnosis}"
        )
    else:
        diagnosis = (
            f"the σ′-argument pattern was NOT found: one example with z₂ = W¹₁,₂x₁ -> "
            f"{r.diagnosis or 'pass'}; "
            f"general -> {g.diagnosis or 'pass'}"
        )
    return W12Report(
        ok=not named,
        points=points,
        max_abs_error=g.max_abs_error,
        max_rel_error=g.max_rel_error,
        diagnosis=diagnosis,
        restricted=r,
        general=g,
        batch=b,
    )
