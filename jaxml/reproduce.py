"""Run the registered experiments and write results.json, REPORT.md and the figures.

    run(data, out_dir, only=None, seed=0, progress=...) -> results dict

Each experiment gets its own PRNG key, ``fold_in(PRNGKey(seed), crc32(name))``, so adding or skipping one never
changes another's numbers. A user's mistake (bad data, unknown name) raises :class:`JaxmlError`; a bug inside one
experiment is recorded in results.json under ``"errors"`` and the others still run.
"""

from __future__ import annotations

import gc
import json
import time
import traceback
import zlib
from pathlib import Path

import jax

from . import experiments
from ._watchdog import stage
from .errors import UsageError
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


def run(data, out_dir: Path, *, only=None, seed: int = 0, progress: Progress | None = None,
        device: str | None = None, timeout: float | None = None) -> dict:
    """Run the experiments (all, or those named in ``only``) and write the outputs into ``out_dir``.

    ``timeout``: seconds one experiment may take before the process is ended with exit status 3 (the CLI's
    watchdog, :mod:`jaxml._watchdog`); None (default) sets no bound.
    """
    progress = progress or Progress()
    registry = experiments.registered()
    names = list(registry)
    if only:
        unknown = [n for n in only if n not in registry]
        if unknown:
            raise UsageError(f"unknown experiment(s) {', '.join(unknown)}; known: {', '.join(names)}")
        names = [n for n in names if n in only]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    results: dict = {"data": data.kind, "jax_version": jax.__version__, "device": describe_devices(),
                     "seed": seed}
    sections, errors, timings = [], {}, {}
    if data.kind == "synthetic":
        progress.log("*" * 78 + "\n*  SYNTHETIC DATA: no real data directory given (--data DIR or $JAXML_DATA).\n"
                     "*  Every number below comes from seeded stand-ins, NOT the course's files.\n" + "*" * 78)
    for i, name in enumerate(names, 1):
        exp = registry[name]
        progress.log(f"[{i}/{len(names)}] {exp.section} {exp.title} ({name}) ...")
        ctx = Context(data=data, key=experiment_key(seed, name), out_dir=out_dir, progress=progress,
                      device_override=device)
        start = time.perf_counter()
        try:
            with stage(f"experiment {name}", timeout, command="jaxml reproduce"):
                output: ExperimentOutput = exp.run(ctx)
        except UsageError:
            raise
        except Exception as exc:  # a bug in one experiment: record it, keep going
            if exc.__class__.__module__.startswith("jaxml.errors"):
                raise
            errors[name] = f"{type(exc).__name__}: {exc}"
            progress.log(f"    FAILED: {errors[name]}\n" + traceback.format_exc())
            sections.append((exp, None, time.perf_counter() - start))
            continue
        seconds = time.perf_counter() - start
        timings[name] = round(seconds, 3)
        for key, value in output.results.items():
            results[key] = _jsonable(value)
        sections.append((exp, output, seconds))
        progress.log(f"    done in {seconds:.1f} s")
        # each experiment's compiled programs are not needed by the next: dropping them halves the peak memory
        # of a full run (2.7 GB -> 1.4 GB measured, benchmarks/README.md) at no cost in time
        jax.clear_caches()
        gc.collect()
    results["timings_s"] = timings
    if errors:
        results["errors"] = errors
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_report(out_dir / "REPORT.md", results, sections, data)
    return results
