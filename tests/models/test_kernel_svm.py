"""The course's RBF-kernel SVM (write-up §2(d)): against a NumPy transcription of the starter, invariances,
bad input, the synthetic corpus, and the real data replayed with the starter's own random stream."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.data import DataSource, locate
from jaxml.errors import UsageError
from jaxml.models import kernel_svm, kernels
from jaxml.models._kernel_svm import _index, _sq_dist_row
from jaxml.models.text import build_vocabulary, featurize

RADII = [0.01, 0.1, 1.0, 10.0]  # starter spam.py: compute_best_svm_radius(..., [0.01, 0.1, 1, 10])
# starter create_dictionary: words in >= 5 training messages, split(" ")
COURSE_VOCAB = {"min_count": 5, "sep": " "}


def _fit(x, y, radius, **options):
    """``kernel_svm.fit`` with the starter's λ = 1/(64 M) (C = 64; the library's default is C = 1)."""
    options.setdefault("lam", 1.0 / (64 * np.shape(x)[0]))
    return kernel_svm.fit(x, y, radius=radius, **options)


def starter_svm_numpy(x, y, radius, indices, lam=None):
    """The starter's svm_train / svm_predict loop in NumPy (M × M Gram matrix), the reference.

    grad = M·L·K[:, i]·α_i, minus y_i K[:, i] when y_i K[i, :]·α < 1; α -= grad/√t; ᾱ = Σ_t α_t / T
    (the starter divides by T·M; a positive factor, irrelevant to the sign).
    """
    m = x.shape[0]
    y_pm = 2.0 * y - 1.0
    xb = 1.0 * (x > 0)
    sq = np.sum(xb * xb, axis=1)
    k = np.exp(-(sq[None, :] + sq[:, None] - 2 * xb @ xb.T) / (2 * radius**2))
    lam = 1.0 / (64 * m) if lam is None else lam
    alpha, alpha_sum = np.zeros(m), np.zeros(m)
    for t, i in enumerate(indices, start=1):
        margin = y_pm[i] * np.dot(k[i, :], alpha)
        grad = m * lam * k[:, i] * alpha[i]
        if margin < 1:
            grad -= y_pm[i] * k[:, i]
        alpha -= grad / np.sqrt(t)
        alpha_sum += alpha
    return alpha_sum / len(indices), alpha


def _decision_numpy(xtrain, alpha, xq, radius):
    a, b = 1.0 * (xq > 0), 1.0 * (xtrain > 0)
    d = a.sum(1)[:, None] + b.sum(1)[None, :] - 2 * a @ b.T
    return np.exp(-d / (2 * radius**2)) @ alpha


@pytest.fixture(scope="module")
def small():
    """300 synthetic messages (binary features are what the SVM sees), plus 120 queries."""
    data = DataSource(None).spam()
    vocab = build_vocabulary(data["train"].messages, **COURSE_VOCAB)
    x = np.asarray(featurize(data["train"].messages[:300], vocab))
    y = np.asarray(data["train"].y[:300])
    xq = np.asarray(featurize(data["val"].messages[:120], vocab))
    yq = np.asarray(data["val"].y[:120])
    return x, y, xq, yq


@pytest.mark.parametrize("radius", [0.1, 1.0, 10.0])
def test_matches_the_numpy_starter_step_for_step(small, radius):
    x, y, xq, _ = small
    indices = np.random.RandomState(7).randint(0, x.shape[0], size=10 * x.shape[0])
    ref_avg, ref_last = starter_svm_numpy(x, y, radius, indices)
    model = _fit(x, y, radius, indices=indices)
    scale = np.max(np.abs(ref_last))
    np.testing.assert_allclose(np.asarray(model.alpha_last), ref_last, rtol=0, atol=1e-11 * scale)
    np.testing.assert_allclose(np.asarray(model.alpha), ref_avg, rtol=0, atol=1e-11 * scale)
    ref_f = _decision_numpy(x, ref_avg, xq, radius)
    np.testing.assert_array_equal(
        np.asarray(kernel_svm.predict(model, xq)), (ref_f > 0).astype(int)
    )


def test_several_radii_in_one_scan_equal_separate_fits(small):
    x, y, xq, _ = small
    indices = np.random.RandomState(3).randint(0, x.shape[0], size=2000)
    together = _fit(x, y, RADII, indices=indices)
    assert together.alpha.shape == (4, x.shape[0])
    f_all = np.asarray(kernel_svm.decision(together, xq))
    for r, radius in enumerate(RADII):
        alone = _fit(x, y, radius, indices=indices)
        np.testing.assert_array_equal(np.asarray(together.alpha[r]), np.asarray(alone.alpha))
        np.testing.assert_array_equal(f_all[r], np.asarray(kernel_svm.decision(alone, xq)))


def test_chunks_do_not_change_the_result_and_report_progress(small):
    x, y, _, _ = small
    calls = []
    one = _fit(x, y, 1.0, key=jax.random.PRNGKey(0), num_steps=1000, chunks=1)
    many = _fit(
        x,
        y,
        1.0,
        key=jax.random.PRNGKey(0),
        num_steps=1000,
        chunks=7,
        callback=lambda done, total: calls.append((done, total)),
    )
    np.testing.assert_array_equal(np.asarray(one.alpha), np.asarray(many.alpha))
    assert calls[-1] == (1000, 1000) and len(calls) == 7
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_seeded(small):
    x, y, _, _ = small
    a = _fit(x, y, 1.0, key=jax.random.PRNGKey(1), num_steps=500)
    b = _fit(x, y, 1.0, key=jax.random.PRNGKey(1), num_steps=500)
    c = _fit(x, y, 1.0, key=jax.random.PRNGKey(2), num_steps=500)
    np.testing.assert_array_equal(np.asarray(a.alpha), np.asarray(b.alpha))
    assert not np.array_equal(np.asarray(a.alpha), np.asarray(c.alpha))
    assert a.num_steps == 500 and a.lam == 1 / (64 * x.shape[0])  # the starter's λ, given
    # the library's defaults: C = 1 (λ = 1/M, scikit-learn's SVC), T = 10 M (ten passes, the course's too)
    d = kernel_svm.fit(x, y, radius=1.0, key=jax.random.PRNGKey(1))
    assert d.num_steps == 10 * x.shape[0] and d.lam == 1 / x.shape[0]


def test_positional_radius_is_deprecated(small):
    x, y, _, _ = small
    idx = np.arange(50) % x.shape[0]
    with pytest.warns(DeprecationWarning, match=r"kernel_svm.fit\(x, y, radius=radius\)"):
        old = kernel_svm.fit(x, y, 1.0, indices=idx)
    new = kernel_svm.fit(x, y, radius=1.0, indices=idx)
    np.testing.assert_array_equal(np.asarray(old.alpha), np.asarray(new.alpha))


def test_a_key_is_its_sampled_indices(small):
    x, y, _, _ = small
    key = jax.random.PRNGKey(11)
    idx = kernel_svm.sample_indices(x.shape[0], key=key, num_steps=700)
    # i_t ~ Uniform{0..M-1}, drawn as int32 whatever the x64 setting
    np.testing.assert_array_equal(
        idx, jax.random.randint(key, (700,), 0, x.shape[0], dtype=jnp.int32)
    )
    a = _fit(x, y, [0.5, 2.0], key=key, num_steps=700)
    b = _fit(x, y, [0.5, 2.0], indices=idx)
    np.testing.assert_array_equal(np.asarray(a.alpha), np.asarray(b.alpha))
    # S streams in one program: row s is the stream of the s-th split key (the experiment's seeds)
    streams = kernel_svm.sample_indices(x.shape[0], key=key, num_steps=700, fits=3)
    for s, k in enumerate(jax.random.split(key, 3)):
        np.testing.assert_array_equal(
            streams[s], kernel_svm.sample_indices(x.shape[0], key=k, num_steps=700)
        )


def test_float32_without_x64_and_no_warnings(small):
    import warnings

    x, y, xq, _ = small
    idx = np.arange(600) % x.shape[0]
    with warnings.catch_warnings(), jax.enable_x64(False):
        warnings.simplefilter("error")
        model = _fit(x, y, [1.0, 3.0], indices=idx)
        f = kernel_svm.decision(model, xq)
    assert model.alpha.dtype == f.dtype == np.float32
    ref = _fit(x, y, [1.0, 3.0], indices=idx)  # float64 (the tests enable x64)
    np.testing.assert_allclose(
        np.asarray(f), np.asarray(kernel_svm.decision(ref, xq)), rtol=1e-4, atol=1e-5
    )


def test_distance_rows_are_exact(small):
    x, _, _, _ = small
    xb = (x > 0).astype(np.uint8)
    index = _index(xb)
    rows = np.asarray(
        jax.jit(jax.vmap(functools.partial(_sq_dist_row, index)))(jnp.arange(xb.shape[0]))
    )
    xf = xb.astype(np.int64)
    ref = xf.sum(1)[:, None] + xf.sum(1)[None, :] - 2 * xf @ xf.T  # ‖x_i − x_j‖² for 0/1 vectors
    np.testing.assert_array_equal(rows, ref)
    np.testing.assert_array_equal(ref, ((xf[:, None, :] - xf[None, :, :]) ** 2).sum(-1))


@pytest.mark.parametrize("block_size", [7, 64, 1000])
def test_decision_matches_the_pairwise_rbf_kernel(small, block_size):
    # cross-check with jaxml.models.kernels.rbf / kernels.matvec (the perceptron's kernels) on the binarised data
    x, y, xq, _ = small
    model = _fit(x, y, [0.5, 3.0], key=jax.random.PRNGKey(4), num_steps=800)
    f = np.asarray(kernel_svm.decision(model, xq, block_size=block_size))
    xb, xqb = (x > 0).astype(np.float64), (xq > 0).astype(np.float64)
    for r, radius in enumerate([0.5, 3.0]):
        kernel = functools.partial(kernels.rbf, sigma=radius)
        ref = np.asarray(kernels.matvec(kernel, xb, model.alpha[r], xqb))
        np.testing.assert_allclose(f[r], ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_zero_decision_is_ham():
    # at a tiny radius a query far from every training message gets f = 0 exactly (underflow): the starter's
    # (1 + sign f) // 2 makes that 0
    x = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], float)
    model = _fit(x, np.array([1, 0]), 0.01, indices=np.array([0, 1, 0, 1]))
    assert float(kernel_svm.decision(model, np.array([[0, 0, 1, 1.0]]))[0]) == 0.0
    np.testing.assert_array_equal(
        kernel_svm.predict(model, np.array([[0, 0, 1, 1.0], [5, 0, 0, 0]])), [0, 1]
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y": np.array([1, -1, 1])}, "labels must be 0 or 1"),
        ({"y": np.array([0, 1])}, "shape"),
        ({"radius": 0.0}, "radius"),
        ({"radius": [1.0, -1.0]}, "radius"),
        ({"radius": [[1.0]]}, "radius"),
        ({"key": None}, "exactly one of key"),
        ({"indices": np.array([0, 1])}, "exactly one of key"),  # both a key and indices
        ({"key": None, "indices": np.array([0, 3])}, r"indices must lie in \[0, 3\)"),
        ({"key": None, "indices": np.array([0.0, 1.0])}, "int array"),
        ({"key": None, "indices": np.array([0, 1]), "num_steps": 3}, "num_steps=3 but 2 indices"),
        ({"chunks": 0}, "chunks"),
        ({"num_steps": 0}, "num_steps"),
        ({"x": np.ones(3)}, r"\(n, V\)"),
        ({"x": np.full((3, 2), np.inf)}, "finite"),
        ({"lam": -1.0}, "lam"),
    ],
)
def test_bad_input_is_one_clear_error(kwargs, match):
    args = {"x": np.eye(3), "y": np.array([1, 0, 1]), "radius": 1.0, "key": jax.random.PRNGKey(0)}
    args.update(kwargs)
    x, y, radius = args.pop("x"), args.pop("y"), args.pop("radius")
    with pytest.raises(UsageError, match=match):
        kernel_svm.fit(x, y, radius=radius, **args)


def test_predict_rejects_wrong_vocabulary():
    model = _fit(np.eye(3), np.array([1, 0, 1]), 1.0, key=jax.random.PRNGKey(0), num_steps=5)
    with pytest.raises(UsageError, match="columns"):
        kernel_svm.predict(model, np.ones((2, 4)))


def test_learns_two_word_clusters(key):
    # spam uses words 0-9, ham words 10-19, both some of 20-29: an RBF SVM on the binarised counts separates them
    k1, k2, k3 = jax.random.split(key, 3)
    n = 400
    y = np.asarray(jax.random.bernoulli(k1, 0.3, (n,))).astype(np.int64)
    own = np.asarray(jax.random.bernoulli(k2, 0.35, (n, 10)))
    noise = np.asarray(jax.random.bernoulli(k3, 0.15, (n, 10)))
    x = np.zeros((n, 30))
    x[y == 1, :10] = own[y == 1]
    x[y == 0, 10:20] = own[y == 0]
    x[:, 20:] = noise
    train, test = slice(0, 300), slice(300, None)
    model = _fit(x[train], y[train], [1.0, 3.0], key=jax.random.PRNGKey(0))
    acc = np.mean(np.asarray(kernel_svm.predict(model, x[test])) == y[test][None], axis=1)
    assert np.all(acc > 0.95), acc


def test_synthetic_corpus_is_no_worse_than_the_majority_class():
    # the stand-in corpus draws words independently, so near-duplicates (what the RBF SVM exploits on real SMS)
    # are rare: the SVM is only a little better than always answering ham there (87.3% vs 86.7% at r = 0.1)
    data = DataSource(None).spam()
    vocab = build_vocabulary(data["train"].messages, **COURSE_VOCAB)
    x, xv = (np.asarray(featurize(data[k].messages, vocab)) for k in ("train", "val"))
    model = _fit(x, data["train"].y, 0.1, key=jax.random.PRNGKey(0))
    pred = np.asarray(kernel_svm.predict(model, xv))
    yv = data["val"].y
    assert set(np.unique(pred)) <= {0, 1} and pred.shape == yv.shape
    assert np.mean(pred == yv) >= 1 - yv.mean()


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real(data_dir):
    data = locate(data_dir).spam()
    vocab = build_vocabulary(data["train"].messages, **COURSE_VOCAB)
    x = {k: np.asarray(featurize(s.messages, vocab)) for k, s in data.items()}
    y = {k: np.asarray(s.y) for k, s in data.items()}
    return x, y


@pytest.mark.real_data
@pytest.mark.slow
def test_real_data_replays_the_starter_stream(real):
    # The starter (svm.py) calls np.random.seed(123) once; spam.py then runs the 4 validation fits in radius
    # order and the test fit, each drawing i = int(rand() * M) for t = 1..10 M.
    x, y = real
    m = x["train"].shape[0]
    rng = np.random.RandomState(123)
    streams = [(rng.random_sample(10 * m) * m).astype(np.int64) for _ in range(5)]
    val = []
    for radius, idx in zip(RADII, streams[:4]):
        model = _fit(x["train"], y["train"], radius, indices=idx, chunks=1)
        val.append(np.mean(np.asarray(kernel_svm.predict(model, x["val"])) == y["val"]))
    assert RADII[int(np.argmax(val))] == 0.1  # write-up §2(d): optimal radius 0.1
    model = _fit(x["train"], y["train"], 0.1, indices=streams[4], chunks=1)
    correct = int(np.sum(np.asarray(kernel_svm.predict(model, x["test"])) == y["test"]))
    assert correct == 541  # write-up §2(d): 96.95% of 558 = 541


def test_distance_matrix_and_per_step_rows_give_the_same_fit(monkeypatch):
    """The steps read their distance rows from a precomputed matrix (small M) or compute them from the index
    (large M): the same integers, so bit-identical fits."""
    from jaxml.models import _kernel_svm

    rng = np.random.default_rng(5)
    x = (rng.random((120, 40)) < 0.15).astype(np.float64) * rng.integers(1, 4, (120, 40))
    y = (x[:, :5].sum(axis=1) > 1).astype(np.float64)
    idx = kernel_svm.sample_indices(120, key=jax.random.PRNGKey(2), num_steps=600)
    with_matrix = kernel_svm.fit(x, y, radius=[0.5, 2.0], indices=idx, chunks=3)
    monkeypatch.setattr(_kernel_svm, "DISTANCE_MATRIX_BYTES", 0)
    per_step = kernel_svm.fit(x, y, radius=[0.5, 2.0], indices=idx, chunks=3)
    np.testing.assert_array_equal(np.asarray(with_matrix.alpha), np.asarray(per_step.alpha))
    np.testing.assert_array_equal(
        np.asarray(with_matrix.alpha_last), np.asarray(per_step.alpha_last)
    )
    index = _index((x > 0).astype(np.uint8))
    d = np.asarray(_kernel_svm._distance_matrix(index, jnp.uint8))
    rows = np.stack([np.asarray(_sq_dist_row(index, i)) for i in range(0, 120, 17)])
    np.testing.assert_array_equal(d[::17].astype(np.int32), rows)
    np.testing.assert_array_equal(d, d.T)
