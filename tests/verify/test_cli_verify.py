"""`jaxml verify` on users' files: imported functions, notes, --jobs (issue #13, #11)."""

from __future__ import annotations

import json
import textwrap

from jaxml.cli import main

from .test_registry import write_user_file

KINK_FILE = textwrap.dedent(
    """
    import jax, jax.numpy as jnp
    from jaxml.verify import derivation

    def relu_layer(x, dout):
        return jnp.sum(dout * jnp.maximum(x, 0.0))

    def example(key):
        kx, kd = jax.random.split(key)
        x = jax.random.normal(kx, (6, 5))
        return jnp.where(jnp.abs(x) < 0.5, 0.0, x), jax.random.normal(kd, (6, 5))  # exact zeros

    @derivation(of=relu_layer, example=example)
    def relu_backward(x, dout):
        return jnp.where(x > 0, dout, 0.0)

    @derivation(of=relu_layer, example=example)
    def shifted_mask(x, dout):
        return jnp.where(x > 0.7, dout, 0.0)  # wrong for 0.5 <= x <= 0.7
    """
)


def test_a_file_decorating_an_imported_gradient_verifies(tmp_path, capsys):
    path = write_user_file(tmp_path, "helper_grads_cli")
    assert main(["verify", str(path), "--points", "30"]) == 0
    out = capsys.readouterr().out
    assert "imported gradient" in out and "1 of 1 as expected" in out


def test_subgradients_are_accepted_and_a_wrong_mask_fails(tmp_path, capsys):
    path = tmp_path / "kinks.py"
    path.write_text(KINK_FILE)
    assert main(["verify", str(path), "--points", "40", "--json"]) == 1
    outcomes = {o["name"]: o for o in json.loads(capsys.readouterr().out)["outcomes"]}
    assert outcomes["relu_backward"]["verdict"] == "pass"
    assert "valid subgradient" in outcomes["relu_backward"]["note"]
    assert outcomes["shifted_mask"]["verdict"] == "FAIL"


def test_jobs_do_not_change_the_outcomes(tmp_path, capsys):
    path = tmp_path / "kinks.py"
    path.write_text(KINK_FILE)
    runs = []
    for jobs in ("1", "2"):
        main(["verify", str(path), "--points", "25", "--json", "--jobs", jobs])
        payload = json.loads(capsys.readouterr().out)
        runs.append([{k: v for k, v in o.items() if k != "seconds"} for o in payload["outcomes"]])
    assert runs[0] == runs[1]


def test_bad_jobs_is_a_usage_error(capsys):
    assert main(["verify", "--jobs", "0"]) == 2
    assert "--jobs must be >= 1" in capsys.readouterr().err
