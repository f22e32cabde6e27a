"""§4 MAP estimation: Gaussian and Laplace priors, closed forms against jitted solvers, double descent.

Float64 throughout. The double-descent grid follows the course starter: d = 500, σ = 0.5, η = 1/√d,
λ = scale · λ_opt with λ_opt = σ²/η² (the weight of ‖θ‖² beside ‖y − Xθ‖²), n = 200, 250, …, 800, validation
MSE = mean over the validation rows of (y − Xθ)². One factorisation per n serves all nine λ (eigendecomposition of
XᵀX; λ = 0 is the minimum-norm solution); the 13 training sets are zero-padded to n = 800 and vmapped, so the
whole grid is one jitted call. Configuration (``config``) -> numbers (``compute``, a typed
:class:`DoubleDescentResult`) -> figures (``figures``) -> report rows and notes (``report``).
"""

from __future__ import annotations

import time

from .._registry import ExperimentOutput, register
from . import compute, figures, report
from .compute import DoubleDescentResult as DoubleDescentResult
from .config import CONFIG as CONFIG
from .config import Config as Config


@register(
    "double_descent",
    title="MAP estimation, Gaussian and Laplace priors, double descent",
    section="§4",
    cost=20,
)
def run(ctx) -> ExperimentOutput:
    """Load the files, compute §4, draw its figures and write its report rows."""
    real = ctx.data.kind == "real"
    start = time.perf_counter()
    data = ctx.data.double_descent()
    load_seconds = time.perf_counter() - start
    ctx.progress.log(
        f"double descent: {len(data.train)} training files and {len(data.validation.y)} validation rows "
        f"loaded in {load_seconds:.2f} s"
    )
    result = compute.compute(
        data,
        key=ctx.key,
        progress=ctx.progress,
        device=ctx.device_override,
        load_seconds=load_seconds,
    )
    return ExperimentOutput(
        results=compute.results_json(result, real=real),
        rows=report.rows(result, real=real),
        figures=figures.figures(result, data, ctx.out_dir),
        notes=report.notes(result, real=real),
        device=f"{result.grid.device} (grid), {result.solver_device} (solvers)",
    )
