"""Running declared entries: one :class:`Outcome` per entry, as ``jaxml verify`` and the report show them.

:func:`run_entry` checks one entry at ``points`` points: a gradient or Hessian at the example maker's points (one
batched call of ``vmap(example)``), a VJP or JVP rule at those points too (:func:`check_vjp` / :func:`check_jvp`
with ``at=``), a closed form on a few examples (one L-BFGS solve each), a custom check by
calling it. :func:`run_entries` runs many, each with its own key ``fold_in(key, i)``, on two threads when it can
(see :mod:`._lanes`): the outcomes are the same, in the same order, as one after the other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from .._bucketed_random import fold_in, prng_key, split, split_list
from ..errors import VerifyError
from . import _lanes
from ._closed_form import check_closed_form
from ._gradient import check_gradient, check_hessian
from ._points import default_points, stacked_examples
from ._programs import call_jitted, shared_programs
from ._registry import Entry
from ._report import Report, jsonable
from ._shrink import describe
from ._x64 import in_float64

# Closed forms run one L-BFGS solve per example; a few examples are enough to catch a wrong formula.
CLOSED_FORM_EXAMPLES = 3
DEFAULT_POINTS = 1000


@dataclasses.dataclass(frozen=True, kw_only=True)
class Outcome(Report):
    """One declared entry and the report of its check, as the verify table shows them.

    The check's own fields are the report's (``outcome.report.ok``, ``.mistake``, ``.points``, ...); the outcome
    adds what the declaration says and reads the rest through.

    Attributes:
      report: the check's report (a :class:`Report` for the built-in kinds; any object with ``ok``,
        ``max_abs_error``, ``max_rel_error`` and ``diagnosis`` for a custom ``@verification``).
      name, compares, equation, erratum: from the declaration.
      expected_failure: the entry is an erratum, declared to fail.
      seconds: wall time of the check.
      as_expected: (property) the verdict is what was declared: a pass, or an erratum that fails.
      verdict: (property) "pass", "FAIL", "expected fail" or "UNEXPECTED PASS".
    """

    report: Any
    name: str
    compares: str
    equation: str
    expected_failure: bool
    erratum: str
    seconds: float

    # the report's fields, read through (an outcome has no "ok" of its own: see ``as_expected``)
    points = property(lambda self: int(getattr(self.report, "points", 0)))
    max_abs_error = property(lambda self: float(self.report.max_abs_error))
    max_rel_error = property(lambda self: float(self.report.max_rel_error))
    tolerance = property(lambda self: getattr(self.report, "tolerance", ""))
    diagnosis = property(lambda self: self.report.diagnosis)
    mistake = property(lambda self: getattr(self.report, "mistake", None))
    note = property(lambda self: getattr(self.report, "note", None))

    @property
    def passed(self) -> bool:
        """Deprecated: read ``outcome.report.ok``."""
        warnings.warn(
            "Outcome.passed is deprecated: read outcome.report.ok", DeprecationWarning, stacklevel=2
        )
        return bool(self.report.ok)

    @property
    def as_expected(self) -> bool:
        """True when the verdict is what was declared (a pass, or an erratum that fails)."""
        return bool(self.report.ok) != self.expected_failure

    @property
    def verdict(self) -> str:
        if self.expected_failure:
            return "expected fail" if not self.report.ok else "UNEXPECTED PASS"
        return "pass" if self.report.ok else "FAIL"

    @property
    def verdict_word(self) -> str:
        return self.verdict

    def as_dict(self) -> dict:
        out = {
            "name": self.name,
            "compares": self.compares,
            "equation": self.equation,
            "points": self.points,
            "max_abs_error": jsonable(self.max_abs_error),
            "max_rel_error": jsonable(self.max_rel_error),
            "tolerance": self.tolerance,
            "verdict": self.verdict,
            "ok": self.as_expected,
            "expected_failure": self.expected_failure,
            "diagnosis": self.diagnosis,
            "erratum": self.erratum,
            "seconds": round(self.seconds, 4),
        }
        if self.note:
            out["note"] = self.note
        if self.mistake is not None:
            out["mistake"] = self.mistake.as_dict()
        counterexample = getattr(self.report, "counterexample", None)
        if counterexample is not None:
            out["counterexample"] = describe(
                counterexample, self.report.arg_names, self.report.counterexample_shrunk
            )
        if getattr(self.report, "audit_seconds", None) is not None:
            out["blind_spots"] = list(self.report.blind_spots)
        return out


examples = stacked_examples  # ``example(key)`` stacked over keys


def _key_list(key, n: int) -> list:
    """``jax.random.split(key, n)`` as a list, without a program for the split or its rows (concrete raw keys)."""
    return split_list(key, n)


def _entry_points(entry: Entry, points: int | None, key) -> tuple[int, str | None]:
    """The points for a gradient entry: as asked, or (points=None) 1,000 — fewer for very large examples."""
    if points is not None:
        return int(points), None
    shapes = jax.eval_shape(entry.example, key)
    argnums = entry.argnums if isinstance(entry.argnums, (tuple, list)) else (entry.argnums,)
    size = sum(
        math.prod(np.shape(leaf)) for i in argnums for leaf in jax.tree_util.tree_leaves(shapes[i])
    )
    n = default_points(size, DEFAULT_POINTS)
    note = (
        None
        if n == DEFAULT_POINTS
        else f"{n} points (not {DEFAULT_POINTS:,}): each has {size:,} entries"
    )
    return n, note


def _derivative_entry(entry: Entry, points: int | None, key, audit: bool = False) -> Report:
    """A gradient or Hessian entry: ``check_gradient(..., example=entry.example)`` at the entry's points (the
    same points as that call with the same ``points`` and ``key``)."""
    n, note = _entry_points(entry, points, key)
    argnums = tuple(entry.argnums) if isinstance(entry.argnums, (tuple, list)) else entry.argnums
    check = check_gradient if entry.kind == "gradient" else check_hessian
    report = check(
        entry.target,
        entry.fn,
        argnums=argnums,
        points=n,
        key=key,
        rtol=entry.options.get("rtol"),
        domain=entry.options.get("domain"),
        example=entry.example,
        audit=audit,
        name=entry.name,
    )
    if note:
        report = dataclasses.replace(report, note="; ".join(x for x in (note, report.note) if x))
    return report


def _rule_entry(entry: Entry, points: int | None, key) -> Report:
    """A VJP / JVP rule at the example maker's points (stacked, passed as ``at=``)."""
    from ._jvp import check_jvp
    from ._vjp import check_vjp

    k_examples, k_check = split_list(key)
    n, note = _entry_points(entry, points, k_examples)
    batch = examples(entry.example, split(k_examples, n))
    first = tuple(jax.tree_util.tree_map(lambda x: np.asarray(x)[0], a) for a in batch)
    argnums = tuple(entry.argnums) if isinstance(entry.argnums, (tuple, list)) else entry.argnums
    check = check_vjp if entry.kind == "vjp" else check_jvp
    report = check(
        entry.target,  # the plain function first, the rule-carrying one second
        entry.fn,
        *first,
        argnums=argnums,
        key=k_check,
        rtol=entry.options.get("rtol"),
        at=batch,
        domain=entry.options.get("domain"),
        name=entry.name,
    )
    if note:
        report = dataclasses.replace(report, note="; ".join(x for x in (note, report.note) if x))
    return report


def _closed_form_entry(entry: Entry, points: int | None, key) -> Report:
    n = max(1, min(DEFAULT_POINTS if points is None else points, CLOSED_FORM_EXAMPLES))
    reports = []
    for k in _key_list(key, n):
        k_example, k_start = split_list(k)
        args = tuple(call_jitted(entry.example, k_example))
        reports.append(
            check_closed_form(
                entry.target,
                entry.fn,
                *args,
                key=k_start,
                transform=entry.options.get("transform"),
                rtol=entry.options.get("rtol"),
                name=entry.name,
            )
        )
    worst = max(reports, key=lambda r: (not r.ok, r.max_rel_error))
    return dataclasses.replace(worst, points=n)


@in_float64
def run_entry(
    entry: Entry, *, points: int | None = None, key: jax.Array | None = None, audit: bool = False
) -> Outcome:
    """Check one entry at ``points`` points (closed forms: at most ``CLOSED_FORM_EXAMPLES`` examples).

    ``audit=True``: gradient and Hessian entries that pass also list their blind spots (see
    :func:`~jaxml.verify.check_gradient`).

    ``points=None`` (the default, as ``jaxml verify``) chooses: 1,000 for gradients, Hessians and VJP / JVP rules
    — a declared derivation is checked once, thoroughly, where an interactive ``check_gradient`` takes 16 —
    fewer when one example is very large (the outcome's ``note`` says how many). ``key``: default
    ``PRNGKey(0)``, the same points on every run. Runs in float64 whatever the caller's setting.
    """
    key = prng_key(0) if key is None else key
    start = time.perf_counter()
    try:
        if entry.kind in ("gradient", "hessian"):
            report = _derivative_entry(entry, points, key, audit)
        elif entry.kind in ("vjp", "jvp"):
            report = _rule_entry(entry, points, key)
        elif entry.kind == "closed_form":
            report = _closed_form_entry(entry, points, key)
        else:
            report = entry.fn(DEFAULT_POINTS if points is None else points, key)
    except Exception as exc:  # a broken declaration is reported, never a traceback
        raise VerifyError(
            f"{entry.name} ({entry.module}): the check could not run: {type(exc).__name__}: {exc}"
        ) from exc
    seconds = time.perf_counter() - start
    return Outcome(
        report=report,
        name=entry.name,
        compares=entry.compares or getattr(report, "compares", ""),
        equation=entry.equation,
        expected_failure=entry.expected_failure,
        erratum=entry.erratum,
        seconds=seconds,
    )


def run_entries(
    entries: list[Entry],
    *,
    points: int | None = None,
    key: jax.Array | None = None,
    jobs: int | None = None,
    guard: Callable | None = None,
    on_done: Callable | None = None,
    audit: bool = False,
) -> list[Outcome]:
    """Check every entry, entry i with key ``fold_in(key, i)``; the outcomes in the entries' order.

    Args:
      entries: what to check (e.g. :func:`builtin_entries`).
      points: points per entry (None: :func:`run_entry`'s cost-aware default).
      key: the base key (default ``PRNGKey(0)``).
      jobs: threads (default 2, or 1 on a one-core machine): XLA compiles on one while the other traces and runs.
        The outcomes do not depend on it.
      guard: ``guard(entry)`` returns a context manager wrapped around that entry's check (the CLI's watchdog).
      on_done: called with each outcome as it completes (progress bars).
      audit: list each passing derivative's blind spots (``run_entry(audit=True)``).
    """
    key = prng_key(0) if key is None else key

    def one(i: int) -> Outcome:
        # looked up at call time: a wrapper installed on jaxml.verify sees each entry
        from . import (
            run_entry as run,
        )

        entry = entries[i]
        options = {"audit": True} if audit else {}
        with guard(entry) if guard is not None else contextlib.nullcontext():
            outcome = run(entry, points=points, key=fold_in(key, i), **options)
        if on_done is not None:
            on_done(outcome)
        return outcome

    with shared_programs():  # entries on the same loss share its compiled programs
        return _lanes.run_lanes(
            len(entries),
            one,
            lambda i: _lanes.concurrency_safe(entries[i], points),
            jobs,
            opaque=lambda i: _lanes.opaque(entries[i]),
        )
