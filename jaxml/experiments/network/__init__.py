"""§5 The two-layer network (sigmoid, step and linear activations) and §6 batch normalisation.

Float64 throughout. §5: the hand backprop and the write-up's formulas as written go through the verifier
(``derivations/network.py``); the sigmoid network is trained by jitted full-batch gradient descent on
``simple_nn/train.csv``; a 2-3-1 step network is built by reasoning (no training) and must be 100% accurate; the
linear network's collapse to W̃ = W²W¹ is checked numerically, and linear separability decided exactly.
§6: every batch-norm gradient (``derivations/batchnorm.py``) against autodiff at several batch shapes, the
custom-VJP layer, and that layer inside a jitted training loop.

config.py (settings) -> compute.py (numbers, :class:`NNResult`) -> figures.py -> report.py (rows, notes).
"""

from __future__ import annotations

from .._registry import ExperimentOutput, register
from .compute import NNResult as NNResult
from .compute import compute as compute
from .compute import results_json as results_json
from .config import CONFIG as CONFIG
from .config import Config as Config
from .figures import figures as figures
from .report import notes as notes
from .report import rows as rows


@register("nn", title="A simple neural network and batch normalisation", section="§5–§6", cost=40)
def run(ctx) -> ExperimentOutput:
    """compute -> figures -> report rows and notes, on ``ctx.data`` with ``ctx.key``."""
    result = compute(
        ctx.data, key=ctx.key, progress=ctx.progress, device_override=ctx.device_override
    )
    return ExperimentOutput(
        results=results_json(result),
        rows=rows(result),
        figures=figures(result, ctx.data, ctx.out_dir),
        notes=notes(result),
        device=result.device,
    )
