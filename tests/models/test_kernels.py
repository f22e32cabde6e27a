"""Kernels as pairwise functions, the Gram matrix, and the blocked kernel–vector product."""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.errors import UsageError
from jaxml.models import _kernels, kernels
from jaxml.models.kernels import min_eigenvalue

dot_kernel, rbf_kernel, non_psd_kernel, polynomial_kernel = (
    kernels.dot,
    kernels.rbf,
    kernels.non_psd,
    kernels.polynomial,
)
gram_matrix, kernel_matvec = kernels.gram, kernels.matvec


def _avals(jaxpr):
    """Every abstract value (inputs, outputs, intermediates) in a jaxpr and all its sub-jaxprs (scan, pjit...)."""
    for v in list(jaxpr.invars) + list(jaxpr.outvars) + list(jaxpr.constvars):
        if hasattr(v, "aval"):
            yield v.aval
    for eqn in jaxpr.eqns:
        for v in eqn.outvars:
            yield v.aval
        for p in eqn.params.values():
            for sub in p if isinstance(p, (list, tuple)) else [p]:
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    yield from _avals(inner)


def _largest_array(fn, *args) -> int:
    return max(
        int(np.prod(a.shape))
        for a in _avals(jax.make_jaxpr(fn)(*args).jaxpr)
        if hasattr(a, "shape")
    )


X = jnp.array([1.0, 2.0])
Z = jnp.array([3.0, 4.0])


@pytest.mark.parametrize(
    "kernel, expected",
    [
        (dot_kernel, 11.0),  # 1*3 + 2*4
        (rbf_kernel, np.exp(-8.0 / 2.0)),  # ||x - z||^2 = 4 + 4 = 8, sigma = 1
        (functools.partial(rbf_kernel, sigma=2.0), np.exp(-8.0 / 8.0)),  # 2 sigma^2 = 8
        (non_psd_kernel, 0.0),  # distinct points
        (polynomial_kernel, 144.0),  # (1 + 11)^2
        (functools.partial(polynomial_kernel, degree=3, c=0.0), 1331.0),  # 11^3
    ],
)
def test_kernel_values_by_hand(kernel, expected):
    assert float(kernel(X, Z)) == pytest.approx(expected, rel=1e-15)
    assert float(jax.jit(kernel)(X, Z)) == pytest.approx(expected, rel=1e-15)


def test_rbf_self_similarity_is_one_and_symmetric(key):
    x, z = jax.random.normal(key, (2, 5))
    assert float(rbf_kernel(x, x)) == 1.0
    assert float(rbf_kernel(x, z)) == float(rbf_kernel(z, x))


def test_non_psd_threshold_is_on_squared_distance():
    # course starter: -1 when ||x - z||^2 < 1e-5, so a squared distance of 0.9e-5 counts as "the same point"
    x = jnp.array([0.0, 0.0])
    assert float(non_psd_kernel(x, x)) == -1.0
    assert float(non_psd_kernel(x, jnp.array([np.sqrt(0.9e-5), 0.0]))) == -1.0
    assert float(non_psd_kernel(x, jnp.array([np.sqrt(1.1e-5), 0.0]))) == 0.0
    assert float(non_psd_kernel(x, jnp.array([0.01, 0.0]), eps=1e-3)) == -1.0


def test_gram_matrix_dot_is_x_xT(key):
    x = jax.random.normal(key, (7, 3))
    np.testing.assert_allclose(gram_matrix(dot_kernel, x), x @ x.T, rtol=1e-14)
    z = x[:4] + 1.0
    assert gram_matrix(dot_kernel, x, z).shape == (7, 4)


def test_gram_eigenvalues_psd_and_non_psd(key):
    x = jax.random.normal(key, (60, 2)) * 3.0
    assert min_eigenvalue(gram_matrix(rbf_kernel, x)) > -1e-10  # RBF is PSD (up to rounding)
    g = np.asarray(gram_matrix(non_psd_kernel, x))
    # distinct random points: the non-PSD Gram matrix is -I
    np.testing.assert_array_equal(g, -np.eye(60))
    assert min_eigenvalue(g) == pytest.approx(-1.0, abs=1e-14)


@pytest.mark.parametrize("block_size", [None, 1, 7, 32, 1000])
@pytest.mark.parametrize("kernel", [dot_kernel, rbf_kernel, non_psd_kernel, polynomial_kernel])
def test_kernel_matvec_equals_gram_product(key, kernel, block_size):
    kx, kz, kb = jax.random.split(key, 3)
    x = jax.random.normal(kx, (50, 3))
    z = jnp.concatenate([jax.random.normal(kz, (30, 3)), x[:3]])  # include exact training points
    beta = jax.random.normal(kb, (50,))
    expected = gram_matrix(kernel, x, z).T @ beta
    got = kernel_matvec(kernel, x, beta, z, block_size=block_size)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    jitted = jax.jit(lambda b: kernel_matvec(kernel, x, b, z, block_size=block_size))(beta)
    np.testing.assert_allclose(jitted, expected, rtol=1e-12, atol=1e-12)


def test_kernel_matvec_user_kernel(key):
    def laplace(x, z):  # a user's own kernel: exp(-||x - z||_1)
        return jnp.exp(-jnp.sum(jnp.abs(x - z)))

    kx, kb = jax.random.split(key)
    x = jax.random.normal(kx, (20, 2))
    beta = jax.random.normal(kb, (20,))
    expected = np.exp(-np.abs(np.asarray(x)[:, None] - np.asarray(x)[None]).sum(-1)) @ np.asarray(
        beta
    )
    np.testing.assert_allclose(
        kernel_matvec(laplace, x, beta, x, block_size=3), expected, rtol=1e-12
    )


def test_kernel_matvec_never_forms_the_full_matrix(key):
    n = m = 400
    x = jax.random.normal(key, (n, 2))
    beta = jnp.ones(n)
    largest = _largest_array(lambda b: kernel_matvec(rbf_kernel, x, b, x, block_size=25), beta)
    # a block holds the (25, n, d) differences x_j - z_i before the squared distance: 25 * n * 2 values
    assert largest <= 25 * n * 2, (
        f"an intermediate of {largest} values exists; blocks hold 25 x {n} x 2"
    )
    assert largest < n * m
    # and the helper really does hold (block, n) blocks: the check above is not vacuous
    assert _largest_array(lambda b: gram_matrix(rbf_kernel, x) @ b, beta) >= n * m


def test_default_block_size():
    default_block_size = _kernels.default_block_size  # private: matvec's default block
    assert default_block_size(20_000, 20_000) == 2**22 // 20_000
    assert default_block_size(10, 5) == 5  # never more rows than there are queries
    assert default_block_size(2**23, 5) == 1


def test_positional_kernel_parameters_are_deprecated():
    with pytest.warns(DeprecationWarning, match=r"kernels.rbf\(x, z, sigma=sigma\)"):
        old = rbf_kernel(X, Z, 2.0)
    assert float(old) == float(rbf_kernel(X, Z, sigma=2.0))
    with pytest.warns(DeprecationWarning, match=r"kernels.polynomial\(x, z, degree=degree, c=c\)"):
        assert float(polynomial_kernel(X, Z, 3, 0.0)) == 1331.0
    with pytest.warns(DeprecationWarning, match="dtype=dtype"):
        kernels.check_kernel(dot_kernel, 2, jnp.float32)
    with warnings.catch_warnings():  # the keyword spellings warn nothing
        warnings.simplefilter("error")
        jax.jit(functools.partial(rbf_kernel, sigma=2.0))(X, Z)
        kernels.check_kernel(dot_kernel, 2, dtype=jnp.float32)


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: kernel_matvec(dot_kernel, jnp.ones(3), jnp.ones(3), jnp.ones((2, 3))),
            r"x must have shape \(n, d\)",
        ),
        (
            lambda: kernel_matvec(dot_kernel, jnp.ones((4, 2)), jnp.ones(4), jnp.ones((2, 3))),
            "2 columns",
        ),
        (
            lambda: kernel_matvec(dot_kernel, jnp.ones((4, 2)), jnp.ones(5), jnp.ones((2, 2))),
            r"beta must have shape \(4,\)",
        ),
        (
            lambda: kernel_matvec(
                dot_kernel, jnp.ones((4, 2)), jnp.ones(4), jnp.ones((2, 2)), block_size=0
            ),
            "block_size",
        ),
        (
            lambda: kernel_matvec(
                lambda a, b: a * b, jnp.ones((4, 2)), jnp.ones(4), jnp.ones((2, 2))
            ),
            "scalar",
        ),
        (lambda: kernel_matvec("rbf", jnp.ones((4, 2)), jnp.ones(4), jnp.ones((2, 2))), "function"),
        (
            lambda: gram_matrix(lambda a, b: a @ jnp.ones(3), jnp.ones((4, 2))),
            "failed on two vectors",
        ),
    ],
)
def test_bad_input_is_a_usage_error(call, match):
    with pytest.raises(UsageError, match=match):
        call()


def test_float32_without_x64_stays_float32_and_warns_nothing():
    # the library never asks for a 64-bit dtype on its own: with x64 off, float32 in, float32 out, no warning
    x = np.random.default_rng(0).standard_normal((30, 2)).astype(np.float32)
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("error")
        for kernel in (dot_kernel, rbf_kernel, non_psd_kernel, polynomial_kernel):
            assert gram_matrix(kernel, x).dtype == jnp.float32
            assert kernel_matvec(kernel, x, np.ones(30, np.float32), x[:7]).dtype == jnp.float32
        # integers: the default float
        assert gram_matrix(dot_kernel, x.astype(np.int32)).dtype == jnp.float32


def test_matvec_compiles_once_per_kernel_and_shape(key):
    x = jax.random.normal(key, (40, 2))
    beta = jnp.ones(40)
    kernel_matvec(rbf_kernel, x, beta, x[:10])
    before = _kernels._matvec_jit._cache_size()
    # new data, same shapes: no new program
    kernel_matvec(rbf_kernel, x + 1.0, beta * 2.0, x[10:20])
    assert _kernels._matvec_jit._cache_size() == before
