"""A grading run: the assignment's tasks, the submissions, the sandbox pool, the checks, the files.

Order of work: the tasks' points are drawn and the calls recorded (JAX, here); the sandboxes start running the
submissions, one child each; the checks run in this thread as the answers come in, in the submissions' order; the
files are written. The results do not depend on ``jobs`` or on the order answers arrive.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import jax

from ..errors import UsageError
from ..verify import shared_programs
from . import _output
from ._check import StudentResult, TaskResult, grade_student
from ._feedback import MODES
from ._pool import Limits, Pool
from ._task import Assignment, load_assignment, prepare

SKIPPED = {"__pycache__", "__MACOSX"}
RESERVED = {"grades.csv", "summary.md", "summary.png", "grading.json"}


def find_submissions(folder: str | Path) -> list[tuple[str, str]]:
    """(name, path) of each submission in ``folder``, sorted by name: ``NAME.py``, ``NAME.ipynb`` or ``NAME/``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"submissions directory not found: {folder}")
    found: dict[str, str] = {}
    for entry in sorted(os.listdir(folder)):
        path = folder / entry
        if entry.startswith(".") or entry in SKIPPED:
            continue
        if path.is_dir():
            name = entry
        elif entry.endswith(".py"):
            name = entry[: -len(".py")]
        elif entry.endswith(".ipynb"):
            name = entry[: -len(".ipynb")]
        else:
            continue
        if name in RESERVED:
            raise UsageError(
                f"{path}: a submission may not be named {name} (an output file has that name)"
            )
        if name in found:
            raise UsageError(
                f"two submissions are named {name} in {folder}: {Path(found[name]).name} and {entry}"
            )
        found[name] = str(path.resolve())
    return sorted(found.items())


def run_sharing_programs(work: list[Callable[[], object]]) -> list:
    """``[w() for w in work]`` inside :func:`jaxml.verify.shared_programs`.

    Outside such a block every ``check_gradient`` compiles autodiff's program for its loss anew (~100 ms on two
    cores); inside it, checks of the same loss at the same shapes share one program, so a class of 200 costs one
    compilation per task.
    """
    # in float64, as the verifier compares (the checks themselves switch it on too; the work around them needs it)
    with shared_programs(), jax.enable_x64(True):
        return [w() for w in work]


@dataclasses.dataclass(frozen=True)
class Graded:
    """What a run did: the students graded (by status) and where the files are."""

    out: str
    students: tuple[StudentResult, ...]
    compared: int = 0  # distinct answers compared (a class's identical answers are compared once)

    @property
    def not_graded(self) -> list[str]:
        return [s.name for s in self.students if s.status == "grader_error"]


def _grader_error(prepared, name: str, exc: Exception) -> StudentResult:
    reason = f"grader error: {type(exc).__name__}: {exc}"
    tasks = tuple(
        TaskResult(
            p.task.name,
            0.0,
            p.task.max_score,
            "grader_error",
            f"not graded: {reason}",
            ("grader_error",),
        )
        for p in prepared
    )
    return StudentResult(name, "grader_error", f"not graded: {reason}", tasks)


def grade(
    assignment: str | Path | Assignment,
    submissions: str | Path,
    out: str | Path,
    *,
    jobs: int | None = None,
    timeout: float = 60.0,
    memory_mb: int = 2048,
    feedback: str = "diagnosis",
    shard: tuple[int, int] = (1, 1),
) -> Graded:
    """Grade every submission in ``submissions`` against the assignment's tasks; write the files to ``out``.

    Args:
      assignment: the assignment file (or a loaded :class:`Assignment`).
      submissions: a directory of ``NAME.py``, ``NAME.ipynb`` and ``NAME/`` entries, one per student (only read).
      out: the output directory (see :mod:`jaxml.grade._output` for its files).
      jobs: submissions run at the same time (default: one per core).
      timeout: wall seconds for one submission's run (loading it and calling its functions at every point).
      memory_mb: its address-space limit.
      feedback: "diagnosis" (the default: verdicts and named mistakes, never a value of the reference), "full"
        (also the worst entry's values) or "score".
      shard: (i, n): grade the i-th of n interleaved slices of the submissions (1-based); see :func:`merge`.
    """
    if feedback not in MODES:
        raise UsageError(f"--feedback must be one of {', '.join(MODES)}, got {feedback!r}")
    i, n = shard
    if not (n >= 1 and 1 <= i <= n):
        raise UsageError(f"--shard must be I/N with 1 <= I <= N, got {i}/{n}")
    if not timeout > 0 or not memory_mb > 0:
        raise UsageError("--timeout and --memory must be positive")
    jobs = (os.cpu_count() or 1) if jobs is None else int(jobs)
    if jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {jobs}")
    if not isinstance(assignment, Assignment):
        assignment = load_assignment(assignment)
    mine = [s for k, s in enumerate(find_submissions(submissions)) if k % n == i - 1]
    prepared = [prepare(t) for t in assignment.tasks]
    limits = Limits(timeout=float(timeout), memory=int(memory_mb) << 20)
    job = {
        "op": "job",
        "tasks": [
            {
                "function": p.task.function,
                "calls": [list(c) for c in p.calls],
                "forbid": p.task.forbid,
            }
            for p in prepared
        ],
        "limits": limits.as_dict(),
        "watch": sorted({f for p in prepared for f in p.task.forbid}),
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    memo: dict = {}
    with Pool(job, mine, jobs, limits, len(prepared)) as pool:

        def one(name: str) -> StudentResult:
            reply = pool.reply(name)
            try:
                return grade_student(prepared, reply, feedback, memo)
            except Exception as exc:  # noqa: BLE001 - a grader bug costs this submission, not the class
                return _grader_error(prepared, name, exc)

        students = run_sharing_programs([lambda name=name: one(name) for name, _ in mine])
    rows = []
    for student in students:
        data = _output.write_student(out, student)
        rows.append(_output.row(student.name, data, _tasks(assignment)))
    manifest = {
        "assignment": Path(assignment.path).name,
        "sha256": assignment.sha256,
        "tasks": _tasks(assignment),
        "feedback": feedback,
        "shard": [i, n],
        "students": [name for name, _ in mine],
    }
    _output.write_tables(out, manifest, rows)
    return Graded(str(out), tuple(students), len(memo))


def _tasks(assignment: Assignment) -> list[dict]:
    return [{"name": t.name, "max_score": t.max_score} for t in assignment.tasks]


def merge(dirs: list[str | Path], out: str | Path) -> dict:
    """Merge sharded runs' directories into ``out`` (see :func:`jaxml.grade._output.merge`)."""
    if not dirs:
        raise UsageError("--merge needs at least one directory")
    return _output.merge(dirs, out)
