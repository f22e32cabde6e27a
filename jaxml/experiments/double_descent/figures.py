"""§4 figures: the double-descent curves (write-up figure 3) and the lasso paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .compute import DoubleDescentResult

FIGURES = ("double_descent.png", "lasso_path.png")


def label(scale: float) -> str:
    """The legend label of λ = scale · λ_opt."""
    if scale == 0:
        return "λ = 0"
    if scale == 1:
        return "λ = λ_opt"
    if scale < 1:
        return f"λ = λ_opt/{round(1 / scale)}"
    return f"λ = {scale:g} λ_opt"


def _double_descent(plt, result: DoubleDescentResult):
    grid, config = result.grid, result.config
    d, peak_value = grid.d, float(grid.val_err[config.scales.index(0.0)].max())
    fig, ax = plt.subplots(figsize=(8, 5))
    cmap = plt.get_cmap("viridis")
    for i, scale in enumerate(config.scales):
        style = {"color": cmap(i / len(config.scales)), "lw": 1.4}
        if scale == 1:
            style = {"color": "black", "lw": 2.6, "zorder": 5}
        ax.plot(grid.n_list, grid.val_err[i], marker="o", ms=3.5, label=label(scale), **style)
    ax.axvline(d, color="grey", ls=":", lw=1)
    ax.set_ylim(0, config.y_cap)
    ax.set_xlabel("number of training examples n")
    ax.set_ylabel("validation mean squared error")
    ax.set_title(
        f"Double descent and regularisation strength (d = {d}, σ = {config.sigma}, "
        f"λ_opt = σ²/η² = {d * config.sigma**2:g})"
    )
    if peak_value > config.y_cap:
        ax.annotate(
            f"λ = 0 at n = d: {peak_value:.4g}\n(off the chart)",
            xy=(d, config.y_cap),
            xytext=(d + 40, 1.8),
            arrowprops={"arrowstyle": "->", "color": "grey"},
            fontsize=8,
        )
    ax.legend(fontsize=8, ncol=3, loc="lower left")
    ax.grid(alpha=0.3)
    return fig


def _lasso(plt, result: DoubleDescentResult):
    paths, n_real, d_real, b_match = (
        result.paths,
        result.min_norm["n"],
        result.grid.d,
        result.laplace.b,
    )
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    for j in range(paths.theta_syn.shape[1]):
        active = paths.true_syn[j] != 0
        left.plot(
            paths.b_syn,
            paths.theta_syn[:, j],
            color="tab:red" if active else "tab:grey",
            lw=1.6 if active else 0.9,
            alpha=1.0 if active else 0.7,
        )
    left.set_xscale("log")
    left.invert_xaxis()
    left.axhline(0, color="black", lw=0.6)
    left.set_xlabel("Laplace scale b (shrinking →)")
    left.set_ylabel("θ_MAP coordinates")
    n_act = int(np.sum(paths.true_syn != 0))
    left.set_title(
        f"synthetic n = {result.config.synthetic_lasso[0]}, d = {len(paths.true_syn)}: "
        f"{n_act} true non-zeros (red)"
    )
    right.plot(paths.b_real, paths.nnz_real, marker="o", color="tab:blue")
    right.set_xscale("log")
    right.invert_xaxis()
    right.axvline(b_match, color="grey", ls=":", lw=1)
    right.text(b_match, n_real * 0.5, " b = η/√2\n (the variance of N(0, η²))", fontsize=8)
    right.axhline(n_real, color="grey", ls="--", lw=0.8)
    right.text(
        paths.b_real[0], n_real * 1.02, f"at most n = {n_real} non-zeros (n < d)", fontsize=8
    )
    right.set_ylim(0, n_real * 1.12)
    right.set_xlabel("Laplace scale b (shrinking →)")
    right.set_ylabel(f"non-zero coordinates of θ_MAP (of {d_real})")
    right.set_title("double-descent train200: Laplace MAP = lasso, γ = 2σ²/b")
    fig.suptitle("The Laplace MAP becomes sparse as b shrinks (FISTA, vmapped over b)")
    fig.tight_layout()
    return fig


def figures(result: DoubleDescentResult, data, out_dir: Path) -> list[str]:
    """Draw the validation-MSE curves per λ and the lasso paths; save both PNGs and return their names.

    Args:
      result: the computed §4 result.
      data: the double-descent files (unused: the figures need only the result).
      out_dir: where the PNGs go.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, draw in zip(FIGURES, (_double_descent, _lasso)):
        fig = draw(plt, result)
        fig.savefig(out_dir / name, dpi=120, bbox_inches="tight")
        plt.close(fig)
    return list(FIGURES)
