"""§3 compute: the kernel perceptron on the course's rings (dot, RBF, non-PSD; dual == primal) and at scale.

Compiled programs (issue #11): the five passes over the 200 training points run as ONE jitted program, every
margin the experiment needs (train + test points for five kernels, the figure's grid for three) as one more, the
dual == primal comparison one per feature map, the 20,000-point rings one, the scale pass and its predictions
one each. The Gram matrices stay op-by-op: their eigenvalues are rounding-level numbers and jit would fuse the
RBF kernel differently.
"""

from __future__ import annotations

import dataclasses
import functools
import time

import jax
import numpy as np

from jaxml.models import kernels, perceptron
from jaxml.placement import device_name, placed

from .._registry import Progress
from .config import CONFIG, TITLES, Config

FIGURE_KERNELS = tuple(TITLES)  # dot, rbf, non_psd: the write-up's three kernels (fig. 2)


def _identity_kernel(x, z):
    """The PSD mirror image of the non-PSD kernel (+1 instead of -1 on coincident points; Gram = +I)."""
    return -kernels.non_psd(x, z)


@dataclasses.dataclass(frozen=True)
class Scores:
    """Accuracies of one trained perceptron: train / test accuracy and the share of test points predicted 1."""

    train_accuracy: float
    test_accuracy: float
    predicted_positive_fraction: float


@dataclasses.dataclass(frozen=True)
class ScaleRun:
    """The RBF perceptron on ``n`` synthetic ring points (train and test each), O(n) memory per step."""

    n: int
    fit_seconds: float  # includes compilation of the chunked scan
    predict_seconds: float  # includes compilation
    block_rows: int
    test_accuracy: float


@dataclasses.dataclass(frozen=True)
class PerceptronResult:
    """Everything §3 measures (numbers only; ``results_json`` gives the results.json section).

    Attributes:
      config: the settings used.
      scores: "dot", "rbf", "non_psd", "identity", "polynomial" -> :class:`Scores`.
      gram_min_eigenvalue: "dot", "rbf", "non_psd" -> smallest eigenvalue of the 200 x 200 training Gram matrix.
      gram_is_minus_identity: the non-PSD Gram matrix equals -I exactly.
      min_pairwise_squared_distance: the closest two training points.
      online_margins_all_zero, beta_equals_alpha_times_y_minus_1: the non-PSD pass against the hand result.
      dual_primal: "dot", "polynomial" -> the :class:`jaxml_derivations.perceptron.DualPrimalReport`.
      scale: the 20,000-point run.
      n_train, n_eval: training points; train + test points compared by dual == primal.
      grid: (G,) grid coordinates of the figure, ``grid_labels`` name -> (G, G) predicted labels.
      devices: (sequential device, batched device) names.
    """

    config: Config
    scores: dict
    gram_min_eigenvalue: dict
    gram_is_minus_identity: bool
    min_pairwise_squared_distance: float
    online_margins_all_zero: bool
    beta_equals_alpha_times_y_minus_1: bool
    dual_primal: dict
    scale: ScaleRun
    n_train: int
    n_eval: int
    grid: np.ndarray
    grid_labels: dict
    devices: tuple


@functools.partial(jax.jit, static_argnames=("kernel_fns", "alpha"))
def _fit_all(x, y, *, kernel_fns, alpha):
    """One pass per kernel over the same training set, all in one compiled program."""
    return tuple(perceptron.fit(x, y, kernel=k, alpha=alpha) for k in kernel_fns)


@jax.jit
def _margins_all(models, grid_models, x_eval, grid):
    """Margins of ``models`` at ``x_eval`` and of ``grid_models`` on the figure's grid, in one program."""
    at_eval = tuple(perceptron.margin(m, x_eval) for m in models)
    on_grid = tuple(perceptron.margin(m, grid) for m in grid_models)
    return at_eval, on_grid


@functools.partial(jax.jit, static_argnames=("n",))
def _scale_rings(key, n):
    """Fresh train and test sets of n ring points each (the course's generator), one program."""
    from jaxml_derivations.perceptron import rings

    k_train, k_test = jax.random.split(key)
    return rings(k_train, n), rings(k_test, n)


def _scores(labels: np.ndarray, y_train: np.ndarray, y_test: np.ndarray) -> Scores:
    n = len(y_train)
    train, test = labels[:n], labels[n:]
    return Scores(
        float(np.mean(train == y_train)), float(np.mean(test == y_test)), float(np.mean(test))
    )


@functools.partial(jax.jit, static_argnames=("kernel_fns",))
def _gram_matrices(x, *, kernel_fns):
    """G_ij = K(x_i, x_j) for each kernel, one program (the same values as op by op)."""
    return tuple(kernels.gram(k, x) for k in kernel_fns)


def _grams(kernel_fns: dict, x_train) -> tuple[dict, np.ndarray]:
    """Smallest eigenvalue of each kernel's 200 x 200 training Gram matrix (n is fixed by the data file)."""
    matrices = _gram_matrices(x_train, kernel_fns=tuple(kernel_fns.values()))
    grams = {name: np.asarray(g) for name, g in zip(kernel_fns, matrices)}
    return {name: kernels.min_eigenvalue(g) for name, g in grams.items()}, grams["non_psd"]


def _scale_run(key, config: Config, progress: Progress, device) -> ScaleRun:
    """The RBF perceptron on config.scale_n fresh ring points: a chunked pass (progress bar), blocked predictions."""
    n = config.scale_n
    (x_big, y_big), (x_test, y_test) = (
        tuple(np.asarray(a) for a in s) for s in _scale_rings(key, n)
    )
    progress.log(f"    perceptron [rbf] at scale: {n} synthetic ring points, O(n) memory per step")
    bar = progress.bar(n, "perceptron pass")
    done = [0]

    def on_chunk(k, _):
        bar.update(k - done[0])
        done[0] = k

    rbf = functools.partial(kernels.rbf, sigma=config.sigma)
    with placed("sequential", device):
        start = time.perf_counter()
        model = perceptron.fit(
            x_big,
            y_big,
            kernel=rbf,
            alpha=config.alpha,
            chunk_size=config.scale_chunk,
            on_chunk=on_chunk,
        )
        jax.block_until_ready(model.beta)
        fit_seconds = time.perf_counter() - start
    bar.close()
    # rows of test points per block: each block holds about config.block_values kernel values
    block = max(1, min(n, config.block_values // n))
    with placed("batched", device):
        start = time.perf_counter()
        margin = np.asarray(perceptron.margin(model, x_test, block_size=block))
        predict_seconds = time.perf_counter() - start
    accuracy = float(np.mean((margin >= 0).astype(np.float64) == y_test))  # h = g(margin)
    return ScaleRun(n, round(fit_seconds, 3), round(predict_seconds, 3), block, accuracy)


def _grid(x_all: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The figure's square grid [-lim, lim]² around the data: (axis (G,), points (G², 2))."""
    lim = float(np.ceil(np.max(np.abs(x_all)) + 0.5))
    axis = np.linspace(-lim, lim, size)
    gx, gy = np.meshgrid(axis, axis)
    return axis, np.stack([gx.ravel(), gy.ravel()], axis=1)


def compute(
    data: dict,
    *,
    key,
    config: Config = CONFIG,
    progress: Progress | None = None,
    device: str | None = None,
) -> PerceptronResult:
    """Run §3: three kernels (and two contrasts) on the course's rings, dual == primal, and the scale run.

    Args:
      data: {"train", "test"} -> Split (x (200, 2), y (200,) in {0, 1}), as ``DataSource.perceptron()`` gives.
      key: PRNG key (the scale run's fresh rings).
      config: the settings.
      progress: where to log (default: quiet).
      device: the placement override ("cpu", "gpu", "auto" or None).

    Returns:
      A :class:`PerceptronResult`.
    """
    from jaxml_derivations import (
        perceptron as hand,  # the dual == primal check and the non-PSD hand result
    )

    progress = progress or Progress(quiet=True)
    train, test = data["train"], data["test"]
    x_train, y_train = np.asarray(train.x), np.asarray(train.y)
    x_eval = np.concatenate([x_train, np.asarray(test.x)])  # train then test points
    kernel_fns = {
        "dot": kernels.dot,
        "rbf": functools.partial(kernels.rbf, sigma=config.sigma),
        "non_psd": functools.partial(kernels.non_psd, eps=config.non_psd_eps),
        "identity": _identity_kernel,
        "polynomial": kernels.polynomial,  # (1 + x^T z)^2
    }
    progress.log(
        f"    perceptron [{', '.join(kernel_fns)}]: one pass each over {len(y_train)} training points"
    )
    with placed("sequential", device) as seq_device:  # 200-step passes: launch latency dominates
        fitted = _fit_all(
            x_train, y_train, kernel_fns=tuple(kernel_fns.values()), alpha=config.alpha
        )
    models = dict(zip(kernel_fns, fitted))
    axis, grid = _grid(x_eval, config.grid)
    with placed("batched", device) as batch_device:
        at_eval, on_grid = _margins_all(
            fitted, tuple(models[k] for k in FIGURE_KERNELS), x_eval, grid
        )
        # the predicted labels g(margin), g(z) = 1 if z >= 0 else 0
        labels = {
            name: (np.asarray(m) >= 0).astype(np.float64) for name, m in zip(kernel_fns, at_eval)
        }
        gram_eigs, gram_non_psd = _grams({k: kernel_fns[k] for k in FIGURE_KERNELS}, x_train)
        dual_primal = {
            name: hand.dual_equals_primal(
                name,
                kernel_fns[name],
                phi,
                x_train,
                y_train,
                x_eval,
                alpha=config.alpha,
                model=models[name],
            )
            for name, phi in (("dot", hand.phi_dot), ("polynomial", hand.phi_poly2))
        }
    for report in dual_primal.values():
        progress.log(f"    {report}")
    sq_dist = np.sum((x_train[:, None, :] - x_train[None, :, :]) ** 2, axis=-1)
    non_psd = models["non_psd"]
    return PerceptronResult(
        config=config,
        scores={name: _scores(lab, y_train, np.asarray(test.y)) for name, lab in labels.items()},
        gram_min_eigenvalue=gram_eigs,
        gram_is_minus_identity=bool(np.array_equal(gram_non_psd, -np.eye(len(y_train)))),
        min_pairwise_squared_distance=float(np.min(sq_dist[~np.eye(len(y_train), dtype=bool)])),
        online_margins_all_zero=bool(np.all(np.asarray(non_psd.online_margin) == 0.0)),
        beta_equals_alpha_times_y_minus_1=bool(
            np.array_equal(
                np.asarray(non_psd.beta), hand.non_psd_beta_by_hand(y_train, config.alpha)
            )
        ),
        dual_primal=dual_primal,
        scale=_scale_run(key, config, progress, device),
        n_train=len(y_train),
        n_eval=len(x_eval),
        grid=axis,
        grid_labels={
            name: (np.asarray(m) >= 0).reshape(len(axis), len(axis)).astype(np.float64)
            for name, m in zip(FIGURE_KERNELS, on_grid)
        },
        devices=(device_name(seq_device), device_name(batch_device)),
    )


def results_json(result: PerceptronResult) -> dict:
    """The ``perceptron`` section of results.json (plain numbers; stable key names: runs are compared by them)."""
    config, scores = result.config, result.scores
    out: dict = {
        "dtype": "float64",
        "alpha": config.alpha,
        "rbf_sigma": config.sigma,
        "non_psd_eps": config.non_psd_eps,
    }
    for name in FIGURE_KERNELS:
        out[name] = {
            **dataclasses.asdict(scores[name]),
            "gram_min_eigenvalue": result.gram_min_eigenvalue[name],
        }
    out["non_psd_min_eigenvalue"] = result.gram_min_eigenvalue["non_psd"]
    out["non_psd_detail"] = {
        "gram_is_minus_identity": result.gram_is_minus_identity,
        "min_pairwise_squared_distance": result.min_pairwise_squared_distance,
        "online_margins_all_zero": result.online_margins_all_zero,
        "beta_equals_alpha_times_y_minus_1": result.beta_equals_alpha_times_y_minus_1,
    }
    identity = scores["identity"]
    out["identity_kernel_contrast"] = {
        "train_accuracy": identity.train_accuracy,
        "test_accuracy": identity.test_accuracy,
    }
    out["dual_equals_primal"] = {k: r.max_abs_error for k, r in result.dual_primal.items()}
    out["dual_equals_primal_detail"] = {
        k: {
            "max_rel_error": r.max_rel_error,
            "ok": r.ok,
            "coefficients_equal": r.coefficients_equal,
            "labels_agree": r.labels_agree,
            "n_eval": r.n_eval,
        }
        for k, r in result.dual_primal.items()
    }
    poly = scores["polynomial"]
    out["polynomial"] = {"train_accuracy": poly.train_accuracy, "test_accuracy": poly.test_accuracy}
    scale = result.scale
    out["scale"] = {
        "n_train": scale.n,
        "n_test": scale.n,
        "kernel": "rbf",
        "fit_seconds": scale.fit_seconds,
        "predict_seconds": scale.predict_seconds,
        "predict_block_rows": scale.block_rows,
        "test_accuracy": scale.test_accuracy,
        "peak_kernel_values_per_block": scale.block_rows * scale.n,
        "n_by_n_gram_values_avoided": scale.n * scale.n,
    }
    return out
