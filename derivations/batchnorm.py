"""Backpropagation through batch normalisation (write-up §6, eq. 11-16), by hand.

For a batch x (m, d), per feature j (all products ⊙, all sums over the m examples)::

    μ = (1/m) Σᵢ x⁽ⁱ⁾                              (eq. 11)
    v = (1/m) Σᵢ (x⁽ⁱ⁾ − μ)²                       (eq. 12)
    x̂⁽ⁱ⁾ = (x⁽ⁱ⁾ − μ) / √(v + ε)                   (eq. 13; the write-up has ε = 0)
    y⁽ⁱ⁾ = γ ⊙ x̂⁽ⁱ⁾ + β                             (eq. 14)
    L = L(y⁽¹⁾, ..., y⁽ᵐ⁾)

With dy⁽ⁱ⁾ = ∂L/∂y⁽ⁱ⁾ (the downstream gradient) the write-up derives, and we code::

    ∂L/∂β = Σᵢ dy⁽ⁱ⁾                                §6(a)
    ∂L/∂γ = Σᵢ dy⁽ⁱ⁾ ⊙ x̂⁽ⁱ⁾                         §6(a)
    ∂L/∂x̂⁽ⁱ⁾ = dy⁽ⁱ⁾ ⊙ γ                            §6(a)
    ∂L/∂v = Σᵢ ∂L/∂x̂⁽ⁱ⁾ ⊙ (x⁽ⁱ⁾ − μ) ⊙ (−½)(v + ε)^(−3/2)          §6(b)  (μ held fixed)
    ∂L/∂μ = −(v + ε)^(−1/2) ⊙ Σᵢ ∂L/∂x̂⁽ⁱ⁾ + ∂L/∂v ⊙ (−2/m) Σᵢ (x⁽ⁱ⁾ − μ)   §6(c)  (total: v = v(μ) too)
    ∂L/∂x⁽ⁱ⁾ = (v + ε)^(−1/2) ⊙ ∂L/∂x̂⁽ⁱ⁾ + (2/m)(x⁽ⁱ⁾ − μ) ⊙ ∂L/∂v + (1/m) ∂L/∂μ     (eq. 15-16)

The v-path of ∂L/∂μ vanishes at the batch mean: Σᵢ (x⁽ⁱ⁾ − μ) = m μ − m μ = 0 when μ = (1/m) Σᵢ x⁽ⁱ⁾, which is how
the write-up's §6(c) ends at −(1/√v) Σᵢ ∂L/∂x̂⁽ⁱ⁾ and why the first term of eq. 15 is 0. Substituting ∂L/∂v and
∂L/∂μ into eq. 16 (with x − μ = √(v+ε) x̂) gives the fused form the layer's backward pass uses::

    ∂L/∂x = (γ / √(v + ε)) / m ⊙ (m dy − Σᵢ dy⁽ⁱ⁾ − x̂ ⊙ Σᵢ dy⁽ⁱ⁾ ⊙ x̂⁽ⁱ⁾)

Intermediate quantities (x̂, v, μ) are checked by writing L as a function of them as independent inputs (e.g.
y = γ (x − μ)/√(v + ε) + β with μ and v free), so that jax.grad with respect to that argument is the reference.
The downstream loss is generic, L(y) = Σ c ⊙ tanh(y) + ½ ‖A vec(y)‖² with random c (m, d) and A (k, m·d): it couples
every entry of y with every other, so no shortcut of a particular L can hide a mistake.

The write-up's §6 is right (we found no erratum): each formula below is its formula, and each passes.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.models import batchnorm
from jaxml.testing import draws as _draws
from jaxml.verify import check_gradient, derivation, one_program, verification

# the declared checks' batch size m, features d, and rows of A in the downstream loss
M, D, K = (
    6,
    4,
    5,
)
SHAPES = ((3, 1), (6, 4), (64, 16))  # batches m × d that :func:`check_shapes` covers
# (m = 2 is degenerate: x̂ = ±1 whatever x is, so ∂L/∂x ≡ 0 and a relative error is rounding noise over noise)


# ----------------------------------------------------------------------------------------------------------
# random examples, for any batch shape m × d
# ----------------------------------------------------------------------------------------------------------


def examples_for(m: int, d: int, k: int = K) -> dict:
    """The example makers ``example(key) -> args`` of every check, for batches of shape (m, d).

    Keys: "layer" -> (x (m, d), gamma (d,), beta (d,), c (m, d), A (k, m·d)); "y" -> (y, c, A); "x_hat" ->
    (x̂, gamma, beta, c, A); "mu_v" -> (x, μ, v, gamma, beta, c, A) at general μ and v > 0; "mu_general" and
    "mu_batch_mean" -> (x, μ, gamma, beta, c, A) with μ general or μ = the batch mean.
    """

    def layer(key):
        kx, ks, ko, kg, kb, kc, ka = _draws.split(key, 7)
        # features of different scales and offsets, so v and μ differ per feature
        x = _draws.normal(kx, (m, d)) * jnp.exp(_draws.normal(ks, (d,))) + 3.0 * _draws.normal(
            ko, (d,)
        )
        gamma = _draws.normal(kg, (d,))
        beta = _draws.normal(kb, (d,))
        c = _draws.normal(kc, (m, d))
        A = _draws.normal(ka, (k, m * d)) / jnp.sqrt(m * d)
        return x, gamma, beta, c, A

    def y(key):
        x, _, _, c, A = layer(key)
        return x, c, A  # any (m, d) array serves as y

    def x_hat(key):
        x, gamma, beta, c, A = layer(key)
        return batchnorm.stats(x)[2], gamma, beta, c, A

    def mu_v(key):
        # general (μ, v): the batch mean plus noise, the batch variance times a random factor in (1/e, e)
        k0, kmu, kv = _draws.split(key, 3)
        x, gamma, beta, c, A = layer(k0)
        mu, v, _ = batchnorm.stats(x)
        mu = mu + jnp.sqrt(v) * _draws.normal(kmu, mu.shape)
        v = v * jnp.exp(_draws.uniform(kv, v.shape, minval=-1.0, maxval=1.0))
        return x, mu, v, gamma, beta, c, A

    def mu_general(key):
        x, mu, _, gamma, beta, c, A = mu_v(key)
        return x, mu, gamma, beta, c, A

    def mu_batch_mean(key):
        x, gamma, beta, c, A = layer(key)
        return x, jnp.mean(x, axis=0), gamma, beta, c, A  # μ = (1/m) Σᵢ x⁽ⁱ⁾ (eq. 11)

    return {
        "layer": layer,
        "y": y,
        "x_hat": x_hat,
        "mu_v": mu_v,
        "mu_general": mu_general,
        "mu_batch_mean": mu_batch_mean,
    }


_EXAMPLES = examples_for(M, D)

#: Every gradient formula of this module: (hand formula, the loss it differentiates, argnums, example kind).
FORMULAS: list[tuple] = []


def _declare(*, of, argnums, example: str, equation: str):
    """@derivation with this module's (m, d) = (M, D) example, and a FORMULAS entry for :func:`check_shapes`."""

    def wrap(fn):
        FORMULAS.append((fn, of, argnums, example))
        return derivation(
            of=of,
            argnums=argnums,
            example=_EXAMPLES[example],
            name=f"batchnorm {fn.__name__}",
            equation=equation,
        )(fn)

    return wrap


# ----------------------------------------------------------------------------------------------------------
# the generic downstream loss L(y) and its gradient dy = ∂L/∂y
# ----------------------------------------------------------------------------------------------------------


def downstream_loss(y, c, A):
    """L(y) = Σ c ⊙ tanh(y) + ½ ‖A vec(y)‖².  y (m, d), c (m, d), A (k, m·d) -> scalar."""
    Ay = A @ y.reshape(-1)
    return jnp.sum(c * jnp.tanh(y)) + 0.5 * Ay @ Ay


@_declare(
    of=downstream_loss,
    argnums=0,
    example="y",
    equation="§6: the downstream loss used by every check",
)
def downstream_grad(y, c, A):
    """dy = ∂L/∂y = c ⊙ (1 − tanh²(y)) + unvec(Aᵀ A vec(y)).  -> (m, d)."""
    return c * (1.0 - jnp.tanh(y) ** 2) + (A.T @ (A @ y.reshape(-1))).reshape(y.shape)


# ----------------------------------------------------------------------------------------------------------
# ∂L/∂β, ∂L/∂γ (§6(a)), ∂L/∂x (eq. 16): L as a function of the layer's inputs
# ----------------------------------------------------------------------------------------------------------


def bn_loss(x, gamma, beta, c, A):
    """L(BN(x; γ, β)) with the plain forward (eq. 11-14, ε = 0) and the generic downstream loss."""
    return downstream_loss(batchnorm.reference(x, gamma, beta), c, A)


def _dy(x, gamma, beta, c, A):
    """The pieces every formula needs: μ, v, x̂ and dy = ∂L/∂y at y = γ ⊙ x̂ + β."""
    mu, v, x_hat = batchnorm.stats(x)
    return mu, v, x_hat, downstream_grad(gamma * x_hat + beta, c, A)


@_declare(of=bn_loss, argnums=2, example="layer", equation="write-up §6(a): ∂L/∂β = Σᵢ ∂L/∂y⁽ⁱ⁾")
def dL_dbeta(x, gamma, beta, c, A):
    """∂L/∂β = Σᵢ dy⁽ⁱ⁾ (∂y⁽ⁱ⁾/∂β = I for every example).  -> (d,)."""
    _, _, _, dy = _dy(x, gamma, beta, c, A)
    return jnp.sum(dy, axis=0)


@_declare(
    of=bn_loss, argnums=1, example="layer", equation="write-up §6(a): ∂L/∂γ = Σᵢ ∂L/∂y⁽ⁱ⁾ ⊙ x̂⁽ⁱ⁾"
)
def dL_dgamma(x, gamma, beta, c, A):
    """∂L/∂γ = Σᵢ dy⁽ⁱ⁾ ⊙ x̂⁽ⁱ⁾ (∂y⁽ⁱ⁾/∂γ = diag(x̂⁽ⁱ⁾)).  -> (d,)."""
    _, _, x_hat, dy = _dy(x, gamma, beta, c, A)
    return jnp.sum(dy * x_hat, axis=0)


def dL_dv_formula(dx_hat, x, mu, v):
    """§6(b): ∂L/∂v = Σᵢ ∂L/∂x̂⁽ⁱ⁾ ⊙ (x⁽ⁱ⁾ − μ) ⊙ (−½) v^(−3/2).  -> (d,)."""
    return jnp.sum(dx_hat * (x - mu), axis=0) * (-0.5) * v**-1.5


def dL_dmu_formula(dx_hat, x, mu, v):
    """§6(c), total: ∂L/∂μ = −v^(−1/2) Σᵢ ∂L/∂x̂⁽ⁱ⁾ + ∂L/∂v ⊙ ∂v/∂μ, with ∂v/∂μ = (−2/m) Σᵢ (x⁽ⁱ⁾ − μ).  -> (d,)."""
    m = x.shape[0]
    direct = -jnp.sum(dx_hat, axis=0) / jnp.sqrt(v)  # through x̂ directly
    v_path = dL_dv_formula(dx_hat, x, mu, v) * (-2.0 / m) * jnp.sum(x - mu, axis=0)  # through v(μ)
    return direct + v_path


@_declare(
    of=bn_loss, argnums=0, example="layer", equation="write-up eq. 16: ∂L/∂x⁽ⁱ⁾, term by term"
)
def dL_dx(x, gamma, beta, c, A):
    """Eq. 16: ∂L/∂x⁽ⁱ⁾ = ∂L/∂x̂⁽ⁱ⁾/√v + (2/m)(x⁽ⁱ⁾ − μ) ⊙ ∂L/∂v + (1/m) ∂L/∂μ.  -> (m, d)."""
    mu, v, _, dy = _dy(x, gamma, beta, c, A)
    m = x.shape[0]
    dx_hat = dy * gamma  # ∂L/∂x̂⁽ⁱ⁾ = dy⁽ⁱ⁾ ⊙ γ
    dv = dL_dv_formula(dx_hat, x, mu, v)  # §6(b)
    dmu = dL_dmu_formula(dx_hat, x, mu, v)  # §6(c) (its v-path is 0 here: μ is the batch mean)
    return dx_hat / jnp.sqrt(v) + 2.0 * (x - mu) / m * dv + dmu / m  # eq. 16


@_declare(
    of=bn_loss,
    argnums=0,
    example="layer",
    equation="eq. 16 fused: (γ/√v)/m ⊙ (m dy − Σᵢ dy⁽ⁱ⁾ − x̂ ⊙ Σᵢ dy⁽ⁱ⁾ ⊙ x̂⁽ⁱ⁾)",
)
def dL_dx_fused(x, gamma, beta, c, A):
    """∂L/∂x = (γ/√v)/m ⊙ (m dy − Σᵢ dy⁽ⁱ⁾ − x̂ ⊙ Σᵢ dy⁽ⁱ⁾ ⊙ x̂⁽ⁱ⁾): eq. 16 with ∂L/∂v, ∂L/∂μ substituted.

    This is :func:`jaxml.models.batchnorm.backward`, the layer's backward pass.  -> (m, d).
    """
    _, v, x_hat, dy = _dy(x, gamma, beta, c, A)
    dx, _, _ = batchnorm.backward(x_hat, 1.0 / jnp.sqrt(v), gamma, dy)
    return dx


# ----------------------------------------------------------------------------------------------------------
# ∂L/∂x̂ (§6(a)): L as a function of x̂
# ----------------------------------------------------------------------------------------------------------


def loss_of_x_hat(x_hat, gamma, beta, c, A):
    """L(γ ⊙ x̂ + β) with x̂ (m, d) an independent input."""
    return downstream_loss(gamma * x_hat + beta, c, A)


@_declare(
    of=loss_of_x_hat, argnums=0, example="x_hat", equation="write-up §6(a): ∂L/∂x̂⁽ⁱ⁾ = ∂L/∂y⁽ⁱ⁾ ⊙ γ"
)
def dL_dx_hat(x_hat, gamma, beta, c, A):
    """∂L/∂x̂⁽ⁱ⁾ = dy⁽ⁱ⁾ ⊙ γ.  -> (m, d)."""
    return downstream_grad(gamma * x_hat + beta, c, A) * gamma


# ----------------------------------------------------------------------------------------------------------
# ∂L/∂v (§6(b)) and the partial ∂L/∂μ: L as a function of independent (μ, v), x fixed
# ----------------------------------------------------------------------------------------------------------


def loss_of_mu_v(x, mu, v, gamma, beta, c, A):
    """L(γ ⊙ (x − μ)/√v + β) with μ (d,) and v (d,) independent inputs (x fixed)."""
    return downstream_loss(gamma * (x - mu) / jnp.sqrt(v) + beta, c, A)


@_declare(
    of=loss_of_mu_v,
    argnums=2,
    example="mu_v",
    equation="write-up §6(b): ∂L/∂v = Σᵢ (∂L/∂y⁽ⁱ⁾ ⊙ γ)(−½)(x⁽ⁱ⁾ − μ) v^(−3/2)",
)
def dL_dv(x, mu, v, gamma, beta, c, A):
    """∂L/∂v = Σᵢ ∂L/∂x̂⁽ⁱ⁾ ⊙ (x⁽ⁱ⁾ − μ) ⊙ (−½) v^(−3/2), μ held fixed.  -> (d,)."""
    dx_hat = downstream_grad(gamma * (x - mu) / jnp.sqrt(v) + beta, c, A) * gamma
    return dL_dv_formula(dx_hat, x, mu, v)


@_declare(
    of=loss_of_mu_v,
    argnums=1,
    example="mu_v",
    equation="§6(c), direct path only (v held fixed): ∂L/∂μ|_v = −(1/√v) Σᵢ ∂L/∂x̂⁽ⁱ⁾",
)
def dL_dmu_partial(x, mu, v, gamma, beta, c, A):
    """∂L/∂μ with v independent: −(1/√v) ⊙ Σᵢ ∂L/∂x̂⁽ⁱ⁾.  -> (d,)."""
    dx_hat = downstream_grad(gamma * (x - mu) / jnp.sqrt(v) + beta, c, A) * gamma
    return -jnp.sum(dx_hat, axis=0) / jnp.sqrt(v)


# ----------------------------------------------------------------------------------------------------------
# the TOTAL ∂L/∂μ (§6(c)): v = v(μ) = (1/m) Σᵢ (x⁽ⁱ⁾ − μ)², x fixed
# ----------------------------------------------------------------------------------------------------------


def loss_of_mu(x, mu, gamma, beta, c, A):
    """L(γ ⊙ (x − μ)/√v(μ) + β) with v(μ) = (1/m) Σᵢ (x⁽ⁱ⁾ − μ)² (eq. 12 as a function of μ), μ (d,) free."""
    v = jnp.mean((x - mu) ** 2, axis=0)
    return downstream_loss(gamma * (x - mu) / jnp.sqrt(v) + beta, c, A)


def _dx_hat_of_mu(x, mu, gamma, beta, c, A):
    v = jnp.mean((x - mu) ** 2, axis=0)  # v(μ)
    dx_hat = downstream_grad(gamma * (x - mu) / jnp.sqrt(v) + beta, c, A) * gamma
    return dx_hat, v


@_declare(
    of=loss_of_mu,
    argnums=1,
    example="mu_general",
    equation="write-up §6(c), first line: total ∂L/∂μ, both paths, at any μ",
)
def dL_dmu_total(x, mu, gamma, beta, c, A):
    """∂L/∂μ = −(1/√v) Σᵢ ∂L/∂x̂⁽ⁱ⁾ + ∂L/∂v ⊙ (−2/m) Σᵢ (x⁽ⁱ⁾ − μ): the direct path plus the path through v.

    -> (d,).
    """
    dx_hat, v = _dx_hat_of_mu(x, mu, gamma, beta, c, A)
    return dL_dmu_formula(dx_hat, x, mu, v)


@_declare(
    of=loss_of_mu,
    argnums=1,
    example="mu_batch_mean",
    equation="write-up §6(c), last line: ∂L/∂μ = −(1/√v) Σᵢ ∂L/∂x̂⁽ⁱ⁾ at μ = the batch mean",
)
def dL_dmu(x, mu, gamma, beta, c, A):
    """The write-up's result, ∂L/∂μ = −(1/√v) ⊙ Σᵢ ∂L/∂x̂⁽ⁱ⁾: the total derivative at μ = (1/m) Σᵢ x⁽ⁱ⁾, where
    the v-path is 0.  -> (d,)."""
    dx_hat, v = _dx_hat_of_mu(x, mu, gamma, beta, c, A)
    return -jnp.sum(dx_hat, axis=0) / jnp.sqrt(v)


def dL_dmu_v_path(x, mu, gamma, beta, c, A):
    """The v-path term of the total ∂L/∂μ alone: ∂L/∂v ⊙ (−2/m) Σᵢ (x⁽ⁱ⁾ − μ).  -> (d,); zero at the batch mean."""
    dx_hat, v = _dx_hat_of_mu(x, mu, gamma, beta, c, A)
    return dL_dv_formula(dx_hat, x, mu, v) * (-2.0 / x.shape[0]) * jnp.sum(x - mu, axis=0)


# ----------------------------------------------------------------------------------------------------------
# the layer: jaxml.models.batchnorm's custom VJP against autodiff of the plain forward
# ----------------------------------------------------------------------------------------------------------

VJP_EPS = (0.0, 0.1)  # ε = 0 (the write-up) and a large ε, so the ε in the backward pass matters
VJP_STACK = 3  # independent batches stacked on an extra leading axis for the vmap check


@functools.lru_cache
def _stacked_loss(eps):
    """Σ_b L(BN(x_b; γ_b, β_b)) over a stack of independent batches, plain forward: autodiff's reference."""

    def loss(params, c, A):
        x, gamma, beta = params
        return jnp.sum(
            jax.vmap(
                lambda xb, gb, bb, cb: downstream_loss(
                    batchnorm.reference(xb, gb, bb, eps=eps), cb, A
                )
            )(x, gamma, beta, c)
        )

    return loss


@functools.lru_cache
def _layer_vjp(eps):
    """The gradient the custom-VJP layer produces. ``jax.vjp`` of ``jaxml.models.batchnorm`` runs the layer's
    registered HAND backward pass (it does not differentiate the forward), fed with the hand dy; vmapped over the
    stack of batches and jitted."""

    def one(x, gamma, beta, c, A):
        y, vjp = jax.vjp(lambda x_, g_, b_: batchnorm.layer(x_, g_, b_, eps=eps), x, gamma, beta)
        return vjp(downstream_grad(y, c, A))

    @jax.jit
    def grad(params, c, A):
        x, gamma, beta = params
        return jax.vmap(one, in_axes=(0, 0, 0, 0, None))(x, gamma, beta, c, A)

    return grad


@functools.cache
def _layer_stacks(m: int, d: int):
    """keys (P, 2) -> the layer examples of ``split(key_p, VJP_STACK)`` for every point, (P, VJP_STACK, ...)."""
    layer = examples_for(m, d)["layer"]
    return one_program(jax.vmap(lambda k: jax.vmap(layer)(_draws.split(k, VJP_STACK))))


def check_layer_vjp(m: int, d: int, *, points: int, key, eps: float = 0.0):
    """The layer's VJP (∂L/∂x, ∂L/∂γ, ∂L/∂β) against autodiff of :func:`batchnorm_reference`, at ``points`` random
    stacks of ``VJP_STACK`` independent (m, d) batches. The hand gradient is jitted and vmapped twice (over the
    stack inside, over the points by the verifier), so a custom_vjp broken under either transformation fails.

    Returns a GradientReport.
    """
    # point p's stack: the layer examples of split(key_p, VJP_STACK), all drawn by one compiled program;
    # (points, stack, ...)
    x, gamma, beta, c, A = (np.asarray(a) for a in _layer_stacks(m, d)(_draws.split(key, points)))
    at = ((x, gamma, beta), c, A[:, 0])  # A of the stack's first batch serves the whole stack
    first = jax.tree_util.tree_map(lambda a: a[0], at)
    return check_gradient(
        _stacked_loss(eps),
        _layer_vjp(eps),
        *first,
        at=at,
        name=f"batchnorm VJP, (m, d) = ({m}, {d}), ε = {eps}",
    )


@verification(
    linear_algebra=False,  # no solve / eigh: may run beside another entry
    name="batchnorm custom_vjp layer",
    equation="write-up eq. 16, fused, as the layer's backward pass",
    compares="jaxml.models.batchnorm VJP (hand; jit, vmap) vs jax.grad of the plain forward, ε ∈ {0, 0.1}",
)
def batchnorm_custom_vjp(points: int, key):
    """:func:`check_layer_vjp` at (m, d) = (M, D) for each ε in ``VJP_EPS``; returns the worse report."""
    reports = [
        check_layer_vjp(M, D, points=points, key=k, eps=eps)
        for eps, k in zip(VJP_EPS, _draws.split_list(key, len(VJP_EPS)))
    ]
    return max(reports, key=lambda r: (not r.ok, r.max_rel_error))


# ----------------------------------------------------------------------------------------------------------
# every formula at several batch shapes (for the experiment and the tests)
# ----------------------------------------------------------------------------------------------------------


def check_shapes(shapes=SHAPES, *, points: int, key) -> dict:
    """Check every formula of :data:`FORMULAS` and the layer's VJP at each batch shape (m, d) in ``shapes``.

    Returns:
      {name: {(m, d): GradientReport}} with names the hand formulas' (and "custom_vjp" for the layer, at ε = 0
      and ε = 0.1: the worse report).
    """
    out: dict = {}
    for s, (m, d) in enumerate(shapes):
        # each kind's points drawn by one program inside ``jaxml verify``-style quick compilation
        stacked = {kind: one_program(jax.vmap(make)) for kind, make in examples_for(m, d).items()}
        k_shape = _draws.fold_in(key, s)
        for i, (fn, of, argnums, kind) in enumerate(FORMULAS):
            at = tuple(stacked[kind](_draws.split(_draws.fold_in(k_shape, i), points)))
            first = tuple(np.asarray(a)[0] for a in at)  # shapes only: NumPy, no compiled indexing
            out.setdefault(fn.__name__, {})[(m, d)] = check_gradient(
                of, fn, *first, argnums=argnums, at=at, name=f"{fn.__name__}, (m, d) = ({m}, {d})"
            )
        vjp_reports = [
            check_layer_vjp(m, d, points=points, key=_draws.fold_in(k_shape, 1000 + j), eps=eps)
            for j, eps in enumerate(VJP_EPS)
        ]
        out.setdefault("custom_vjp", {})[(m, d)] = max(
            vjp_reports, key=lambda r: (not r.ok, r.max_rel_error)
        )
    return out


def v_path_ratios(key, *, points: int, m: int = M, d: int = D) -> tuple[float, float]:
    """The v-path of the total ∂L/∂μ relative to ∂L/∂μ, max over ``points`` random (m, d) examples: at μ = the batch
    mean (≈ 0: Σᵢ (x⁽ⁱ⁾ − μ) = 0 there) and at a general μ (not 0).

    Returns:
      (max |v-path| / max |∂L/∂μ| at the batch mean, the same at a general μ).
    """
    keys = _draws.split(key, points)
    examples = examples_for(m, d)

    def ratio(kind):
        def one(k):
            args = examples[kind](k)
            return jnp.max(jnp.abs(dL_dmu_v_path(*args))) / jnp.max(jnp.abs(dL_dmu_total(*args)))

        return float(one_program(lambda ks: jnp.max(jax.vmap(one)(ks)))(keys))

    return ratio("mu_batch_mean"), ratio("mu_general")
