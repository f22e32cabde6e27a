"""§3 figure: the decision regions of the three kernels (write-up fig. 2) with the test points."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .compute import PerceptronResult
from .config import TITLES

FIGURE = "perceptron_kernels.png"


def _panel(ax, name: str, result: PerceptronResult, test) -> None:
    from matplotlib.colors import ListedColormap

    gx, gy = np.meshgrid(result.grid, result.grid)
    z = result.grid_labels[name]
    # class 0: orange, class 1: blue (as the course starter's plot, where the write-up's fig. 2c is all blue)
    ax.pcolormesh(
        gx, gy, z, cmap=ListedColormap(["#fdd9b5", "#b5d3fd"]), vmin=0, vmax=1, shading="auto"
    )
    if 0 < z.mean() < 1:
        ax.contour(gx, gy, z, levels=[0.5], colors="k", linewidths=1)
    x, y = np.asarray(test.x), np.asarray(test.y)
    ax.scatter(
        *x[y == 0].T,
        marker="o",
        s=16,
        c="#d9480f",
        edgecolors="k",
        linewidths=0.3,
        label="test y = 0 (outer ring)",
    )
    ax.scatter(*x[y == 1].T, marker="x", s=20, c="#1c4fb0", label="test y = 1 (inner disc)")
    lim = float(result.grid[-1])
    ax.set_title(TITLES[name], fontsize=11)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("x0")


def figures(result: PerceptronResult, data: dict, out_dir: Path) -> list[str]:
    """Draw the decision regions (orange = 0, blue = 1) of the dot, RBF and non-PSD perceptrons; save the PNG.

    Args:
      result: the computed §3 result (its grid labels).
      data: {"train", "test"} splits (the test points are drawn).
      out_dir: where the PNG goes.

    Returns:
      The saved file names.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 5.4))
    for ax, name in zip(axes, TITLES):
        _panel(ax, name, result, data["test"])
    axes[0].set_ylabel("x1")
    axes[0].legend(loc="lower left", fontsize=8, framealpha=0.9)
    fig.suptitle(
        "Kernel perceptron, one pass, alpha = 0.5: decision regions (orange = 0, blue = 1) "
        "and the test points",
        fontsize=12,
    )
    fig.tight_layout()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_dir / FIGURE, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return [FIGURE]
