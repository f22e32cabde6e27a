"""The grader's side of the sandbox (``_sandbox.py``): a pool of pre-warmed sandbox processes fed submissions.

Each sandbox is a fresh interpreter (``subprocess``, never a fork of the grader, which runs JAX's threads) with a
scrubbed environment; it imports NumPy once and forks one child per submission (see ``_sandbox.py``). A thread of
the grader keeps every sandbox busy with one submission at a time and collects the answers, so the checks (in the
grader's main thread) run while students' code runs. Nothing waits without a bound: a sandbox that does not answer
within its deadline is killed and replaced, and the submission is recorded as not graded.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import JaxmlError
from . import _codec

SANDBOX = Path(__file__).with_name("_sandbox.py")
STARTUP_SECONDS = 120.0  # a sandbox that has not imported NumPy by then is reported, not waited for
REPLY_LIMIT = 1 << 30
# no user site-packages, no bytecode written, and (Python >= 3.11) not the script's folder on sys.path; not -I / -E,
# which would ignore the environment's PYTHONHASHSEED
INTERPRETER_FLAGS = ("-s", "-B", "-P") if sys.version_info >= (3, 11) else ("-s", "-B")


@dataclass(frozen=True)
class Limits:
    """What one run of a submission may use.

    Attributes:
      timeout: wall seconds for one child (loading the submission and running its tasks); the CPU-time limit is
        one second more.
      memory: bytes of address space (RLIMIT_AS).
      output: bytes of printed output kept (the rest is read and dropped).
      result: bytes of results a child may send.
      file: the largest file a child may write (RLIMIT_FSIZE).
    """

    timeout: float = 60.0
    memory: int = 2048 << 20
    output: int = 64 << 10
    result: int = 64 << 20
    file: int = 64 << 20

    def as_dict(self) -> dict:
        return {
            "timeout": float(self.timeout),
            "memory": int(self.memory),
            "output": int(self.output),
            "result": int(self.result),
            "file": int(self.file),
        }


def scrubbed_environment(home: str) -> dict:
    """The whole environment of a sandbox: nothing of the grader's (no tokens, no PYTHONPATH, no proxies)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",  # the same set and dict orders in every run: byte-identical results
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "OPENBLAS_NUM_THREADS": "1",  # one thread per child: the pool already fills the cores
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "JAX_PLATFORMS": "cpu",
        "JAX_ENABLE_X64": "1",  # a JAX submission computes in float64, as the points are
    }


def failed_reply(name: str, n_tasks: int, status: str, reason: str) -> dict:
    """The answer recorded for a submission whose sandbox failed (every task not graded, for ``reason``)."""
    return {
        "name": name,
        "status": status,
        "reason": reason,
        "warnings": [],
        "imports": [],
        "tasks": {
            t: {"status": status, "reason": reason, "values": [], "point": None, "names": None}
            for t in range(n_tasks)
        },
        "output": b"",
        "truncated": False,
    }


@dataclass
class _Sandbox:
    process: subprocess.Popen
    frames: _codec.FrameBuffer
    busy: str | None = None  # the submission it is running
    deadline: float = 0.0

    @property
    def fd(self) -> int:
        return self.process.stdout.fileno()

    def send(self, message: dict) -> None:
        _codec.write_frame(self.process.stdin.fileno(), _codec.encode(message))

    def stop(self) -> None:
        try:
            self.process.kill()
        except OSError:
            pass
        self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


@dataclass
class Pool:
    """``jobs`` sandboxes running ``submissions`` ((name, path) pairs) with the job's calls.

    Use as a context manager; :meth:`reply` blocks until that submission's answer is in (each answer arrives within
    a bounded time: the sandbox's own limits, or the pool's deadline after which the sandbox is replaced).
    """

    job: dict
    submissions: list[tuple[str, str]]
    jobs: int
    limits: Limits
    n_tasks: int
    _replies: dict = field(default_factory=dict)
    _errors: list = field(default_factory=list)

    def __post_init__(self):
        self._cond = threading.Condition()
        self._base = tempfile.mkdtemp(prefix="jaxml-grade-")
        self._sandboxes: list[_Sandbox] = []
        self._thread = None
        self._stop = False

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def __enter__(self):
        n = max(1, min(self.jobs, len(self.submissions)))
        try:
            self._sandboxes = [self._start() for _ in range(n)]
            for box in self._sandboxes:
                self._await_ready(box)
        except BaseException:
            self.__exit__()
            raise
        self._thread = threading.Thread(target=self._serve, name="jaxml-grade-pool", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop = True
        if self._thread is not None:
            self._thread.join(timeout=self._deadline_seconds() + 60)
        for box in self._sandboxes:
            try:
                box.send({"op": "exit"})
            except (OSError, ValueError):  # gone, or stopped already
                pass
            box.stop()
        self._sandboxes = []
        shutil.rmtree(self._base, ignore_errors=True)

    def _start(self) -> _Sandbox:
        home = tempfile.mkdtemp(prefix="sandbox-", dir=self._base)
        process = subprocess.Popen(
            [sys.executable, *INTERPRETER_FLAGS, str(SANDBOX), _codec.__file__, home],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=scrubbed_environment(home),
            cwd=home,
            close_fds=True,
        )
        return _Sandbox(process, _codec.FrameBuffer(REPLY_LIMIT))

    def _await_ready(self, box: _Sandbox) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            ready, _, _ = select.select([box.fd], [], [], deadline - time.monotonic())
            if not ready:
                break
            data = os.read(box.fd, 1 << 16)
            if not data:
                break
            if box.frames.feed(data):
                box.send(self.job)
                return
        box.stop()
        raise JaxmlError(
            f"the sandbox process ({sys.executable} {SANDBOX.name}) did not start: is NumPy installed?"
        )

    def _deadline_seconds(self) -> float:
        """How long one submission may take in a sandbox: a child per task at most, and a margin."""
        return self.limits.timeout * (self.n_tasks + 1) + 30.0

    # -- the thread that feeds the sandboxes ---------------------------------------------------------------------
    def _serve(self) -> None:
        pending = list(self.submissions)
        pending.reverse()
        try:
            while (pending or any(b.busy for b in self._sandboxes)) and not self._stop:
                for box in self._sandboxes:
                    if box.busy is None and pending:
                        name, path = pending.pop()
                        self._dispatch(box, name, path)
                self._collect()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting main thread
            with self._cond:
                self._errors.append(exc)
                self._cond.notify_all()

    def _dispatch(self, box: _Sandbox, name: str, path: str) -> None:
        box.busy, box.deadline = name, time.monotonic() + self._deadline_seconds()
        try:
            box.send({"op": "run", "name": name, "path": path, "tasks": list(range(self.n_tasks))})
        except (OSError, ValueError):
            self._replace(box, "the sandbox process could not be reached")

    def _collect(self) -> None:
        busy = [b for b in self._sandboxes if b.busy]
        if not busy:
            return
        ready, _, _ = select.select([b.fd for b in busy], [], [], 0.5)
        for box in busy:
            if box.fd in ready:
                data = os.read(box.fd, 1 << 20)
                if not data:
                    self._replace(
                        box,
                        "the sandbox process died while running this submission (did it kill its parent?)",
                    )
                    continue
                for frame in box.frames.feed(data):
                    self._deliver(box, frame)
            elif time.monotonic() > box.deadline:
                self._replace(box, "the sandbox process stopped answering")

    def _deliver(self, box: _Sandbox, frame: bytes) -> None:
        name = box.busy
        try:
            reply = _codec.decode(frame)
            if not isinstance(reply, dict) or reply.get("name") != name:
                raise _codec.CodecError("an answer for another submission")
        except _codec.CodecError as exc:
            reply = failed_reply(name, self.n_tasks, "grader_error", f"unreadable answer: {exc}")
        box.busy = None
        self._store(name, reply)

    def _replace(self, box: _Sandbox, reason: str) -> None:
        name = box.busy
        box.stop()
        index = self._sandboxes.index(box)
        fresh = self._start()
        self._await_ready(fresh)
        self._sandboxes[index] = fresh
        self._store(name, failed_reply(name, self.n_tasks, "crashed", reason))

    def _store(self, name: str, reply: dict) -> None:
        with self._cond:
            self._replies[name] = reply
            self._cond.notify_all()

    def reply(self, name: str) -> dict:
        """The sandbox's answer for submission ``name`` (waits for it; every answer comes within a bound)."""
        with self._cond:
            while name not in self._replies:
                if self._errors:
                    raise self._errors[0]
                if not self._thread.is_alive():
                    raise JaxmlError(f"the sandbox pool stopped before grading {name}")
                self._cond.wait(timeout=1.0)
            return self._replies.pop(name)
