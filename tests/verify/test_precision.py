"""Precision: float64 inside the verifier whatever the caller's setting; float32 rounding named, not a bug."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.verify import MistakeKind, check_gradient


def mse(theta, x, y):
    return jnp.mean((x @ theta - y) ** 2)


def mse_grad(theta, x, y):
    return 2.0 * x.T @ (x @ theta - y) / y.shape[0]


@pytest.fixture
def problem():
    rng = np.random.default_rng(3)
    return rng.normal(size=5), rng.normal(size=(200, 5)), rng.normal(size=200)


def test_a_gradient_computed_in_float32_is_named(problem):
    def in_float32(theta, x, y):
        theta, x, y = (a.astype(jnp.float32) for a in (theta, x, y))
        return mse_grad(theta, x, y).astype(jnp.float64)

    report = check_gradient(mse, in_float32, *problem)
    assert not report.ok  # the float64 tolerance is not met ...
    # ... and the verifier says why
    assert report.mistake.kind is MistakeKind.PRECISION, str(report)
    assert 0 < report.mistake.param("level") < 1e-6  # float32 autodiff's own error here
    # no field carries where the float32 is (inside, not the result's dtype) nor the Taylor
    # remainder's order
    assert "computes in float32 somewhere" in report.diagnosis
    # the Taylor remainder shrinks quadratically: the formula is right
    assert "h^2" in report.diagnosis


def test_a_float32_result_is_named(problem):
    report = check_gradient(mse, lambda *a: mse_grad(*(b.astype(jnp.float32) for b in a)), *problem)
    assert report.mistake.kind is MistakeKind.PRECISION, str(report)
    assert "your result is float32" in report.diagnosis  # no field carries the result's dtype


def test_a_small_real_error_is_not_called_rounding(problem):
    report = check_gradient(mse, lambda t, x, y: mse_grad(t, x, y) + 1e-4 * t, *problem)
    # not rounding: named for what it is, an extra term 1e-4 · theta
    assert not report.ok and report.mistake.kind is MistakeKind.WRONG_TERM, str(report)
    assert (
        report.mistake.factor == pytest.approx(1e-4, rel=1e-6)
        and report.mistake.param("term") == "theta"
    )


CHILD = textwrap.dedent(
    """
    import jax, jax.numpy as jnp, jaxml
    from jaxml.verify import check_gradient
    assert not jax.config.jax_enable_x64  # importing jaxml switches nothing on
    loss = lambda t, x, y: jnp.mean((x @ t - y) ** 2)
    grad = lambda t, x, y: 2.0 * x.T @ (x @ t - y) / y.shape[0]
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
    t, x, y = jax.random.normal(k1, (4,)), jax.random.normal(k2, (30, 4)), jax.random.normal(k3, (30,))
    assert t.dtype == jnp.float32
    report = check_gradient(loss, grad, t, x, y, points=50)
    assert not jax.config.jax_enable_x64  # the caller's setting is restored
    assert jnp.ones(2).dtype == jnp.float32
    print(report.ok, report.max_rel_error)
    """
)


def test_float64_inside_the_verifier_with_x64_off():
    """Issue #12: with x64 OFF the verifier still reports float64-level agreement (<= 1e-12), and leaves x64 off."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], check=False, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    ok, rel = proc.stdout.split()
    assert ok == "True" and float(rel) <= 1e-12, proc.stdout


def test_x64_setting_is_restored_after_a_check(problem):
    before = jax.config.jax_enable_x64
    check_gradient(mse, mse_grad, *problem, points=2)
    assert jax.config.jax_enable_x64 == before
