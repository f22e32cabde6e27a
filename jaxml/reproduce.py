"""Run the registered experiments and write results.json, REPORT.md and the figures.

    run(data, out_dir, only=None, seed=0, progress=...) -> results dict

Each experiment gets its own PRNG key, ``fold_in(PRNGKey(seed), crc32(name))``, so adding or skipping one never
changes another's numbers. One experiment's failure never costs the others their results: a bug inside it, or a
user's mistake in its input (a malformed data file), is recorded in results.json under ``"errors"`` and in
REPORT.md, and the others still run and are written. A user's mistake then raises :class:`JaxmlError` (naming the
file and line) once the outputs are written; a bug leaves ``"errors"`` for the caller to report. A mistake in the
call itself (an unknown name) raises before anything runs, and a :class:`ComputationTimeout` stops the run at once.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import gc
import json
import multiprocessing
import time
import traceback
import zlib
from pathlib import Path

import jax

from . import experiments
from ._compile import quick_checks_requested
from ._watchdog import stage
from .errors import ComputationTimeout, JaxmlError, UsageError
from .experiments._registry import Context, ExperimentOutput, Progress
from .placement import describe_devices
from .report import write_report


def experiment_key(seed: int, name: str) -> jax.Array:
    """The PRNG key of one experiment: the run's seed folded with a hash of the experiment's name."""
    return jax.random.fold_in(jax.random.PRNGKey(seed), zlib.crc32(name.encode()) & 0x7FFFFFFF)


def _jsonable(obj):
    """Convert NumPy / JAX scalars and arrays to plain JSON types; non-finite floats become strings."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):
        return _jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if np.isfinite(x) else str(x)
    return obj


@dataclasses.dataclass(frozen=True)
class _Run:
    """How one experiment went (picklable: worker processes send it back).

    Attributes:
      name: the experiment.
      output: its output, None when it failed.
      seconds: wall time.
      error: why it failed ("DataError: FILE, line 3: ..."), for results.json and the report.
      user_mistake: the message of the :class:`JaxmlError` it raised (bad input), None for a bug: the run raises
        it once every output is written.
    """

    name: str
    output: ExperimentOutput | None
    seconds: float
    error: str | None = None
    user_mistake: str | None = None


def run(
    data,
    out_dir: Path,
    *,
    only=None,
    seed: int = 0,
    progress: Progress | None = None,
    device: str | None = None,
    timeout: float | None = None,
    jobs: int = 1,
) -> dict:
    """Run the experiments (all, or those named in ``only``) and write the outputs into ``out_dir``.

    Args:
      data: the :class:`jaxml.data.DataSource`.
      out_dir: where results.json, REPORT.md and the figures go.
      only: experiment names to run (default: all, in registration order).
      seed: the run's seed (each experiment's key is :func:`experiment_key`).
      progress: progress reporting (stderr).
      device: placement override ("auto", "cpu", "gpu").
      timeout: seconds one experiment may take before the process is ended with exit status 3 (the CLI's
        watchdog, :mod:`jaxml._watchdog`); None (default) sets no bound.
      jobs: experiments run at the same time, each in its own worker process (1: all in this process). Every
        experiment's numbers are the same either way: each depends only on its own key, and each process has the
        same XLA thread pool.
    """
    progress = progress or Progress()
    registry = experiments.registered()
    names = list(registry)
    if only:
        unknown = [n for n in only if n not in registry]
        if unknown:
            raise UsageError(
                f"unknown experiment(s) {', '.join(unknown)}; known: {', '.join(names)}"
            )
        names = [n for n in names if n in only]
    if jobs < 1:
        raise UsageError(f"jobs must be >= 1, got {jobs}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    results: dict = {
        "data": data.kind,
        "jax_version": jax.__version__,
        "device": describe_devices(),
        "seed": seed,
    }
    if quick_checks_requested():
        # --quick-checks: the checks' rounding measures are not a default run's (jaxml._compile)
        results["quick_checks"] = True
    if data.kind == "synthetic":
        progress.log(
            "*"
            * 78
            + "\n*  SYNTHETIC DATA: no real data directory given (--data DIR or $JAXML_DATA).\n"
            "*  Every number below comes from seeded stand-ins, NOT the course's files.\n"
            + "*"
            * 78
        )
    if jobs > 1 and len(names) > 1:
        runs = _run_in_workers(names, data, seed, out_dir, device, timeout, jobs, progress)
    else:
        runs = [
            _run_here(i, names, data, seed, out_dir, device, timeout, progress)
            for i in range(len(names))
        ]
    sections, errors, timings = [], {}, {}
    for run_ in runs:
        exp = registry[run_.name]
        sections.append((exp, run_.output, run_.seconds))
        if run_.output is None:
            errors[run_.name] = run_.error
            continue
        timings[run_.name] = round(run_.seconds, 3)
        for key, value in run_.output.results.items():
            results[key] = _jsonable(value)
    results["timings_s"] = timings
    if errors:
        results["errors"] = errors
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_report(out_dir / "REPORT.md", results, sections, data)
    _raise_user_mistake(runs, out_dir)
    return results


def _raise_user_mistake(runs: list[_Run], out_dir: Path) -> None:
    """Raise the first experiment's user mistake (bad data), saying where the others' results went."""
    mistakes = [r for r in runs if r.user_mistake is not None]
    if not mistakes:
        return
    message = mistakes[0].user_mistake
    if len(mistakes) > 1:
        others = ", ".join(r.name for r in mistakes[1:])
        message += f'\n(also failed on their input: {others}; see "errors" in results.json)'
    finished = [r.name for r in runs if r.output is not None]
    if finished:
        message += (
            f"\nthe experiments that finished ({', '.join(finished)}) are in {out_dir / 'results.json'} "
            f"and {out_dir / 'REPORT.md'}"
        )
    raise JaxmlError(message)


def default_jobs() -> int:
    """How many experiments to run at once: one per core (at most 4) on a CPU-only machine, one with an
    accelerator (processes would compete for its memory)."""
    import os

    if any(d.platform != "cpu" for d in jax.devices()):
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _run_one(
    name: str, data, seed: int, out_dir: Path, device, timeout, progress: Progress
) -> _Run:
    """Run one experiment under the watchdog.

    A :class:`ComputationTimeout` propagates (the stuck computation cannot be cancelled, so the run stops). A
    user's mistake (another :class:`JaxmlError`, e.g. a malformed data file) or a bug in the experiment is
    returned as the run's error, so that the others still run and are written.
    """
    exp = experiments.registered()[name]
    ctx = Context(
        data=data,
        key=experiment_key(seed, name),
        out_dir=out_dir,
        progress=progress,
        device_override=device,
    )
    start = time.perf_counter()
    try:
        with stage(f"experiment {name}", timeout, command="jaxml reproduce"):
            output: ExperimentOutput = exp.run(ctx)
    except ComputationTimeout:
        raise
    # a user's mistake in this experiment's input (a malformed file): recorded now, raised after the others
    except JaxmlError as exc:
        error = f"{type(exc).__name__}: {exc}"
        progress.log(f"    FAILED: {error}")
        return _Run(name, None, time.perf_counter() - start, error, user_mistake=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug in one experiment: record it, keep going
        error = f"{type(exc).__name__}: {exc}"
        progress.log(f"    FAILED: {error}\n" + traceback.format_exc())
        return _Run(name, None, time.perf_counter() - start, error)
    seconds = time.perf_counter() - start
    output = dataclasses.replace(output, results=_jsonable(output.results))
    # each experiment's compiled programs are not needed by the next: dropping them halves the peak memory
    # of a full run (benchmarks/README.md) at no cost in time
    jax.clear_caches()
    gc.collect()
    return _Run(name, output, seconds)


def _run_here(i: int, names, data, seed, out_dir, device, timeout, progress) -> _Run:
    name = names[i]
    exp = experiments.registered()[name]
    progress.log(f"[{i + 1}/{len(names)}] {exp.section} {exp.title} ({name}) ...")
    run_ = _run_one(name, data, seed, out_dir, device, timeout, progress)
    if run_.output is not None:
        progress.log(f"    done in {run_.seconds:.1f} s")
    return run_


# ----------------------------------------------------------------------------------------------------------------
# several experiments at once, in worker processes
# ----------------------------------------------------------------------------------------------------------------
#
# XLA compiles a program on one core, and many of an experiment's steps are short chains of small programs: one
# process leaves a core idle much of the time. Worker processes (not threads: each process has its own XLA
# thread pool, so jaxlib's blocking LAPACK kernels cannot starve each other's pools, see jaxml/sharding.py) run
# experiments side by side. Workers are started with "spawn" (forking a process that has started XLA's threads
# is unsafe).


def _worker_run(name: str, root, data_seed: int, seed: int, out_dir: str, device, timeout) -> _Run:
    from .data import DataSource

    data = DataSource(root, seed=data_seed)
    return _run_one(name, data, seed, Path(out_dir), device, timeout, Progress(quiet=True))


def _run_in_workers(names, data, seed, out_dir, device, timeout, jobs, progress):
    """Run ``names`` in ``jobs`` worker processes; return their outcomes in the order of ``names``."""
    context = multiprocessing.get_context("spawn")
    cache_dir = jax.config.jax_compilation_cache_dir or None
    done: dict = {}
    progress.log(f"running {len(names)} experiments in {jobs} worker processes: {', '.join(names)}")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_worker_init_x64,
        initargs=(bool(jax.config.jax_enable_x64), cache_dir),
    ) as pool:
        # the costliest first (longest-processing-time order): the last experiment to start is a short one
        registry = experiments.registered()
        by_cost = sorted(names, key=lambda name: -registry[name].cost)
        futures = {
            pool.submit(
                _worker_run, name, data.root, data.seed, seed, str(out_dir), device, timeout
            ): name
            for name in by_cost
        }
        # the workers' own watchdogs bound each experiment; this bound only guards against a worker that died
        # without saying so
        bound = None if timeout is None else timeout * len(names) + 120.0
        try:
            for future in concurrent.futures.as_completed(futures, timeout=bound):
                run_ = future.result()
                done[run_.name] = run_
                status = (
                    f"done in {run_.seconds:.1f} s"
                    if run_.output is not None
                    else f"FAILED: {run_.error}"
                )
                progress.log(f"[{len(done)}/{len(names)}] {run_.name}: {status}")
        except concurrent.futures.process.BrokenProcessPool as exc:
            raise ComputationTimeout(
                "a worker process ended abruptly (its experiment overran its time bound, see above, or the "
                "process was killed)"
            ) from exc
        except concurrent.futures.TimeoutError as exc:
            raise ComputationTimeout(f"the experiments did not finish within {bound:g} s") from exc
    return [done[name] for name in names]


def _worker_init_x64(x64: bool, cache_dir: str | None) -> None:
    """A worker starts as the parent is set up: float64 as the parent has it, the same compilation cache."""
    if x64:
        from ._float64 import enable_float64

        enable_float64()
    if cache_dir:
        jax.config.update("jax_compilation_cache_dir", cache_dir)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
