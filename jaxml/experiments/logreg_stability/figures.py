"""§1 figures: the decision boundaries on A and B (write-up figure 1) and the evidence for B's divergence."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from .compute import LogregStabilityResult

BOUNDARIES = "logreg_stability_boundaries.png"
EVIDENCE = "logreg_stability_evidence.png"


def _save(fig, out_dir: Path, name: str) -> str:
    """Save as ``out_dir/name`` (PNG, 120 dpi), close, return ``name``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_dir / name, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return name


def _boundary(ax, theta, xlim, **kw):
    """Draw θ₀ + θ₁x₁ + θ₂x₂ = 0, i.e. x₂ = −(θ₀ + θ₁x₁) / θ₂."""
    x1 = np.linspace(*xlim, 2)
    ax.plot(x1, -(theta[0] + theta[1] * x1) / theta[2], **kw)


def _figure_boundaries(r: LogregStabilityResult, data, out_dir) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    for ax, name in zip(axes, "ab"):
        x, y = data[name].x, data[name].y
        ax.scatter(*x[y == 1].T, marker="x", c="tab:blue", label="y = 1")
        ax.scatter(
            *x[y == 0].T, marker="o", facecolors="none", edgecolors="tab:green", label="y = 0"
        )
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.05, 1.05)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    lim = (-0.05, 1.05)
    _boundary(axes[0], r.a.theta, lim, c="k", label="gradient ascent (converged)")
    axes[0].set_title("Dataset A: not separable, gradient ascent converges")
    for (t, theta), style in zip(sorted(r.theta_b.items()), (":", "--", "-")):
        _boundary(axes[1], theta, lim, c="k", ls=style, label=f"logistic, t = {t:,}")
    label = f"hinge SVM (lambda = {r.config.svm_lambda:g})"
    _boundary(axes[1], r.svm.theta, lim, c="tab:red", lw=1, label=label)
    axes[1].set_title("Dataset B: separable, theta keeps growing")
    for ax in axes:
        ax.legend(loc="lower left", fontsize=7, framealpha=0.85)
    fig.suptitle("Decision boundaries of logistic regression (write-up figure 1)")
    return _save(fig, out_dir, BOUNDARIES)


def _figure_evidence(r: LogregStabilityResult, out_dir) -> str:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    trajectory = r.trajectory
    for traj, name, c in ((trajectory["a"], "A", "tab:green"), (trajectory["b"], "B", "tab:blue")):
        axes[0].plot(traj["iterations"], traj["theta_norm"], c=c, label=name)
        neg_ll = np.maximum(-np.asarray(traj["log_likelihood"]), 1e-300)
        axes[1].plot(traj["iterations"], neg_ll, c=c, label=name)
    axes[0].set(
        xscale="log",
        xlabel="iteration t",
        ylabel="||theta_t||",
        title="||theta_t||: A settles, B keeps growing",
    )
    axes[1].set(
        xscale="log",
        yscale="log",
        xlabel="iteration t",
        ylabel="-l(theta_t)",
        title="-l(theta_t): A levels off, B keeps falling",
    )
    ray = r.ray
    axes[2].plot(
        ray.scales,
        -np.asarray(ray.log_likelihood_b),
        "o-",
        c="tab:blue",
        label="B along its separator",
    )
    axes[2].plot(
        ray.scales,
        -np.asarray(ray.log_likelihood_a),
        "s-",
        c="tab:green",
        label="A along its MLE direction",
    )
    axes[2].set(
        xscale="log",
        yscale="log",
        xlabel="s (theta = s u, ||u|| = 1)",
        ylabel="-l(s u)",
        title="l along a ray: B rises to 0, A turns down",
    )
    for ax in axes:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, out_dir, EVIDENCE)


def figures(result: LogregStabilityResult, data, out_dir) -> list[str]:
    """Write the two PNGs into ``out_dir``; return their file names (in report order).

    Args:
      result: what :func:`compute` returned.
      data: {"a": Split, "b": Split}, the points to scatter.
      out_dir: folder for the PNGs.
    """
    return [_figure_boundaries(result, data, out_dir), _figure_evidence(result, out_dir)]
