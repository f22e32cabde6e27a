"""Nothing blocks forever: the bounded waits of jaxml.timeouts and the CLI's watchdog (jaxml._watchdog).

The promise (CONTRIBUTING.md, "Nothing blocks forever"): a stage of the ``jaxml`` command (one experiment, one
derivation) that overruns ``--timeout`` or ``$JAXML_TIMEOUT`` ends the process with exit status 3 and a message
naming the stage; ``jaxml.timeouts.block_until_ready`` raises ``ComputationTimeout`` instead of waiting without
a limit. The watchdog ends its process, so every test of it runs the command in a child process, under a
timeout of its own far above the bound under test: a watchdog that failed to fire makes the test fail, not hang.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jax.numpy as jnp
import pytest
from jaxml_tests_children import run_bounded

from jaxml._watchdog import EXIT_TIMEOUT
from jaxml.errors import ComputationTimeout, UsageError
from jaxml.timeouts import DEFAULT_TIMEOUT, ENV_VAR, block_until_ready, default_timeout

REPO = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT = (
    300  # seconds: the bounds under test are 1-2 s; this only turns a hang into a failure
)


def _child(args: list[str], *, env: dict | None = None, cwd=REPO) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` with this process's environment (without $JAXML_TIMEOUT unless ``env`` sets it)."""
    full_env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    # synthetic data: the reproduce runs here need no course files, even where CI requires them
    full_env.pop("JAXML_DATA", None)
    full_env.pop("JAXML_REQUIRE_REAL_DATA", None)
    full_env.update(env or {})
    return run_bounded(
        [sys.executable, *args],
        timeout=CHILD_TIMEOUT,
        env=full_env,
        cwd=cwd,
        note=": the bound did not end it",
    )


def _jaxml(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return _child(["-m", "jaxml.cli", *args], env=env)


# ------------------------------------------------------------------------------------------------------------------
# jaxml.timeouts: the bound and the bounded wait
# ------------------------------------------------------------------------------------------------------------------


def test_default_timeout_reads_jaxml_timeout(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert default_timeout() == DEFAULT_TIMEOUT
    monkeypatch.setenv(ENV_VAR, " 2.5 ")
    assert default_timeout() == 2.5
    for off in ("0", "off", "OFF", "none", "no"):
        monkeypatch.setenv(ENV_VAR, off)
        assert default_timeout() is None, off
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv(ENV_VAR, bad)
        with pytest.raises(UsageError, match=ENV_VAR):
            default_timeout()


@pytest.fixture
def never_ready(monkeypatch):
    """An array whose computation never finishes, as far as ``is_ready`` tells (a CPU run completes at dispatch,
    so a hang is simulated). It turns ready after 500 polls (seconds of waiting), so a bound that fails to fire
    makes the test fail instead of hanging."""
    x = jnp.arange(3.0)
    polls = []

    def is_ready(self):
        polls.append(None)
        return len(polls) > 500

    monkeypatch.setattr(type(x), "is_ready", is_ready)
    return x, polls


def test_block_until_ready_raises_once_its_bound_has_passed(never_ready):
    x, polls = never_ready
    start = time.monotonic()
    with pytest.raises(ComputationTimeout) as err:
        block_until_ready(
            {"theta": x, "label": "not an array"}, timeout=0.3, what="the spinning grid"
        )
    assert time.monotonic() - start >= 0.3  # it waited the whole bound, polling
    assert len(polls) > 1
    message = str(err.value)
    assert "the spinning grid did not finish within 0.3 s" in message
    assert f"{ENV_VAR}=SECONDS" in message  # how to raise the bound


def test_jaxml_timeout_bounds_block_until_ready_and_0_disables_it(never_ready, monkeypatch):
    x, _ = never_ready
    monkeypatch.setenv(ENV_VAR, "0.2")
    with pytest.raises(ComputationTimeout, match="within 0.2 s"):
        block_until_ready(x)
    monkeypatch.setenv(ENV_VAR, "0")
    # no bound: JAX's own wait, which does not ask is_ready (the real array is computed)
    assert block_until_ready(x) is x


def test_block_until_ready_returns_the_tree_when_it_is_ready():
    tree = {"theta": jnp.ones(2) * 3.0, "n": 4}
    assert block_until_ready(tree, timeout=60) is tree
    assert block_until_ready(tree, timeout=None)["theta"].tolist() == [3.0, 3.0]


# ------------------------------------------------------------------------------------------------------------------
# jaxml._watchdog.stage: exit status 3, in a child process
# ------------------------------------------------------------------------------------------------------------------

STAGE_CHILD = textwrap.dedent(
    """
    import sys, time
    from jaxml._watchdog import stage

    with stage("the quick stage", 0.5, command="demo"):
        pass
    time.sleep(1.0)  # the quick stage's timer must have been cancelled
    print("quick stage done", flush=True)
    with stage("the nap", float(sys.argv[1]), command="demo"):
        time.sleep(600)
    print("the nap was not cut short")
    """
)


def test_stage_ends_the_process_with_exit_status_3_naming_the_stage():
    proc = _child(["-c", STAGE_CHILD, "1"])
    assert proc.returncode == EXIT_TIMEOUT == 3, proc.stderr[-3000:]
    assert proc.stdout.splitlines() == ["quick stage done"]
    assert (
        "demo: error: the nap did not finish within 1 s; stopping (exit status 3)." in proc.stderr
    )
    assert "--timeout SECONDS or JAXML_TIMEOUT=SECONDS" in proc.stderr
    # the stacks of every thread at the moment of the timeout: the main thread was in the sleep
    assert "Python stacks at the moment of the timeout" in proc.stderr
    line = STAGE_CHILD.splitlines().index("    time.sleep(600)") + 1
    assert f'File "<string>", line {line} in <module>' in proc.stderr


# ------------------------------------------------------------------------------------------------------------------
# jaxml verify: a derivation that overruns --timeout / $JAXML_TIMEOUT
# ------------------------------------------------------------------------------------------------------------------

DERIVATIONS = textwrap.dedent(
    """
    import time

    import jax
    import jax.numpy as jnp
    from jax import lax

    from jaxml.verify import derivation


    def loss(theta, x, y):
        return jnp.mean((x @ theta - y) ** 2)


    def example(key):
        return jnp.zeros(3), jax.random.normal(key, (20, 3)), jnp.ones(20)


    def sleepy_example(key):
        time.sleep(600)  # the sleep_in_example line: far longer than any bound the tests set
        return example(key)


    if MODE == "sleep":

        @derivation(of=loss, example=sleepy_example)
        def sleepy_grad(theta, x, y):
            return 2 * x.T @ (x @ theta - y) / y.shape[0]

    else:

        @derivation(of=loss, example=example)
        def spinning_grad(theta, x, y):
            # an XLA loop that never ends (c == c holds for every float but NaN): Python cannot interrupt it
            forever = lax.while_loop(lambda c: c == c, lambda c: c + 1.0, jnp.zeros((), theta.dtype))
            return 2 * x.T @ (x @ theta - y) / y.shape[0] + 0.0 * forever
    """
)


def _derivation_file(tmp_path: Path, mode: str) -> Path:
    path = tmp_path / f"{mode}_derivation.py"
    path.write_text(f"MODE = {mode!r}\n" + DERIVATIONS)
    return path


def test_verify_timeout_option_ends_a_derivation_that_sleeps(tmp_path):
    path = _derivation_file(tmp_path, "sleep")
    proc = _jaxml("verify", str(path), "--timeout", "2")
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert (
        "jaxml verify: error: checking sleepy_grad did not finish within 2 s; stopping (exit status 3)."
        in proc.stderr
    )
    # the stack points at the user's line that was running
    line = next(
        i for i, text in enumerate(path.read_text().splitlines(), 1) if "sleep_in_example" in text
    )
    assert f'File "{path}", line {line} in sleepy_example' in proc.stderr
    assert "FAIL" not in proc.stdout and "as expected" not in proc.stdout  # no verdict was printed


def test_jaxml_timeout_ends_a_derivation_spinning_inside_xla(tmp_path):
    path = _derivation_file(tmp_path, "spin")
    proc = _jaxml("verify", str(path), env={ENV_VAR: "2"})
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert (
        "checking spinning_grad did not finish within 2 s; stopping (exit status 3)." in proc.stderr
    )


# ------------------------------------------------------------------------------------------------------------------
# jaxml reproduce: an experiment that overruns --timeout (one process; the worker processes are in
# tests/test_reproduce_workers.py)
# ------------------------------------------------------------------------------------------------------------------


def test_reproduce_timeout_option_ends_an_experiment_that_overruns_it(tmp_path):
    # the perceptron experiment takes seconds (benchmarks/RESULTS.md); a 1 s bound cuts it short
    out = tmp_path / "out"
    proc = _jaxml(
        "reproduce", "--only", "perceptron", "--jobs", "1", "--timeout", "1", "--out", str(out)
    )
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert (
        "jaxml reproduce: error: experiment perceptron did not finish within 1 s; stopping (exit status 3)."
        in proc.stderr
    )
    assert not (out / "results.json").exists()


def test_a_negative_timeout_is_a_usage_error(tmp_path, monkeypatch, capsys):
    from jaxml.cli import main

    monkeypatch.delenv("JAXML_DATA", raising=False)
    monkeypatch.delenv("JAXML_REQUIRE_REAL_DATA", raising=False)
    args = ["reproduce", "--only", "perceptron", "--timeout", "-1", "--out", str(tmp_path)]
    assert main([*args, "--quiet"]) == 2
    assert "--timeout must be >= 0 seconds, got -1" in capsys.readouterr().err
    assert not (tmp_path / "results.json").exists()  # refused before any experiment ran
