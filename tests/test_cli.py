"""The jaxml command: verify's exit codes and diagnoses, reproduce's outputs, errors as messages."""

from __future__ import annotations

import json
import textwrap

import pytest

from jaxml.cli import main

USER_FILE = textwrap.dedent(
    """
    import jax, jax.numpy as jnp
    from jaxml.verify import derivation

    def loss(theta, x, y):
        return jnp.mean((x @ theta - y) ** 2)

    def example(key):
        kt, kx, ky = jax.random.split(key, 3)
        return jax.random.normal(kt, (3,)), jax.random.normal(kx, (25, 3)), jax.random.normal(ky, (25,))

    @derivation(of=loss, example=example)
    def my_grad(theta, x, y):
        return 2 * x.T @ (x @ theta - y){SCALE}
    """
)


def _write(tmp_path, name, scale):
    path = tmp_path / name
    path.write_text(USER_FILE.replace("{SCALE}", scale))
    return path


def test_verify_builtin_exits_0_and_lists_logistic(capsys):
    # the points of `reproduce --only derivations`: programs shared
    assert main(["verify", "--points", "200"]) == 0
    out = capsys.readouterr().out
    assert "log_likelihood_grad" in out and "log_likelihood_hessian" in out
    assert "expected fail" in out and "as expected" in out


def test_verify_user_file_right_and_wrong(tmp_path, capsys):
    assert (
        main(["verify", str(_write(tmp_path, "right.py", " / y.shape[0]")), "--points", "20"]) == 0
    )
    capsys.readouterr()
    assert main(["verify", str(_write(tmp_path, "wrong.py", "")), "--points", "20"]) == 1
    out = capsys.readouterr().out
    # wording is the subject here: the table printed for people
    assert "FAIL" in out and "missing 1/n" in out and "n = 25" in out


def test_verify_json(tmp_path, capsys):
    assert main(["verify", str(_write(tmp_path, "wrong.py", "")), "--json", "--points", "10"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    (outcome,) = payload["outcomes"]
    assert outcome["verdict"] == "FAIL", outcome
    # missing 1/n: the gradient of the sum, 25 x the gradient of the mean
    assert outcome["mistake"] == {
        "kind": "constant_factor",
        "leaf": "",
        "factor": pytest.approx(25),
    }


@pytest.mark.parametrize(
    "content, message",
    [
        ("def broken(:\n", "could not be imported: SyntaxError"),
        ("import jax\n", "declares no derivations"),
        ("raise RuntimeError('boom')\n", "RuntimeError: boom"),
    ],
)
def test_verify_load_errors_exit_2_without_traceback(tmp_path, capsys, content, message):
    path = tmp_path / "user.py"
    path.write_text(content)
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_verify_missing_file_and_bad_points(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nope.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["verify", "--points", "0"]) == 2


def test_reproduce_unknown_experiment_and_missing_data_dir(tmp_path, capsys):
    assert main(["reproduce", "--only", "nonsense", "--out", str(tmp_path)]) == 2
    assert "unknown experiment" in capsys.readouterr().err
    assert main(["reproduce", "--data", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_reproduce_synthetic_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("JAXML_DATA", raising=False)
    monkeypatch.delenv("JAXML_REQUIRE_REAL_DATA", raising=False)
    monkeypatch.setenv("JAXML_QUICK_CHECKS", "0")  # --quick-checks sets it; undone after the test
    # --quick-checks: the programs of test_verify_builtin_exits_0_and_lists_logistic are shared
    argv = ["reproduce", "--only", "derivations", "--out", str(tmp_path), "--quiet"]
    assert main([*argv, "--quick-checks"]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["data"] == "synthetic"
    assert {"jax_version", "device", "derivations"} <= set(results)
    assert results["derivations"]["all_as_expected"] is True
    # the max errors are not a default run's: the outputs say so
    assert results["quick_checks"] is True
    report = (tmp_path / "REPORT.md").read_text()
    assert "SYNTHETIC DATA" in report
    assert "`--quick-checks`" in report
    assert "SYNTHETIC" in capsys.readouterr().out


def test_require_real_data_turns_missing_data_into_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("JAXML_DATA", raising=False)
    monkeypatch.setenv("JAXML_REQUIRE_REAL_DATA", "1")
    assert main(["reproduce", "--only", "derivations", "--out", str(tmp_path)]) == 2
    assert "real data required" in capsys.readouterr().err


def test_help_and_no_command(capsys):
    assert main([]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--help"])
    assert exc.value.code == 0
    assert "@derivation" in capsys.readouterr().out


def test_compilation_cache_location(monkeypatch, tmp_path):
    from jaxml.cli import compilation_cache_dir

    monkeypatch.setenv("JAXML_COMPILATION_CACHE", "0")
    assert compilation_cache_dir() is None
    monkeypatch.setenv("JAXML_COMPILATION_CACHE", str(tmp_path / "xla"))
    assert compilation_cache_dir() == str(tmp_path / "xla")
    monkeypatch.setenv("JAXML_COMPILATION_CACHE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compilation_cache_dir() == str(tmp_path / "jaxml" / "xla")
