"""Compiled programs: shared within one verify run, never stale across checks."""

from __future__ import annotations

import sys

import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.verify import MistakeKind, check_gradient


def _helper(t):
    return 2.0 * t


def _grad(t):
    return _helper(t)  # looked up when traced


def test_a_redefined_helper_is_seen_by_the_next_check(monkeypatch):
    """A notebook user redefines a helper their gradient calls: the next check must use the new one."""
    f = lambda t: jnp.sum(t**2)
    assert check_gradient(f, _grad, np.ones(4), points=3).ok
    # same _grad, new helper
    monkeypatch.setattr(sys.modules[__name__], "_helper", lambda t: 3.0 * t)
    report = check_gradient(f, _grad, np.ones(4), points=3)
    assert not report.ok and report.mistake.kind is MistakeKind.CONSTANT_FACTOR, str(report)
    assert report.mistake.factor == pytest.approx(1.5, rel=1e-9)
