"""The one report type every check returns, and the verify table.

Every check of :mod:`jaxml.verify` (a gradient, a Hessian, a VJP rule, a closed form, sub-gradient optimality, one
``jaxml verify`` entry) answers with a frozen dataclass derived from :class:`Report`. They share

* ``ok`` — the check passed (an :class:`~jaxml.verify.Outcome` wraps a report and adds ``as_expected``);
* ``name``, ``compares`` — what was checked, against what;
* ``points`` — at how many points;
* ``max_abs_error``, ``max_rel_error`` — the worst error, and ``tolerance`` — the bound it was held to;
* ``diagnosis`` — the likely mistake, a sentence (None when nothing is wrong), and ``mistake`` — the same as data:
  a :class:`~jaxml.verify.MistakeKind` and its parameters (:mod:`._mistake`);
* ``note`` — a remark on a verdict that needs one (a sub-gradient accepted at a kink, points reduced for cost);

and one way of printing themselves (``str(report)``): a PASS/FAIL line, then the diagnosis, note and details.
"""

from __future__ import annotations

import textwrap

import numpy as np

from ._mistake import Mistake
from ._shrink import describe

COLUMNS = ("name", "compares", "points", "max abs err", "max rel err", "tolerance", "verdict")


class Report:
    """Base class of every verifier report (each subclass is a frozen, keyword-only dataclass).

    Subclasses declare the fields below (and their own) and may override :meth:`summary` (the measurement
    sentence after "PASS - ") and :meth:`details` (further lines). Reports are immutable: derive a changed copy
    with ``dataclasses.replace(report, name=...)``.
    """

    __slots__ = ()

    # the fields every check's report declares (an Outcome reads them through from its report)
    ok: bool
    name: str
    compares: str
    points: int
    max_abs_error: float
    max_rel_error: float
    diagnosis: str | None
    mistake: Mistake | None
    note: str | None

    @property
    def verdict_word(self) -> str:
        """ "PASS" or "FAIL"."""
        return "PASS" if self.ok else "FAIL"

    def summary(self) -> str:
        """The measurement, one sentence."""
        return (
            f"{self.compares} at {self.points} points: max abs error {_g(self.max_abs_error)}, "
            f"max rel error {_g(self.max_rel_error)} ({self.tolerance})"
        )

    def details(self) -> list[str]:
        """Extra lines after the diagnosis and note (the worst entry, the solver's run, ...)."""
        return []

    def __str__(self) -> str:
        lines = [f"{self.name}: {self.verdict_word} - {self.summary()}"]
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        if getattr(self, "note", None):
            lines.append(f"  note: {self.note}")
        lines += [f"  {line}" for line in self.details()]
        return "\n".join(lines)


def _g(x: float) -> str:
    return f"{x:.3g}"


def jsonable(x: float):
    """A float for JSON: finite numbers as they are, inf / nan as strings."""
    x = float(x)
    return x if np.isfinite(x) else str(x)


def _fmt(x: float) -> str:
    return f"{x:.2e}" if isinstance(x, float) else str(x)


def format_table(outcomes, *, width: int = 110) -> str:
    """Render outcomes (:class:`~jaxml.verify.Outcome`) as a plain-text table, then the diagnoses and errata."""
    rows = [
        (
            o.name,
            o.compares,
            str(o.points),
            _fmt(o.max_abs_error),
            _fmt(o.max_rel_error),
            o.tolerance,
            o.verdict,
        )
        for o in outcomes
    ]
    limits = [34, 44, 6, 11, 11, 22, 15]
    clipped = [
        tuple(c if len(c) <= lim else c[: lim - 1] + "~" for c, lim in zip(r, limits)) for r in rows
    ]
    widths = [
        max(len(h), *(len(r[i]) for r in clipped)) if clipped else len(h)
        for i, h in enumerate(COLUMNS)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in clipped]
    notes = []
    for o in outcomes:
        report = getattr(o, "report", None)
        counterexample = getattr(report, "counterexample", None)
        spots = getattr(report, "blind_spots", ())
        if o.diagnosis or o.erratum or o.note or spots:
            text = f"{o.name} [{o.verdict}]"
            if o.equation:
                text += f" ({o.equation})"
            if o.diagnosis:
                text += f": verifier says: {o.diagnosis}"
            if o.note:
                text += f" | note: {o.note}"
            if o.erratum:
                text += f" | known erratum: {o.erratum}"
            if counterexample is not None:
                text += " | " + describe(
                    counterexample, report.arg_names, report.counterexample_shrunk
                )
            if spots:
                text += " | blind spots: " + "; ".join(spots)
            notes.append(textwrap.fill(text, width=width, subsequent_indent="    "))
    if notes:
        out += ["", "Diagnoses:"] + ["  " + n for n in notes]
    return "\n".join(out)
