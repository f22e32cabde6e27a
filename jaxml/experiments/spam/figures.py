"""§2 figures: SVM validation accuracy against the radius, and the words most indicative of spam."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .compute import SpamResult

RADIUS_FIGURE = "spam_radius.png"
TOKENS_FIGURE = "spam_top_tokens.png"


def _save(fig, out_dir: Path, name: str) -> str:
    import matplotlib.pyplot as plt

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    fig.savefig(Path(out_dir) / name, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return name


def radius_figure(r: SpamResult):
    """Validation accuracy (%) against the RBF radius: each seed, and the mean ± sd; the chosen radius marked."""
    import matplotlib.pyplot as plt

    radii, val = np.array(r.svm.radii), r.svm.val_accuracy
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for s in range(val.shape[0]):
        ax.plot(
            radii,
            100 * val[s],
            color="0.75",
            lw=0.8,
            marker=".",
            zorder=1,
            label="one seed" if s == 0 else None,
        )
    ax.errorbar(
        radii,
        100 * val.mean(0),
        yerr=100 * val.std(0, ddof=1),
        marker="o",
        color="C0",
        capsize=3,
        zorder=3,
        label=f"ours: mean ± sd over {val.shape[0]} seeds",
    )
    ax.axvline(
        r.svm.radii[r.svm.best_index],
        color="C2",
        ls=":",
        label=f"chosen radius {r.svm.radii[r.svm.best_index]:g}",
    )
    ax.set_xscale("log")
    ax.set_xlabel("RBF radius r   (K = exp(-||x - z||^2 / (2 r^2)))")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title("SVM: validation accuracy against kernel radius")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def tokens_figure(r: SpamResult):
    """The most indicative words by log(φ_{k|y=1} / φ_{k|y=0}), the top 5 in red."""
    import matplotlib.pyplot as plt

    top = r.nb.top_tokens
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(top) + 1.2))
    ax.barh(
        range(len(top)),
        [v for _, v in top],
        color=["C3" if k < 5 else "C0" for k in range(len(top))],
    )
    ax.set_yticks(range(len(top)))
    ax.set_yticklabels([repr(w) for w, _ in top], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlabel("log( phi_k|y=1 / phi_k|y=0 )")
    ax.set_title(f"Naive Bayes: the {len(top)} words most indicative of spam (top 5 in red)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def figures(result: SpamResult, out_dir: Path) -> list[str]:
    """Draw and save the §2 figures in ``out_dir``; returns their file names in report order."""
    return [
        _save(radius_figure(result), out_dir, RADIUS_FIGURE),
        _save(tokens_figure(result), out_dir, TOKENS_FIGURE),
    ]
