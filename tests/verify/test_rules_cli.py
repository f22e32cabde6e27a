"""`jaxml verify FILE` on custom VJP / JVP rules declared with @vjp_rule / @jvp_rule (issue #22)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp

from jaxml.verify import jvp_rule, load_file, run_entry, vjp_rule

RIGHT = textwrap.dedent(
    """
    import jax, jax.numpy as jnp
    from jaxml.verify import vjp_rule

    def plain_softplus(x):
        return jnp.logaddexp(x, 0.0)

    def example(key):
        return (3.0 * jax.random.normal(key, (5,)),)

    @vjp_rule(reference=plain_softplus, example=example, equation="softplus' = sigmoid")
    @jax.custom_vjp
    def softplus(x):
        return jnp.logaddexp(x, 0.0)

    softplus.defvjp(lambda x: (softplus(x), x), lambda x, c: (c * jax.nn.sigmoid(x),))
    """
)

WRONG = textwrap.dedent(
    """
    import jax, jax.numpy as jnp
    from jaxml.verify import jvp_rule

    def plain_f(x):
        return x / (1 + jnp.sqrt(x))

    def example(key):
        x = jnp.abs(jax.random.normal(key, (4,)))
        return (x.at[0].set(0.0),)  # the boundary x = 0 at every point

    @jvp_rule(reference=plain_f, example=example, domain="nonnegative")
    @jax.custom_jvp
    def f_missing_2(x):
        return x / (1 + jnp.sqrt(x))

    f_missing_2.defjvps(lambda t, ans, x: ((jnp.sqrt(x) + 2) / ((jnp.sqrt(x) + 1) ** 2)) * t)
    """
)


def _verify(*paths, json_out: bool = False) -> subprocess.CompletedProcess:
    """`jaxml verify PATHS --points 40` in a child process (the command as users run it)."""
    command = "import sys; from jaxml.cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["verify", *map(str, paths), "--points", "40"] + (["--json"] if json_out else [])
    return subprocess.run(
        [sys.executable, "-c", command, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_wrong_jvp_rule_fails_the_command_and_is_named(tmp_path):
    right, wrong = tmp_path / "right_rule.py", tmp_path / "wrong_rule.py"
    right.write_text(RIGHT)
    wrong.write_text(WRONG)
    proc = _verify(right, wrong)
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    out = proc.stdout
    assert "1 of 2 as expected; 1 FAILED: f_missing_2" in out
    table = out.split("Diagnoses:")[0]
    rows = {line.split()[0]: line for line in table.splitlines() if line.split()}
    assert rows["softplus"].rstrip().endswith("pass")
    assert rows["f_missing_2"].rstrip().endswith("FAIL")
    assert "f_missing_2's rule vs jax.jvp(plain_f)" in rows["f_missing_2"]
    assert "constant factor 2" in out and "one-sided difference quotient" in out


def test_a_file_of_right_rules_passes(tmp_path):
    right = tmp_path / "right_rule.py"
    right.write_text(RIGHT)
    proc = _verify(right, json_out=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    (outcome,) = json.loads(proc.stdout)["outcomes"]
    assert outcome["name"] == "softplus" and outcome["verdict"] == "pass"
    assert outcome["points"] == 40 and outcome["equation"] == "softplus' = sigmoid"
    assert outcome["max_rel_error"] < 1e-12


def test_the_decorators_return_the_function_and_declare_entries(tmp_path):
    path = tmp_path / "both_rules.py"
    path.write_text(RIGHT + WRONG)
    right, wrong = load_file(path)
    assert (right.kind, wrong.kind) == ("vjp", "jvp")
    assert wrong.options["domain"] == "nonnegative" and right.options["rtol"] is None
    assert isinstance(right.fn, jax.custom_vjp) and isinstance(wrong.fn, jax.custom_jvp)
    # run in this process, as run_entries runs them: at the example maker's points, given as at=
    passed, failed = run_entry(right, points=12), run_entry(wrong, points=12)
    assert passed.verdict == "pass" and passed.points == 12
    assert (
        failed.verdict == "FAIL"
        and "at 12 entries where autodiff's JVP is not finite" in failed.note
    )

    def plain(x):
        return jnp.sin(x)

    fn = jax.custom_jvp(plain)
    assert jvp_rule(reference=plain, example=lambda k: (jnp.ones(2),))(fn) is fn
    assert vjp_rule(reference=plain, example=lambda k: (jnp.ones(2),))(fn) is fn
