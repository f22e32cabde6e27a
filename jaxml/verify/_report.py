"""The verify table: one row per derivation, then the diagnosis of every row that needs one."""

from __future__ import annotations

import textwrap

COLUMNS = ("name", "compares", "points", "max abs err", "max rel err", "tolerance", "verdict")


def _fmt(x: float) -> str:
    return f"{x:.2e}" if isinstance(x, float) else str(x)


def format_table(outcomes, *, width: int = 110) -> str:
    """Render outcomes as a plain-text table, followed by the diagnoses and errata."""
    rows = [
        (o.name, o.compares, str(o.points), _fmt(o.max_abs_error), _fmt(o.max_rel_error), o.tolerance, o.verdict)
        for o in outcomes
    ]
    limits = [34, 44, 6, 11, 11, 22, 15]
    clipped = [tuple(c if len(c) <= lim else c[: lim - 1] + "~" for c, lim in zip(r, limits)) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in clipped)) if clipped else len(h) for i, h in enumerate(COLUMNS)]
    line = "  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in clipped]
    notes = []
    for o in outcomes:
        if o.diagnosis or o.erratum:
            text = f"{o.name} [{o.verdict}]"
            if o.equation:
                text += f" ({o.equation})"
            if o.diagnosis:
                text += f": verifier says: {o.diagnosis}"
            if o.erratum:
                text += f" | known erratum: {o.erratum}"
            notes.append(textwrap.fill(text, width=width, subsequent_indent="    "))
    if notes:
        out += ["", "Diagnoses:"] + ["  " + n for n in notes]
    return "\n".join(out)
