"""Tools for your own tests of derivatives: assertions whose failure message is the verifier's report, and
random draws for example makers.

Example:
  >>> from jaxml.testing import assert_gradient
  >>> def test_my_gradient():
  ...     assert_gradient(loss, my_grad, theta, x, y)

``draws`` holds ``normal``, ``uniform`` and ``split``: ``jax.random``'s numbers bit for bit, with one compiled
program per size bucket instead of one per shape — for example makers (``@derivation(example=...)``) and other draws
outside ``jit``, where every new shape would otherwise compile a program; and ``fold_in``, ``prng_key`` and
``split_list``, ``jax.random``'s keys bit for bit, computed without a compiled program for a concrete key.
"""

from __future__ import annotations

from . import _bucketed_random as draws
from .verify import check_closed_form, check_gradient, check_vjp

__all__ = ["assert_closed_form", "assert_gradient", "assert_gradient_fails", "assert_vjp", "draws"]


def assert_gradient(f, grad_f, *args, **kwargs):
    """Assert that ``grad_f`` is the gradient of ``f`` (see :func:`jaxml.verify.check_gradient`); returns the
    report."""
    report = check_gradient(f, grad_f, *args, **kwargs)
    if not report.ok:
        raise AssertionError("\n" + str(report))
    return report


def assert_closed_form(objective, solution, *args, **kwargs):
    """Assert that ``solution(*args)`` minimises ``objective`` (see :func:`jaxml.verify.check_closed_form`)."""
    report = check_closed_form(objective, solution, *args, **kwargs)
    if not report.ok:
        raise AssertionError("\n" + str(report))
    return report


def assert_gradient_fails(f, grad_f, *args, diagnosis_contains: str = "", **kwargs):
    """Assert that ``grad_f`` is NOT the gradient of ``f`` and, optionally, that the diagnosis names the mistake."""
    report = check_gradient(f, grad_f, *args, **kwargs)
    if report.ok:
        raise AssertionError("expected a wrong gradient, but it passed:\n" + str(report))
    if diagnosis_contains and diagnosis_contains not in (report.diagnosis or ""):
        raise AssertionError(f"diagnosis does not mention {diagnosis_contains!r}:\n{report}")
    return report


def assert_vjp(f, rule, *args, **kwargs):
    """Assert that the custom VJP rule carried by ``rule`` is right for the plain function ``f`` (see
    :func:`jaxml.verify.check_vjp`); returns the report."""
    report = check_vjp(f, rule, *args, **kwargs)
    if not report.ok:
        raise AssertionError("\n" + str(report))
    return report
