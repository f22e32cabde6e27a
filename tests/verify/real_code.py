"""Real hand-written derivative code, ported from public sources, for the verifier's third round (issue #22).

Each case is somebody else's backward pass as its author shipped it: course solutions on GitHub, well-known
projects (llm.c, PyTorch, dask-glm, prx, GPmat), and bugs as they were reported in issue threads. Every port keeps
the author's formula, its bug included, and says where it comes from; only the plumbing changes (a cache tuple
becomes arguments, Python 2's ``xrange`` becomes ``range``, MATLAB / Julia / C / C# become NumPy or jax.numpy,
loops over (b, t, h) become einsums of the same sums). The loss each backward pass differentiates is written here
in JAX, so autodiff has something to differentiate.

``CASES`` lists them as ``(name, source, kind, expected_verdict)``: ``kind`` is the :class:`MistakeKind` value the
verifier should name for a real bug where one applies ("none" for a correct case, None for a bug with no simple
name), ``expected_verdict`` is "PASS" or "FAIL". ``problem(name)`` builds the check (functions, arguments and
options), ``check(name)`` runs it with ``jaxml.verify``, and :func:`finite_difference_check` is the baseline the
issue measured against (central differences along one random direction, as ``jax.test_util.check_grads`` does).
``DERIVED`` holds cases that are real code with one deliberate, named change (not shipped that way); they are not
counted among the real ones.

Not collected by pytest (no ``test_`` prefix): ``tests/verify/test_third_round.py`` uses it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

# ----------------------------------------------------------------------------------------------------------------
# The records


class Case(NamedTuple):
    """One real case: its name, where the code comes from, the mistake the verifier should name, the verdict."""

    name: str
    source: str
    # a MistakeKind value ("none" for a correct case); None: a real bug with no simple name
    kind: str | None
    expected_verdict: str  # "PASS" | "FAIL"


class Problem(NamedTuple):
    """How to check one case.

    ``check == "gradient"``: ``check_gradient(f, grad, *args, argnums=argnums, **options)``.
    ``check == "jvp"``: ``check_jvp(grad, f, *args, argnums=argnums, **options)`` where ``f`` carries the rule and
    ``grad`` is the plain reference function.
    """

    f: Callable
    grad: Callable
    args: tuple
    argnums: Any = 0
    options: dict | None = None  # extra check options: domain=, dtype=, at=, points=
    check: str = "gradient"


def standard_promotion(fn: Callable) -> Callable:
    """Run a ported jax.numpy function under JAX's default ("standard") dtype promotion, as its author ran it (the
    tests switch strict promotion on; ``x * (x > 0)`` is a bool-float promotion that strict mode refuses)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with jax.numpy_dtype_promotion("standard"):
            return fn(*args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------------------------------------------------
# (a) Max-pooling, 2 x 2 windows with stride 2, at inputs with exact ties


def maxpool_loss_nchw(x, dout):
    """L = Σ dout ⊙ maxpool(x), x (N, C, H, W): the loss every max-pool backward below differentiates."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2)
    return jnp.sum(dout * jnp.max(windows, axis=(3, 5)))


def maxpool_loss_chw(x, d_out):
    """The same for one image x (C, H, W)."""
    c, h, w = x.shape
    return jnp.sum(d_out * jnp.max(x.reshape(c, h // 2, 2, w // 2, 2), axis=(2, 4)))


def maxpool_loss_hwc(x, d_salida):
    """The same for one image x (H, W, C) (channels last)."""
    h, w, c = x.shape
    return jnp.sum(d_salida * jnp.max(x.reshape(h // 2, 2, w // 2, 2, c), axis=(1, 3)))


def max_pool_backward_naive_learngit(x, dout):
    """Source: github.com/Clarence-G/learngit, cs231n/assignment2/max-pool.py (``max_pool_backward_naive``, a CS231n
    assignment-2 solution; Python 2 there). Every entry equal to the window's max gets the whole upstream gradient:
    at a tie of k entries the gradient is counted k times (a real bug wherever a window is constant, e.g. a
    patch of ReLU zeros). The original takes ``(dout, cache)`` with ``cache = (x, pool_param)``."""
    x, dout = np.asarray(x), np.asarray(dout)
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    HH, WW = pool_param["pool_height"], pool_param["pool_width"]
    s = pool_param["stride"]
    N, C, H, W = x.shape
    H_new = 1 + (H - HH) // s
    W_new = 1 + (W - WW) // s
    dx = np.zeros_like(x)
    for i in range(N):
        for j in range(C):
            for k in range(H_new):
                for l in range(W_new):
                    window = x[i, j, k * s : HH + k * s, l * s : WW + l * s]
                    m = np.max(window)
                    dx[i, j, k * s : HH + k * s, l * s : WW + l * s] = (window == m) * dout[
                        i, j, k, l
                    ]
    return dx


def maxpool_backward_mnist_cnn(x, d_out):
    """Source: github.com/AbdullahT01/MNIST_CNN, layers/maxpool.py (``MaxPool2.backward``; ``self.last_input``
    becomes the argument ``x``). The same tie-routing as above: every tied maximum gets ``d_out``."""
    input = np.asarray(x)
    d_out = np.asarray(d_out)
    c, h, w = input.shape
    d_input = np.zeros_like(input)
    for ch in range(c):
        for i in range(0, h, 2):
            for j in range(0, w, 2):
                patch = input[ch, i : i + 2, j : j + 2]
                max_val = np.max(patch)
                for ii in range(2):
                    for jj in range(2):
                        if patch[ii, jj] == max_val:
                            d_input[ch, i + ii, j + jj] = d_out[ch, i // 2, j // 2]
    return d_input


def maxpool_backward_proyecto_ia(x, d_salida):
    """Source: github.com/a-galvez/Proyecto-IA, Capas/maxpool.py (``MaxPool2``, tamanio = paso = 2): the forward
    pass stores ``np.argmax(parche)`` (the first maximum in row-major order) and the backward pass routes the
    gradient to that one entry. At a tie this picks one element of the sub-differential: correct."""
    x, d_salida = np.asarray(x), np.asarray(d_salida)
    S = K = 2
    H, W, C = x.shape
    salida_altura = (H - K) // S + 1
    salida_anchura = (W - K) // S + 1
    arg_max = {}  # forward: "guardar índice del max para backprop"
    for c in range(C):
        for i in range(salida_altura):
            for j in range(salida_anchura):
                parche = x[i * S : i * S + K, j * S : j * S + K, c]
                arg_max[(c, i, j)] = np.argmax(parche)
    d_entrada = np.zeros_like(x)  # backward
    for c in range(C):
        for i in range(salida_altura):
            for j in range(salida_anchura):
                idx = arg_max[(c, i, j)]
                r = idx // K
                s = idx % K
                d_entrada[i * S + r, j * S + s, c] += d_salida[i, j, c]
    return d_entrada


def maxpool_backward_torch_amax(x, grad):
    """Source: github.com/pytorch/pytorch, tools/autograd/derivatives.yaml (``amax``:
    ``scale_grad_by_count(restore_reduced_dims(grad, dim, keepdim), restore_reduced_dims(result, dim, keepdim) ==
    self, dim)``) with ``scale_grad_by_count`` from torch/csrc/autograd/FunctionsManual.cpp (``(grad /
    mask.sum(dims, true)) * mask``). A max-pool written as ``amax`` over the window axes: the gradient is split
    equally among tied maxima (another element of the sub-differential: correct)."""
    n, c, h, w = x.shape
    self = x.reshape(n, c, h // 2, 2, w // 2, 2)
    dim = (3, 5)
    # restore_reduced_dims(result, dim, keepdim=False)
    result = jnp.max(self, axis=dim, keepdims=True)
    mask = (result == self).astype(x.dtype)
    grad = grad[:, :, :, None, :, None]  # restore_reduced_dims(grad, dim, keepdim=False)
    return ((grad / jnp.sum(mask, axis=dim, keepdims=True)) * mask).reshape(x.shape)


def tied_images(
    rng: np.random.Generator, n: int = 2, c: int = 2, h: int = 4, w: int = 4
) -> np.ndarray:
    """(n, c, h, w) inputs with exact ties in many 2 x 2 windows: constant patches (four-way ties, among them a
    patch of zeros, as after a ReLU) and windows whose maximum appears twice; the other windows have no tie."""
    x = rng.normal(size=(n, c, h, w))
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(-1, 4)
    for index in range(windows.shape[0]):
        kind = index % 4
        if kind == 0:
            windows[index] = windows[index, 0]  # a constant patch: four tied maxima
        elif kind == 1:
            windows[index, 2] = windows[index].max()  # the maximum twice
    windows[0] = 0.0  # a patch of exact zeros
    return (
        windows.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)
    )


def _maxpool_problem(backward: Callable, layout: str) -> Problem:
    rng = np.random.default_rng(22)
    x = tied_images(rng)
    dout = rng.normal(size=(2, 2, 2, 2))
    if layout == "nchw":
        return Problem(maxpool_loss_nchw, backward, (x, dout))
    if layout == "chw":
        return Problem(maxpool_loss_chw, backward, (x[0], dout[0]))
    return Problem(
        maxpool_loss_hwc, backward, (x[0].transpose(1, 2, 0), dout[0].transpose(1, 2, 0))
    )


# ----------------------------------------------------------------------------------------------------------------
# (b) The JAX documentation's differentiation convention: x / (1 + √x) on x ≥ 0


@jax.custom_jvp
def f_convention(x):
    """Source: JAX documentation, "Custom derivative rules for JAX-transformable Python functions", section
    "Example: Enforcing a differentiation convention" (docs.jax.dev/en/latest/notebooks/
    Custom_derivative_rules_for_Python_code.html; github.com/jax-ml/jax, docs/notebooks/
    Custom_derivative_rules_for_Python_code.md). f : R+ -> R+, f(x) = x / (1 + √x), with the rule
    f'(x) = (√x + 2) / (2 (√x + 1)²), which gives 1 at x = 0 where plain autodiff gives NaN."""
    return x / (1 + jnp.sqrt(x))


@f_convention.defjvp
def f_jvp(primals, tangents):
    (x,) = primals
    (x_dot,) = tangents
    ans = f_convention(x)
    ans_dot = ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * x_dot
    return ans, ans_dot


def f_plain(x):
    """The same function without the rule (the documentation's first ``def f``): the reference for check_jvp."""
    return x / (1 + jnp.sqrt(x))


CONVENTION_X = np.array([0.0, 0.25, 1.0, 4.0, 9.0])  # x = 0 among the points


# ----------------------------------------------------------------------------------------------------------------
# (c) Gradients with respect to a covariance matrix


def normcov_negloglik(X, S):
    """log det X + tr(X⁻¹ S) (prx's ``normcov_negloglik``), written through a Cholesky factor that reads only the
    lower triangle of X: autodiff's gradient is then not symmetric (its symmetric part is the gradient on the
    symmetric matrices)."""
    L = jax.lax.linalg.cholesky(X, symmetrize_input=False)
    logdet = 2 * jnp.sum(jnp.log(jnp.diagonal(L, axis1=-2, axis2=-1)))
    return logdet + jnp.trace(jax.scipy.linalg.cho_solve((L, True), S))


def grad_normcov_negloglik(X, S):
    """Source: github.com/ryanvolz/prx, prx/grad/covariance.py (``grad_normcov_negloglik``: "Normal covariance
    negative log-likelihood grad: X \\ (X - S) / X", of ``normcov_negloglik`` in prx/fun/covariance.py). np -> jnp;
    ``.conj()`` kept (the arrays are real)."""
    # ( X \ (X - S) / X ) with Hermitian X and S
    G = jnp.linalg.solve(X, jnp.swapaxes(jnp.linalg.solve(X, X - S).conj(), -2, -1))
    # ensure result is exactly Hermitian for numerical stability
    G = (G + jnp.swapaxes(G.conj(), -2, -1)) / 2
    return G


def gaussian_loglik(K, m):
    """log N(m | 0, K) up to its constant, -½ log det K - ½ mᵀ K⁻¹ m, through the lower Cholesky factor of K."""
    L = jax.lax.linalg.cholesky(K, symmetrize_input=False)
    alpha = jax.scipy.linalg.cho_solve((L, True), m)
    return -jnp.sum(jnp.log(jnp.diagonal(L))) - 0.5 * jnp.dot(m, alpha)


def ivm_covariance_gradient(K, m):
    """Source: github.com/SheffieldML/GPmat, matlab/ivmCovarianceGradient.m ("The gradient of the likelihood
    approximation wrt the covariance": ``invKm = invK*m; g = -invK + invKm*invKm'; g = g*.5``). The original takes
    ``invK``; here it is computed from K."""
    invK = jnp.linalg.inv(K)
    invKm = invK @ m
    g = -invK + jnp.outer(invKm, invKm)
    g = g * 0.5
    return g


def _spd(rng: np.random.Generator, k: int) -> np.ndarray:
    a = rng.normal(size=(k, k))
    return a @ a.T / k + np.eye(k)


# ----------------------------------------------------------------------------------------------------------------
# (d) llm.c: layer norm, attention and matmul backward passes in float32


def layernorm_forward(x, w, b, eps=1e-5):
    """Source: github.com/karpathy/llm.c, doc/layernorm/layernorm.py (``LayerNorm.forward``), torch -> jnp."""
    C = x.shape[-1]
    mean = x.sum(-1, keepdims=True) / C  # B,T,1
    xshift = x - mean  # B,T,C
    var = (xshift**2).sum(-1, keepdims=True) / C  # B,T,1
    rstd = (var + eps) ** -0.5  # B,T,1
    norm = xshift * rstd  # B,T,C
    out = norm * w + b  # B,T,C
    return out, (x, w, mean, rstd)


def layernorm_loss(x, w, b, dout):
    """The llm.c check's ``fakeloss = (out * dout).sum()``."""
    out, _ = layernorm_forward(x, w, b)
    return jnp.sum(out * dout)


def layernorm_backward_llmc(x, w, b, dout):
    """Source: github.com/karpathy/llm.c, doc/layernorm/layernorm.py (``LayerNorm.backward(dout, cache)``; the
    cache is recomputed from the arguments). Float32 there (torch.randn); correct."""
    _, (x, w, mean, rstd) = layernorm_forward(x, w, b)
    # recompute the norm (save memory at the cost of compute)
    norm = (x - mean) * rstd
    # gradients for weights, bias
    db = dout.sum((0, 1))
    dw = (dout * norm).sum((0, 1))
    # gradients for input
    dnorm = dout * w
    dx = dnorm - dnorm.mean(-1, keepdims=True) - norm * (dnorm * norm).mean(-1, keepdims=True)
    dx *= rstd
    return dx, dw, db


def layernorm_bw_ttmetal(x, gamma, beta, dy):
    """Source: github.com/tenstorrent/tt-metal issue #53204 ("layernorm_bw computes wrong dx: mean(dy*gamma)
    subtracted twice"), tt-train's layernorm_bw_kernel.cpp ``compute_dx``: s1 = mean(dy·γ) is subtracted, then
    ``mul_tiles`` accumulates x̂·s2 onto the register that still holds s1, and that is subtracted too, giving
    dx = rstd·(dy·γ − 2·mean(dy·γ) − x̂·mean(dy·γ·x̂)). The kernel works in bf16/fp32; float32 here. dx only (the
    issue: dgamma and dbeta are right)."""
    _, (x, gamma, mean, rstd) = layernorm_forward(x, gamma, beta)
    x_hat = (x - mean) * rstd
    dy_gamma = dy * gamma
    s1 = dy_gamma.mean(-1, keepdims=True)  # mean(dy·γ)
    s2 = (dy_gamma * x_hat).mean(-1, keepdims=True)  # mean(dy·γ·x̂)
    dx = dy_gamma - s1  # copy_tile(s1 -> temp); sub
    temp = s1 + x_hat * s2  # mul_tiles accumulates onto temp, which still holds s1
    dx = dx - temp
    return rstd * dx


def attention_forward(inp, NH):
    """Source: github.com/karpathy/llm.c, train_gpt2.c (``attention_forward``): causal multi-head attention on inp
    (B, T, 3C) holding Q, K, V; returns out (B, T, C) and att (B, NH, T, T). Loops -> einsum."""
    B, T, C3 = inp.shape
    C = C3 // 3
    hs = C // NH
    q, k, v = (inp[:, :, i * C : (i + 1) * C].reshape(B, T, NH, hs) for i in range(3))
    scale = 1.0 / math.sqrt(hs)  # a Python float: float32 arithmetic stays float32
    preatt = jnp.einsum("bthi,bshi->bhts", q, k) * scale
    causal = jnp.tril(jnp.ones((T, T), dtype=bool))
    att = jax.nn.softmax(jnp.where(causal, preatt, -jnp.inf), axis=-1)
    out = jnp.einsum("bhts,bshi->bthi", att, v).reshape(B, T, C)
    return out, att


def attention_loss(inp, dout, NH=2):
    out, _ = attention_forward(inp, NH)
    return jnp.sum(out * dout)


def attention_backward_llmc(inp, dout, NH=2):
    """Source: github.com/karpathy/llm.c, train_gpt2.c (``attention_backward``), float32 there. The loops over
    (b, t, h, t2, t3, i) become einsums of the same sums: backward pass 4 (datt, dvalue), 2 & 3 (the softmax:
    local_derivative = att[t2] (indicator − att[t3])), 1 (the query @ key matmul, times scale). Correct."""
    B, T, C3 = inp.shape
    C = C3 // 3
    hs = C // NH
    scale = 1.0 / math.sqrt(hs)
    _, att = attention_forward(inp, NH)
    query, key, value = (inp[:, :, i * C : (i + 1) * C].reshape(B, T, NH, hs) for i in range(3))
    dout_bth = dout.reshape(B, T, NH, hs)
    # backward pass 4, through the value accumulation
    datt = jnp.einsum("bshi,bthi->bhts", value, dout_bth)
    dvalue = jnp.einsum("bhts,bthi->bshi", att, dout_bth)
    # backward pass 2 & 3, the softmax
    dpreatt = att * datt - att * jnp.sum(att * datt, axis=-1, keepdims=True)
    # backward pass 1, the query @ key matmul
    dquery = jnp.einsum("bshi,bhts->bthi", key, dpreatt) * scale
    dkey = jnp.einsum("bthi,bhts->bshi", query, dpreatt) * scale
    return jnp.concatenate([d.reshape(B, T, C) for d in (dquery, dkey, dvalue)], axis=-1)


def matmul_loss(inp, weight, bias, dout):
    """llm.c's ``matmul_forward``: out = inp weightᵀ + bias, inp (B, T, C), weight (OC, C), bias (OC)."""
    return jnp.sum((jnp.einsum("btc,oc->bto", inp, weight) + bias) * dout)


def matmul_backward_llmc(inp, weight, bias, dout):
    """Source: github.com/karpathy/llm.c, train_gpt2.c (``matmul_backward``), float32: dinp, dweight and dbias
    (``dbias[o] += d`` over every (b, t)). Loops -> einsum. Correct."""
    dinp = jnp.einsum("bto,oc->btc", dout, weight)
    dweight = jnp.einsum("bto,btc->oc", dout, inp)
    dbias = dout.sum((0, 1))
    return dinp, dweight, dbias


def matmul_backward_dbias_per_position(inp, weight, bias, dout):
    """DERIVED from llm.c's ``matmul_backward``: the bias gradient left per (b, t) position (the loop's sum over b
    and t dropped), shape (B, T, OC) for a bias of shape (OC,)."""
    return dout


def _float32(*arrays):
    return tuple(np.asarray(a, np.float32) for a in arrays)


# ----------------------------------------------------------------------------------------------------------------
# (e) More real cases: MLPs, batch norm, softmax / SVM losses, logistic and Poisson regression, affine layers


def mlp_loss_kvfrans(params, data_input, data_output):
    """The notebook's ``loss`` (mean squared error of a two-layer ReLU MLP, examples in columns)."""
    W1, b1, W2 = params
    h1 = W1 @ data_input
    h2 = h1 + b1[:, None]
    h3 = jnp.maximum(h2, 0.0)  # the notebook's h2 * (h2 > 0)
    h4 = W2 @ h3
    return jnp.mean(jnp.square(h4 - data_output))


@standard_promotion
def mlp_manual_grad_kvfrans(params, data_input, data_output):
    """Source: github.com/kvfrans/notes, 2-training-neural-networks/backpropagation.ipynb (``manual_grad``; the
    loss it also returns is dropped). ``d_b1 = jnp.mean(d_h2, axis=1)`` averages over the examples where the sum
    was meant (reported in kvfrans/notes issue #5); the notebook compared only d_W1 with jax.grad."""
    W1, b1, W2 = params
    h1 = W1 @ data_input
    h2 = h1 + b1[:, None]
    h3 = h2 * (h2 > 0)
    h4 = W2 @ h3

    d_h4 = 2 * (h4 - data_output) / data_output.shape[1]
    d_h3 = W2.T @ d_h4
    d_h2 = d_h3 * (h2 > 0)
    d_h1 = d_h2

    d_W2 = d_h4 @ h3.T
    d_b1 = jnp.mean(d_h2, axis=1)
    d_W1 = d_h1 @ data_input.T
    return [d_W1, d_b1, d_W2]


def batchnorm_loss(x, gamma, beta, dout, eps=1e-5):
    """Σ dout ⊙ (γ x̂ + β), x̂ normalised over the batch axis 0 (biased variance)."""
    mu = jnp.mean(x, axis=0)
    var = jnp.mean((x - mu) ** 2, axis=0)
    return jnp.sum(dout * (gamma * (x - mu) / jnp.sqrt(var + eps) + beta))


def batchnorm4_back_knet(x, g, b, dy, eps=1e-5):
    """Source: github.com/denizyuret/Knet.jl issue #288 ("Batchnorm backward on cpu doesn't seem to take care
    about scales"), the CPU ``batchnorm4_back`` quoted there (Julia -> NumPy; ``dims`` = the batch axis): ``dyivar``
    is computed before ``dy = g .* dy``, so dx never sees the scale g. Fixed in Knet.jl PR #289."""
    x, g, dy = np.asarray(x), np.asarray(g), np.asarray(dy)
    mu = x.mean(0, keepdims=True)
    ivar = 1.0 / np.sqrt(((x - mu) ** 2).mean(0, keepdims=True) + eps)
    x_mu = x - mu
    # equations from the original paper
    dyivar = dy * ivar
    dg = np.sum(x_mu * dyivar, 0)  # noqa: F841 - the author's dg (right) is not checked here
    db = np.sum(dy, 0)  # noqa: F841
    dy = g * dy
    m = x.shape[0]
    dsigma2 = -0.5 * np.sum(dyivar * x_mu * ivar**2, 0, keepdims=True)
    dmu = -np.sum(dyivar, 0, keepdims=True) - 2 * dsigma2 * np.sum(x_mu, 0, keepdims=True) / m
    dx = dyivar + dsigma2 * 2 * x_mu / m + dmu / m
    return dx


def batchnorm_backward_kratzert(x, gamma, beta, dout, eps=1e-5):
    """Source: F. Kratzert, "Understanding the backward pass through Batch Normalization Layer" (kratzert.github.io,
    2016), as copied in github.com/ForrestPi/ObjectDetection, syncbn/batchNorm.md (``batchnorm_backward``, step by
    step through the computational graph; the forward's cache recomputed). dx only. Correct."""
    x, gamma, dout = np.asarray(x), np.asarray(gamma), np.asarray(dout)
    N, D = x.shape
    mu = 1.0 / N * np.sum(x, axis=0)
    xmu = x - mu
    var = 1.0 / N * np.sum(xmu**2, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    # step9 ... step0 of the backward pass
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar**2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / N * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    dx = dx1 + dx2
    return dx


def batchnorm_backward_alt_cs182(x, gamma, beta, dout, eps=1e-5):
    """Source: github.com/leehanchung/cs182, assignment1/deeplearning/layers.py (``batchnorm_backward_alt``, the
    simplified closed form; the cache recomputed). dx only. Correct."""
    x, gamma, dout = np.asarray(x), np.asarray(gamma), np.asarray(dout)
    mean, var = x.mean(axis=0), x.var(axis=0)
    a = x - mean
    b = var + eps
    m = x.shape[0]
    dx = (
        (1.0 / m)
        * gamma
        * (b ** (-1.0 / 2.0))
        * (m * dout - dout.sum(axis=0) - a * b ** (-1) * (dout * a).sum(axis=0))
    )
    return dx


def affine_loss(x, w, b, dout):
    """Σ dout ⊙ (x reshaped to rows · w + b), x (N, d_1, ..., d_k)."""
    return jnp.sum(dout * (x.reshape(x.shape[0], w.shape[0]) @ w + b))


def affine_backward_cs182(x, w, b, dout):
    """Source: github.com/leehanchung/cs182, assignment1/deeplearning/layers.py (``affine_backward``; the cache
    ``(x, w, b)`` becomes arguments). Correct."""
    x, w, dout = np.asarray(x), np.asarray(w), np.asarray(dout)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], w.shape[0]).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def linear_loss(x, W, b, dout):
    """Σ dout ⊙ (x W + b), x (batch, seq, in), W (in, out), b (out,)."""
    return jnp.sum(dout * (x @ W + b))


def fused_linear_bias_grad_aidotnet(x, W, b, dout):
    """Source: github.com/ooples/AiDotNet.Tensors issue #234 ("FusedLinearBackwardCore fallback bias gradient only
    reduces axis 0"), C# -> NumPy: ``engine.ReduceSum(gradOutput, new[] { 0 }, keepDims: false)``. For a rank-3
    gradOutput (batch, seq, features) the bias gradient comes out (seq, features), not (features,)."""
    return np.sum(np.asarray(dout), axis=0)


def softmax_loss(W, X, y, reg):
    """Mean softmax cross-entropy of X W plus 0.5 reg ||W||² (CS231n ``softmax_loss_vectorized``)."""
    scores = X @ W
    logp = jax.nn.log_softmax(scores, axis=1)
    return -jnp.mean(logp[jnp.arange(X.shape[0]), y]) + 0.5 * reg * jnp.sum(W * W)


def softmax_loss_reg2(W, X, y, reg):
    """The same with reg ||W||² (no 0.5), as the later CS231n assignments define it."""
    return softmax_loss(W, X, y, reg) + 0.5 * reg * jnp.sum(W * W)


def softmax_grad_fabien102(W, X, y, reg):
    """Source: github.com/fabien102/DlaD_lab2, Softmax/softmax.py (``softmax_loss_vectorized``; the gradient
    only). Loss with 0.5 reg ||W||², gradient + reg W. Correct."""
    W, X = np.asarray(W), np.asarray(X)
    num_train = X.shape[0]
    scores = np.dot(X, W)
    exp_scores = np.exp(scores)
    prob_scores = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    # grads
    dscores = prob_scores
    dscores[range(num_train), y] -= 1
    dW = np.dot(X.T, dscores) / num_train
    dW += reg * W
    return dW


def softmax_grad_idotc(W, X, y, reg):
    """Source: github.com/idotc/Deep_learning_practice, evaluation_method/SoftMaxLoss.py (``softmax_loss_naive``,
    with loops; the gradient only). Loss with reg ||W||², gradient + 2 reg W. Correct."""
    W, X = np.asarray(W), np.asarray(X)
    dW = np.zeros_like(W)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = np.dot(X[i], W)
        shift_scores = scores - max(scores)
        for j in range(num_classes):
            softmax_output = np.exp(shift_scores[j]) / sum(np.exp(shift_scores))
            if j == y[i]:
                dW[:, j] += (-1 + softmax_output) * X[i].T
            else:
                dW[:, j] += softmax_output * X[i].T
    dW = dW / num_train + 2 * reg * W
    return dW


def svm_loss_cs231n(W, X, y, reg):
    """Mean multiclass hinge loss (delta 1) plus reg ||W||² (CS231n ``svm_loss_vectorized``'s loss)."""
    num_train = X.shape[0]
    scores = X @ W
    correct = scores[jnp.arange(num_train), y][:, None]
    margin = jnp.maximum(0.0, scores - correct + 1)
    margin = margin.at[jnp.arange(num_train), y].set(0.0)
    return jnp.sum(margin) / num_train + reg * jnp.sum(W * W)


def svm_grad_jingtinghuang(W, X, y, reg):
    """Source: github.com/jingtinghuang/CS231n-Spring-2017, assignment1/cs231n/classifiers/linear_svm.py
    (``svm_loss_vectorized``; the gradient only). The loss adds ``reg * np.sum(W * W)``, the gradient ``reg*W``:
    the factor 2 is missing (reported in that repository's issue #3)."""
    W, X = np.asarray(W), np.asarray(X)
    num_classes = W.shape[1]
    num_train = X.shape[0]
    scores = X.dot(W)
    right_class = scores[range(num_train), y]
    right_class = np.array([right_class] * num_classes)
    margin = np.maximum(0, scores - right_class.T + 1)
    margin[range(num_train), y] = 0
    nonzero = margin.copy()
    nonzero[nonzero != 0] = 1
    nonzero[range(num_train), y] = -(np.sum(nonzero, axis=1))
    dW = (X.T).dot(nonzero)
    dW /= num_train
    dW += reg * W
    return dW


def softmax_loss_xs2445(x, y):
    """Source: github.com/xs2445/CNN-PyCUDA-EECS4750-Project, utils/Lossfunctions.py (``softmax_loss``, the loss
    half, np -> jnp): ``loss -= np.sum(x[:, y])`` sums an (N, N) block of scores, not each example's correct-class
    score (the right line, ``x[range(num_train), y]``, is commented out above it)."""
    num_train = x.shape[0]
    x = x - jnp.max(x, axis=1, keepdims=True)
    x_exp = jnp.exp(x)
    loss = -jnp.sum(x[:, y])
    loss += jnp.sum(jnp.log(jnp.sum(x_exp, axis=1)))
    return loss / num_train


def softmax_dx_xs2445(x, y):
    """The gradient half of the same function (right for the intended loss, not for the loss it ships with)."""
    x = np.asarray(x)
    num_train = x.shape[0]
    x = x - np.max(x, axis=1, keepdims=True)
    x_exp = np.exp(x)
    neg = np.zeros_like(x)
    neg[range(num_train), y] = -1
    pos = (x_exp.T / np.sum(x_exp, axis=1)).T
    dx = (neg + pos) / num_train
    return dx


def loss_f_shenmbsw(w, x, y, lam):
    """Source: github.com/shenmbsw/MachineLearning, 4_Logistic_regression/loss_f.m (MATLAB -> jnp; labels 0-based):
    the multinomial logistic NLL, but ``Loss - sum(w.' * sx)`` subtracts every class's score of the class-k
    examples, not class k's alone."""
    e = jnp.sum(jnp.exp(w.T @ x), axis=0)
    loss = jnp.sum(jnp.log(e))
    for k in range(w.shape[1]):
        sx = jnp.sum(jnp.where(y == k, x, 0.0), axis=1)
        loss = loss - jnp.sum(w.T @ sx)
    return loss + lam * 0.5 * jnp.sum(w**2)


def multinomial_nll(w, x, y, lam):
    """The NLL loss_f.m means: Σᵢ [log Σ_c exp(w_cᵀ xᵢ) − w_{yᵢ}ᵀ xᵢ] + ½ λ ||w||², x (dim, n) in columns."""
    scores = w.T @ x  # (m, n)
    return (
        jnp.sum(jax.nn.logsumexp(scores, axis=0))
        - jnp.sum(scores[y, jnp.arange(x.shape[1])])
        + 0.5 * lam * jnp.sum(w**2)
    )


def loss_grad_shenmbsw(w, x, y, lam):
    """Source: github.com/shenmbsw/MachineLearning, 4_Logistic_regression/loss_grad.m: ``p = softmax(w.'*x) -
    ind2vec(y); dloss = x*p.' + lambda*w`` (MATLAB's softmax is column-wise). Right for the NLL loss_f.m means."""
    p = jax.nn.softmax(w.T @ x, axis=0) - jax.nn.one_hot(y, w.shape[1], dtype=x.dtype).T
    dloss = x @ p.T
    dloss = dloss + lam * w
    return dloss


def logistic_cost_reg(theta, X, y, lam):
    """Regularised logistic regression cost of the Coursera ML exercise 2 (costFunctionReg): mean cross-entropy
    over the m = length(y) examples plus λ/(2m) Σ_{j≥1} θⱼ² (θ₀ not regularised)."""
    m = y.shape[0]
    h = jax.nn.sigmoid(X @ theta)
    J = -jnp.mean(y * jnp.log(h) + (1 - y) * jnp.log(1 - h))
    return J + lam * jnp.sum(theta[1:] ** 2) / (2 * m)


def cost_function_reg_grad_edicoweb(theta, X, y, lam):
    """Source: github.com/edicoweb/Regresi-nLogistica_IA-, Lab_IA/Lab_Practica03/costFunctionReg.m (MATLAB ->
    NumPy; the gradient). Correct."""
    theta, X, y = np.asarray(theta), np.asarray(X), np.asarray(y)
    m = len(y)
    h = 1 / (1 + np.exp(-(X @ theta)))
    theta1 = np.concatenate([[0.0], theta[1:]])
    grad = (X.T @ (h - y) + lam * theta1) / m
    return grad


def cost_function_reg_grad_osmanbaskaya(theta, X, y, lam):
    """Source: github.com/osmanbaskaya/projects-and-hws, machine-learning/hw4a/costFunctionReg.m (MATLAB -> NumPy;
    the gradient): ``m = length(X)`` is MATLAB's largest dimension of X, the number of examples only while there
    are more examples than features. With 28 polynomial features (the exercise's mapFeature) and a batch of 20
    examples the gradient is scaled by 20/28."""
    theta, X, y = np.asarray(theta), np.asarray(X), np.asarray(y)
    hx = 1 / (1 + np.exp(-(X @ theta)))
    m = max(X.shape)  # length(X)
    mask = np.concatenate([[0.0], np.ones(len(theta) - 1)])
    grad = ((hx - y) @ X / m) + lam * theta * mask / m
    return grad


def logistic_loglike_dask(beta, X, y):
    """dask-glm's ``Logistic.pointwise_loss``: Σ log(1 + e^{Xβ}) − yᵀ Xβ."""
    Xbeta = X @ beta
    return jnp.sum(jnp.log1p(jnp.exp(Xbeta))) - jnp.dot(y, Xbeta)


def logistic_gradient_dask(beta, X, y):
    """Source: github.com/dask/dask-glm, dask_glm/families.py (``Logistic.pointwise_gradient`` /
    ``Logistic.gradient``: ``dot(X.T, sigmoid(Xbeta) - y)``). Correct."""
    Xbeta = X @ beta
    p = jax.nn.sigmoid(Xbeta)
    return X.T @ (p - y)


def poisson_loglike_dask(beta, X, y):
    """dask-glm's ``Poisson.pointwise_loss``: Σ e^{Xβ} − y Xβ."""
    Xbeta = X @ beta
    return jnp.sum(jnp.exp(Xbeta) - y * Xbeta)


def poisson_gradient_dask(beta, X, y):
    """Source: github.com/dask/dask-glm, dask_glm/families.py (``Poisson.gradient``: ``dot(X.T, exp(Xbeta) -
    y)``). Correct."""
    Xbeta = X @ beta
    return X.T @ (jnp.exp(Xbeta) - y)


# ----------------------------------------------------------------------------------------------------------------
# The cases


def _problems() -> dict[str, Callable[[], Problem]]:
    rng = lambda seed: np.random.default_rng(seed)

    def covariance_prx():
        r = rng(1)
        b = r.normal(size=(4, 12))
        return Problem(
            normcov_negloglik,
            grad_normcov_negloglik,
            (_spd(r, 4), b @ b.T / 12),
            options={"domain": "spd"},
        )

    def covariance_gpmat():
        r = rng(2)
        return Problem(
            gaussian_loglik,
            ivm_covariance_gradient,
            (_spd(r, 4), r.normal(size=4)),
            options={"domain": "spd"},
        )

    def layernorm(grad, argnums):
        def build():
            r = rng(3)
            B, T, C = 2, 3, 8
            args = _float32(
                r.normal(size=(B, T, C)),
                r.normal(size=C),
                r.normal(size=C),
                r.normal(size=(B, T, C)),
            )
            return Problem(layernorm_loss, grad, args, argnums, {"dtype": None})

        return build

    def attention():
        r = rng(4)
        args = _float32(r.normal(size=(2, 4, 3 * 8)), r.normal(size=(2, 4, 8)))
        return Problem(attention_loss, attention_backward_llmc, args, 0, {"dtype": None})

    def matmul(grad, argnums):
        def build():
            r = rng(5)
            args = _float32(
                r.normal(size=(2, 3, 4)),
                r.normal(size=(8, 4)),
                r.normal(size=8),
                r.normal(size=(2, 3, 8)),
            )
            return Problem(matmul_loss, grad, args, argnums, {"dtype": None})

        return build

    def mlp():
        r = rng(6)
        params = [
            r.normal(size=(16, 8)) / np.sqrt(8),
            r.normal(size=16) * 0.01,
            r.normal(size=(1, 16)) / 4,
        ]
        return Problem(
            mlp_loss_kvfrans,
            mlp_manual_grad_kvfrans,
            (params, r.normal(size=(8, 10)), r.normal(size=(1, 10))),
        )

    def batchnorm(grad):
        def build():
            r = rng(7)
            N, D = 10, 4
            args = (
                r.normal(size=(N, D)) * 2 + 1,
                r.uniform(0.5, 2.0, size=D),
                r.normal(size=D),
                r.normal(size=(N, D)),
            )
            return Problem(batchnorm_loss, grad, args)

        return build

    def affine():
        r = rng(8)
        args = (
            r.normal(size=(5, 2, 3)),
            r.normal(size=(6, 4)),
            r.normal(size=4),
            r.normal(size=(5, 4)),
        )
        return Problem(affine_loss, affine_backward_cs182, args, (0, 1, 2))

    def linear_bias(grad):
        def build():
            r = rng(9)
            args = (
                r.normal(size=(2, 3, 5)),
                r.normal(size=(5, 8)),
                r.normal(size=8),
                r.normal(size=(2, 3, 8)),
            )
            return Problem(linear_loss, grad, args, 2)

        return build

    def classification(loss, grad, reg=0.1):
        def build():
            r = rng(10)
            X, y = r.normal(size=(12, 5)), r.integers(0, 3, size=12)
            return Problem(loss, grad, (r.normal(size=(5, 3)) * 0.5, X, y, reg))

        return build

    def xs2445():
        r = rng(11)
        return Problem(
            softmax_loss_xs2445,
            softmax_dx_xs2445,
            (r.normal(size=(6, 4)), r.integers(0, 4, size=6)),
        )

    def shenmbsw(loss):
        def build():
            r = rng(12)
            x, y = r.normal(size=(4, 9)), r.integers(0, 3, size=9)
            return Problem(loss, loss_grad_shenmbsw, (r.normal(size=(4, 3)) * 0.5, x, y, 0.3))

        return build

    def logistic_reg(grad):
        def build():
            r = rng(13)
            # 28 features, as mapFeature
            X = np.concatenate([np.ones((20, 1)), r.normal(size=(20, 27)) * 0.5], axis=1)
            y = (r.uniform(size=20) < 0.5).astype(np.float64)
            return Problem(logistic_cost_reg, grad, (r.normal(size=28) * 0.2, X, y, 1.0))

        return build

    def glm(loss, grad, counts):
        def build():
            r = rng(14)
            X = r.normal(size=(15, 4)) * 0.5
            y = (
                r.poisson(2.0, size=15).astype(np.float64)
                if counts
                else (r.uniform(size=15) < 0.5) * 1.0
            )
            return Problem(loss, grad, (r.normal(size=4) * 0.3, X, y))

        return build

    return {
        "maxpool_all_ties_learngit": lambda: _maxpool_problem(
            max_pool_backward_naive_learngit, "nchw"
        ),
        "maxpool_all_ties_mnist_cnn": lambda: _maxpool_problem(maxpool_backward_mnist_cnn, "chw"),
        "maxpool_argmax_proyecto_ia": lambda: _maxpool_problem(maxpool_backward_proyecto_ia, "hwc"),
        "maxpool_split_torch_amax": lambda: _maxpool_problem(maxpool_backward_torch_amax, "nchw"),
        "convention_jax_docs": lambda: Problem(
            f_convention, f_plain, (CONVENTION_X,), options={"domain": "nonnegative"}, check="jvp"
        ),
        "covariance_prx": covariance_prx,
        "covariance_gpmat": covariance_gpmat,
        "layernorm_llmc_f32": layernorm(layernorm_backward_llmc, (0, 1, 2)),
        "layernorm_ttmetal_f32": layernorm(layernorm_bw_ttmetal, 0),
        "attention_llmc_f32": attention,
        "matmul_llmc_f32": matmul(matmul_backward_llmc, (0, 1, 2)),
        "mlp_bias_mean_kvfrans": mlp,
        "batchnorm_no_gamma_knet": batchnorm(batchnorm4_back_knet),
        "batchnorm_kratzert": batchnorm(batchnorm_backward_kratzert),
        "batchnorm_alt_cs182": batchnorm(batchnorm_backward_alt_cs182),
        "affine_cs182": affine,
        "linear_bias_axis0_aidotnet": linear_bias(fused_linear_bias_grad_aidotnet),
        "softmax_fabien102": classification(softmax_loss, softmax_grad_fabien102),
        "softmax_idotc": classification(softmax_loss_reg2, softmax_grad_idotc),
        "svm_reg_jingtinghuang": classification(svm_loss_cs231n, svm_grad_jingtinghuang),
        "softmax_loss_pair_xs2445": xs2445,
        "multinomial_pair_shenmbsw": shenmbsw(loss_f_shenmbsw),
        "multinomial_grad_shenmbsw": shenmbsw(multinomial_nll),
        "logistic_reg_edicoweb": logistic_reg(cost_function_reg_grad_edicoweb),
        "logistic_reg_length_osmanbaskaya": logistic_reg(cost_function_reg_grad_osmanbaskaya),
        "logistic_dask_glm": glm(logistic_loglike_dask, logistic_gradient_dask, counts=False),
        "poisson_dask_glm": glm(poisson_loglike_dask, poisson_gradient_dask, counts=True),
        # derived (one deliberate change to real code; not in CASES)
        "matmul_dbias_per_position_llmc": matmul(matmul_backward_dbias_per_position, 2),
    }


_BUILDERS = _problems()

CASES: list[Case] = [
    # real bugs, as shipped
    Case(
        "maxpool_all_ties_learngit",
        "github.com/Clarence-G/learngit cs231n/assignment2/max-pool.py",
        None,
        "FAIL",
    ),
    Case(
        "maxpool_all_ties_mnist_cnn",
        "github.com/AbdullahT01/MNIST_CNN layers/maxpool.py",
        None,
        "FAIL",
    ),
    Case(
        "mlp_bias_mean_kvfrans",
        "github.com/kvfrans/notes 2-training-neural-networks/backpropagation.ipynb (issue #5)",
        "constant_factor",
        "FAIL",
    ),
    Case(
        "batchnorm_no_gamma_knet",
        "github.com/denizyuret/Knet.jl issue #288 (batchnorm4_back, CPU)",
        "axis_scale",
        "FAIL",
    ),
    Case(
        "layernorm_ttmetal_f32",
        "github.com/tenstorrent/tt-metal issue #53204 (layernorm_bw_kernel.cpp compute_dx)",
        None,
        "FAIL",
    ),
    Case(
        "linear_bias_axis0_aidotnet",
        "github.com/ooples/AiDotNet.Tensors issue #234 (FusedLinearBackwardCore fallback)",
        "per_example",
        "FAIL",
    ),
    Case(
        "svm_reg_jingtinghuang",
        "github.com/jingtinghuang/CS231n-Spring-2017 assignment1/cs231n/classifiers/linear_svm.py (issue #3)",
        None,
        "FAIL",
    ),
    Case(
        "softmax_loss_pair_xs2445",
        "github.com/xs2445/CNN-PyCUDA-EECS4750-Project utils/Lossfunctions.py",
        None,
        "FAIL",
    ),
    Case(
        "multinomial_pair_shenmbsw",
        "github.com/shenmbsw/MachineLearning 4_Logistic_regression/loss_f.m + loss_grad.m",
        None,
        "FAIL",
    ),
    Case(
        "logistic_reg_length_osmanbaskaya",
        "github.com/osmanbaskaya/projects-and-hws machine-learning/hw4a/costFunctionReg.m",
        "constant_factor",
        "FAIL",
    ),
    # correct code
    Case(
        "maxpool_argmax_proyecto_ia",
        "github.com/a-galvez/Proyecto-IA Capas/maxpool.py",
        "none",
        "PASS",
    ),
    Case(
        "maxpool_split_torch_amax",
        "github.com/pytorch/pytorch tools/autograd/derivatives.yaml (amax) + FunctionsManual.cpp scale_grad_by_count",
        "none",
        "PASS",
    ),
    Case(
        "convention_jax_docs",
        "JAX docs, Custom_derivative_rules_for_Python_code (Enforcing a differentiation convention)",
        "none",
        "PASS",
    ),
    Case(
        "covariance_prx",
        "github.com/ryanvolz/prx prx/grad/covariance.py (grad_normcov_negloglik)",
        "none",
        "PASS",
    ),
    Case(
        "covariance_gpmat",
        "github.com/SheffieldML/GPmat matlab/ivmCovarianceGradient.m",
        "none",
        "PASS",
    ),
    Case(
        "layernorm_llmc_f32",
        "github.com/karpathy/llm.c doc/layernorm/layernorm.py (LayerNorm.backward)",
        "none",
        "PASS",
    ),
    Case(
        "attention_llmc_f32",
        "github.com/karpathy/llm.c train_gpt2.c (attention_backward)",
        "none",
        "PASS",
    ),
    Case(
        "matmul_llmc_f32",
        "github.com/karpathy/llm.c train_gpt2.c (matmul_backward)",
        "none",
        "PASS",
    ),
    Case(
        "batchnorm_kratzert",
        "kratzert.github.io 2016 batch-norm backward, via github.com/ForrestPi/ObjectDetection syncbn/batchNorm.md",
        "none",
        "PASS",
    ),
    Case(
        "batchnorm_alt_cs182",
        "github.com/leehanchung/cs182 assignment1/deeplearning/layers.py (batchnorm_backward_alt)",
        "none",
        "PASS",
    ),
    Case(
        "affine_cs182",
        "github.com/leehanchung/cs182 assignment1/deeplearning/layers.py (affine_backward)",
        "none",
        "PASS",
    ),
    Case(
        "softmax_fabien102",
        "github.com/fabien102/DlaD_lab2 Softmax/softmax.py (softmax_loss_vectorized)",
        "none",
        "PASS",
    ),
    Case(
        "softmax_idotc",
        "github.com/idotc/Deep_learning_practice evaluation_method/SoftMaxLoss.py (softmax_loss_naive)",
        "none",
        "PASS",
    ),
    Case(
        "multinomial_grad_shenmbsw",
        "github.com/shenmbsw/MachineLearning 4_Logistic_regression/loss_grad.m",
        "none",
        "PASS",
    ),
    Case(
        "logistic_reg_edicoweb",
        "github.com/edicoweb/Regresi-nLogistica_IA- Lab_IA/Lab_Practica03/costFunctionReg.m",
        "none",
        "PASS",
    ),
    Case(
        "logistic_dask_glm",
        "github.com/dask/dask-glm dask_glm/families.py (Logistic.gradient)",
        "none",
        "PASS",
    ),
    Case(
        "poisson_dask_glm",
        "github.com/dask/dask-glm dask_glm/families.py (Poisson.gradient)",
        "none",
        "PASS",
    ),
]

DERIVED: list[Case] = [
    Case(
        "matmul_dbias_per_position_llmc",
        "github.com/karpathy/llm.c train_gpt2.c matmul_backward with the sum over (b, t) of dbias dropped",
        "per_example",
        "FAIL",
    ),
]


def problem(name: str) -> Problem:
    """The check of case ``name``: fresh arrays every call (the NumPy ports write into their own arrays only)."""
    return _BUILDERS[name]()


def check(name: str, **overrides):
    """Run case ``name`` with ``jaxml.verify`` (``check_gradient`` or ``check_jvp``) and its options, overridden by
    ``overrides``; returns the report."""
    from jaxml import verify

    p = problem(name)
    options = {**(p.options or {}), **overrides}
    if p.check == "jvp":  # the plain function first, the rule-carrying one second
        return verify.check_jvp(p.grad, p.f, *p.args, argnums=p.argnums, **options)
    return verify.check_gradient(p.f, p.grad, *p.args, argnums=p.argnums, **options)


def as_gradient_pair(p: Problem) -> tuple[Callable, Callable]:
    """(scalar loss, hand gradient) of a problem: itself for a gradient check; for a JVP rule, Σ reference(x) and
    jax.grad of Σ f(x) (which runs the rule)."""
    if p.check == "gradient":
        return p.f, p.grad
    return (lambda *a: jnp.sum(p.grad(*a))), jax.grad(
        lambda *a: jnp.sum(p.f(*a)), argnums=p.argnums
    )


# ----------------------------------------------------------------------------------------------------------------
# The baseline: finite differences along one random direction


def finite_difference_check(
    f: Callable, g: Callable, args: tuple, argnums: Any, key: jax.Array, *, rtol: float = 1e-5
) -> bool:
    """Central differences of f along one random direction v against ⟨g(args), v⟩, in float64 (what
    ``jax.test_util.check_grads(f, args, order=1, modes=["rev"])`` does, with the hand gradient in autodiff's place):

        (f(x + h v) − f(x − h v)) / 2h  ≈  ⟨g(x), v⟩,   h = 1e-5,   |difference| ≤ rtol · (1 + |⟨g(x), v⟩|).

    Returns True when they agree (the check passes). A gradient of the wrong shape fails."""
    with jax.enable_x64(True):
        args = tuple(jax.tree_util.tree_map(_as_float64, a) for a in args)
        nums = argnums if isinstance(argnums, tuple) else (argnums,)
        leaves, treedef = jax.tree_util.tree_flatten(tuple(args[i] for i in nums))
        keys = jax.random.split(key, len(leaves))
        v = [
            np.asarray(jax.random.normal(k, np.shape(x), jnp.float64)) for k, x in zip(keys, leaves)
        ]
        directions = jax.tree_util.tree_unflatten(treedef, v)

        def moved(h: float) -> list:
            out = list(args)
            for i, d in zip(nums, directions):
                out[i] = jax.tree_util.tree_map(lambda x, t: x + h * t, args[i], d)
            return out

        h = 1e-5
        loss = jax.jit(f)  # both evaluations in one compiled program
        numeric = (float(loss(*moved(h))) - float(loss(*moved(-h)))) / (2 * h)
        mine = g(*args)
        mine = jax.tree_util.tree_leaves(mine if isinstance(argnums, tuple) else (mine,))
        if len(mine) != len(v) or any(np.shape(a) != np.shape(t) for a, t in zip(mine, v)):
            return False
        analytic = sum(float(np.sum(np.asarray(a, np.float64) * t)) for a, t in zip(mine, v))
        return bool(np.isfinite(numeric) and abs(numeric - analytic) <= rtol * (1 + abs(analytic)))


def _as_float64(a):
    a = np.asarray(a)
    return a.astype(np.float64) if np.issubdtype(a.dtype, np.floating) else a
