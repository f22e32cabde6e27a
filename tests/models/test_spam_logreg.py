"""Logistic regression on the spam features (write-up §2(e)): sparse products, hand gradient, the rate grid."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.data import DataSource
from jaxml.errors import UsageError
from jaxml.models import (
    build_vocabulary,
    featurize,
    fit_spam_logreg,
    predict_spam_logreg,
    to_sparse,
)
from jaxml.models._spam_logreg import _scores, log_likelihood_sum, log_likelihood_sum_grad
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


def test_sparse_scores_equal_the_dense_product(key):
    x, _ = _problem(key)
    theta = jax.random.normal(jax.random.fold_in(key, 1), (x.shape[1],))
    np.testing.assert_allclose(
        np.asarray(_scores(theta, 0.3, to_sparse(x))),
        x @ np.asarray(theta) + 0.3,
        rtol=1e-13,
        atol=1e-13,
    )


def test_log_likelihood_is_the_sum_over_messages(key):
    x, y = _problem(key)
    theta = jax.random.normal(jax.random.fold_in(key, 2), (x.shape[1],))
    z = x @ np.asarray(theta) - 0.2
    ref = np.sum(y * np.log(1 / (1 + np.exp(-z))) + (1 - y) * np.log(1 / (1 + np.exp(z))))
    np.testing.assert_allclose(
        float(log_likelihood_sum((theta, -0.2), to_sparse(x), jnp.asarray(y))), ref, rtol=1e-12
    )


def test_hand_gradient_equals_autodiff(key):
    x, y = _problem(key)
    xs, yj = to_sparse(x), jnp.asarray(y)
    params = (jax.random.normal(jax.random.fold_in(key, 3), (x.shape[1],)), jnp.asarray(0.1))
    assert_gradient(
        lambda p: log_likelihood_sum(p, xs, yj),
        lambda p: log_likelihood_sum_grad(p, xs, yj),
        params,
        points=16,
        key=key,
    )


def test_grid_fit_equals_plain_gradient_ascent(key):
    x, y = _problem(key)
    lrs = [1e-3, 1e-2, 1e-1]
    fit = fit_spam_logreg(x, y, lrs, num_steps=50, chunks=3)
    for g, lr in enumerate(lrs):
        theta, b = np.zeros(x.shape[1]), 0.0
        for _ in range(50):  # θ ← θ + α Xᵀ(y − σ(Xθ + b)), b ← b + α Σ(y − σ)
            r = y - 1 / (1 + np.exp(-(x @ theta + b)))
            theta, b = theta + lr * x.T @ r, b + lr * r.sum()
        np.testing.assert_allclose(np.asarray(fit.theta[g]), theta, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(float(fit.b[g]), b, rtol=1e-10, atol=1e-12)
    pred = np.asarray(predict_spam_logreg(fit, x))
    np.testing.assert_array_equal(
        pred, (x @ np.asarray(fit.theta).T + np.asarray(fit.b) > 0).T.astype(int)
    )


@pytest.mark.parametrize(
    "args, match",
    [
        ({"y": np.array([0, 1, 2])}, "labels must be 0 or 1"),
        ({"y": np.array([0, 1])}, "shape"),
        ({"learning_rates": [1e-3, 0.0]}, "learning_rates"),
        ({"learning_rates": []}, "learning_rates"),
        ({"num_steps": 0}, "num_steps"),
        ({"x": np.ones(3)}, r"\(n, V\)"),
    ],
)
def test_bad_input_is_one_clear_error(args, match):
    kw = {"x": np.eye(3), "y": np.array([0, 1, 1]), "learning_rates": [1e-3], "num_steps": 5}
    kw.update(args)
    with pytest.raises(UsageError, match=match):
        fit_spam_logreg(kw.pop("x"), kw.pop("y"), kw.pop("learning_rates"), **kw)


def test_synthetic_corpus():
    data = DataSource(None).spam()
    vocab = build_vocabulary(data["train"].messages)
    x, xv = (np.asarray(featurize(data[k].messages, vocab)) for k in ("train", "val"))
    fit = fit_spam_logreg(x, data["train"].y, [1e-4, 1e-2], num_steps=300)
    acc = np.mean(np.asarray(predict_spam_logreg(fit, xv)) == data["val"].y[None], axis=1)
    assert np.all(acc > 0.95), acc
    # the larger rate went further in 300 steps
    assert np.all(np.diff(np.asarray(fit.log_likelihood)) > 0)
