"""check_gradient: passes right gradients at float64 precision, flags wrong ones with the right diagnosis."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.errors import UsageError
from jaxml.verify import MistakeKind, check_gradient, check_hessian

N, D = 30, 4


def mse(theta, x, y):
    """L(θ) = (1/n) Σ (xᵢᵀθ − yᵢ)²."""
    return jnp.mean((x @ theta - y) ** 2)


def mse_grad(theta, x, y):
    return 2.0 * x.T @ (x @ theta - y) / y.shape[0]


@pytest.fixture
def problem(key):
    k1, k2, k3 = jax.random.split(key, 3)
    return jax.random.normal(k1, (D,)), jax.random.normal(k2, (N, D)), jax.random.normal(k3, (N,))


def test_right_gradient_passes_at_float64_precision(problem, key):
    report = check_gradient(mse, mse_grad, *problem, points=50, key=key)
    assert report.ok, str(report)
    assert report.max_rel_error < 1e-13
    assert report.points == 50
    assert report.diagnosis is None and report.mistake is None


@pytest.mark.parametrize(
    "wrong, kind, factor",
    [
        (lambda t, x, y: N * mse_grad(t, x, y), MistakeKind.CONSTANT_FACTOR, N),  # missing 1/n
        (lambda t, x, y: mse_grad(t, x, y) / N, MistakeKind.CONSTANT_FACTOR, 1 / N),  # extra 1/n
        (lambda t, x, y: 2.0 * mse_grad(t, x, y), MistakeKind.CONSTANT_FACTOR, 2.0),
        (lambda t, x, y: 0.5 * mse_grad(t, x, y), MistakeKind.CONSTANT_FACTOR, 0.5),
        (lambda t, x, y: -mse_grad(t, x, y), MistakeKind.SIGN, -1.0),
        (lambda t, x, y: -N * mse_grad(t, x, y), MistakeKind.CONSTANT_FACTOR, -N),  # and a sign
        (lambda t, x, y: 3.7 * mse_grad(t, x, y), MistakeKind.CONSTANT_FACTOR, 3.7),
    ],
    ids=["missing-1/n", "extra-1/n", "times-2", "half", "sign", "minus-n", "other-factor"],
)
def test_scale_and_sign_slips_are_named(problem, wrong, kind, factor):
    report = check_gradient(mse, wrong, *problem)
    assert not report.ok
    assert report.mistake.kind is kind, str(report)
    assert report.mistake.factor == pytest.approx(factor, rel=1e-9), str(report)
    assert report.mistake.leaf == ""


def test_per_example_gradient_where_mean_was_meant(problem):
    per_example = lambda t, x, y: 2.0 * x * (x @ t - y)[:, None]
    report = check_gradient(mse, per_example, *problem)
    assert not report.ok
    assert report.mistake.kind is MistakeKind.PER_EXAMPLE, str(report)
    assert report.mistake.param("reduction") == "mean"
    assert report.mistake.param("axes") == (0,) and report.mistake.param("lengths") == (N,)
    # no field carries the expected and the given shapes
    assert f"expected ({D},), got ({N}, {D})" in report.diagnosis


def test_per_example_gradient_where_sum_was_meant(problem):
    total = lambda t, x, y: jnp.sum((x @ t - y) ** 2)
    per_example = lambda t, x, y: 2.0 * x * (x @ t - y)[:, None]
    report = check_gradient(total, per_example, *problem)
    assert report.mistake.kind is MistakeKind.PER_EXAMPLE, str(report)
    assert report.mistake.param("reduction") == "sum"
    assert report.mistake.param("axes") == (0,) and report.mistake.param("lengths") == (N,)


def test_transpose_is_named_for_square_and_rectangular(key):
    k1, k2 = jax.random.split(key)
    x = jax.random.normal(k1, (N, 3))
    f = lambda w, x: jnp.sum(jnp.tanh(x @ w))
    grad = lambda w, x: x.T @ (1.0 - jnp.tanh(x @ w) ** 2)
    square = jax.random.normal(k2, (3, 3))
    rect = jax.random.normal(k2, (3, 5))
    assert check_gradient(f, grad, square, x).ok
    r1 = check_gradient(f, lambda w, x: grad(w, x).T, square, x)
    assert not r1.ok and r1.mistake.kind is MistakeKind.TRANSPOSE, str(r1)
    r2 = check_gradient(f, lambda w, x: grad(w, x).T, rect, x)
    assert not r2.ok and r2.mistake.kind is MistakeKind.TRANSPOSE, str(r2)
    # no field carries the expected and the given shapes
    assert "wrong shape: expected (3, 5), got (5, 3)" in r2.diagnosis


def test_wrong_shape_is_reported(problem):
    report = check_gradient(mse, lambda t, x, y: mse_grad(t, x, y)[:2], *problem)
    assert not report.ok
    assert report.mistake.kind is MistakeKind.SHAPE, str(report)
    # no field carries the expected and the given shapes
    assert f"wrong shape: expected ({D},), got (2,)" in report.diagnosis


def test_non_finite_values_are_reported(problem):
    report = check_gradient(mse, lambda t, x, y: mse_grad(t, x, y).at[1].set(jnp.nan), *problem)
    assert not report.ok
    assert report.mistake.kind is MistakeKind.NON_FINITE, str(report)
    assert report.mistake.param("count") == report.points  # entry 1 at every point


def test_worst_entry_is_shown_with_both_values(problem):
    wrong = lambda t, x, y: mse_grad(t, x, y).at[2].add(1.0)
    report = check_gradient(mse, wrong, *problem, points=8)
    assert not report.ok
    _, leaf, entry = report.worst_index
    assert entry == (2,) and leaf == ""
    assert report.worst_yours == pytest.approx(report.worst_autodiff + 1.0)
    text = str(report)
    assert "worst entry" in text and "yours =" in text and "autodiff =" in text
    assert report.mistake.kind is MistakeKind.PARTIAL, str(report)
    assert report.mistake.entries == ((2,),) and report.mistake.param("count") == 1


def test_pytree_parameters_and_tuple_argnums(key):
    k1, k2 = jax.random.split(key)
    params = {"w": jax.random.normal(k1, (3,)), "b": jnp.array(0.3)}
    x = jax.random.normal(k2, (N, 3))
    f = lambda p, x: jnp.mean(jnp.tanh(x @ p["w"] + p["b"]))

    def grad(p, x):
        s = 1.0 - jnp.tanh(x @ p["w"] + p["b"]) ** 2
        return {"w": x.T @ s / N, "b": jnp.mean(s)}

    assert check_gradient(f, grad, params, x).ok
    bad = lambda p, x: {"w": grad(p, x)["w"], "b": -grad(p, x)["b"]}
    report = check_gradient(f, bad, params, x)
    assert not report.ok and report.mistake.kind is MistakeKind.SIGN, str(report)
    assert report.mistake.leaf == "p['b']" and report.mistake.factor == pytest.approx(-1.0)
    # gradient with respect to two arguments at once
    g2 = lambda w, x: jnp.sum(jnp.sin(x @ w))
    both = lambda w, x: (x.T @ jnp.cos(x @ w), jnp.cos(x @ w)[:, None] * w[None, :])
    assert check_gradient(g2, both, params["w"], x, argnums=(0, 1)).ok


def test_tolerance_scales_with_the_gradient_not_the_array_size(key):
    """A relative error of 1e-6 fails at rtol 1e-9 whatever the size, and passes at rtol 1e-5."""
    for d in (3, 3000):
        x = jax.random.normal(key, (d,))
        f = lambda t: 1e6 * jnp.sum(t**3)
        grad = lambda t: 3e6 * t**2 * (1 + 1e-6)
        assert not check_gradient(f, grad, x, points=4).ok
        assert check_gradient(f, grad, x, points=4, rtol=1e-5).ok


def test_user_points_and_python_control_flow(problem):
    theta, x, y = problem
    at = (jnp.stack([theta, 2 * theta, -theta]), None, None)
    report = check_gradient(mse, mse_grad, theta, x, y, at=at)
    assert report.ok and report.points == 3

    def numpy_grad(t, x, y):  # not traceable: forces the point-by-point fallback
        t, x, y = (np.asarray(a) for a in (t, x, y))
        if t[0] > 1e9:
            raise AssertionError
        return 2.0 * x.T @ (x @ t - y) / len(y)

    assert check_gradient(mse, numpy_grad, *problem, points=5).ok


def test_jitted_user_gradient_behaves_the_same(problem):
    plain = check_gradient(mse, mse_grad, *problem, points=10)
    jitted = check_gradient(mse, jax.jit(mse_grad), *problem, points=10)
    assert plain.ok and jitted.ok
    assert jitted.max_rel_error < 1e-13


def test_a_gradient_that_raises_is_a_failed_report_not_a_crash(problem):
    def broken(t, x, y):
        raise ValueError("oops")

    report = check_gradient(mse, broken, *problem)
    assert not report.ok and report.mistake.kind is MistakeKind.RAISED, str(report)
    assert report.mistake.param("error") == "ValueError"
    assert "ValueError: oops" in report.diagnosis  # no field carries the exception's message


def test_hessian_check(problem):
    theta, x, y = problem
    hess = lambda t, x, y: 2.0 * x.T @ x / y.shape[0]
    assert check_hessian(mse, hess, theta, x, y).ok
    report = check_hessian(mse, lambda t, x, y: x.T @ x / y.shape[0], theta, x, y)
    assert not report.ok and report.mistake.kind is MistakeKind.CONSTANT_FACTOR, str(report)
    assert report.mistake.factor == pytest.approx(0.5, rel=1e-9)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda p: check_gradient(lambda t, x, y: x @ t, mse_grad, *p), "must return a scalar"),
        (lambda p: check_gradient(mse, mse_grad, *p, argnums=5), "out of range"),
        (lambda p: check_gradient(mse, mse_grad), "needs example arguments"),
        (lambda p: check_gradient(mse, mse_grad, *p, points=0), "points must be >= 1"),
        (lambda p: check_gradient(mse, mse_grad, *p, at=(p[0][None],)), "one entry per argument"),
        (lambda p: check_gradient("f", mse_grad, *p), "must be callables"),
    ],
)
def test_bad_usage_is_one_clear_error(problem, call, message):
    with pytest.raises(UsageError, match=message):
        call(problem)


def test_the_api_and_jaxml_verify_draw_the_same_points():
    """check_gradient(example=, points=, key=) and a @derivation run by jaxml verify (run_entry) with the same
    example, points and key compare at the same points: the same worst entry, the same diagnosis."""
    from jaxml.verify import Entry, run_entry

    f = lambda theta, x: jnp.sum(jnp.tanh(x @ theta))
    slip = lambda theta, x: 2.0 * x.T @ (1.0 - jnp.tanh(x @ theta) ** 2)  # an extra factor 2
    example = lambda key: (
        jax.random.normal(key, (3,)),
        jax.random.normal(jax.random.fold_in(key, 1), (6, 3)),
    )
    key = jax.random.PRNGKey(7)
    api = check_gradient(f, slip, example=example, points=12, key=key)
    entry = Entry(name="slip", kind="gradient", fn=slip, module=__name__, target=f, example=example)
    cli = run_entry(entry, points=12, key=key).report
    assert not api.ok and not cli.ok
    assert api.worst_index == cli.worst_index and api.worst_yours == cli.worst_yours
    assert api.max_abs_error == cli.max_abs_error and api.mistake == cli.mistake
    assert api.mistake.kind is MistakeKind.CONSTANT_FACTOR and api.mistake.factor == pytest.approx(
        2.0
    )


def test_a_term_with_the_wrong_factor_is_named():
    """CS231n's SVM gradient with reg·W where the loss has reg·‖W‖² (its gradient 2·reg·W): yours − true = −reg·W."""

    def loss(W, X, y, reg):
        s = X @ W
        n = X.shape[0]
        margins = (
            jnp.maximum(0.0, s - s[jnp.arange(n), y][:, None] + 1.0).at[jnp.arange(n), y].set(0.0)
        )
        return jnp.sum(margins) / n + reg * jnp.sum(W * W)

    def grad(W, X, y, reg, factor):
        s = X @ W
        n = X.shape[0]
        margins = (
            jnp.maximum(0.0, s - s[jnp.arange(n), y][:, None] + 1.0).at[jnp.arange(n), y].set(0.0)
        )
        mask = (margins > 0).astype(W.dtype)
        mask = mask.at[jnp.arange(n), y].set(-jnp.sum(mask, axis=1))
        return X.T @ mask / n + factor * reg * W

    rng = np.random.default_rng(0)
    args = (0.01 * rng.normal(size=(5, 3)), rng.normal(size=(20, 5)), rng.integers(0, 3, 20), 0.5)
    assert check_gradient(loss, lambda *a: grad(*a, 2.0), *args).ok
    report = check_gradient(loss, lambda *a: grad(*a, 1.0), *args)
    assert not report.ok and report.mistake.kind is MistakeKind.WRONG_TERM, str(report)
    assert report.mistake.factor == pytest.approx(-0.5) and report.mistake.param("term") == "W"


def test_a_mean_term_counted_twice_is_a_constant_offset():
    """A layer-norm backward that subtracts mean(dy·γ) twice (tenstorrent/tt-metal issue #53204, as a float64
    port): yours − true is one constant per row."""

    def loss(x, w, dout):
        mu = jnp.mean(x, axis=-1, keepdims=True)
        var = jnp.mean((x - mu) ** 2, axis=-1, keepdims=True)
        return jnp.sum(dout * (x - mu) / jnp.sqrt(var + 1e-5) * w)

    def backward(x, w, dout, twice):
        mu = jnp.mean(x, axis=-1, keepdims=True)
        rstd = 1.0 / jnp.sqrt(jnp.mean((x - mu) ** 2, axis=-1, keepdims=True) + 1e-5)
        norm, g = (x - mu) * rstd, dout * w
        dx = g - jnp.mean(g, axis=-1, keepdims=True) * (2.0 if twice else 1.0)
        return (dx - jnp.mean(g * norm, axis=-1, keepdims=True) * norm) * rstd

    rng = np.random.default_rng(1)
    args = (rng.normal(size=(4, 8)), rng.normal(size=8), rng.normal(size=(4, 8)))
    assert check_gradient(loss, lambda *a: backward(*a, False), *args).ok
    report = check_gradient(loss, lambda *a: backward(*a, True), *args)
    assert not report.ok and report.mistake.kind is MistakeKind.CONSTANT_OFFSET, str(report)
    assert report.mistake.param("axis") == 1
