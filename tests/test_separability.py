"""jaxml.separability: exact linear separability by LP, its witnesses, the hard-margin SVM, and for 2-D data the
exact hull certificate and the best linear classifier."""

from __future__ import annotations

import numpy as np
import pytest

from jaxml.errors import UsageError
from jaxml.separability import (
    best_linear,
    hull_certificate,
    linearly_separable,
    max_margin,
    separability,
)


def _two_blobs(rng, n=60, gap=0.5):
    """Label 1 above the line x0 + x1 = 1 + gap/2, label 0 below 1 - gap/2 (separable by construction)."""
    x = rng.uniform(-1.0, 3.0, size=(4 * n, 2))
    s = x.sum(1) - 1.0
    keep = np.abs(s) >= gap / 2
    x, s = x[keep][:n], s[keep][:n]
    return x, (s > 0).astype(float)


def test_separable_by_construction_with_checked_witness():
    x, y = _two_blobs(np.random.default_rng(0))
    sep = separability(x, y)
    assert sep.separable and linearly_separable(x, y)
    y_pm = 2 * y - 1
    assert np.all(y_pm * (x @ sep.w + sep.b) > 0)  # the witness really separates
    # the points sit at least gap/2 / sqrt(2) from x0 + x1 = 1, so the max margin is at least that
    assert sep.margin_l2 > 0
    assert max_margin(x, y).margin >= 0.25 / np.sqrt(2) - 1e-9


@pytest.mark.parametrize(
    "x, y",
    [
        # XOR
        (
            np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]),
            np.array([1.0, 1.0, 0.0, 0.0]),
        ),
        # crossing
        (
            np.array([[0.0, 0.0], [2.0, 0.0], [1.0, -1.0], [1.0, 1.0]]),
            np.array([1.0, 1.0, 0.0, 0.0]),
        ),
        # one point in both classes
        (
            np.array([[0.5, 0.5], [0.5, 0.5], [0.0, 0.0]]),
            np.array([1.0, 0.0, 0.0]),
        ),
    ],
)
def test_not_separable_with_a_point_in_both_hulls(x, y):
    sep = separability(x, y)
    assert not sep.separable and not linearly_separable(x, y)
    lam = sep.hull_weights * (y == 1)
    mu = sep.hull_weights * (y == 0)
    assert np.all(sep.hull_weights >= 0)
    assert lam.sum() == pytest.approx(1.0) and mu.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(lam @ x, mu @ x, atol=1e-12)
    np.testing.assert_allclose(sep.hull_point, lam @ x, atol=1e-12)


def test_touching_classes_are_not_strictly_separable():
    # two classes on either side of x0 = 0 plus one label-1 point ON a label-0 point's position: not separable
    x = np.array([[1.0, 0.0], [2.0, 1.0], [-1.0, 0.0], [-2.0, 1.0], [-1.0, 0.0]])
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0])
    assert not linearly_separable(x, y)
    # ... and separable once the duplicate goes
    assert linearly_separable(x[:4], y[:4])


def test_max_margin_known_answer():
    # 1-D: label 1 at x = 1 and 3, label 0 at x = -1 and -4: the best boundary is x = 0, margin 1
    x = np.array([[1.0], [3.0], [-1.0], [-4.0]])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    mm = max_margin(x, y)
    assert mm.margin == pytest.approx(1.0, rel=1e-9)
    np.testing.assert_allclose(mm.w, [1.0], rtol=1e-7)
    assert abs(mm.b) < 1e-7


def test_max_margin_matches_scikit_learn_hard_margin(key):
    from sklearn.svm import SVC

    x, y = _two_blobs(np.random.default_rng(1), gap=0.3)
    mm = max_margin(x, y)
    svc = SVC(kernel="linear", C=1e8, tol=1e-10).fit(x, y)  # C -> infinity: the hard margin
    np.testing.assert_allclose(mm.w, svc.coef_[0], rtol=1e-4)
    assert mm.b == pytest.approx(svc.intercept_[0], rel=1e-4)
    assert mm.margin >= separability(x, y).margin_l2 - 1e-12  # the LP's line is a lower bound


def test_max_margin_refuses_inseparable_data():
    x = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(UsageError, match="not separable|separable data"):
        max_margin(x, np.array([1.0, 1.0, 0.0, 0.0]))


@pytest.mark.parametrize(
    "x, y, match",
    [
        (np.zeros(4), np.zeros(4), "2-d"),
        (np.zeros((4, 2)), np.zeros(3), "shape"),
        (np.zeros((3, 2)), np.array([1.0, -1.0, 1.0]), "0 or 1"),
        (np.zeros((3, 2)), np.ones(3), "both labels"),
        (np.array([[np.nan, 0.0], [1.0, 1.0]]), np.array([0.0, 1.0]), "NaN"),
    ],
)
def test_bad_input_is_a_usage_error(x, y, match):
    with pytest.raises(UsageError, match=match):
        separability(x, y)


@pytest.mark.real_data
def test_course_data_b_separable_a_not(data_dir):
    from jaxml.data import locate

    data = locate(data_dir).logreg_stability()
    assert not linearly_separable(data["a"].x, data["a"].y)  # write-up §1(b): A is not separable
    sep_b = separability(data["b"].x, data["b"].y)
    assert sep_b.separable  # write-up §1(b): B is (the write-up says "almost perfectly") separable
    # B's max margin is small (measured 0.0051): separable, but only just
    assert 0.0 < max_margin(data["b"].x, data["b"].y).margin < 0.01


# ----------------------------------------------------------------------------------------------------------
# 2-D data that are not separable: the best linear classifier and the exact certificate
# ----------------------------------------------------------------------------------------------------------


def test_best_linear_on_small_sets():
    xor = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    res = best_linear(xor, np.array([0.0, 0.0, 1.0, 1.0]))
    assert res.accuracy == 0.75 and res.exact and res.upper_bound == 0.75  # XOR: 3 of 4 at best
    x, y = _two_blobs(np.random.default_rng(0))
    res = best_linear(x, y)
    assert res.accuracy == 1.0 and res.exact  # separable data
    assert np.all((x @ res.w + res.b > 0) == (y == 1.0))  # the witness really separates


def test_best_linear_is_never_beaten_by_a_brute_force_search():
    # many random directions and every threshold: never better than the exhaustive search, and close to it
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(40, 2))
    y = (np.linalg.norm(x - 0.5, axis=1) < 0.3).astype(float)
    best = best_linear(x, y)
    brute = 0.0
    for angle in np.linspace(0, 2 * np.pi, 2000, endpoint=False):
        s = x @ np.array([np.cos(angle), np.sin(angle)])
        t = np.concatenate([[-np.inf], np.sort(s)])  # every threshold: class 1 where s > t
        brute = max(brute, float(((s[None, :] > t[:, None]) == (y == 1.0)).mean(axis=1).max()))
    assert brute <= best.accuracy + 1e-12
    assert best.accuracy - brute < 0.05
    # the witness reaches it
    assert np.mean((x @ best.w + best.b > 0) == (y == 1.0)) == best.accuracy


def test_hull_certificate_finds_a_point_inside_a_triangle():
    x = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [1.0, 1.0]])
    y = np.array([1.0, 1.0, 1.0, 0.0])
    cert = hull_certificate(x, y)
    assert cert.exact and cert.class0_row == 3 and sorted(cert.class1_rows) == [0, 1, 2]
    np.testing.assert_allclose(cert.barycentric, [0.5, 0.25, 0.25])
    lam = np.array(cert.barycentric)
    # p = Σ λ x, exactly
    np.testing.assert_allclose(lam @ x[list(cert.class1_rows)], cert.class0_point, atol=0)


def test_hull_certificate_is_none_for_separable_data_and_2d_only():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [3.0, 3.0]])
    assert hull_certificate(x, np.array([1.0, 1.0, 1.0, 0.0])) is None
    with pytest.raises(UsageError, match="2-D"):
        hull_certificate(np.zeros((4, 3)), np.array([1.0, 1.0, 0.0, 0.0]))
    with pytest.raises(UsageError, match="2-D"):
        best_linear(np.zeros((4, 1)), np.array([1.0, 1.0, 0.0, 0.0]))
