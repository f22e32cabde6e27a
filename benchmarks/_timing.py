"""Timing helpers for the benchmark suite: medians of repeated runs, JAX warm-up and compile time, child processes
with their own peak RSS, and a description of the machine.

Plain functions, no JAX import at module level (the NumPy peers can be timed without JAX).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def _block(out):
    """Wait for JAX outputs (no-op for NumPy values and when JAX is not imported)."""
    jax = sys.modules.get("jax")
    if jax is not None:
        try:
            return jax.block_until_ready(out)
        except (
            TypeError,
            AttributeError,
            ValueError,
        ):  # not a pytree of arrays: nothing to wait for
            return out
    return out


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """Call ``fn()`` once, wait for its (JAX) outputs, return (result, seconds)."""
    start = time.perf_counter()
    out = _block(fn())
    return out, time.perf_counter() - start


@dataclasses.dataclass
class Timing:
    """Repeated timings of one function.

    Attributes:
      median: median seconds over ``times``.
      times: seconds of each timed run (after the warm-up, if any).
      first: seconds of the first call (the warm-up; includes JAX compilation), or None without warm-up.
      result: the result of the last run.
    """

    median: float
    times: list
    first: float | None = None
    result: Any = None

    @property
    def compile(self) -> float | None:
        """First call minus the median steady-state call: tracing + compilation (+ first-touch costs)."""
        return None if self.first is None else max(self.first - self.median, 0.0)


def clear_jax_caches() -> None:
    """Drop JAX's compiled-function caches so that the next call compiles again (for a fair compile time)."""
    jax = sys.modules.get("jax")
    if jax is not None:
        jax.clear_caches()


def time_pair(
    jax_fn: Callable | None,
    numpy_fn: Callable | None,
    *,
    repeats: int = 5,
    sklearn_fn: Callable | None = None,
    sklearn_repeats: int | None = None,
    fresh_compile: bool = True,
) -> dict[str, Timing | None]:
    """Time a JAX function and its NumPy (and scikit-learn) peers, interleaved, in this process.

    The JAX function is called once first (warm-up: its time is ``first``, compilation included, after clearing
    JAX's caches when ``fresh_compile``); then the peers alternate ``repeats`` times so that both see the same
    machine load. Medians are reported.

    Returns:
      {"jax": Timing | None, "numpy": Timing | None, "sklearn": Timing | None}
    """
    out: dict[str, Timing | None] = {"jax": None, "numpy": None, "sklearn": None}
    times: dict[str, list] = {"jax": [], "numpy": [], "sklearn": []}
    results: dict[str, Any] = {}
    first = None
    if jax_fn is not None:
        if fresh_compile:
            clear_jax_caches()
        results["jax"], first = timed(jax_fn)
    sk_reps = repeats if sklearn_repeats is None else sklearn_repeats
    for r in range(repeats):
        for name, fn in (("jax", jax_fn), ("numpy", numpy_fn), ("sklearn", sklearn_fn)):
            if fn is None or (name == "sklearn" and r >= sk_reps):
                continue
            results[name], t = timed(fn)
            times[name].append(t)
    for name in out:
        if times[name]:
            out[name] = Timing(
                median=statistics.median(times[name]),
                times=times[name],
                first=first if name == "jax" else None,
                result=results[name],
            )
    return out


def time_one(fn: Callable, *, repeats: int = 5, warmup: bool = False) -> Timing:
    """Median of ``repeats`` calls of ``fn`` (after one untimed-but-recorded warm-up call when ``warmup``)."""
    first = None
    if warmup:
        clear_jax_caches()
        _, first = timed(fn)
    times, result = [], None
    for _ in range(repeats):
        result, t = timed(fn)
        times.append(t)
    return Timing(median=statistics.median(times), times=times, first=first, result=result)


@dataclasses.dataclass
class ChildRun:
    """A finished child process: wall seconds, its own peak RSS (bytes), exit code, captured output, the CPU
    seconds (user + system) of the command and every process it waited for, and, for a ``jaxml`` command run
    through ``_count_compiles.py``, the XLA programs it compiled (that launcher's JSON; None otherwise)."""

    seconds: float
    max_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = float("nan")
    compiles: dict | None = None


# Runs the command as ITS child and reports that child's rusage. The indirection matters: on Linux a process keeps
# the RSS high-water mark of the process it was forked from across exec, so a child forked straight from this
# (large) benchmark process would report at least our own RSS. The small wrapper's children start from its RSS.
_WRAPPER = r"""
import json, os, subprocess, sys, time
report = sys.argv[1]
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
with open(report, "w") as f:
    json.dump({"seconds": seconds, "max_rss_kb": usage.ru_maxrss, "returncode": code,
               "cpu_seconds": usage.ru_utime + usage.ru_stime}, f)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_child(
    cmd: list[str], *, env: dict | None = None, cwd: str | None = None, timeout: float | None = None
) -> ChildRun:
    """Run ``cmd`` as a child process; its wall time and its own peak RSS (``os.wait4`` ru_maxrss).

    The command runs under a small wrapper process that waits for it with ``os.wait4`` (see ``_WRAPPER``), so the
    peak RSS is the command's own, not inherited from this process; ``getrusage(RUSAGE_CHILDREN)`` would instead
    give the maximum over every child ever waited for. On timeout the whole process group is killed.
    """
    import json
    import signal
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jaxml-child-") as tmp:
        report = os.path.join(tmp, "rusage.json")
        out_path, err_path = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", _WRAPPER, report, *cmd],
                stdout=out,
                stderr=err,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(
                    proc.pid, signal.SIGKILL
                )  # the wrapper and the command it started (one group)
                proc.wait()
        with open(out_path) as f:
            stdout = f.read()
        with open(err_path) as f:
            stderr = f.read()
        if os.path.exists(report):
            with open(report) as f:
                r = json.load(f)
            return ChildRun(
                seconds=r["seconds"],
                max_rss_bytes=int(r["max_rss_kb"]) * 1024,
                returncode=int(r["returncode"]),
                stdout=stdout,
                stderr=stderr,
                cpu_seconds=float(r["cpu_seconds"]),
            )
        return ChildRun(
            seconds=float("nan"),
            max_rss_bytes=0,
            returncode=proc.returncode,
            stdout=stdout,
            stderr=stderr + "\n(killed: timeout)",
        )


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else platform.processor()."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, str]:
    """nproc, CPU model, memory, Python and library versions, date, BLAS threading (threadpoolctl if present)."""
    import numpy

    info = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
    }
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        info["memory"] = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        info["loadavg"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        pass
    for mod in ("jax", "jaxlib", "scipy", "sklearn", "optax"):
        try:
            info[mod] = __import__(mod).__version__
        except (ImportError, AttributeError):  # not installed
            info[mod] = "not installed"
    info["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE", "(unset)")
    try:
        from threadpoolctl import threadpool_info

        pools = threadpool_info()
        info["blas"] = (
            "; ".join(
                f"{p.get('internal_api')} {p.get('version')} ({p.get('threading_layer', '?')}, "
                f"{p.get('num_threads')} threads, {p.get('architecture', '?')})"
                for p in pools
            )
            or "threadpoolctl found no pools"
        )
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    return info
