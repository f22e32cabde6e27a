"""The sandbox: runs students' code in child processes with limits. Run as a script by the grader, never imported.

Process tree::

    grader (JAX, the assignment) ──pipes──> sandbox (this script: stdlib + NumPy) ──fork──> one child per run

The grader starts each sandbox fresh (a new interpreter with a scrubbed environment, not a fork of the grader), so it
holds no JAX state and no threads; it imports NumPy once and then forks a child for every submission — a fork of a
pre-warmed process costs milliseconds. Each child

* becomes the leader of its own session, so the sandbox can kill it and everything it started;
* sets its limits: address space (RLIMIT_AS), CPU time (RLIMIT_CPU), file size (RLIMIT_FSIZE), no core files;
* runs in a private temporary directory (cwd, HOME, TMPDIR, MPLCONFIGDIR) with a scrubbed environment;
* sends what it prints (file descriptors 1 and 2) to a pipe that the sandbox drains, keeping the first bytes;
* loads the submission from source (compile + exec: no import of the file in place, no bytecode written);
* calls the function of each task on fresh copies of the inputs, and reports every result on its result pipe.

The sandbox enforces the wall-time limit (SIGKILL to the child's process group), works out how a child ended, and
answers the grader with one message per submission. When a child dies inside one task, the tasks after it run in a
fresh child: a crash costs the task it happened in, not the others.

Messages (see ``_codec.py``), grader -> sandbox: ``{"op": "job", "tasks": [{"function", "calls"}], "limits": {...}}``
once, then ``{"op": "run", "name", "path", "tasks": [index, ...]}`` per submission, and ``{"op": "exit"}``.
"""

import copy
import importlib.util
import io
import json
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
import types

import numpy as np  # the pre-warming: every child starts with NumPy imported

MAX_SOURCE_BYTES = 16 << 20  # one file of a submission
MAX_FOLDER_BYTES = 64 << 20  # a folder submission, copied into the child's directory
MAX_FOLDER_FILES = 2000
MAX_REASON = 300  # characters of a one-line reason


def _load_codec(path: str):
    spec = importlib.util.spec_from_file_location("_jaxml_grade_codec", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


codec = None  # set in main()


# --- in the child ------------------------------------------------------------------------------------------------


class _Budget:
    def __init__(self, limit: int):
        self.left = limit


class _CappedStream(io.TextIOBase):
    """sys.stdout / sys.stderr of a child: writes go to the output pipe until the budget is spent, then vanish
    (a print loop costs its own time, not the pipe's)."""

    def __init__(self, fd: int, budget: _Budget):
        self.fd, self.budget = fd, budget

    def write(self, s):
        s = str(s)
        if self.budget.left > 0 and s:
            data = s.encode("utf-8", "replace")[: self.budget.left]
            self.budget.left -= len(data)
            try:
                os.write(self.fd, data)
            except OSError:
                self.budget.left = 0
        return len(s)

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self.fd

    @property
    def encoding(self):
        return "utf-8"


def _one_line(exc: BaseException, files: tuple = ()) -> str:
    """``TypeError: message (alice.py, line 12)``: the exception and the last line of the student's own code."""
    message = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    text = message.strip().splitlines()
    line = type(exc).__name__ + (f": {text[0]}" if text else "")
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in files:
            where = f"{frame.filename}, line {frame.lineno}"
    if isinstance(exc, SyntaxError) and exc.filename in files:
        where = f"{exc.filename}, line {exc.lineno}"
    if where:
        line += f" ({where})"
    return line[:MAX_REASON]


def _notebook_cells(text: str) -> list[str]:
    """The code cells of a notebook, in order, without IPython magics (lines starting with % or !)."""
    nb = json.loads(text)
    cells = nb.get("cells", []) if isinstance(nb, dict) else []
    out = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        lines = [ln for ln in str(source).splitlines() if not ln.lstrip().startswith(("%", "!"))]
        out.append("\n".join(lines) + "\n")
    return out


def _read_text(path: str) -> str:
    with open(path, "rb") as f:
        data = f.read(MAX_SOURCE_BYTES + 1)
    if len(data) > MAX_SOURCE_BYTES:
        raise ValueError(f"{os.path.basename(path)} is larger than {MAX_SOURCE_BYTES >> 20} MB")
    return data.decode("utf-8-sig")


def _sources(path: str, name: str, workdir: str) -> list[tuple[str, str, str]]:
    """(display name, kind, path to read) of each file to execute, in order. A folder is first copied into the
    child's own directory (its modules importable from there, nothing written next to the original)."""
    if not os.path.isdir(path):
        kind = "ipynb" if path.endswith(".ipynb") else "py"
        return [(os.path.basename(path), kind, path)]
    total, count = 0, 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            count += 1
            total += os.lstat(os.path.join(root, f)).st_size
    if total > MAX_FOLDER_BYTES or count > MAX_FOLDER_FILES:
        raise ValueError(
            f"the folder holds {count} files, {total >> 20} MB (at most {MAX_FOLDER_FILES} files, "
            f"{MAX_FOLDER_BYTES >> 20} MB)"
        )
    shutil.copytree(path, workdir, symlinks=True, dirs_exist_ok=True)
    files = sorted(f for f in os.listdir(workdir) if f.endswith((".py", ".ipynb")))
    return [
        (f"{name}/{f}", "ipynb" if f.endswith(".ipynb") else "py", os.path.join(workdir, f))
        for f in files
        if os.path.isfile(os.path.join(workdir, f))
    ]


class _LoadFailed(Exception):
    pass


def _load(path: str, name: str, workdir: str) -> tuple[dict, list[str], tuple]:
    """Execute the submission into one namespace; returns (namespace, warnings, its files' display names).

    A .py file that fails to compile or raises stops the load (:class:`_LoadFailed`); a notebook cell that does is
    skipped with a warning (as "run all" with errors allowed), except sys.exit(), which stops it too.
    """
    try:
        sources = _sources(path, name, workdir)
    except (OSError, ValueError) as exc:
        raise _LoadFailed(f"could not read the submission: {_one_line(exc)}") from None
    if not sources:
        raise _LoadFailed("the folder holds no .py or .ipynb file")
    module = types.ModuleType("submission")
    module.__file__ = os.path.join(workdir, "submission.py")
    sys.modules["submission"] = module
    sys.modules["__main__"] = module
    namespace, warnings = module.__dict__, []
    files = tuple(display for display, _, _ in sources)
    cell_names = []
    for display, kind, file in sources:
        try:
            text = _read_text(file)
            cells = _notebook_cells(text) if kind == "ipynb" else [text]
        except (OSError, ValueError) as exc:
            raise _LoadFailed(f"could not read {display}: {_one_line(exc)}") from None
        for i, cell in enumerate(cells):
            where = f"{display} [cell {i + 1}]" if kind == "ipynb" else display
            cell_names.append(where)
            try:
                code = compile(cell, where, "exec", dont_inherit=True)
                exec(code, namespace)  # noqa: S102 - running the submission is the sandbox's job
            except (SystemExit, KeyboardInterrupt) as exc:
                code = exc.code if isinstance(exc, SystemExit) else None
                raise _LoadFailed(
                    f"called sys.exit({'' if code is None else code!r}) while loading"
                ) from None
            except BaseException as exc:  # noqa: BLE001 - the student's code may raise anything
                reason = _one_line(exc, files + tuple(cell_names))
                if kind == "py":
                    raise _LoadFailed(f"{reason} while loading") from None
                warnings.append(f"{where} raised {reason} (skipped; the cells after it ran)")
    return namespace, warnings, files + tuple(cell_names)


def _plain(x, depth: int = 0):
    """A student's return value as the codec's types (numeric arrays, numbers, tuples, ...); TypeError otherwise."""
    if depth > 16:
        raise TypeError("a value nested too deeply")
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, complex):
        return np.asarray(x)
    if isinstance(x, (tuple, list)):
        out = [_plain(v, depth + 1) for v in x]
        return tuple(out) if isinstance(x, tuple) else out
    if isinstance(x, dict):
        if not all(isinstance(k, (str, int)) for k in x):
            raise TypeError("a dict with keys that are not strings")
        return {k: _plain(v, depth + 1) for k, v in x.items()}
    if not isinstance(x, (np.ndarray, np.generic)):
        if not hasattr(x, "__array__"):
            raise TypeError(f"a value of type {type(x).__name__}")
        x = np.asarray(x)  # a JAX or torch array
    x = np.asarray(x)
    if x.dtype.kind not in "biufc":
        raise TypeError(f"an array of dtype {x.dtype}")
    return x


class _Imports:
    """Which of the ``watched`` top-level modules (a task's ``forbid``) the submission imports, directly or through
    another module: an ``__import__`` wrapper sees ``import jax`` even when jax is loaded already, and the new
    entries of ``sys.modules`` show ``importlib.import_module``."""

    def __init__(self, watched):
        import builtins

        self.watched = {str(w) for w in watched}
        self.before = set(sys.modules)
        self.seen = set()
        original = builtins.__import__

        def recording(name, globals=None, locals=None, fromlist=(), level=0):
            if level == 0 and isinstance(name, str) and name.partition(".")[0] in self.watched:
                self.seen.add(name.partition(".")[0])
            return original(name, globals, locals, fromlist, level)

        builtins.__import__ = recording

    def names(self) -> list[str]:
        new = {m.partition(".")[0] for m in set(sys.modules) - self.before}
        return sorted(self.seen | (new & self.watched))


def _die_with_parent() -> None:
    """Linux: be killed when the parent process ends (a sandbox killed mid-run takes its child along; a grader
    that is interrupted takes its sandboxes along), so that no child outlives the grading run."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _set_limit(which, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(
        which, (value, value if hard == resource.RLIM_INFINITY else min(hard, value))
    )


def _child_setup(limits: dict, workdir: str, w_res: int, w_out: int) -> int:
    """Limits, environment, directory and file descriptors of a fresh child; returns the result pipe's fd."""
    os.setsid()
    _die_with_parent()
    _set_limit(resource.RLIMIT_AS, int(limits["memory"]))
    cpu = int(limits["timeout"]) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(
        resource.RLIMIT_CPU,
        (cpu, cpu + 1 if hard == resource.RLIM_INFINITY else min(hard, cpu + 1)),
    )
    _set_limit(resource.RLIMIT_FSIZE, int(limits["file"]))
    _set_limit(resource.RLIMIT_CORE, 0)
    os.environ.update({"HOME": workdir, "TMPDIR": workdir, "MPLCONFIGDIR": workdir})
    tempfile.tempdir = workdir
    os.chdir(workdir)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(w_out, 1)
    os.dup2(w_out, 2)
    os.dup2(w_res, 3)
    os.closerange(4, 1 << 16)
    budget = _Budget(int(limits["output"]))
    sys.stdout, sys.stderr = _CappedStream(1, budget), _CappedStream(2, budget)
    sys.stdin = io.StringIO("")
    sys.dont_write_bytecode = True
    sys.path[:] = [workdir] + [p for p in sys.path if p]
    sys.argv = ["submission"]
    return 3


def _send(fd: int, event: dict) -> None:
    codec.write_frame(fd, codec.encode(event))


def _did_you_mean(namespace: dict) -> list[str]:
    names = [k for k, v in namespace.items() if callable(v) and not k.startswith("_")]
    return sorted(names)[:200]


def _call(fn, args, kwargs, files: tuple, limits: dict) -> tuple[str, object]:
    """("value", the result as plain data) or (what went wrong, a one-line reason)."""
    # fresh inputs for every call: in-place changes corrupt nothing
    args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    try:
        out = fn(*args, **kwargs)
    except MemoryError as exc:
        memory = int(limits["memory"]) >> 20
        return "memory", f"ran out of memory (the limit is {memory} MB): {_one_line(exc, files)}"
    except (SystemExit, KeyboardInterrupt) as exc:
        code = getattr(exc, "code", None)
        return "exited", f"called sys.exit({'' if code is None else repr(code)})"
    except BaseException as exc:  # noqa: BLE001 - the student's code may raise anything
        return "raised", _one_line(exc, files)
    try:
        return "value", _plain(out)
    except TypeError as exc:
        return "bad_return", f"returned {exc}, not arrays"


def _run_task(
    fd: int, namespace: dict, t: int, task: dict, files: tuple, limits: dict, imported: list
) -> None:
    _send(fd, {"event": "start", "task": t})
    if set(task.get("forbid", ())) & set(imported):  # scores 0 whatever it returns: not called
        _send(fd, {"event": "done", "task": t})
        return
    fn = namespace.get(task["function"])
    if not callable(fn):
        _send(fd, {"event": "missing", "task": t, "names": _did_you_mean(namespace)})
        return
    for p, (args, kwargs) in enumerate(task["calls"]):
        kind, value = _call(fn, args, kwargs, files, limits)
        if kind == "value":
            try:
                _send(fd, {"event": "value", "task": t, "point": p, "value": value})
                continue
            except codec.CodecError as exc:
                kind, value = "bad_return", f"returned {exc}, not arrays"
        _send(fd, {"event": "raised", "task": t, "point": p, "kind": kind, "reason": value})
        return
    _send(fd, {"event": "done", "task": t})


def _child(job: dict, request: dict, todo: list, workdir: str, w_res: int, w_out: int) -> None:
    """Runs in the forked child; never returns."""
    try:
        limits = job["limits"]
        fd = _child_setup(limits, workdir, w_res, w_out)
        imports = _Imports(job.get("watch", []))
        try:
            namespace, warnings, files = _load(request["path"], request["name"], workdir)
        except _LoadFailed as exc:
            _send(fd, {"event": "load_failed", "reason": str(exc), "imports": imports.names()})
            os._exit(0)
        _send(fd, {"event": "loaded", "warnings": warnings[:20], "imports": imports.names()})
        for t in todo:
            _run_task(fd, namespace, t, job["tasks"][t], files, limits, imports.names())
        _send(fd, {"event": "end", "imports": imports.names()})
        sys.stdout.flush()
    except BaseException:  # noqa: BLE001 - whatever happens, never return into the sandbox's loop
        os._exit(70)
    os._exit(0)


# --- in the sandbox ----------------------------------------------------------------------------------------------


class _Run:
    """What one child did: its events, how it ended, and what it printed."""

    def __init__(self):
        self.events, self.output, self.printed = [], bytearray(), 0
        self.timed_out = self.overflow = self.malformed = False
        self.status = 0


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _watch(pid: int, r_res: int, r_out: int, limits: dict, run: _Run) -> None:
    """Read the child's pipes until it ends or its time is up (then kill its process group)."""
    deadline = time.monotonic() + float(limits["timeout"])
    frames = codec.FrameBuffer(int(limits["result"]))
    open_fds, reaped = {r_res, r_out}, False
    while open_fds and not reaped:
        left = deadline - time.monotonic()
        if left <= 0:
            run.timed_out = True
            break
        ready, _, _ = select.select(list(open_fds), [], [], min(left, 0.2))
        for fd in ready:
            data = os.read(fd, 1 << 16)
            if not data:
                open_fds.discard(fd)
            elif fd == r_out:
                run.printed += len(data)
                keep = int(limits["output"]) - len(run.output)
                if keep > 0:
                    run.output += data[:keep]
            else:
                try:
                    run.events += [codec.decode(f) for f in frames.feed(data)]
                except codec.FrameTooLarge:
                    run.overflow = True
                except codec.CodecError:
                    run.malformed = True
                # all its results together are bounded too
                run.overflow = run.overflow or frames.total > int(limits["result"])
                if run.malformed or run.overflow:
                    open_fds.clear()
                    break
        if not ready:  # the child may be gone while something it started still holds the pipes
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                reaped, run.status = True, status
    _kill_group(pid)  # the child (if still running) and whatever it started
    if not reaped:
        run.status = os.waitpid(pid, 0)[1]


def _spawn(job: dict, request: dict, todo: list, base: str, counter: list) -> _Run:
    counter[0] += 1
    workdir = os.path.join(base, f"run-{counter[0]}")
    os.mkdir(workdir, 0o700)
    r_res, w_res = os.pipe()
    r_out, w_out = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r_res)
        os.close(r_out)
        _child(job, request, todo, workdir, w_res, w_out)
    os.close(w_res)
    os.close(w_out)
    run = _Run()
    try:
        _watch(pid, r_res, r_out, job["limits"], run)
    finally:
        os.close(r_res)
        os.close(r_out)
        shutil.rmtree(workdir, ignore_errors=True)
    return run


SIGNAL_REASONS = {
    signal.SIGSEGV: "crashed: segmentation fault (SIGSEGV)",
    signal.SIGBUS: "crashed: bus error (SIGBUS)",
    signal.SIGABRT: "crashed: aborted (SIGABRT)",
    signal.SIGFPE: "crashed: floating-point exception (SIGFPE)",
    signal.SIGILL: "crashed: illegal instruction (SIGILL)",
}


def _ending(run: _Run, limits: dict, loading: bool) -> tuple[str, str]:
    """(status, reason) of a child that did not finish its work."""
    when = " while loading" if loading else ""
    if run.timed_out:
        return (
            "timeout",
            f"did not finish within the time limit of {float(limits['timeout']):g} s{when}",
        )
    if run.overflow:
        return (
            "result_limit",
            f"returned more than {int(limits['result']) >> 20} MB of results{when}",
        )
    if run.malformed:
        return "crashed", f"wrote malformed data on the grader's result pipe{when}"
    status = run.status
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return "timeout", f"used more than {int(limits['timeout']) + 1} s of CPU time{when}"
        if sig == signal.SIGKILL:
            return "crashed", f"was killed (SIGKILL: the CPU-time limit, or out of memory){when}"
        if sig == signal.SIGXFSZ:
            return "crashed", f"wrote a file larger than {int(limits['file']) >> 20} MB{when}"
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return "crashed", SIGNAL_REASONS.get(sig, f"crashed (signal {name})") + when
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return "exited", f"exited with status {code}{when} (os._exit(), or the interpreter stopped)"


def _task_state() -> dict:
    return {"status": "not_run", "reason": None, "values": [], "point": None, "names": None}


def _apply(events: list, state: dict, info: dict) -> tuple[int | None, bool]:
    """Fold one child's events into the per-task state; returns (the task it was in, whether it ended normally)."""
    current, ended = None, False
    for ev in events:
        kind = ev.get("event") if isinstance(ev, dict) else None
        t = ev.get("task") if isinstance(ev, dict) else None
        if kind in ("loaded", "load_failed", "end"):
            info["imports"] = sorted(set(info["imports"]) | set(_strings(ev.get("imports"))))
        if kind == "loaded":
            info["loaded"] = True
            info["warnings"] = _strings(ev.get("warnings"))[:20]
        elif kind == "load_failed":
            info["load_failed"] = str(ev.get("reason"))[:MAX_REASON]
            ended = True
        elif kind == "end":
            ended = True
        elif isinstance(t, int) and t in state:
            task = state[t]
            if kind == "start":
                current = t
                task.update(status="running", values=[])
            elif kind == "value":
                task["values"].append(ev.get("value"))
            elif kind == "raised":
                task.update(status=str(ev.get("kind")), reason=str(ev.get("reason"))[:MAX_REASON])
                task["point"] = ev.get("point")
            elif kind == "missing":
                task.update(status="missing", names=_strings(ev.get("names"))[:200])
            elif kind == "done":
                if task["status"] == "running":
                    task["status"] = "ok"
                current = None
    return current, ended


def _strings(x) -> list[str]:
    return [str(s) for s in x] if isinstance(x, list) else []


def _serve(job: dict, request: dict, base: str, counter: list) -> dict:
    """Run one submission (one child, and a fresh one for the tasks after a task that killed it)."""
    limits = job["limits"]
    todo = [int(t) for t in request["tasks"]]
    state = {t: _task_state() for t in todo}
    info = {"loaded": False, "load_failed": None, "warnings": [], "imports": []}
    output, printed, status, reason = bytearray(), 0, "ok", None
    while todo:
        run = _spawn(job, request, todo, base, counter)
        output += run.output[: max(int(limits["output"]) - len(output), 0)]
        printed += run.printed
        current, ended = _apply(run.events, state, info)
        if ended or info["load_failed"]:
            break
        if not info["loaded"]:
            status, reason = _ending(run, limits, loading=True)
            break
        why = _ending(run, limits, loading=False)
        failed = (
            current
            if current is not None
            else next((t for t in todo if state[t]["status"] in ("not_run", "running")), None)
        )
        if failed is None:
            break
        state[failed].update(status=why[0], reason=why[1])
        todo = [t for t in todo if state[t]["status"] == "not_run"]
    if info["load_failed"]:
        status, reason = "load_failed", info["load_failed"]
    for task in state.values():
        if status != "ok":
            task.update(status=status, reason=reason, values=[])
    return {
        "name": request["name"],
        "status": status,
        "reason": reason,
        "warnings": info["warnings"],
        "imports": info["imports"],
        "tasks": state,
        "output": bytes(output),
        "truncated": printed >= int(limits["output"]),
    }


def main() -> None:
    global codec
    _die_with_parent()
    here = os.path.dirname(os.path.abspath(__file__))
    # Python 3.10 has no -P
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    codec = _load_codec(sys.argv[1])
    base = sys.argv[2]
    inbox, outbox = 0, 1
    sys.stdout = sys.stderr = io.StringIO()  # nothing but framed messages on fd 1
    codec.write_frame(outbox, codec.encode({"ready": True}))
    job, counter = None, [0]
    while True:
        frame = codec.read_frame(inbox, 1 << 34)
        if frame is None:
            break
        message = codec.decode(frame)
        op = message.get("op")
        if op == "exit":
            break
        if op == "job":
            job = message
            continue
        try:
            reply = _serve(job, message, base, counter)
        except Exception as exc:  # noqa: BLE001 - reported to the grader, which goes on with the next one
            reply = {
                "name": message.get("name"),
                "status": "grader_error",
                "reason": _one_line(exc),
            }
        codec.write_frame(outbox, codec.encode(reply))


if __name__ == "__main__":
    main()
