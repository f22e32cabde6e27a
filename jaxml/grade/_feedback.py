"""What a student reads: a verdict and the named mistake, never a value of the reference gradient.

Three levels (``--feedback``):

* ``diagnosis`` (default): per task the verdict and the mistake's sentence with every non-integer number, every
  interval and every autodiff value taken out (a one-sided derivative, a worst entry's value, a ratio that would give
  the answer back: yours / ratio);
* ``full``: the verifier's whole diagnosis and the worst entry (your value and autodiff's) — for staff, or for
  assignments where the answer may be shown;
* ``score``: scores only.

Mistakes are counted by kind for the summary: ``report.mistake.kind`` where the verifier provides it, else
:func:`kind_from_diagnosis` (the fallback, a classifier of the diagnosis sentence).
"""

from __future__ import annotations

import re

MODES = ("diagnosis", "full", "score")

# a number that is not a plain integer: 0.5, -1.25e-07, 3e+02, .5, inf, nan
_NON_INTEGER = re.compile(
    r"(?<![\w.])[-+]?(?:\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|inf|nan)(?![\w.])"
)
_INTERVAL = re.compile(r"\[[^\]]*\]")
_AUTODIFF = re.compile(r"autodiff(?: picked| =|:)\s*[-+]?[\w.+-]*")


def public_text(text: str) -> str:
    """``text`` without anything that could be a value of the reference gradient (see the module docstring).

    Integers stay: shapes, indices, counts and the batch size of "missing 1/n = 1/50" are not gradient values.
    """
    text = _INTERVAL.sub("[…]", text)
    text = _AUTODIFF.sub("autodiff …", text)
    return _NON_INTEGER.sub("…", text)


def mistake_kind(report) -> str:
    """The kind of mistake a failed check found: the verifier's structured ``report.mistake`` when it has one."""
    mistake = getattr(report, "mistake", None)
    kind = getattr(mistake, "kind", None)
    if kind is not None:
        return str(getattr(kind, "value", kind))
    return kind_from_diagnosis(report.diagnosis or "")


def kind_from_diagnosis(diagnosis: str) -> str:
    """FALLBACK, until every report carries ``mistake``: the kind named by a diagnosis sentence.

    The verifier's sentences are its own (``jaxml/verify/_diagnose.py``, ``_compare.py``, ``_factors.py``,
    ``_precision.py``); the first rule that matches wins, in the order the verifier tries its explanations.
    """
    # several findings are joined with "; ": the first one counts
    text = diagnosis.lower().split("; ")[0]
    if "no simple pattern" in text:
        return "partial" if "entries are wrong" in diagnosis.lower() else "other"
    rules = (
        ("raised", "raised"),
        ("wrong structure", "structure"),
        ("order swapped", "swapped"),
        ("per-example", "per_example"),
        ("transpose", "transpose"),
        ("wrong shape", "shape"),
        ("non-finite", "non_finite"),
        ("sub-differential", "not_subgradient"),
        ("sign flip", "sign"),
        ("constant factor", "constant_factor"),
        ("is zero where the true one is not", "zero"),
        ("factor changes from point to point", "varying_factor"),
        ("a scale per", "axis_scale"),
        ("the true one times", "axis_scale"),
        ("the true one divided by", "axis_scale"),
        ("float32 precision", "precision"),
    )
    for needle, kind in rules:
        if needle in text:
            return kind
    return "other"


def worst_entry(report) -> str | None:
    """The worst entry's two values (``full`` feedback only: it shows a value of the reference)."""
    if getattr(report, "worst_yours", None) is None or getattr(report, "worst_index", None) is None:
        return None
    point, leaf, entry = report.worst_index
    where = f"point {point}" + (f", {leaf}" if leaf else "") + f", entry {entry}"
    return f"worst entry: {where}: yours = {report.worst_yours:.10g}, autodiff = {report.worst_autodiff:.10g}"


def subgradient_note(count: int) -> str:
    return (
        f" (at {count} entr{'y' if count == 1 else 'ies'} where the loss is not differentiable, your value is a "
        "valid subgradient)"
    )


def verdict_lines(label: str, report, mode: str) -> list[str]:
    """The feedback lines of one compared gradient (or one leaf of it, named ``label``)."""
    prefix = f"{label}: " if label else ""
    if report.ok:
        note = subgradient_note(report.subgradients) if getattr(report, "subgradients", 0) else ""
        return [f"{prefix}correct{note}"]
    diagnosis = report.diagnosis or "wrong values"
    if mode == "full":
        lines = [f"{prefix}wrong: {diagnosis}"]
        lines += [f"  {x}" for x in (worst_entry(report), getattr(report, "note", None)) if x]
        return lines
    mistake = getattr(report, "mistake", None)
    return [f"{prefix}wrong: {public_text(getattr(mistake, 'text', None) or diagnosis)}"]
