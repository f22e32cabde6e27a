"""check_jvp: custom JVP rules against jax.jvp of the plain function; points outside f's domain and boundaries
where autodiff is not finite (issue #22)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.verify import JvpReport, MistakeKind, check_jvp
from jaxml.verify._boundary import BOUNDARY_RTOL, difference_quotient


def plain(x):
    return x / (1 + jnp.sqrt(x))


def _documented(factor: float = 2.0):
    """The JAX documentation's custom_jvp example ("differentiation convention"): f(x) = x / (1 + √x) on x ≥ 0,
    whose rule gives the one-sided derivative 1 at x = 0 where autodiff gives NaN. ``factor`` 2 is the
    documentation's rule; 1 drops the factor 2 of its denominator."""

    @jax.custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))

    f.defjvps(lambda t, ans, x: ((jnp.sqrt(x) + 2) / (factor * (jnp.sqrt(x) + 1) ** 2)) * t)
    return f


X = jnp.array([0.0, 1.0, 4.0])


def test_the_documented_rule_passes_on_its_domain_with_the_boundary_point():
    report = check_jvp(plain, _documented(), X, domain="nonnegative")
    assert isinstance(report, JvpReport)
    assert report.ok, str(report)
    assert report.points == 16 and report.max_rel_error < 1e-12
    # point 0 is X itself: its entry x = 0 is compared with a one-sided difference quotient, and said so
    assert "at 1 entry where autodiff's JVP is not finite" in report.note
    assert (
        f"one-sided difference quotient (steps 1e-2 to 1e-10, tolerance {BOUNDARY_RTOL:.0e}"
        in report.note
    )
    assert "skipped" not in report.note  # every point of the domain is inside it
    assert all(line.endswith("ok") for line in report.structure), report.structure
    assert len(report.structure) == 5


def test_without_a_domain_points_where_f_is_nan_are_skipped_not_failed():
    report = check_jvp(plain, _documented(), X)
    assert report.ok, str(report)
    skipped = 16 - report.points
    assert 0 < skipped < 16  # perturbations of x = 0 go negative about half the time
    assert (
        f"{skipped} of 16 points skipped: f is not finite there (outside its domain? pass domain=)"
        in (report.note)
    )
    assert "one-sided difference quotient" in report.note  # point 0 (x = 0) is kept and compared so


def test_a_missing_factor_2_fails_and_is_named():
    for domain in ("nonnegative", None):
        report = check_jvp(plain, _documented(factor=1.0), X, domain=domain)
        assert not report.ok
        assert report.mistake.kind is MistakeKind.CONSTANT_FACTOR, str(report)
        assert report.mistake.factor == pytest.approx(2.0)
        # and at x = 0, where only the one-sided difference quotient can say so: the second
        # finding, no field carries it
        assert "yours differs from the one-sided difference quotient" in report.diagnosis
        assert "2 x the quotient" in report.diagnosis


def test_a_rule_wrong_only_at_the_boundary_fails():
    @jax.custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))

    right = lambda x: (jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)
    f.defjvps(lambda t, ans, x: jnp.where(x == 0, 0.5, right(x)) * t)
    report = check_jvp(plain, f, X, domain="nonnegative")
    assert not report.ok
    assert report.mistake.kind is MistakeKind.OTHER, str(report)
    assert report.mistake.param("boundary") is True  # yours differs from the one-sided quotient
    # no field carries the number of such entries, where they are or the ratio to the quotient
    assert "at 1 entry where autodiff's JVP is not finite" in report.diagnosis
    assert "point 0, entry (0,)" in report.diagnosis and "0.5 x the quotient" in report.diagnosis
    assert report.max_rel_error == pytest.approx(0.5, rel=1e-3)


def test_a_rule_that_is_nan_where_a_one_sided_derivative_exists_fails():
    """Autodiff's own formula is NaN at x = 0; as a custom rule it is wrong there, since the quotient settles."""

    @jax.custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))

    f.defjvp(lambda primals, tangents: jax.jvp(plain, primals, tangents))
    report = check_jvp(plain, f, X, domain="nonnegative")
    assert not report.ok
    assert report.mistake.kind is MistakeKind.OTHER, str(report)
    assert report.mistake.param("boundary") is True  # compared with the one-sided quotient
    # no field carries your value (NaN) there
    assert "yours = nan" in report.diagnosis and "quotient = " in report.diagnosis


def test_equal_infinities_agree():
    """√x at 0: your rule and autodiff both give +inf along an inward tangent."""

    @jax.custom_jvp
    def root(x):
        return jnp.sqrt(x)

    root.defjvps(lambda t, ans, x: 0.5 / jnp.sqrt(x) * t)
    report = check_jvp(jnp.sqrt, root, X, domain="nonnegative")
    assert report.ok, str(report)
    assert "1 entry is the same infinity in yours and autodiff's" in report.note


def _cube(rule):
    @jax.custom_jvp
    def cube(x):
        return x**3

    cube.defjvp(rule)
    return cube


def test_structural_findings_are_named():
    x = jnp.arange(1.0, 4.0)
    ref = lambda x: x**3
    right = check_jvp(ref, _cube(lambda p, t: (p[0] ** 3, 3 * p[0] ** 2 * t[0])), x)
    assert right.ok, str(right)
    assert "dot-product test: ok" in right.structure

    squared = check_jvp(
        ref, _cube(lambda p, t: (p[0] ** 3, 3 * p[0] ** 2 * t[0] * jnp.abs(t[0]))), x
    )
    assert not squared.ok and squared.mistake.kind is MistakeKind.STRUCTURAL_RULE, str(squared)
    # no field says which rules are broken
    assert "not linear in the tangent" in squared.diagnosis
    assert "JAX cannot transpose your rule's tangent output" in squared.diagnosis

    shifted = check_jvp(ref, _cube(lambda p, t: (p[0] ** 3, 3 * p[0] ** 2 * t[0] + 1.0)), x)
    assert not shifted.ok and shifted.mistake.kind is MistakeKind.STRUCTURAL_RULE, str(shifted)
    assert "a zero tangent gives a non-zero JVP" in shifted.diagnosis  # no field says which rule

    primal = check_jvp(ref, _cube(lambda p, t: (p[0] ** 3 + 1.0, 3 * p[0] ** 2 * t[0])), x)
    assert not primal.ok and primal.mistake.kind is MistakeKind.STRUCTURAL_RULE, str(primal)
    # no field says which rule is broken
    assert "your rule's primal output and the reference disagree" in primal.diagnosis


def test_a_custom_vjp_function_has_no_jvp_to_check():
    @jax.custom_vjp
    def square(x):
        return x**2

    square.defvjp(lambda x: (x**2, x), lambda x, c: (2 * x * c,))
    report = check_jvp(lambda x: x**2, square, jnp.arange(1.0, 4.0))
    assert not report.ok and report.mistake.kind is MistakeKind.RAISED, str(report)
    assert report.mistake.param("error") == "TypeError"
    assert "structure" not in str(report)


def _pair(drop_a_db: bool):
    @jax.custom_jvp
    def pair(a, b):
        return {"prod": a * b, "sin": jnp.sum(jnp.sin(a))}

    @pair.defjvp
    def _(primals, tangents):
        (a, b), (da, db) = primals, tangents
        prod = da * b + (0.0 if drop_a_db else a * db)
        return pair(a, b), {"prod": prod, "sin": jnp.sum(jnp.cos(a) * da)}

    return pair


def test_pytree_outputs_and_several_arguments():
    ref = lambda a, b: {"prod": a * b, "sin": jnp.sum(jnp.sin(a))}
    a, b = jnp.linspace(0.5, 1.5, 4), jnp.arange(4.0)
    assert check_jvp(ref, _pair(False), a, b, argnums=(0, 1)).ok
    wrong = check_jvp(ref, _pair(True), a, b, argnums=(0, 1))
    assert not wrong.ok and wrong.mistake.leaf == "output['prod']", str(wrong)
    # with only a moving, the term a·db is not exercised: the rule is right there
    assert check_jvp(ref, _pair(True), a, b, argnums=0).ok


def test_symmetric_and_simplex_domains_give_their_tangents():
    @jax.custom_jvp
    def corner(s):
        return s[0, 1]

    # right for symmetric tangents only: s[0, 1] = s[1, 0] there
    corner.defjvps(lambda t, ans, s: 0.5 * (t[0, 1] + t[1, 0]))
    s = jnp.array([[2.0, 0.3], [0.3, 1.0]])
    assert check_jvp(lambda s: s[0, 1], corner, s, domain="symmetric").ok
    assert check_jvp(lambda s: s[0, 1], corner, s, domain="spd").ok
    assert not check_jvp(lambda s: s[0, 1], corner, s).ok

    @jax.custom_jvp
    def first(p):
        return p[..., 0]

    # adds 0.3 · sum(t), which vanishes for tangents of the simplex (they sum to zero along the last axis)
    first.defjvps(lambda t, ans, p: t[..., 0] + 0.3 * jnp.sum(t, axis=-1))
    p = jnp.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    assert check_jvp(lambda p: p[..., 0], first, p, domain="simplex").ok
    assert not check_jvp(lambda p: p[..., 0], first, p).ok


def test_given_points_with_exact_zeros():
    rng = np.random.default_rng(0)
    stacked = np.abs(rng.normal(size=(6, 3)))
    stacked[::2, 0] = 0.0  # three boundary points
    report = check_jvp(plain, _documented(), X, at=(stacked,), domain="nonnegative")
    assert report.ok, str(report)
    assert report.points == 6 and "at 3 entries where autodiff's JVP is not finite" in report.note
    assert not check_jvp(plain, _documented(factor=1.0), X, at=(stacked,)).ok


def test_nothing_finite_is_not_a_pass():
    report = check_jvp(plain, _documented(), -jnp.ones(3), points=4)
    assert not report.ok and report.points == 0
    assert report.mistake.kind is MistakeKind.NON_FINITE, str(report)
    # no field carries how many points were tried
    assert "f is not finite at any of the 4 points" in report.diagnosis


def test_difference_quotients_estimate_one_sided_derivatives():
    # smooth: both sides estimate cos(x) far within the boundary tolerance, and their error estimates hold
    for x in (0.3, 1.0, 2.5):
        q = difference_quotient(lambda x: jnp.sin(x), (np.array(x),), (np.array(1.0),))
        assert q.sides == (1, -1)
        actual = np.abs(q.values[:, 0, 0] - np.cos(x))
        assert np.all(actual <= q.errors[:, 0, 0]) and np.all(q.errors < 1e-6), (actual, q.errors)
    # the documented f at 0: only the + side is finite, and it settles at 1 (the truncation error is O(√h))
    q = difference_quotient(plain, (np.zeros(1),), (np.ones(1),))
    value, error = q.best()
    assert np.isnan(q.values[1, 0, 0]) and np.isinf(q.errors[1, 0, 0])
    assert abs(value[0, 0] - 1.0) <= error[0, 0] < 1e-4
    # f(0) = 10^6 leaves fewer digits for the difference: the error estimate says so
    q = difference_quotient(lambda x: 1e6 + plain(x), (np.zeros(1),), (np.ones(1),))
    value, error = q.best()
    assert abs(value[0, 0] - 1.0) <= error[0, 0] and error[0, 0] > BOUNDARY_RTOL
