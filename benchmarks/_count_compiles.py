"""Run a ``jaxml`` command and count the XLA programs it compiles, in its own process and in its worker processes.

    JAXML_COUNT_COMPILES=/tmp/counts.json python benchmarks/_count_compiles.py verify mine.py --points 5

Behaves as ``python -m jaxml.cli ARGS`` (same output, same exit status) with JAX's monitoring events recorded, as
``compiles.py`` records them in-process (``/jax/core/compile/backend_compile_duration``, ``jaxpr_trace_duration``,
``jaxpr_to_mlir_module_duration``), and at the end writes to the path in ``$JAXML_COUNT_COMPILES``::

    {"programs": 412,       # backend_compile events: XLA executables obtained, compiled or read from the cache
     "cache_hits": 0,       # of those, read back from the persistent compilation cache
     "compiled": 412,       # programs - cache_hits: compiled by XLA in this run
     "compile_s": 18.2,     # seconds of the compiled ones
     "cache_read_s": 0.0,   # seconds of the cache hits (lookup and deserialisation)
     "trace_s": 6.1,        # jaxpr tracing + lowering to MLIR (paid by cache hits too: the cache key is the module)
     "processes": 3, "workers_started": 2, "workers_counted": 2, "complete": true,
     "per_process": [...]}

**Cache hits.** In this JAX (0.10) the backend_compile event times ``compiler.compile_or_get_cached``: a program
read back from the persistent cache fires it too, with the read's duration. A hit also fires
``/jax/compilation_cache/cache_hits`` just before, in the same thread; the recorder uses that to split the programs
and seconds into compiled and read back. So a warm run's ``programs`` counts what it fetched, ``compiled`` what XLA
still compiled.

**Worker processes.** ``jaxml reproduce --jobs N`` runs experiments in a ``ProcessPoolExecutor`` whose workers
start with multiprocessing's ``spawn`` (``jaxml/reproduce.py``). A spawned (or forkserver) child imports its
parent's ``__main__`` script as ``__mp_main__`` before it unpickles any work, so when this file is the command's
main script every worker imports it too: at that import (name ``__mp_main__``, the variable set) it installs the
same recorder, writes an empty part ``<path>.d/<pid>.json`` at once and its counts at its exit (multiprocessing's
exit finalizers, which ``Process._bootstrap`` runs, and atexit as a fallback). The launcher counts every process
multiprocessing starts (``BaseProcess.start``) and, after the command returns (the pool has joined its workers),
sums the parts; ``complete`` is false when a started worker left no final part (killed, or started by ``fork``,
which re-imports nothing), so a partial sum is never passed off as the total. Children started by ``subprocess``
are not reached (``jaxml verify`` and ``reproduce`` start none; ``verify --jobs`` uses threads, counted here).

Nothing is written when the command ends through ``os._exit`` (the watchdog's exit status 3).
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time

ENV = "JAXML_COUNT_COMPILES"
COMPILE = "/jax/core/compile/backend_compile_duration"
TRACE = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
)
CACHE_HIT = "/jax/compilation_cache/cache_hits"


class Recorder:
    """Counts of one process; the listeners may be called from several threads (``verify --jobs``)."""

    def __init__(self, role: str):
        self.role = role
        self.programs = self.cache_hits = 0
        self.compile_s = self.cache_read_s = self.trace_s = 0.0
        self.finished = False
        self._lock = threading.Lock()
        self._local = threading.local()
        self._start = time.perf_counter()

    def event(self, event: str, **kwargs) -> None:
        if event == CACHE_HIT:
            self._local.hit = True

    def duration(self, event: str, duration: float, **kwargs) -> None:
        if event == COMPILE:
            hit = getattr(self._local, "hit", False)
            self._local.hit = False
            with self._lock:
                self.programs += 1
                if hit:
                    self.cache_hits += 1
                    self.cache_read_s += duration
                else:
                    self.compile_s += duration
        elif event in TRACE:
            with self._lock:
                self.trace_s += duration

    def as_dict(self) -> dict:
        with self._lock:
            return {
                "role": self.role,
                "pid": os.getpid(),
                "finished": self.finished,
                "programs": self.programs,
                "cache_hits": self.cache_hits,
                "compiled": self.programs - self.cache_hits,
                "compile_s": self.compile_s,
                "cache_read_s": self.cache_read_s,
                "trace_s": self.trace_s,
                "wall_s": time.perf_counter() - self._start,
            }


def install(role: str) -> Recorder:
    """Register a :class:`Recorder` with ``jax.monitoring`` (imports JAX)."""
    import jax.monitoring

    recorder = Recorder(role)
    jax.monitoring.register_event_listener(recorder.event)
    jax.monitoring.register_event_duration_secs_listener(recorder.duration)
    return recorder


def _write(path: str, data: dict) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def _parts_dir(path: str) -> str:
    return path + ".d"


# ----------------------------------------------------------------------------------------------------------------
# a worker process (spawn / forkserver): this file imported as __mp_main__
# ----------------------------------------------------------------------------------------------------------------


def _install_in_worker(path: str) -> None:
    recorder = install("worker")
    part = os.path.join(_parts_dir(path), f"{os.getpid()}.json")
    written = []

    def finish() -> None:
        if not written:
            recorder.finished = True
            _write(part, recorder.as_dict())
            written.append(True)

    # started: a worker that leaves only this part was not fully counted
    _write(part, recorder.as_dict())
    from multiprocessing import util

    util.Finalize(None, finish, exitpriority=0)  # run by Process._bootstrap at the worker's end
    atexit.register(finish)


if __name__ == "__mp_main__" and os.environ.get(ENV):
    _install_in_worker(os.environ[ENV])


# ----------------------------------------------------------------------------------------------------------------
# the launcher: python benchmarks/_count_compiles.py ARGS (as python -m jaxml.cli ARGS)
# ----------------------------------------------------------------------------------------------------------------


def _count_started_processes() -> list:
    """Patch ``multiprocessing``'s ``BaseProcess.start`` to record the start method of every process started."""
    from multiprocessing import process

    started: list = []
    original = process.BaseProcess.start

    def start(self):
        started.append(getattr(self, "_start_method", None) or "?")
        return original(self)

    process.BaseProcess.start = start
    return started


def total(main: dict, parts: list[dict], started: list) -> dict:
    """The sum over the main process and the workers' parts, and whether every started worker was counted."""
    counted = [p for p in parts if p.get("finished")]
    every = [main, *counted]
    out = {
        k: sum(p[k] for p in every)
        for k in ("programs", "cache_hits", "compiled", "compile_s", "cache_read_s", "trace_s")
    }
    out.update(
        processes=len(every),
        workers_started=len(started),
        workers_counted=len(counted),
        worker_start_methods=sorted(set(started)),
        complete=len(counted) >= len(started),
        per_process=every + [p for p in parts if not p.get("finished")],
    )
    try:
        import jax

        out["jax_version"] = jax.__version__
    except ImportError:  # pragma: no cover - the command imported it
        pass
    return out


def main(argv: list[str]) -> int:
    path = os.environ.get(ENV)
    if path:
        os.makedirs(_parts_dir(path), exist_ok=True)
    recorder = install("main")
    started = _count_started_processes()
    from jaxml.cli import main as jaxml_main

    status = 1
    try:
        status = jaxml_main(argv)
    except SystemExit as exc:  # argparse: --help, usage errors
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        if path:
            recorder.finished = True
            parts = []
            folder = _parts_dir(path)
            for name in sorted(os.listdir(folder)):
                file = os.path.join(folder, name)
                if name.endswith(".json"):  # not a .tmp left by a worker killed while writing
                    try:
                        with open(file) as f:
                            parts.append(json.load(f))
                    except (OSError, ValueError):
                        parts.append({"finished": False, "file": name})
                os.remove(file)
            os.rmdir(folder)
            _write(path, total(recorder.as_dict(), parts, started))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
