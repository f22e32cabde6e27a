"""jaxml/_compile.py: quick compilation only where it was asked for, the code as written everywhere else."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml._compile import (
    QUICK_OPTIONS,
    checker_jit,
    one_program,
    quick_checks,
    quick_compilation,
    quick_enabled,
    quick_jit,
)
from jaxml.lbfgs import minimize_lbfgs


def _wiggly(x):
    return jnp.sum(jnp.sin(x) * jnp.exp(-(x**2)) + jnp.tanh(3.0 * x))


def test_quick_compilation_is_scoped_and_nests():
    assert not quick_enabled()
    with quick_compilation():
        assert quick_enabled()
        with quick_compilation():
            assert quick_enabled()
        assert quick_enabled()
    assert not quick_enabled()


def test_jaxml_quick_compile_0_turns_the_blocks_off(monkeypatch):
    """``JAXML_QUICK_COMPILE=0``: inside a block everything runs as outside one (plain jit, fn as written)."""
    monkeypatch.setenv("JAXML_QUICK_COMPILE", "0")
    x = jnp.linspace(-2.0, 2.0, 7)
    with quick_compilation():
        assert not quick_enabled()
        np.testing.assert_array_equal(np.asarray(one_program(_wiggly)(x)), np.asarray(_wiggly(x)))
        np.testing.assert_array_equal(
            np.asarray(checker_jit(_wiggly)(x)), np.asarray(jax.jit(_wiggly)(x))
        )


def test_reproduce_checks_compile_as_written_unless_asked(monkeypatch):
    """``quick_checks`` (around reproduce's verifier checks) opens a quick block only with ``JAXML_QUICK_CHECKS=1``
    (``--quick-checks``): by default REPORT.md's max errors are those of the code as written (issue #25)."""
    monkeypatch.delenv("JAXML_QUICK_CHECKS", raising=False)
    with quick_checks():
        assert not quick_enabled()
    monkeypatch.setenv("JAXML_QUICK_CHECKS", "1")
    with quick_checks():
        assert quick_enabled()
    assert not quick_enabled()
    monkeypatch.setenv("JAXML_QUICK_COMPILE", "0")  # turns every quick block off, this one too
    with quick_checks():
        assert not quick_enabled()


def _counting():
    """(fn, calls): ``_wiggly`` that appends to ``calls`` each time it runs (or is traced)."""
    calls = []

    def fn(x):
        calls.append(1)
        return _wiggly(x)

    return fn, calls


def test_one_program_outside_a_block_is_the_function_as_written():
    """Outside jaxml verify (the experiments, your code) nothing is compiled that was not before: fn is called."""
    fn, calls = _counting()
    wrapped = one_program(fn)
    x = np.linspace(-2.0, 2.0, 7)
    assert float(wrapped(x)) == float(fn(x))
    wrapped(x)
    assert len(calls) == 3  # called each time: not traced once and cached


def test_one_program_inside_a_block_traces_once():
    fn, calls = _counting()
    wrapped = one_program(fn)
    x = np.linspace(-2.0, 2.0, 7)
    with quick_compilation():
        first = float(wrapped(x))
        wrapped(x)
    assert len(calls) == 1
    # the quick options may move the last bits, never more
    assert first == pytest.approx(float(_wiggly(x)), rel=1e-12)


def test_checker_jit_is_plain_jit_outside_a_block():
    x = np.linspace(-2.0, 2.0, 11)
    assert float(checker_jit(_wiggly)(x)) == float(jax.jit(_wiggly)(x))


def test_quick_programs_nest_inside_other_jitted_functions():
    """XLA takes compile options for whole programs only: inside jit, vmap or grad the outer program's apply."""
    x = np.linspace(-1.0, 1.0, 5)
    for wrapped in (one_program(_wiggly), checker_jit(_wiggly), quick_jit(_wiggly)):
        for block in (quick_compilation, lambda: __import__("contextlib").nullcontext()):
            with block():
                outer = jax.jit(lambda t, w=wrapped: 2.0 * w(t))(x)
                grads = jax.vmap(jax.grad(lambda t, w=wrapped: w(t)))(x[:, None])
            assert float(outer) == pytest.approx(2.0 * float(_wiggly(x)), rel=1e-12)
            assert grads.shape == (5, 1)


def test_minimize_lbfgs_quick_compile_changes_nothing_outside_a_block():
    fun = lambda theta, a: jnp.sum((theta - a) ** 2) + jnp.sum(theta**4)
    a = np.array([1.0, -2.0, 0.5])
    plain = minimize_lbfgs(fun, np.zeros(3), a)
    asked = minimize_lbfgs(fun, np.zeros(3), a, quick_compile=True)
    np.testing.assert_array_equal(np.asarray(asked.theta), np.asarray(plain.theta))
    with quick_compilation():
        quick = minimize_lbfgs(fun, np.zeros(3), a, quick_compile=True)
    np.testing.assert_allclose(np.asarray(quick.theta), np.asarray(plain.theta), rtol=1e-10)


_PROBE = """
import json, os, sys
from jaxml._compile import quick_process
set_before = quick_process()
import jax.numpy as jnp
jnp.ones(2) + 1  # XLA has started
print(json.dumps({"set": set_before, "again": quick_process(), "flags": os.environ.get("XLA_FLAGS", "")}))
"""


def _probe(env_extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAXML_QUICK_COMPILE")}
    env.update(env_extra)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_quick_process_sets_the_flags_before_xla_starts_and_never_after():
    got = _probe({})
    assert got["set"] and not got["again"]
    for name in QUICK_OPTIONS:
        assert f"--{name}=" in got["flags"]


def test_quick_process_keeps_your_own_flags_and_can_be_turned_off():
    mine = "--xla_backend_optimization_level=2"
    got = _probe({"XLA_FLAGS": mine})
    assert mine in got["flags"] and got["flags"].count("xla_backend_optimization_level") == 1
    assert "--xla_cpu_use_fusion_emitters=false" in got["flags"]
    off = _probe({"JAXML_QUICK_COMPILE": "0"})
    assert not off["set"] and off["flags"] == ""
