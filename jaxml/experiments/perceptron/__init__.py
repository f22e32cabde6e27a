"""§3 Kernelising the perceptron: dot, RBF and non-PSD kernels; dual == primal; a 20,000-point run.

Float64 throughout. One pass over the training file in order, alpha = 0.5, g(z) = 1 if z >= 0 else 0, as the
write-up derives it (eq. 1) and the course starter runs it. Configuration (``config``) -> numbers (``compute``,
a typed :class:`PerceptronResult`) -> figure (``figures``) -> report rows and notes (``report``).
"""

from __future__ import annotations

from .._registry import ExperimentOutput, register
from . import compute, figures, report
from .compute import PerceptronResult as PerceptronResult
from .config import CONFIG as CONFIG
from .config import Config as Config


@register("perceptron", title="Kernelising the perceptron", section="§3", cost=10)
def run(ctx) -> ExperimentOutput:
    """Compute §3 on the context's data, draw its figure and write its report rows."""
    data = ctx.data.perceptron()
    result = compute.compute(data, key=ctx.key, progress=ctx.progress, device=ctx.device_override)
    seq_device, batch_device = result.devices
    return ExperimentOutput(
        results={"perceptron": compute.results_json(result)},
        rows=report.rows(result),
        figures=figures.figures(result, data, ctx.out_dir),
        notes=report.notes(result, real=ctx.data.kind == "real"),
        device=f"{seq_device} (perceptron passes), {batch_device} (kernel blocks)",
    )
