"""Logistic regression on sparse features (write-up §2(e)): sparse products, hand gradient, the rate grid, several
feature sets in one program, the L2 penalty against scikit-learn."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.data import DataSource
from jaxml.errors import UsageError
from jaxml.models import sparse_logistic as sl
from jaxml.models.text import build_vocabulary, featurize
from jaxml.testing import assert_gradient


def _problem(key, n=60, v=9):
    k1, k2, k3 = jax.random.split(key, 3)
    # sparse-ish counts, some zero rows
    x = np.asarray(jax.random.poisson(k1, 0.6, (n, v)), dtype=np.float64)
    theta = jax.random.normal(k2, (v,))
    y = np.asarray(jax.random.bernoulli(k3, jax.nn.sigmoid(jnp.asarray(x) @ theta - 0.5))).astype(
        np.float64
    )
    return x, y


def _model(theta, b):
    theta, b = np.atleast_2d(theta), np.atleast_1d(b)
    return sl.SparseLogistic(
        theta=theta, b=b, learning_rates=np.ones(len(b)), log_likelihood=np.zeros(len(b))
    )


def test_sparse_scores_equal_the_dense_product(key):
    x, _ = _problem(key)
    theta = np.asarray(jax.random.normal(jax.random.fold_in(key, 1), (2, x.shape[1])))
    z = np.asarray(sl.decision(_model(theta, [0.3, -1.0]), x))
    np.testing.assert_allclose(z, theta @ x.T + np.array([[0.3], [-1.0]]), rtol=1e-13, atol=1e-13)
    # the same through from_coo (entries in any order)
    row, col = np.nonzero(x)
    perm = np.random.default_rng(0).permutation(row.size)
    xs = sl.from_coo(row[perm], col[perm], x[row, col][perm], x.shape)
    np.testing.assert_array_equal(np.asarray(sl.decision(_model(theta, [0.3, -1.0]), xs)), z)
    p = np.asarray(sl.predict_proba(_model(theta, [0.3, -1.0]), x))
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z)), rtol=1e-13)  # σ(z)
    np.testing.assert_array_equal(
        np.asarray(sl.predict(_model(theta, [0.3, -1.0]), x)), (z > 0).astype(int)
    )


def test_log_likelihood_is_the_sum_over_messages(key):
    x, y = _problem(key)
    theta = jax.random.normal(jax.random.fold_in(key, 2), (x.shape[1],))
    z = x @ np.asarray(theta) - 0.2
    ref = np.sum(y * np.log(1 / (1 + np.exp(-z))) + (1 - y) * np.log(1 / (1 + np.exp(z))))
    value = sl.log_likelihood((theta, jnp.asarray(-0.2)), sl.to_sparse(x), jnp.asarray(y))
    np.testing.assert_allclose(float(value), ref, rtol=1e-12)


def test_hand_gradient_equals_autodiff(key):
    x, y = _problem(key)
    xs, yj = sl.to_sparse(x), jnp.asarray(y)
    params = (jax.random.normal(jax.random.fold_in(key, 3), (x.shape[1],)), jnp.asarray(0.1))
    assert_gradient(
        lambda p: sl.log_likelihood(p, xs, yj),
        lambda p: sl.log_likelihood_grad(p, xs, yj),
        params,
        points=16,
        key=key,
    )


def _numpy_ascent(x, y, lr, steps, lam=0.0):
    theta, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):  # θ ← θ + α (Xᵀ(y − σ(Xθ + b)) − λθ), b ← b + α Σ(y − σ)
        r = y - 1 / (1 + np.exp(-(x @ theta + b)))
        theta, b = theta + lr * (x.T @ r - lam * theta), b + lr * r.sum()
    return theta, b


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_grid_fit_equals_plain_gradient_ascent(key, lam):
    x, y = _problem(key)
    lrs = [1e-3, 1e-2, 1e-1]
    fit = sl.fit(x, y, learning_rates=lrs, num_steps=50, chunks=3, l2=lam)
    assert fit.l2 == lam and fit.num_steps == 50
    for g, lr in enumerate(lrs):
        theta, b = _numpy_ascent(x, y, lr, 50, lam)
        np.testing.assert_allclose(np.asarray(fit.theta[g]), theta, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(float(fit.b[g]), b, rtol=1e-10, atol=1e-12)
        ll = float(sl.log_likelihood((fit.theta[g], fit.b[g]), sl.to_sparse(x), jnp.asarray(y)))
        # ℓ, without the penalty
        np.testing.assert_allclose(float(fit.log_likelihood[g]), ll, rtol=1e-13)


def test_several_feature_sets_in_one_program_fit_exactly_as_alone(key):
    keys = jax.random.split(key, 3)
    x0, y = _problem(keys[0])
    sets = [x0, np.asarray(jax.random.poisson(keys[1], 0.3, (60, 14)), np.float64), (x0 > 0) * 1.0]
    lrs = [1e-3, 3e-2]
    together = sl.fit_many(sets, y, learning_rates=lrs, num_steps=40, l2=[0.0, 0.2, 0.0])
    for x, lam, fit in zip(sets, [0.0, 0.2, 0.0], together):
        alone = sl.fit(x, y, learning_rates=lrs, num_steps=40, l2=lam)
        assert fit.theta.shape == (2, x.shape[1]) and fit.l2 == lam
        np.testing.assert_array_equal(np.asarray(fit.theta), np.asarray(alone.theta))  # bit for bit
        np.testing.assert_array_equal(np.asarray(fit.b), np.asarray(alone.b))
        np.testing.assert_allclose(
            np.asarray(fit.log_likelihood), np.asarray(alone.log_likelihood), rtol=1e-14
        )
    scores = sl.decision_many(together, sets)
    for fit, x, z in zip(together, sets, scores):
        np.testing.assert_array_equal(np.asarray(z), np.asarray(sl.decision(fit, x)))


def test_l2_fit_converges_to_scikit_learn(key):
    linear_model = pytest.importorskip(
        "sklearn.linear_model", reason="scikit-learn is a test extra"
    )
    x, y = _problem(key)
    lam = 2.0  # maximise ℓ − (λ/2)‖θ‖²  ==  scikit-learn's C = 1/λ (the intercept unpenalised in both)
    fit = sl.fit(x, y, learning_rates=[0.02], num_steps=20_000, l2=lam)
    # Newton's method to 1e-12 (the default lbfgs stops on a relative decrease of ℓ near 1e-14: θ to ~1e-7 only)
    ref = linear_model.LogisticRegression(
        C=1 / lam, solver="newton-cholesky", tol=1e-12, max_iter=10_000
    ).fit(x, y)
    np.testing.assert_allclose(np.asarray(fit.theta[0]), ref.coef_[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(float(fit.b[0]), ref.intercept_[0], rtol=1e-6, atol=1e-8)


def test_float32_without_x64_and_no_warnings(key):
    x, y = _problem(key)
    with warnings.catch_warnings(), jax.enable_x64(False):
        warnings.simplefilter("error")
        fit = sl.fit(x, y, learning_rates=[1e-2], num_steps=30)
        z = sl.decision(fit, x)
    assert fit.theta.dtype == z.dtype == np.float32
    ref = sl.fit(x, y, learning_rates=[1e-2], num_steps=30)
    np.testing.assert_allclose(np.asarray(fit.theta), np.asarray(ref.theta), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "args, match",
    [
        ({"y": np.array([0, 1, 2])}, "labels must be 0 or 1"),
        ({"y": np.array([0, 1])}, "shape"),
        ({"learning_rates": [1e-3, 0.0]}, "learning_rates"),
        ({"learning_rates": []}, "learning_rates"),
        ({"num_steps": 0}, "num_steps"),
        ({"l2": -1.0}, "l2"),
        ({"x": np.ones(3)}, r"\(n, V\)"),
    ],
)
def test_bad_input_is_one_clear_error(args, match):
    kw = {"x": np.eye(3), "y": np.array([0, 1, 1]), "learning_rates": [1e-3], "num_steps": 5}
    kw.update(args)
    with pytest.raises(UsageError, match=match):
        sl.fit(kw.pop("x"), kw.pop("y"), **kw)


def test_positional_learning_rates_are_deprecated(key):
    x, y = _problem(key)
    with pytest.warns(
        DeprecationWarning, match=r"sparse_logistic.fit\(x, y, learning_rates=learning_rates\)"
    ):
        old = sl.fit(x, y, [1e-2], num_steps=3)
    new = sl.fit(x, y, learning_rates=[1e-2], num_steps=3)
    np.testing.assert_array_equal(np.asarray(old.theta), np.asarray(new.theta))


def test_mismatched_sets_and_models_are_clear_errors():
    fit = sl.fit(np.eye(3), np.array([0, 1, 1]), learning_rates=[1e-3], num_steps=2)
    with pytest.raises(UsageError, match="same n messages"):
        sl.fit_many([np.eye(3), np.eye(4)], np.array([0, 1, 1]), learning_rates=[1e-3])
    with pytest.raises(UsageError, match="columns"):
        sl.decision(fit, np.ones((2, 4)))
    with pytest.raises(UsageError, match="outside the shape"):
        sl.from_coo([0, 3], [0, 0], [1.0, 1.0], (3, 3))


def test_synthetic_corpus():
    data = DataSource(None).spam()
    vocab = build_vocabulary(data["train"].messages, min_count=5, sep=" ")  # the assignment's words
    x, xv = (np.asarray(featurize(data[k].messages, vocab)) for k in ("train", "val"))
    fit = sl.fit(x, data["train"].y, learning_rates=[1e-4, 1e-2], num_steps=300)
    acc = np.mean(np.asarray(sl.predict(fit, xv)) == data["val"].y[None], axis=1)
    assert np.all(acc > 0.95), acc
    # the larger rate went further in 300 steps
    assert np.all(np.diff(np.asarray(fit.log_likelihood)) > 0)
