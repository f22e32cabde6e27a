"""The verifier's third round (issue #22) on real hand-written derivative code: course solutions, well-known projects
and bugs as their authors shipped them (ported in tests/verify/real_code.py, each with its source).

The acceptance list of the issue:
  (a) a max-pool backward that routes the gradient to every tied maximum fails, and the diagnosis says the gradient is
      counted several times at tied entries; one that picks one maximum, and one that splits equally, pass;
  (b) the JAX documentation's x / (1 + √x) rule passes ``check_jvp`` on domain="nonnegative" with x = 0 among the
      points;
  (c) a gradient with respect to a covariance matrix passes on domain="spd" (autodiff's gradient there is not
      symmetric);
  (d) llm.c's float32 layer norm passes with dtype=None, and a float32 bug still fails with a named mistake;
  (e) more real cases, correct and buggy, each with its verdict; a bias gradient left per (batch, time) position is
      named as not summed over two axes;
  an audit lists the transpose blind spot on a symmetric example and none on a non-square one; a counterexample is
  printed and still fails when checked again there with ``at=``.
Beside them, the baseline the issue measured against: central differences along one random direction.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.verify import MistakeKind, check_gradient


def _load_real_code():
    """tests/verify/real_code.py by path (pytest runs with --import-mode=importlib: tests/ is not on sys.path)."""
    name = "jaxml_tests_real_code"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("real_code.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


rc = _load_real_code()
BY_NAME = {case.name: case for case in rc.CASES + rc.DERIVED}


def _stacked(args: tuple) -> tuple:
    """``at=`` for one point: every argument with a leading points axis of length 1."""
    return tuple(jax.tree_util.tree_map(lambda a: np.asarray(a)[None], a) for a in args)


# ----------------------------------------------------------------------------------------------------------------
# Every real case: the verdict, and the mistake where one is named


@pytest.mark.parametrize("case", rc.CASES, ids=[c.name for c in rc.CASES])
def test_real_case_verdict(case):
    report = rc.check(case.name)
    assert report.ok == (case.expected_verdict == "PASS"), f"{case.source}\n{report}"
    if case.kind not in (None, "none"):
        assert report.mistake is not None and report.mistake.kind == case.kind, str(report)


def test_the_cases_are_balanced():
    """About ten real bugs and ten correct cases, every one with a source; the derived case is kept apart."""
    bugs = [c for c in rc.CASES if c.expected_verdict == "FAIL"]
    correct = [c for c in rc.CASES if c.expected_verdict == "PASS"]
    assert len(bugs) >= 10 and len(correct) >= 10
    assert all(c.source and c.expected_verdict in ("PASS", "FAIL") for c in rc.CASES)
    assert all(c.kind == "none" for c in correct)
    assert not {c.name for c in rc.DERIVED} & {c.name for c in rc.CASES}


# ----------------------------------------------------------------------------------------------------------------
# (a) Max-pooling at exact ties


@pytest.mark.parametrize("name", ["maxpool_all_ties_learngit", "maxpool_all_ties_mnist_cnn"])
def test_tie_routing_maxpool_fails_and_says_counted_at_ties(name):
    """CS231n-style ``dx[window] = (window == m) * dout``: each of k tied maxima gets all of dout, k·dout in all:
    every tied entry alone lies between its one-sided derivatives (0 and dout), the sum does not."""
    report = rc.check(name)
    assert not report.ok, str(report)
    assert report.mistake.kind is MistakeKind.NOT_SUBGRADIENT, str(report)
    # at tied entries, each given all of dout: the gradient counted once per tied entry
    assert report.mistake.param("tied") is True, str(report)
    assert report.mistake.param("counted") == len(report.mistake.entries) >= 2, str(report)


def test_tie_routing_maxpool_fails_at_every_point_with_ties():
    """Points that keep the ties (the image scaled by positive factors): it fails at each of them, not only at the
    given one."""
    p = rc.problem("maxpool_all_ties_learngit")
    x, dout = p.args
    at = (np.stack([x, 2.0 * x, 0.5 * x]), None)
    report = check_gradient(p.f, p.grad, x, dout, at=at)
    assert not report.ok and report.points == 3


@pytest.mark.parametrize("name", ["maxpool_argmax_proyecto_ia", "maxpool_split_torch_amax"])
def test_one_picking_and_splitting_maxpool_pass(name):
    report = rc.check(name)
    assert report.ok, str(report)


def test_the_maxpool_inputs_have_ties():
    """The case is about ties: the input has constant patches and repeated maxima, and the tie-routing backward
    really differs from autodiff's split there (so a PASS would be a false one)."""
    p = rc.problem("maxpool_all_ties_learngit")
    x, dout = p.args
    windows = x.reshape(2, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(-1, 4)
    ties = np.sum(windows == windows.max(axis=1, keepdims=True), axis=1)
    assert np.sum(ties == 4) >= 4 and np.sum(ties == 2) >= 2
    routed = p.grad(x, dout)
    split = np.asarray(jax.grad(p.f)(jnp.asarray(x), jnp.asarray(dout)))
    assert not np.allclose(routed, split)


# ----------------------------------------------------------------------------------------------------------------
# (b) A differentiation convention at a boundary: check_jvp on domain="nonnegative"


def test_convention_rule_passes_on_nonnegative_with_zero():
    from jaxml.verify import check_jvp

    x = rc.CONVENTION_X
    assert x[0] == 0.0  # where plain autodiff gives NaN and the rule gives 1
    assert np.isnan(jax.grad(rc.f_plain)(0.0)) and jax.grad(rc.f_convention)(0.0) == 1.0
    report = check_jvp(rc.f_plain, rc.f_convention, x, domain="nonnegative")
    assert report.ok, str(report)


def test_a_rule_wrong_only_at_the_boundary_fails():
    """Control: a rule that gives 0 at x = 0 (the one-sided derivative there is 1) and is right elsewhere."""
    from jaxml.verify import check_jvp

    @jax.custom_jvp
    def f(x):
        return x / (1 + jnp.sqrt(x))

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (x_dot,) = primals, tangents
        slope = (jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)
        return f(x), jnp.where(x > 0, slope, 0.0) * x_dot

    report = check_jvp(rc.f_plain, f, rc.CONVENTION_X, domain="nonnegative")
    assert not report.ok, str(report)


# ----------------------------------------------------------------------------------------------------------------
# (c) A gradient with respect to a covariance matrix: domain="spd"


def test_covariance_gradient_passes_on_spd_although_autodiff_is_not_symmetric():
    p = rc.problem("covariance_prx")
    X, S = p.args
    autodiff = np.asarray(jax.grad(p.f)(jnp.asarray(X), jnp.asarray(S)))
    # the Cholesky factor reads the lower triangle only
    assert not np.allclose(autodiff, autodiff.T)
    mine = np.asarray(p.grad(jnp.asarray(X), jnp.asarray(S)))
    np.testing.assert_allclose(mine, 0.5 * (autodiff + autodiff.T), rtol=1e-10, atol=1e-12)
    report = check_gradient(p.f, p.grad, X, S, domain="spd")
    assert report.ok, str(report)


def test_the_matrix_cookbook_symmetric_convention_fails_on_spd():
    """Control: 2G − diag(G), the "derivative with respect to a symmetric matrix" of the Matrix Cookbook (eq. 141
    in the 2012 edition), is not the gradient on the symmetric matrices: its off-diagonal entries are twice too
    large (Srinivasan & Panda 2020, "What is the gradient of a scalar function of a symmetric matrix?")."""
    p = rc.problem("covariance_prx")

    def cookbook(X, S):
        G = rc.grad_normcov_negloglik(X, S)
        return 2 * G - jnp.diag(jnp.diagonal(G))

    report = check_gradient(p.f, cookbook, *p.args, domain="spd")
    assert not report.ok, str(report)


# ----------------------------------------------------------------------------------------------------------------
# (d) float32: judged at its own precision with dtype=None


def test_float32_layernorm_passes_at_float32_precision():
    p = rc.problem("layernorm_llmc_f32")
    assert all(np.asarray(a).dtype == np.float32 for a in p.args)
    assert all(np.asarray(d).dtype == np.float32 for d in p.grad(*p.args))  # float32 stays float32
    report = check_gradient(p.f, p.grad, *p.args, argnums=p.argnums, dtype=None)
    assert report.ok, str(report)
    assert "float32 precision" in str(report)


def test_a_float32_layernorm_bug_still_fails_with_a_named_mistake():
    """tt-metal's layernorm_bw (mean(dy·γ) subtracted twice) in float32: not excused as float32 rounding."""
    p = rc.problem("layernorm_ttmetal_f32")
    report = check_gradient(p.f, p.grad, *p.args, argnums=p.argnums, dtype=None)
    assert not report.ok, str(report)
    assert report.mistake is not None and report.mistake.kind != "precision", str(report)


# ----------------------------------------------------------------------------------------------------------------
# (e) A bias gradient left per (batch, time) position


def test_bias_gradient_per_position_is_not_summed_over_two_axes():
    case = BY_NAME["matmul_dbias_per_position_llmc"]
    p = rc.problem(case.name)
    assert np.shape(p.grad(*p.args)) == (2, 3, 8) and np.shape(p.args[2]) == (8,)
    report = rc.check(case.name)
    assert not report.ok
    assert report.mistake.kind is MistakeKind.PER_EXAMPLE, str(report)
    # not summed over the two axes (batch, time)
    assert report.mistake.param("reduction") == "sum", str(report)
    assert report.mistake.param("axes") == (0, 1) and report.mistake.param("lengths") == (2, 3)


def test_bias_gradient_reduced_over_one_axis_only_is_per_example():
    """AiDotNet.Tensors #234: reduced over the batch axis only, (seq, features) for a (features,) bias."""
    report = rc.check("linear_bias_axis0_aidotnet")
    assert not report.ok and report.mistake.kind == "per_example", str(report)


# ----------------------------------------------------------------------------------------------------------------
# Audits: the standard slips that would still pass


def test_audit_on_a_symmetric_example_lists_the_transpose_blind_spot():
    """On domain="spd" every gradient that counts is symmetric: a transposed gradient passes unseen."""
    p = rc.problem("covariance_prx")
    report = check_gradient(p.f, p.grad, *p.args, domain="spd", audit=True)
    assert report.ok, str(report)
    assert any("transpose" in spot for spot in report.blind_spots), report.blind_spots


def test_audit_on_a_non_square_example_lists_none():
    """W is (5, 3): a transposed, scaled, negated or averaged gradient would all be caught."""
    p = rc.problem("softmax_fabien102")
    report = check_gradient(p.f, p.grad, *p.args, audit=True)
    assert report.ok, str(report)
    assert report.blind_spots == ()


# ----------------------------------------------------------------------------------------------------------------
# Counterexamples: printed, and still failing there


@pytest.mark.parametrize("name", ["maxpool_all_ties_learngit", "svm_reg_jingtinghuang"])
def test_counterexample_is_printed_and_still_fails_there(name):
    p = rc.problem(name)
    report = check_gradient(p.f, p.grad, *p.args, argnums=p.argnums)
    assert not report.ok
    ce = report.counterexample
    assert isinstance(ce, tuple) and len(ce) == len(p.args), str(report)
    assert "fails at" in str(report)
    # the differentiated argument given per point with at=, the others as the counterexample has them
    at = tuple(_stacked((a,))[0] if i == p.argnums else None for i, a in enumerate(ce))
    again = check_gradient(p.f, p.grad, *ce, argnums=p.argnums, at=at)
    assert not again.ok and again.points == 1, str(again)


def test_at_accepts_integer_labels_given_per_point():
    """``at=`` stacks every argument, integer class labels included; where the check fails and the kink analysis
    moves a point, the labels must stay integers (they index the scores)."""
    p = rc.problem("svm_reg_jingtinghuang")
    W, X, y, _ = p.args
    W = np.zeros_like(W)
    W[
        2, 2
    ] = -1.0  # with X = 0 only the regularisation's gradient is left: reg·W where 2·reg·W is right
    args = (W, np.zeros_like(X), y, 1.0)
    report = check_gradient(p.f, p.grad, *args, at=_stacked(args))
    assert not report.ok and report.points == 1, str(report)


# ----------------------------------------------------------------------------------------------------------------
# The baseline: finite differences along one random direction (runs without the verifier)


def test_finite_differences_catch_the_bugs_and_false_alarm_at_kinks_boundaries_and_symmetric_matrices():
    """Measured with key PRNGKey(0): one-direction central differences fail every real bug, and also five correct
    cases: both correct max-pool backwards at ties (a kink: no derivative to match), the x / (1 + √x) rule at 0
    (f is NaN at x − h) and both covariance gradients (a random direction is not symmetric, and the Cholesky-based
    loss reads one triangle)."""
    key = jax.random.PRNGKey(0)
    verdict = {}
    for case in rc.CASES:
        p = rc.problem(case.name)
        f, g = rc.as_gradient_pair(p)
        verdict[case.name] = rc.finite_difference_check(f, g, p.args, p.argnums, key)
    caught = [c.name for c in rc.CASES if c.expected_verdict == "FAIL" and not verdict[c.name]]
    false_alarms = {
        c.name for c in rc.CASES if c.expected_verdict == "PASS" and not verdict[c.name]
    }
    assert len(caught) == sum(c.expected_verdict == "FAIL" for c in rc.CASES)
    assert false_alarms == {
        "maxpool_argmax_proyecto_ia",
        "maxpool_split_torch_amax",
        "convention_jax_docs",
        "covariance_prx",
        "covariance_gpmat",
    }


def test_finite_differences_pass_a_smooth_correct_gradient_and_fail_a_factor():
    """The baseline itself: right on a smooth correct case, wrong by a factor caught."""
    p = rc.problem("poisson_dask_glm")
    key = jax.random.PRNGKey(1)
    assert rc.finite_difference_check(p.f, p.grad, p.args, p.argnums, key)
    assert not rc.finite_difference_check(p.f, lambda *a: 2 * p.grad(*a), p.args, p.argnums, key)
