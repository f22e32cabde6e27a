"""§1 Logistic regression: training stability on data sets A and B, reproduced and explained.

configuration (:mod:`.config`) → :func:`.compute.compute` (a :class:`.compute.LogregStabilityResult`) →
:func:`.figures.figures` → :mod:`.report` rows and notes; ``run`` composes them for ``jaxml reproduce``.
"""

from __future__ import annotations

from ...placement import device_name, placed
from .._registry import ExperimentOutput, register
from . import report
from .compute import LogregStabilityResult as LogregStabilityResult
from .compute import compute as compute
from .compute import results_json as results_json
from .config import CONFIG as CONFIG
from .config import Config as Config
from .figures import figures as figures


@register(
    "logreg_stability", title="Logistic regression: training stability", section="§1", cost=10
)
def run(ctx) -> ExperimentOutput:
    """The §1 experiment on ``ctx.data`` (course files or synthetic stand-ins)."""
    data = ctx.data.logreg_stability()
    real = ctx.data.kind == "real"
    with placed("sequential", ctx.device_override) as device:
        result = compute(data, key=ctx.key, progress=ctx.progress)
    device = device_name(device)
    return ExperimentOutput(
        results={"logreg_stability": results_json(result)},
        rows=report.rows(result, real=real, device=device),
        figures=figures(result, data, ctx.out_dir),
        notes=report.notes(result, real=real, device=device),
        device=device,
    )
