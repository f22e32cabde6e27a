"""The course's own files load, with the counts the data's MANIFEST.md documents.

Needs ``JAXML_DATA`` (the cs229-ps2 directory); skips without it, fails under ``JAXML_REQUIRE_REAL_DATA=1``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from jaxml.data import load_double_descent_csv, load_labelled_csv, load_spam_tsv, locate

pytestmark = pytest.mark.real_data

SIZES = tuple(range(200, 801, 50))


@pytest.fixture(scope="module")
def double_descent(data_dir):
    """All 13 training files and validation.csv, loaded once (and timed)."""
    start = time.perf_counter()
    train = {
        n: load_double_descent_csv(data_dir / "double_descent" / f"train{n}.csv", rows=n)
        for n in SIZES
    }
    train_seconds = time.perf_counter() - start
    validation = load_double_descent_csv(data_dir / "double_descent" / "validation.csv")
    total_seconds = time.perf_counter() - start
    print(
        f"\n13 double-descent training files: {train_seconds:.2f} s (+ validation.csv: {total_seconds:.2f} s)"
    )
    return train, validation, train_seconds


@pytest.mark.parametrize(
    "split, n, n_spam",
    [("train", 4457, 611), ("val", 557, 69), ("test", 558, 67)],  # MANIFEST.md: spam_*.tsv
)
def test_spam(data_dir, split, n, n_spam):
    data = load_spam_tsv(data_dir / "spam" / f"spam_{split}.tsv")
    assert len(data.messages) == n and data.y.shape == (n,)
    assert int(data.y.sum()) == n_spam


@pytest.mark.parametrize(
    "path, n, zeros, ones",
    [
        ("logreg_stability/ds1_a.csv", 100, 54, 46),  # MANIFEST.md: A has 54 zeros and 46 ones
        ("logreg_stability/ds1_b.csv", 100, 45, 55),  # B has 45 zeros and 55 ones
        ("perceptron/train.csv", 200, 96, 104),  # train: 96/104
        ("perceptron/test.csv", 200, 104, 96),  # test: 104/96
        ("simple_nn/train.csv", 448, 102, 346),  # 448 rows, 102 zeros, 346 ones
    ],
)
def test_labelled(data_dir, path, n, zeros, ones):
    split = load_labelled_csv(data_dir / path)
    assert split.x.shape == (n, 2) and split.y.shape == (n,)
    assert (split.y == 0).sum() == zeros and (split.y == 1).sum() == ones


def test_labelled_ranges(data_dir):
    for name in ("ds1_a", "ds1_b"):
        x = load_labelled_csv(data_dir / "logreg_stability" / f"{name}.csv").x
        assert np.all((x >= 0) & (x <= 1))  # x in [0, 1]^2
    x = load_labelled_csv(data_dir / "simple_nn" / "train.csv").x
    assert np.all((x >= 0) & (x <= 4))  # x in [0, 4]^2
    # the first row of ds1_a.csv, bit for bit
    first = load_labelled_csv(data_dir / "logreg_stability" / "ds1_a.csv").x[0]
    np.testing.assert_array_equal(
        first, [float("6.012660321346644521e-01"), float("1.650910586864833274e-01")]
    )


def test_double_descent_shapes_and_nesting(double_descent):
    train, validation, _ = double_descent
    for n in SIZES:
        assert train[n].x.shape == (n, 500) and train[n].y.shape == (n,)
        # MANIFEST.md: trainN.csv is the header plus the first N rows of train800.csv
        np.testing.assert_array_equal(train[n].x, train[800].x[:n])
        np.testing.assert_array_equal(train[n].y, train[800].y[:n])
    assert validation.x.shape == (600, 500) and validation.y.shape == (600,)


def test_double_descent_exact_first_values(data_dir, double_descent):
    train, _, _ = double_descent
    # the first numbers of train200.csv as written in the file, parsed by float()
    np.testing.assert_array_equal(
        train[200].x[0, :4],
        [float("1.11527124e+00"), float("-6.70351748e-02"), -1.69492448, -1.63947678],
    )
    # and the whole of train200.csv against a plain per-number float() reading of its text
    text = (data_dir / "double_descent" / "train200.csv").read_text()
    records = text.split("\n", 1)[1].split('"[')[1:]
    x = np.array([[float(t) for t in r.split("]")[0].split()] for r in records])
    y = np.array([float(r.split('",')[1].split("\n")[0]) for r in records])
    np.testing.assert_array_equal(train[200].x, x)
    np.testing.assert_array_equal(train[200].y, y)


def test_double_descent_load_time(double_descent):
    _, _, seconds = double_descent
    assert seconds < 10.0, f"loading the 13 double-descent training files took {seconds:.2f} s"


def test_locate_real(data_dir, monkeypatch):
    monkeypatch.delenv("JAXML_DATA", raising=False)
    source = locate(data_dir)
    assert source.kind == "real"
    assert source.spam()["train"].y.sum() == 611
    assert source.simple_nn().x.shape == (448, 2)
    assert source.perceptron()["test"].x.shape == (200, 2)
    assert set(source.logreg_stability()) == {"a", "b"}
