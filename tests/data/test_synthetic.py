"""The seeded synthetic stand-ins: shapes as the real files, determinism, and the properties each problem needs."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.optimize import linprog

from jaxml.data import DoubleDescentData, Split, TextSplit, synthetic

GENERATORS = ("logreg_stability", "spam", "perceptron", "simple_nn", "double_descent")


def _linearly_separable(x: np.ndarray, y: np.ndarray) -> bool:
    """Is there (w, b) with s_i (w . x_i + b) >= 1 for all i (s_i = +-1)? An LP feasibility problem."""
    s = np.where(y == 1, 1.0, -1.0)
    a_ub = -s[:, None] * np.hstack([x, np.ones((len(x), 1))])  # -s_i [x_i, 1] . [w, b] <= -1
    res = linprog(np.zeros(x.shape[1] + 1), A_ub=a_ub, b_ub=-np.ones(len(x)), bounds=(None, None))
    assert res.status in (0, 2), res.message  # 0: feasible, 2: infeasible
    return res.status == 0


def _leaves(tree):
    """Every array / message list inside a generator's output, in a fixed order."""
    if isinstance(tree, DoubleDescentData):
        return _leaves(tree.train) + _leaves(tree.validation)
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k])]
    if isinstance(tree, (Split, TextSplit)):
        return list(tree)
    raise TypeError(type(tree))


def _same(a, b) -> bool:
    return all(
        (u == v) if isinstance(u, list) else (u.dtype == v.dtype and np.array_equal(u, v))
        for u, v in zip(_leaves(a), _leaves(b), strict=True)
    )


@pytest.mark.parametrize("name", GENERATORS)
def test_deterministic_and_seed_dependent(name):
    make = getattr(synthetic, name)
    assert _same(make(seed=0), make(seed=0))
    assert _same(make(seed=7), make(seed=7))
    assert not _same(make(seed=0), make(seed=1))


@pytest.mark.parametrize("name", GENERATORS)
def test_fast(name):
    make = getattr(synthetic, name)
    start = time.perf_counter()
    make(seed=3)
    assert time.perf_counter() - start < 0.5


def test_seed_is_keyword_only():
    for name in GENERATORS:
        with pytest.raises(TypeError):
            getattr(synthetic, name)(0)


# ---- logistic-regression stability ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_logreg_stability(seed):
    data = synthetic.logreg_stability(seed=seed)
    assert set(data) == {"a", "b"}
    for split in data.values():
        assert split.x.shape == (100, 2) and split.y.shape == (100,)  # as ds1_a/ds1_b.csv
        assert split.x.dtype == np.float64 and split.y.dtype == np.float64
        assert np.all((split.x >= 0) & (split.x <= 1))
        assert set(np.unique(split.y)) == {0.0, 1.0}
        assert 20 <= split.y.sum() <= 80
    a, b = data["a"], data["b"]
    # B: x0 + x1 = 1 separates with a gap (training on it makes unregularised logistic regression diverge)
    margin = (b.x.sum(1) - 1.0) * np.where(b.y == 1, 1.0, -1.0)
    assert margin.min() >= 0.03
    assert _linearly_separable(b.x, b.y)
    # A: label noise near the line makes it non-separable
    assert not _linearly_separable(a.x, a.y)


# ---- spam ---------------------------------------------------------------------------------------------------


def _words(message: str) -> list[str]:
    return message.lower().split(" ")


def test_spam_shapes_and_quirks():
    data = synthetic.spam(seed=0)
    assert {k: len(v.messages) for k, v in data.items()} == {"train": 4457, "val": 557, "test": 558}
    for split in data.values():
        assert split.y.dtype == np.int64 and split.y.shape == (len(split.messages),)
        assert set(np.unique(split.y)) == {0, 1}
        assert all(isinstance(m, str) for m in split.messages)
    train = data["train"]
    assert 0.10 < train.y.mean() < 0.18  # ~14% spam, like the course's 611 / 4457
    messages = [m for split in data.values() for m in split.messages]
    assert any(m == "" for m in messages)
    assert any("  " in m for m in messages)
    assert any(any(c.isupper() for c in m) for m in messages)
    assert any(any(c in "!?.," for c in m) for m in messages)
    assert any(not m.isascii() for m in messages)
    # the vocabularies overlap: some words occur in both classes
    ham_words = {w for m, y in zip(train.messages, train.y) if y == 0 for w in _words(m)}
    spam_words = {w for m, y in zip(train.messages, train.y) if y == 1 for w in _words(m)}
    assert len(ham_words & spam_words) > 20


def test_spam_learnable_by_naive_bayes():
    data = synthetic.spam(seed=0)
    train = data["train"]
    vocab = sorted({w for m in train.messages for w in _words(m)})
    index = {w: i for i, w in enumerate(vocab)}

    def counts(messages):
        out = np.zeros((len(messages), len(vocab)))
        for i, m in enumerate(messages):
            for w in _words(m):
                if w in index:
                    out[i, index[w]] += 1
        return out

    # multinomial naive Bayes with Laplace smoothing: log phi_{k|y} = log (count + 1) / (total + |V|)
    c = counts(train.messages)
    log_phi = [
        np.log((c[train.y == k].sum(0) + 1) / (c[train.y == k].sum() + len(vocab))) for k in (0, 1)
    ]
    prior = train.y.mean()
    for name in ("val", "test"):
        ct = counts(data[name].messages)
        score = ct @ (log_phi[1] - log_phi[0]) + np.log(prior / (1 - prior))
        accuracy = np.mean((score > 0) == (data[name].y == 1))
        assert accuracy > 0.9, (name, accuracy)


# ---- perceptron ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_perceptron_rings(seed):
    data = synthetic.perceptron(seed=seed)
    assert set(data) == {"train", "test"}
    for split in data.values():
        assert split.x.shape == (200, 2) and split.y.shape == (200,)
        assert set(np.unique(split.y)) == {0.0, 1.0}
        assert 70 <= split.y.sum() <= 130
        r = np.linalg.norm(split.x, axis=1)
        # label 1 inside (|x| ~ |N(0,1)|), label 0 on the ring |x| ~ N(4,1): as the course's files
        assert r[split.y == 1].mean() < 1.2 and 3.5 < r[split.y == 0].mean() < 4.5
        assert not _linearly_separable(split.x, split.y)


# ---- simple_nn ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_simple_nn_triangle(seed):
    split = synthetic.simple_nn(seed=seed)
    x, y = split.x, split.y
    assert x.shape == (448, 2) and y.shape == (448,) and y.dtype == np.float64
    assert (y == 0).sum() == 102 and (y == 1).sum() == 346  # the real file's counts
    assert np.all((x >= 0) & (x <= 4))
    # three half-planes x1 > 0.7, x2 > 0.7, x1 + x2 < 3.4 carve out class 0 with a margin of 0.1
    slack = np.stack([0.7 - x[:, 0], 0.7 - x[:, 1], (x.sum(1) - 3.4) / np.sqrt(2)], axis=1).max(1)
    assert np.all(slack[y == 0] <= -0.1) and np.all(slack[y == 1] >= 0.1)
    assert not _linearly_separable(x, y)


# ---- double descent -----------------------------------------------------------------------------------------


def test_double_descent_nested():
    data = synthetic.double_descent(seed=0)
    assert isinstance(data, DoubleDescentData)
    assert sorted(data.train) == list(range(200, 801, 50))
    full = data.train[800]
    for n, split in data.train.items():
        assert split.x.shape == (n, 500) and split.y.shape == (n,)
        np.testing.assert_array_equal(split.x, full.x[:n])
        np.testing.assert_array_equal(split.y, full.y[:n])
    assert data.validation.x.shape == (600, 500) and data.validation.y.shape == (600,)
    assert not np.any(np.all(data.validation.x[:, None, :5] == full.x[None, :, :5], axis=-1))


def test_double_descent_model():
    # y = X theta + 0.5 eps with theta ~ N(0, I/500): least squares on all 1400 rows recovers the noise level
    data = synthetic.double_descent(seed=0)
    x = np.concatenate([data.train[800].x, data.validation.x])
    y = np.concatenate([data.train[800].y, data.validation.y])
    assert abs(x.std() - 1.0) < 0.01 and abs(x.mean()) < 0.01
    theta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ theta
    sigma = np.sqrt(residual @ residual / (len(y) - 500))
    assert 0.45 < sigma < 0.55
    assert 0.7 < theta @ theta < 1.3  # E |theta|^2 = 1
