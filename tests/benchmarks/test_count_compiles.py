"""``benchmarks/_count_compiles.py`` (the launcher through which ``cli_bench.py`` runs ``jaxml verify`` and
``jaxml reproduce``) counts the XLA programs a command compiles, tells programs read back from the persistent
cache from compiled ones, and reaches ``jaxml reproduce``'s spawned worker processes.

Each test runs the launcher in a child process with a timeout of its own (a hang is a failure, never a stall).
No timing is asserted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jaxml_tests_children import run_bounded

REPO = Path(__file__).resolve().parents[2]
COUNTER = REPO / "benchmarks" / "_count_compiles.py"
CHILD_TIMEOUT = 300  # seconds: each command takes seconds; this only turns a hang into a failure


def _counted(
    args: list[str], counts: Path, cache: Path
) -> tuple[subprocess.CompletedProcess, dict]:
    """``jaxml ARGS`` through the launcher, the CLI's compilation cache in ``cache``; (process, counts JSON)."""
    env = {k: v for k, v in os.environ.items() if k not in ("JAXML_TIMEOUT", "JAXML_DATA")}
    env.pop("JAXML_REQUIRE_REAL_DATA", None)
    env.update(
        JAXML_COUNT_COMPILES=str(counts),
        JAXML_COMPILATION_CACHE=str(cache),
        MPLBACKEND="Agg",
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    command = [sys.executable, str(COUNTER), *args]
    proc = run_bounded(command, timeout=CHILD_TIMEOUT, env=env, cwd=REPO)
    assert counts.is_file(), f"no counts written\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert not Path(str(counts) + ".d").exists()  # the workers' parts are summed and removed
    return proc, json.loads(counts.read_text())


def test_counts_programs_compiled_then_read_back_from_the_cache(tmp_path):
    mine = tmp_path / "mine.py"
    mine.write_text(
        _load("cli_bench").USER_FILE
    )  # README's one-derivation file, as its row writes it
    args = ["verify", str(mine), "--points", "5"]
    cache = tmp_path / "cache"

    proc, cold = _counted(args, tmp_path / "cold.json", cache)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "1 of 1 as expected" in proc.stdout  # the launcher behaves as `python -m jaxml.cli`
    assert cold["programs"] > 0 and cold["compiled"] == cold["programs"]
    assert cold["compile_s"] > 0 and cold["trace_s"] > 0
    assert cold["cache_hits"] == 0 and cold["cache_read_s"] == 0
    assert cold["processes"] == 1 and cold["workers_started"] == 0 and cold["complete"]

    # warm: the same programs fire JAX's backend_compile event again, and are counted as read from the cache
    proc, warm = _counted(args, tmp_path / "warm.json", cache)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert warm["programs"] == cold["programs"]
    assert warm["cache_hits"] == warm["programs"] and warm["compiled"] == 0
    assert warm["compile_s"] == 0 and warm["cache_read_s"] > 0


def test_exit_status_and_counts_of_a_usage_error(tmp_path):
    proc, counts = _counted(["verify", "--points", "0"], tmp_path / "c.json", tmp_path / "cache")
    assert proc.returncode == 2 and "--points must be >= 1" in proc.stderr
    assert counts["programs"] == 0 and counts["complete"]


@pytest.mark.slow
def test_counts_reach_the_spawned_workers_of_reproduce(tmp_path):
    """``jaxml reproduce --jobs 2`` on the two cheapest experiments (synthetic data, ``--quick-checks``, the
    faster path): each worker's programs are counted and summed, and the main process compiles none of the
    experiments' programs itself."""
    proc, counts = _counted(
        [
            "reproduce",
            "--jobs",
            "2",
            "--only",
            "perceptron",
            "logreg_stability",
            "--out",
            str(tmp_path / "out"),
            "--quiet",
            "--quick-checks",
        ],
        tmp_path / "c.json",
        tmp_path / "cache",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert counts["workers_started"] == 2 and counts["workers_counted"] == 2 and counts["complete"]
    assert counts["worker_start_methods"] == ["spawn"]
    assert counts["processes"] == 3
    workers = [p for p in counts["per_process"] if p["role"] == "worker"]
    assert len(workers) == 2 and all(p["programs"] > 0 and p["finished"] for p in workers)
    assert counts["programs"] == sum(p["programs"] for p in counts["per_process"])
    assert counts["compile_s"] > 0


def _load(name: str):
    """Import a script of benchmarks/ by its plain name, as run.py does (see test_numpy_peers.py)."""
    bench = str(REPO / "benchmarks")
    if bench not in sys.path:
        sys.path.append(bench)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_rows_never_pass_off_a_partial_sum_as_the_total():
    cli, timing = _load("cli_bench"), _load("_timing")
    counter = _load("_count_compiles")
    main = {"role": "main", "finished": True, "programs": 3, "cache_hits": 0, "compiled": 3}
    main.update(compile_s=1.0, cache_read_s=0.0, trace_s=0.5)
    worker = {**main, "role": "worker", "programs": 10, "cache_hits": 4, "compiled": 6}
    worker.update(compile_s=2.0, cache_read_s=0.25)
    lost = {"role": "worker", "finished": False, "programs": 0}

    def run(compiles):
        return timing.ChildRun(1.0, 0, 0, "", "", compiles=compiles)

    whole = counter.total(main, [worker, worker], ["spawn", "spawn"])
    assert whole["complete"] and whole["programs"] == 23 and whole["cache_hits"] == 8
    assert cli.compiles_text(run(whole)) == (
        "15 XLA programs compiled in 5.00 s, 8 read from the cache in 0.50 s; trace+lower 1.50 s "
        "(main + 2 workers)"
    )
    partial = counter.total(main, [worker, lost], ["spawn", "spawn"])
    assert not partial["complete"]
    text = cli.compiles_text(run(partial))
    assert "INCOMPLETE" in text and "1 of 2 worker" in text and "not the total" in text
    assert "XLA programs compiled" not in text
    assert "none written" in cli.compiles_text(run(None))
