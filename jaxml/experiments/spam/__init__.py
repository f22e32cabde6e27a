"""§2 Spam classification on the SMS corpus: vocabulary, multinomial naive Bayes, RBF-kernel SVM, logistic regression
and the §2(e) feature study.

config (the protocol, the write-up's numbers) -> compute (a typed :class:`SpamResult`) -> figures -> report rows.
"""

from __future__ import annotations

from .._registry import ExperimentOutput, register
from .compute import SpamResult, compute, results_json
from .config import CONFIG, Config
from .figures import figures
from .report import notes, rows

__all__ = [
    "CONFIG",
    "Config",
    "SpamResult",
    "compute",
    "figures",
    "notes",
    "results_json",
    "rows",
    "run",
]


@register("spam", title="Spam classification", section="§2", cost=35)
def run(ctx) -> ExperimentOutput:
    result = compute(
        ctx.data.spam(),
        key=ctx.key,
        config=CONFIG,
        progress=ctx.progress,
        device=ctx.device_override,
    )
    return ExperimentOutput(
        results={"spam": results_json(result, CONFIG)},
        rows=rows(result, ctx.data.kind == "real", CONFIG),
        figures=figures(result, ctx.out_dir),
        notes=notes(result, ctx.data.kind, CONFIG),
        device=result.devices,
    )
