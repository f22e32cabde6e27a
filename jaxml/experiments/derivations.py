"""Every hand derivation of ``derivations/``, checked by the verifier, as a section of the report.

This is ``jaxml verify`` run inside ``jaxml reproduce``: the as-written write-up formulas that are wrong appear
with the verifier's diagnosis (verdict ``erratum``), the correct ones with their errors against autodiff.
"""

from __future__ import annotations

from .._compile import quick_checks
from ..verify import builtin_entries, load_module, run_entries
from ._registry import ExperimentOutput, Row, register

POINTS = 200  # points per derivation in the report (``jaxml verify`` defaults to 1,000)
# The report's order of the derivation modules (entry i is checked with the key fold_in(key, i), so the order is
# part of the numbers): §1, §3, §4, §5, §6, then §2; modules added later follow in name order.
ORDER = ("logistic", "perceptron", "map_estimation", "network", "batchnorm", "naive_bayes")


def report_entries() -> list:
    """Every built-in entry, in the report's order (:data:`ORDER`)."""
    entries = [e for module in ORDER for e in load_module(f"jaxml_derivations.{module}")]
    known = {(e.module, e.name) for e in entries}
    return entries + [e for e in builtin_entries() if (e.module, e.name) not in known]


@register(
    "derivations", title="Hand derivations checked against autodiff", section="§1–§6", cost=20
)
def run(ctx) -> ExperimentOutput:
    entries = report_entries()
    bar = ctx.progress.bar(len(entries), "verifying derivations")
    with quick_checks():
        outcomes = run_entries(entries, points=POINTS, key=ctx.key, on_done=lambda _: bar.update(1))
    bar.close()
    rows = []
    for o in outcomes:
        if o.expected_failure:
            # The problem sections own the errata rows (and the report's errata summary); here an as-written
            # formula is simply an expected failure that failed.
            verdict = "expected fail" if o.as_expected else "UNEXPECTED PASS"
            evidence = f"verifier: {o.diagnosis}. Known: {o.erratum}"
        else:
            verdict = "reproduced" if o.report.ok else "FAIL"
            evidence = f"max rel error {o.max_rel_error:.2e} at {o.points} points ({o.tolerance})"
            if o.diagnosis:
                evidence += f"; {o.diagnosis}"
        rows.append(
            Row(
                quantity=f"{o.name} ({o.equation})" if o.equation else o.name,
                ours=o.verdict,
                writeup="",
                verdict=verdict,
                evidence=evidence,
            )
        )
    failed = [o.name for o in outcomes if not o.as_expected]
    notes = (
        f"{len(outcomes)} derivations, {POINTS} random points each (float64). "
        "`jaxml verify` runs the same checks at 1,000 points and prints the full diagnoses. "
        + (
            "All behave as expected: correct formulas pass, as-written errata fail with a diagnosis."
            if not failed
            else f"**Unexpected results:** {', '.join(failed)}."
        )
    )
    return ExperimentOutput(
        results={
            "derivations": {
                "points": POINTS,
                "all_as_expected": not failed,
                "outcomes": [o.as_dict() for o in outcomes],
            }
        },
        rows=rows,
        notes=notes,
    )
