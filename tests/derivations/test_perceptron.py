"""derivations/perceptron.py: explicit feature maps, dual == primal, and the non-PSD hand result."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxml_derivations import perceptron as hand

from jaxml.data import locate
from jaxml.models import kernels, perceptron

dot_kernel, rbf_kernel = kernels.dot, kernels.rbf
non_psd_kernel, polynomial_kernel = kernels.non_psd, kernels.polynomial
from jaxml.verify import builtin_entries, run_entry


@pytest.mark.parametrize(
    "kernel, phi", [(dot_kernel, hand.phi_dot), (polynomial_kernel, hand.phi_poly2)]
)
def test_feature_map_inner_product_is_the_kernel(key, kernel, phi):
    x, z = jax.random.normal(key, (2, 500, 3)) * 2.0
    inner = np.asarray(jax.vmap(lambda a, b: jnp.dot(phi(a), phi(b)))(x, z))  # <phi(x), phi(z)>
    k = np.asarray(jax.vmap(kernel)(x, z))
    # rounding is relative to the sum of |terms| of <phi(x), phi(z)>, (1 + sum_a |x_a z_a|)^2, not to K itself,
    # which cancels near x^T z = -1: 13 terms in float64 -> a few 1e-15 of that scale
    scale = (1.0 + np.sum(np.abs(np.asarray(x) * np.asarray(z)), axis=1)) ** 2
    assert np.all(np.abs(inner - k) <= 1e-14 * scale), np.max(np.abs(inner - k) / scale)


def test_phi_poly2_dimension():
    assert hand.phi_poly2(jnp.ones(2)).shape == (1 + 2 + 4,)


@pytest.mark.parametrize(
    "name, kernel, phi",
    [("dot", dot_kernel, hand.phi_dot), ("polynomial", polynomial_kernel, hand.phi_poly2)],
)
def test_dual_equals_primal_on_random_rings(key, name, kernel, phi):
    k1, k2 = jax.random.split(key)
    x, y = hand.rings(k1, 150)
    x_eval, _ = hand.rings(k2, 100)
    report = hand.dual_equals_primal(name, kernel, phi, x, y, x_eval)
    assert report.ok, str(report)
    assert report.coefficients_equal and report.labels_agree
    assert report.max_rel_error <= 1e-12  # float64 rounding only


def test_primal_perceptron_by_hand_on_three_points():
    # theta^(0) = 0; x1: margin 0 -> g = 1, y = 0: c1 = -0.5, theta = -0.5 x1 = (-0.5, 0)
    # x2 = (0, 1): margin 0 -> g = 1, y = 1: c2 = 0;  x3 = (2, 0): margin -1 -> g = 0, y = 1: c3 = 0.5
    x = jnp.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    y = jnp.array([0.0, 1.0, 1.0])
    theta, c, m = hand.primal_perceptron(hand.phi_dot, x, y, 0.5)
    np.testing.assert_array_equal(c, [-0.5, 0.0, 0.5])
    np.testing.assert_array_equal(m, [0.0, 0.0, -1.0])
    np.testing.assert_array_equal(theta, [0.5, 0.0])


@pytest.mark.parametrize(
    "kernel, phi, why",
    [
        (
            polynomial_kernel,
            lambda x: jnp.concatenate([jnp.ones(1), x, jnp.outer(x, x).ravel()]),
            "missing sqrt(2)",
        ),
        (polynomial_kernel, hand.phi_dot, "phi of another kernel"),
        (rbf_kernel, hand.phi_dot, "RBF has no finite phi"),
    ],
)
def test_check_fails_when_phi_is_not_the_kernels_map(key, kernel, phi, why):
    x, y = hand.rings(key, 200)
    report = hand.dual_equals_primal("wrong", kernel, phi, x, y, x)
    assert not report.ok, why
    assert report.diagnosis
    assert "FAILED" in str(report)


def test_non_psd_hand_result(key):
    k1, k2 = jax.random.split(key)
    x, y = hand.rings(k1, 200)
    report = hand.check_non_psd(x, y, hand.rings(k2, 50)[0])
    assert report.ok, str(report)
    assert report.max_abs_error == 0.0 and report.predicted_positive_fraction == 1.0


def test_non_psd_hand_result_holds_with_coincident_points(key):
    # K <= 0 makes every margin >= 0 even when training points repeat (then margins are > 0, not 0)
    x, y = hand.rings(key, 60)
    x = jnp.concatenate([x, x[:20], x[:20] + 1e-4])
    y = jnp.concatenate([y, 1.0 - y[:20], y[:20]])
    report = hand.check_non_psd(x, y, x)
    assert report.ok, str(report)


def test_non_psd_check_can_fail(key):
    x, y = hand.rings(key, 100)
    # the PSD twin (+1 on coincident points, Gram = +I) memorises the training set: the hand result fails
    report = hand.check_non_psd(x, y, x, kernel=lambda a, b: -non_psd_kernel(a, b))
    assert not report.ok
    assert report.predicted_positive_fraction < 1.0, str(report)  # some points predicted 0


def test_entries_are_declared_and_pass(key):
    entries = [e for e in builtin_entries() if e.module == "jaxml_derivations.perceptron"]
    assert len(entries) == 3
    for entry in entries:
        outcome = run_entry(entry, points=200, key=key)  # as `jaxml reproduce` checks it
        assert outcome.report.ok and outcome.as_expected, (entry.name, outcome.diagnosis)


@pytest.mark.real_data
@pytest.mark.parametrize(
    "name, kernel, phi",
    [("dot", dot_kernel, hand.phi_dot), ("polynomial", polynomial_kernel, hand.phi_poly2)],
)
def test_dual_equals_primal_on_the_course_data(data_dir, name, kernel, phi):
    data = locate(data_dir).perceptron()
    train, test = data["train"], data["test"]
    report = hand.dual_equals_primal(
        name, kernel, phi, train.x, train.y, np.concatenate([train.x, test.x])
    )
    assert report.ok, str(report)
    assert report.max_rel_error <= 1e-12  # float64 rounding (measured ~2e-15 and ~8e-16)


@pytest.mark.real_data
def test_non_psd_hand_result_on_the_course_data(data_dir):
    data = locate(data_dir).perceptron()
    report = hand.check_non_psd(data["train"].x, data["train"].y, data["test"].x)
    assert report.ok, str(report)


def test_a_trained_model_can_be_passed_in(key):
    # the experiment hands its own trained dual model to the check; the verdict is the same as training it here
    x, y = hand.rings(key, 120)
    model = perceptron.fit(x, y, kernel=polynomial_kernel, alpha=hand.ALPHA)
    given = hand.dual_equals_primal(
        "polynomial", polynomial_kernel, hand.phi_poly2, x, y, x, model=model
    )
    fresh = hand.dual_equals_primal("polynomial", polynomial_kernel, hand.phi_poly2, x, y, x)
    assert given.ok and given.max_abs_error == fresh.max_abs_error


def test_rings_are_the_op_by_op_draws(key):
    # rings is jitted (one program per n); the numbers are those of the same jax.random calls run op by op
    x, y = hand.rings(key, 50)
    k_y, _, k_a = jax.random.split(key, 3)
    with jax.disable_jit():
        y_eager = jax.random.bernoulli(k_y, 0.5, (50,)).astype(jnp.float64)
        angle = jax.random.uniform(k_a, (50,), jnp.float64, 0.0, 2.0 * jnp.pi)
    np.testing.assert_array_equal(y, y_eager)
    np.testing.assert_allclose(
        np.arctan2(x[:, 1], x[:, 0]) % (2 * np.pi), angle, rtol=1e-12, atol=1e-12
    )
