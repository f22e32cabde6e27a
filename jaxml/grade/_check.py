"""Grading one submission from its sandbox's answer: each task's values against autodiff, with the public verifier.

The student's function ran in the sandbox; what comes back is its return value at each point. The comparison is
:func:`jaxml.verify.check_gradient` with, as "your gradient", a lookup of those values by the point's arguments (a
digest of their bytes): a callable the verifier cannot trace, so it calls it point by point, as it calls any NumPy
gradient. The loss, autodiff's gradient and the comparison stay in the grader's process.

A gradient of several arrays (a tuple, a pytree) earns a share of the task's points per array: when the whole
gradient is not right, each array is compared alone, as the gradient of the loss with respect to that array.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib

import jax
import numpy as np

from ..verify import check_gradient
from . import _codec
from ._feedback import mistake_kind, verdict_lines
from ._task import Prepared, point_key


@dataclasses.dataclass(frozen=True)
class TaskResult:
    """One task of one submission.

    Attributes:
      name, score, max_score: as in results.json.
      status: "passed", "partial", "wrong" (compared), or why it was not compared ("missing", "raised",
        "timeout", "memory", "crashed", "exited", "load_failed", "bad_return", "forbidden", ...).
      output: the feedback (per the feedback level).
      mistakes: the kinds of mistake found (for the summary).
    """

    name: str
    score: float
    max_score: float
    status: str
    output: str
    mistakes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class StudentResult:
    """One submission: its status ("ok" when it loaded and ran), the top-level feedback, its tasks, its output."""

    name: str
    status: str
    output: str
    tasks: tuple[TaskResult, ...]
    printed: bytes = b""

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tasks), 4)


class _MissingPoint(KeyError):
    """The verifier asked for a point the grader did not send (a bug of the grader, never the student's)."""


class _Lookup:
    """The student's values as a "gradient function": the value recorded for the point given."""

    def __init__(self, table: dict, varying: tuple[int, ...], skip: int = 0):
        self.table, self.varying, self.skip = table, varying, skip

    def __call__(self, *args):
        args = args[self.skip :]
        leaves = [leaf for i in self.varying for leaf in jax.tree_util.tree_leaves(args[i])]
        if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
            raise TypeError("precomputed values: evaluated point by point")
        try:
            return self.table[point_key(leaves)]
        except KeyError:
            raise _MissingPoint("a point the grader did not send") from None


def _check(f, lookup: _Lookup, args: tuple, argnums, at: tuple, rtol):
    report = check_gradient(f, lookup, *args, argnums=argnums, at=at, rtol=rtol)
    if "_MissingPoint" in (report.diagnosis or ""):
        raise RuntimeError(f"grader error: {report.diagnosis}")
    return report


def _conform(got, expected):
    """The student's gradient with lists read as the tuples autodiff returns, and numbers as arrays."""
    if (
        isinstance(expected, (tuple, list))
        and isinstance(got, (tuple, list))
        and len(got) == len(expected)
    ):
        items = [_conform(g, e) for g, e in zip(got, expected)]
        return tuple(items) if isinstance(expected, tuple) else items
    if isinstance(expected, dict) and isinstance(got, dict):
        return {k: _conform(v, expected[k]) if k in expected else v for k, v in got.items()}
    if isinstance(got, (bool, int, float, complex, np.generic)):
        return np.asarray(got)
    return got


def _leaf_args(prep: Prepared, k: int) -> tuple[tuple, tuple]:
    """The arguments of leaf k's loss ``f_k(leaf, *args)``: at point 0, and over the points."""
    flat0 = [leaf for i in prep.task.argnums_t for leaf in jax.tree_util.tree_leaves(prep.args0[i])]
    position = 0
    for i in prep.task.argnums_t:
        n = len(jax.tree_util.tree_leaves(prep.args0[i]))
        if k < position + n:
            stacked = None
            if prep.at[i] is not None:
                stacked = jax.tree_util.tree_leaves(prep.at[i])[k - position]
            return (flat0[k], *prep.args0), (stacked, *prep.at)
        position += n
    raise IndexError(k)


def _by_leaf(prep: Prepared, grads: list, mode: str) -> tuple[float, list[str], list[str]]:
    """Each array of the gradient compared alone: (the share of the points earned, feedback lines, mistakes)."""
    t = prep.task
    ok, lines, kinds = 0, [], []
    for k, (label, f_k) in enumerate(zip(prep.labels, prep.leaf_losses)):
        table = {key: jax.tree_util.tree_leaves(g)[k] for key, g in zip(prep.keys, grads)}
        args, at = _leaf_args(prep, k)
        report = _check(f_k, _Lookup(table, prep.varying, skip=1), args, 0, at, t.rtol)
        ok += bool(report.ok)
        lines += verdict_lines(label, report, mode)
        if not report.ok:
            kinds.append(mistake_kind(report))
    return ok / len(prep.labels), lines, kinds


def compare(prep: Prepared, values: list, mode: str) -> TaskResult:
    """Grade one task from the student's return values (one per point)."""
    t = prep.task
    if any(v is None for v in values):
        reason = f"{t.function} returned None (is a return statement missing?)"
        return _not_compared(prep, "bad_return", reason, mode)
    try:
        grads = [t.output(v) if t.output is not None else v for v in values]
    except Exception as exc:  # noqa: BLE001 - the student's value has another form than output= expects
        reason = f"its return value does not have the expected form: output(...) raised {type(exc).__name__}: {exc}"
        return _not_compared(prep, "bad_return", f"{t.function}: {reason}", mode)
    grads = [_conform(g, prep.expected) for g in grads]
    table = dict(zip(prep.keys, grads))
    whole = _check(prep.loss, _Lookup(table, prep.varying), prep.args0, t.argnums, prep.at, t.rtol)
    treedef = jax.tree_util.tree_structure(prep.expected)
    same_structure = all(jax.tree_util.tree_structure(g) == treedef for g in grads)
    if whole.ok or len(prep.labels) == 1 or not same_structure:
        share = 1.0 if whole.ok else 0.0
        lines = verdict_lines("", whole, mode)
        kinds = [] if whole.ok else [mistake_kind(whole)]
    else:
        share, lines, kinds = _by_leaf(prep, grads, mode)
    score = round(t.max_score * share, 4)
    status = "passed" if share == 1.0 else ("partial" if share > 0 else "wrong")
    output = "" if mode == "score" else "\n".join(lines)
    return TaskResult(t.name, score, t.max_score, status, output, tuple(dict.fromkeys(kinds)))


def _not_compared(prep: Prepared, status: str, reason: str, mode: str) -> TaskResult:
    t = prep.task
    output = "" if mode == "score" else f"not graded: {reason}"
    return TaskResult(t.name, 0.0, t.max_score, status, output, (status,))


def _task_reason(prep: Prepared, state: dict) -> str:
    status, reason, function = state.get("status"), state.get("reason") or "", prep.task.function
    if status == "missing":
        names = state.get("names") or []
        close = difflib.get_close_matches(function, [str(n) for n in names], n=1)
        return f"no function named {function}" + (f" (did you mean {close[0]}?)" if close else "")
    if status == "raised":
        return f"{function} raised {reason}"
    return f"{function} {reason}".strip()


def _compare_once(prep: Prepared, index: int, values: list, mode: str, memo: dict) -> TaskResult:
    """:func:`compare`, once per distinct answer: students whose functions return the same bytes at every point
    get the same verdict (the check is deterministic), so a class's common answers are compared once."""
    try:
        key = (index, hashlib.sha256(_codec.encode(values)).digest())
    except _codec.CodecError:
        return compare(prep, values, mode)
    if key not in memo:
        memo[key] = compare(prep, values, mode)
    return memo[key]


def grade_student(
    prepared: list[Prepared], reply: dict, mode: str, memo: dict | None = None
) -> StudentResult:
    """A submission's grade from its sandbox's answer (see ``_sandbox.py`` for the answer's fields); ``memo``
    holds the verdicts of answers already compared in this run."""
    memo = {} if memo is None else memo
    name, status = str(reply.get("name")), str(reply.get("status"))
    states = reply.get("tasks") or {}
    imports = set(reply.get("imports") or [])
    results = []
    for index, prep in enumerate(prepared):
        state = states.get(index) or {"status": "grader_error", "reason": "no answer for this task"}
        forbidden = sorted(imports & set(prep.task.forbid))
        if status != "ok":
            results.append(_not_compared(prep, status, str(reply.get("reason")), mode))
        elif forbidden:
            reason = (
                f"the submission imports {', '.join(forbidden)}, which this task forbids "
                "(derive the gradient by hand)"
            )
            results.append(_not_compared(prep, "forbidden", reason, mode))
        elif state.get("status") != "ok":
            results.append(
                _not_compared(prep, str(state.get("status")), _task_reason(prep, state), mode)
            )
        elif len(state.get("values") or []) != len(prep.keys):
            results.append(_not_compared(prep, "grader_error", "incomplete results", mode))
        else:
            results.append(_compare_once(prep, index, list(state["values"]), mode, memo))
    return StudentResult(
        name, status, _top_output(reply, mode), tuple(results), bytes(reply.get("output") or b"")
    )


def _top_output(reply: dict, mode: str) -> str:
    if mode == "score":
        return ""
    if reply.get("status") != "ok":
        return f"not graded: {reply.get('reason')}"
    lines = [str(w) for w in reply.get("warnings") or []]
    if reply.get("truncated"):
        kept = len(reply.get("output") or b"")
        lines.append(f"your code printed more than {kept} bytes; only the first {kept} were kept")
    return "\n".join(lines)
