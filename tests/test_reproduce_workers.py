"""``jaxml reproduce`` with two worker processes (its default on a multi-core CPU): one experiment's failure costs
the others nothing, and an overrun ends the run with exit status 3.

Each test runs the command in a child process with a timeout of its own. The experiments are the cheapest two
(``jaxml list``; seconds each, benchmarks/RESULTS.md): the perceptron succeeds, on its files written from the
synthetic stand-ins (so no course data is needed), and logreg_stability fails on a malformed file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jaxml_tests_children import run_bounded

from jaxml.data import synthetic

REPO = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT = (
    600  # seconds: two experiments of seconds each; this only turns a hang into a failure
)


def _reproduce(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``jaxml reproduce --jobs 2 ARGS`` in a child process (no $JAXML_TIMEOUT unless ``env`` sets it)."""
    full_env = {k: v for k, v in os.environ.items() if k != "JAXML_TIMEOUT"}
    full_env.pop("JAXML_DATA", None)
    full_env.pop("JAXML_REQUIRE_REAL_DATA", None)
    full_env.update(env or {})
    command = [sys.executable, "-m", "jaxml.cli", "reproduce", "--jobs", "2", *args]
    return run_bounded(command, timeout=CHILD_TIMEOUT, env=full_env, cwd=REPO)


def _write_labelled_csv(path: Path, x, y) -> None:
    """The course's labelled CSV (``y,x0,x1``, floats as repr): the format the loaders read strictly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["y,x0,x1"] + [f"{label!r},{a!r},{b!r}" for label, (a, b) in zip(y.tolist(), x.tolist())]
    path.write_text("\n".join(rows) + "\n")


@pytest.fixture
def half_broken_data(tmp_path) -> Path:
    """A data directory where the perceptron's files are sound and logreg_stability's ds1_a.csv is not (line 3)."""
    root = tmp_path / "data"
    for split, data in synthetic.perceptron(seed=0).items():
        _write_labelled_csv(root / "perceptron" / f"{split}.csv", data.x, data.y)
    logreg = synthetic.logreg_stability(seed=0)
    _write_labelled_csv(root / "logreg_stability" / "ds1_b.csv", logreg["b"].x, logreg["b"].y)
    lines = (root / "logreg_stability" / "ds1_b.csv").read_text().splitlines()
    # physical line 3: a feature that is not a number
    lines[2] = lines[2].rsplit(",", 1)[0] + ",oops"
    (root / "logreg_stability" / "ds1_a.csv").write_text("\n".join(lines) + "\n")
    return root


def test_one_experiment_failing_keeps_the_others_results(half_broken_data, tmp_path):
    out = tmp_path / "out"
    proc = _reproduce(
        "--data",
        str(half_broken_data),
        "--only",
        "perceptron",
        "logreg_stability",
        "--out",
        str(out),
    )
    bad_file = half_broken_data / "logreg_stability" / "ds1_a.csv"
    # the worker path ran (not the one-process loop), and the run ends with the data error's exit status
    assert "in 2 worker processes" in proc.stderr
    assert proc.returncode == 2, proc.stderr[-3000:]
    # one clear message: the file, the line, what is wrong, and where the others' results are
    error = proc.stderr[proc.stderr.index("jaxml reproduce: error:") :]
    assert f"{bad_file}, line 3: column 'x1' is 'oops', which is not a number" in error
    assert f"the experiments that finished (perceptron) are in {out / 'results.json'}" in error
    assert "Traceback" not in proc.stderr

    results = json.loads((out / "results.json").read_text())
    assert results["data"] == "real"
    assert set(results["errors"]) == {"logreg_stability"}
    assert results["errors"]["logreg_stability"].startswith(f"DataError: {bad_file}, line 3:")
    assert "logreg_stability" not in results and set(results["timings_s"]) == {"perceptron"}
    # the perceptron's section is complete (tests/experiments/test_perceptron.py checks its numbers)
    perceptron = results["perceptron"]
    assert perceptron["scale"]["n_train"] == perceptron["scale"]["n_test"] == 20_000
    # the synthetic rings are RBF-separable: far better than chance on the test file
    assert 0.75 < perceptron["rbf"]["test_accuracy"] <= 1.0

    report = (out / "REPORT.md").read_text()
    failed = report[report.index("## §1 ") : report.index("## §3 ")]
    assert f"**This experiment failed:** `DataError: {bad_file}, line 3:" in failed
    kept = report[report.index("## §3 Kernelising the perceptron") :]
    assert "_Experiment `perceptron`" in kept and "| quantity | ours |" in kept
    assert "![perceptron_kernels.png](perceptron_kernels.png)" in kept
    assert (out / "perceptron_kernels.png").is_file()


def test_jaxml_timeout_ends_a_run_in_workers_with_exit_status_3(tmp_path):
    out = tmp_path / "out"
    proc = _reproduce(
        "--only", "perceptron", "logreg_stability", "--out", str(out), env={"JAXML_TIMEOUT": "1"}
    )
    assert "in 2 worker processes" in proc.stderr
    assert proc.returncode == 3, proc.stderr[-3000:]
    # a worker's watchdog names its experiment; the parent then says a worker ended
    assert "did not finish within 1 s; stopping (exit status 3)." in proc.stderr
    assert "a worker process ended abruptly" in proc.stderr
    assert not (out / "results.json").exists()


def test_one_process_records_a_data_error_the_same_way(half_broken_data, tmp_path, capsys):
    # the loop without workers (--jobs 1, or one experiment) writes its outputs before the error too
    from jaxml.cli import main

    out = tmp_path / "out"
    args = ["reproduce", "--data", str(half_broken_data), "--only", "logreg_stability"]
    assert main([*args, "--jobs", "1", "--out", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    bad_file = half_broken_data / "logreg_stability" / "ds1_a.csv"
    assert error.startswith(f"jaxml reproduce: error: {bad_file}, line 3: column 'x1' is 'oops'")
    assert "experiments that finished" not in error  # none did
    results = json.loads((out / "results.json").read_text())
    assert set(results["errors"]) == {"logreg_stability"} and results["timings_s"] == {}
    assert "**This experiment failed:** `DataError:" in (out / "REPORT.md").read_text()
