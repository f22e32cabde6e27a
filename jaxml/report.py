"""REPORT.md: our numbers beside the write-up's, a verdict per row, the figures, and the write-up's errata."""

from __future__ import annotations

import datetime
from pathlib import Path

SYNTHETIC_BANNER = (
    "> **⚠ SYNTHETIC DATA.** No real data directory was given (`--data DIR` or `$JAXML_DATA`). Every number in "
    "this report comes from seeded synthetic stand-ins with the shapes of the course's files, **not** from the "
    "course's data, so the write-up's numbers are not expected to match. Rows say `synthetic data` instead of a "
    "verdict."
)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


QUICK_CHECKS_LINE = (
    "- `--quick-checks`: the verifier checks were compiled for compile speed; their max errors "
    "(rounding measures) differ in their last digits from a default run's"
)


def write_report(path: Path, results: dict, sections, data) -> None:
    """Write REPORT.md from the experiments' outputs.

    Args:
      path: the file to write.
      results: the results.json dict (for the header).
      sections: list of (Experiment, ExperimentOutput or None if it failed, seconds).
      data: the DataSource used.
    """
    out = ["# jaxml reproduction of CS229 PS2 (write-up by S. de Buen, 2020)", ""]
    if data.kind == "synthetic":
        out += [SYNTHETIC_BANNER, ""]
    out += [
        f"- data: **{data.kind}** — {data.describe()}",
        f"- JAX {results.get('jax_version')}; devices: {results.get('device')}",
        f"- generated {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, seed {results.get('seed')}",
        *([QUICK_CHECKS_LINE] if results.get("quick_checks") else []),
        "",
        (
            "Verdicts: **reproduced** (within the stated tolerance), **differs** (explained in the row), "
            "**erratum** (the write-up is wrong; the correct result is ours), **new** (the write-up gives no "
            "number), **not reproducible** (explained)."
        ),
        "",
    ]
    errata = []
    for exp, output, seconds in sections:
        out += [f"## {exp.section} {exp.title}", ""]
        if output is None:
            err = results.get("errors", {}).get(exp.name, "unknown error")
            out += [f"**This experiment failed:** `{_cell(err)}`", ""]
            continue
        device = f" on {output.device}" if output.device else ""
        out += [f"_Experiment `{exp.name}`, {seconds:.1f} s{device}._", ""]
        if output.rows:
            out += ["| quantity | ours | write-up | verdict | evidence |", "|---|---|---|---|---|"]
            for r in output.rows:
                verdict = (
                    "synthetic data"
                    if data.kind == "synthetic"
                    and r.writeup
                    and r.verdict in ("reproduced", "differs")
                    else r.verdict
                )
                out.append(
                    f"| {_cell(r.quantity)} | {_cell(r.ours)} | {_cell(r.writeup)} | **{_cell(verdict)}** | "
                    f"{_cell(r.evidence)} |"
                )
                if r.verdict == "erratum":
                    errata.append(f"- {exp.section} {_cell(r.quantity)}: {_cell(r.evidence)}")
            out.append("")
        if output.notes:
            out += [output.notes.strip(), ""]
        for fig in output.figures:
            out += [f"![{fig}]({fig})", ""]
    if errata:
        out += (
            [
                "## Errata in the write-up (summary)",
                "",
                "Every row above whose verdict is `erratum`, in one place:",
                "",
            ]
            + errata
            + [""]
        )
    Path(path).write_text("\n".join(out))
