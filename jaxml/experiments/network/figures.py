"""§5 figures: the step network's hidden-unit lines, and the sigmoid network's decision boundary."""

from __future__ import annotations

from pathlib import Path

import jax.numpy as jnp
import numpy as np

from ..._compile import quick_jit
from ...models import network
from .compute import NNResult, line_name

_LIMITS = (-0.2, 4.2)
_COLOURS = ["#1b9e77", "#7570b3", "#e7298a"]


@quick_jit  # one-shot, for the figure
def _grid_outputs(step_W1, step_W2, W1, W2, grid):
    """On the grid: the step network's labels and the sigmoid network's output o (one compiled program)."""
    empty = jnp.zeros((0,), grid.dtype)
    return network.predict_step(network.Network(step_W1, step_W2, empty), grid), network.forward(
        W1, W2, grid
    )


def _scatter(ax, x, y) -> None:
    ax.scatter(*x[y == 0].T, s=14, c="#d95f02", marker="o", label="y = 0", edgecolors="none")
    ax.scatter(*x[y == 1].T, s=14, c="#1f63b4", marker="x", label="y = 1", linewidths=0.9)


def _figure_step(x, y, result: NNResult, gx, gy, pred):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    ax.contourf(gx, gy, pred, levels=[-0.5, 0.5, 1.5], colors=["#fdd9b5", "#cfe3fb"], alpha=0.8)
    _scatter(ax, x, y)
    g = gx[0]
    for k, (a, b) in enumerate(zip(np.asarray(result.config.side_normals), result.step.offsets)):
        label = f"h{k + 1}: " + line_name(a, b)
        if a[1] == 0:
            ax.axvline(b / a[0], color=_COLOURS[k], lw=1.6, label=label)
        else:
            ax.plot(g, (b - a[0] * g) / a[1], color=_COLOURS[k], lw=1.6, label=label)
    ax.set(
        xlim=_LIMITS,
        ylim=_LIMITS,
        xlabel="x1",
        ylabel="x2",
        aspect="equal",
        title=f"Step-activation 2-3-1 network: hidden-unit lines\n(predicted 0 inside, shaded orange; "
        f"accuracy {100 * result.step.accuracy:.2f}%)",
    )
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return fig


def _figure_sigmoid(x, y, result: NNResult, gx, gy, o):
    import matplotlib.pyplot as plt

    accuracy = float(result.sigmoid.accuracy[result.sigmoid.best])
    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    ax.contourf(gx, gy, o >= 0.5, levels=[-0.5, 0.5, 1.5], colors=["#fdd9b5", "#cfe3fb"], alpha=0.8)
    ax.contour(gx, gy, o, levels=[0.5], colors="k", linewidths=1.2)
    _scatter(ax, x, y)
    ax.set(
        xlim=_LIMITS,
        ylim=_LIMITS,
        xlabel="x1",
        ylabel="x2",
        aspect="equal",
        title=f"Sigmoid 2-3-1 network, gradient descent: o = 0.5 contour\n(training accuracy "
        f"{100 * accuracy:.2f}%)",
    )
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return fig


def figures(result: NNResult, data, out_dir: Path) -> list[str]:
    """Save nn_step.png and nn_sigmoid.png into ``out_dir``; returns their names."""
    import matplotlib.pyplot as plt

    split = data.simple_nn()
    x, y = np.asarray(split.x, np.float64), np.asarray(split.y, np.float64)
    g = np.linspace(*_LIMITS, 300)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    pred, o = (
        np.asarray(a).reshape(gx.shape)
        for a in _grid_outputs(
            result.step.W1, result.step.W2, result.sigmoid.W1, result.sigmoid.W2, grid
        )
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = []
    for fig, name in (
        (_figure_step(x, y, result, gx, gy, pred), "nn_step.png"),
        (_figure_sigmoid(x, y, result, gx, gy, o), "nn_sigmoid.png"),
    ):
        fig.savefig(out_dir / name, dpi=120, bbox_inches="tight")
        plt.close(fig)
        names.append(name)
    return names
