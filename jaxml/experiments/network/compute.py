"""§5–§6 numbers: the networks trained and built, the linear analysis, and the derivations through the verifier.

    compute(data, *, key, config=CONFIG) -> NNResult;   results_json(result) -> {"nn": ..., "batchnorm": ...}

Compilation is budgeted: the restarts train in one vmapped program, one program evaluates them, one computes the
linear network's collapse; one-shot post-processing is NumPy (the same IEEE operations as op-by-op JAX, so the
numbers are those of the op-by-op computation).
"""

from __future__ import annotations

import dataclasses
import functools
import time

import jax
import jax.numpy as jnp
import numpy as np

from ... import _bucketed_random as _draws
from ..._compile import quick_checks, quick_jit
from ...models import batchnorm, network
from ...placement import device_name, placed
from ...separability import (
    BestLinear,
    HullCertificate,
    Separability,
    best_linear,
    hull_certificate,
    separability,
)
from ...verify import Outcome, entries, run_entry, shared_programs
from .config import CONFIG, Config


@dataclasses.dataclass(frozen=True)
class SigmoidTraining:
    """§5(a): ``restarts`` sigmoid networks trained together; the one with the lowest final loss is kept."""

    W1: np.ndarray  # (h, 3) of the kept network
    W2: np.ndarray  # (h+1,)
    final_loss: np.ndarray  # (restarts,) L after the last step
    accuracy: np.ndarray  # (restarts,) training accuracy
    best: int  # index of the kept restart
    seconds: float


@dataclasses.dataclass(frozen=True)
class StepNetwork:
    """§5(b): a 2-3-1 step network built by reasoning (see :func:`step_weights`)."""

    W1: np.ndarray  # (3, 3), row k = [intercept, w_x1, w_x2] of hidden unit k+1
    W2: np.ndarray  # (4,) = [intercept, h1, h2, h3]
    offsets: np.ndarray  # (3,) b_k of the lines a_k · x = b_k
    gaps: list  # per side: (class-0 extreme, nearest class-1 point only this side rejects, how many such points)
    lines: list  # the lines in words
    margins: list  # distance from each line to the nearest point of its gap
    accuracy: float


@dataclasses.dataclass(frozen=True)
class LinearAnalysis:
    """§5(c): the linear network's collapse, exact separability, and the best linear classifier."""

    separability: Separability
    certificate: HullCertificate | None
    best: BestLinear
    network_accuracy: float  # the linear network trained by gradient descent
    W_tilde: np.ndarray  # (3,) its collapsed map
    collapse: dict  # {"random_weights": rel diff, "trained_weights": rel diff} of o vs W̃x̃
    majority: float  # accuracy of the majority class


@dataclasses.dataclass(frozen=True)
class BatchNormChecks:
    """§6: every batch-norm gradient at each batch shape, the v-path of ∂L/∂μ, and the layer in training."""

    reports: dict  # {formula: {(m, d): GradientReport}}
    v_path_at_mean: float  # max |v-path| / max |∂L/∂μ| at μ = the batch mean
    v_path_general: float  # ... at a general μ
    final_loss_hand: float  # the batch-norm network after training with the hand VJP
    final_loss_autodiff: float  # ... with autodiff of the plain layer
    max_abs_param_diff: float
    param_scale: float
    accuracy: float
    seconds: float


@dataclasses.dataclass(frozen=True)
class NNResult:
    """Everything the `nn` experiment computes (results.json keys ``nn`` and ``batchnorm``)."""

    n: int
    sigmoid: SigmoidTraining
    step: StepNetwork
    linear: LinearAnalysis
    outcomes: dict  # {derivation function name: verify Outcome} of jaxml_derivations.network
    batchnorm: BatchNormChecks
    device: str
    config: Config = CONFIG


# ----------------------------------------------------------------------------------------------------------
# §5(a): the sigmoid network, restarts trained together
# ----------------------------------------------------------------------------------------------------------


def init_networks(keys, *, hidden: int, scale: float) -> network.Network:
    """One network per key (:func:`jaxml.models.network.init`, entries N(0, scale²)), stacked (NumPy)."""
    nets = [network.init(2, hidden, key=k, scale=scale) for k in np.asarray(keys)]
    return network.Network(
        *(np.stack([np.asarray(leaf) for leaf in leaves]) for leaves in zip(*nets))
    )


@functools.partial(jax.jit, static_argnames=("learning_rate", "steps"))
def _fit_restarts(nets, x, y, *, learning_rate: float, steps: int):
    """``steps`` gradient-descent steps of every restart at once (vmapped :func:`jaxml.models.network.fit`)."""
    return jax.vmap(lambda net: network.fit(net, x, y, learning_rate=learning_rate, steps=steps))(
        nets
    )


@jax.jit
def _evaluate_restarts(nets, x, y):
    """Final loss and training accuracy of each restart."""
    final_loss = jax.vmap(lambda net: network.loss(net.W1, net.W2, x, y))(nets)
    accuracy = jax.vmap(lambda net: jnp.mean((network.predict(net, x) == y).astype(x.dtype)))(nets)
    return final_loss, accuracy


def train_sigmoid(x, y, nets, *, config: Config, progress=None) -> SigmoidTraining:
    """Train the restarts ``nets`` (stacked) for ``config.steps`` steps in chunks, and keep the best."""
    bar = progress.bar(config.steps, "sigmoid network") if progress else None
    start = time.perf_counter()
    for _ in range(config.steps // config.chunk):
        # empty losses at every chunk: one input shape, one compiled program
        nets = _fit_restarts(
            nets._replace(losses=np.zeros((config.restarts, 0))),
            x,
            y,
            learning_rate=config.learning_rate,
            steps=config.chunk,
        )
        jax.block_until_ready(nets)
        if bar:
            bar.update(config.chunk)
    if bar:
        bar.close()
    seconds = time.perf_counter() - start
    final_loss, accuracy = (np.asarray(a) for a in _evaluate_restarts(nets, x, y))
    best = int(np.argmin(final_loss))
    return SigmoidTraining(
        W1=np.asarray(nets.W1)[best],
        W2=np.asarray(nets.W2)[best],
        final_loss=final_loss,
        accuracy=accuracy,
        best=best,
        seconds=seconds,
    )


# ----------------------------------------------------------------------------------------------------------
# §5(b): the step network, by reasoning
# ----------------------------------------------------------------------------------------------------------


def line_name(a, b) -> str:
    """The hidden unit's line a · x = b in words: "x1 = 0.5", "x2 = 0.5", "x1 + x2 = 4"."""
    if a[1] == 0:
        return f"x1 = {b / a[0]:g}"
    if a[0] == 0:
        return f"x2 = {b / a[1]:g}"
    return f"{a[0]:g} x1 + {a[1]:g} x2 = {b:g}".replace("1 x", "x")


def step_weights(x: np.ndarray, y: np.ndarray, side_normals: np.ndarray) -> dict:
    """Weights of a 2-3-1 step network that carves out the class-0 triangle, and the reasoning's numbers.

    Hidden unit k fires when the point is beyond side k: h_k = step(a_k · x − b_k). The output fires when any
    hidden unit does: o = step(h_1 + h_2 + h_3 − 0.5). So the network predicts 0 exactly inside the triangle.
    Each offset b_k lies in the gap, along a_k, between class 0 (inner = max a_k · x over class 0) and the
    class-1 points that only side k can reject (those within the other two sides' class-0 extents): the
    midpoint, rounded to one decimal when the rounded value stays inside the gap.

    Returns:
      {"W1": (3, 3), "W2": (4,), "offsets": (3,), "gaps": [(inner, outer, count)] * 3}.
    """
    proj = x @ side_normals.T  # a_k · x, (n, 3)
    inner = proj[y == 0].max(axis=0)
    offsets, gaps = [], []
    for k in range(3):
        others = [j for j in range(3) if j != k]
        only_k = (y == 1) & np.all(proj[:, others] <= inner[others], axis=1)
        outer = float(proj[only_k, k].min()) if np.any(only_k) else float(inner[k]) + 1.0
        mid = 0.5 * (inner[k] + outer)
        b = round(mid, 1) if inner[k] < round(mid, 1) < outer else mid
        offsets.append(float(b))
        gaps.append((float(inner[k]), outer, int(only_k.sum())))
    b = np.array(offsets)
    W1 = np.concatenate([-b[:, None], side_normals], axis=1)  # row k: h_k = step(−b_k + a_k · x)
    # o = step(−0.5 + h_1 + h_2 + h_3): "any hidden unit fires"
    W2 = np.array([-0.5, 1.0, 1.0, 1.0])
    return {"W1": W1, "W2": W2, "offsets": b, "gaps": gaps}


@quick_jit  # one-shot labels
def _predict_step(W1, W2, x):
    return network.predict_step(network.Network(W1, W2, jnp.zeros((0,), x.dtype)), x)


def build_step_network(x_np: np.ndarray, y_np: np.ndarray, x, *, config: Config) -> StepNetwork:
    """§5(b): the step network's weights by reasoning, its accuracy, and each line's margin."""
    normals = np.asarray(config.side_normals)
    sw = step_weights(x_np, y_np, normals)
    accuracy = float(np.mean(np.asarray(_predict_step(sw["W1"], sw["W2"], x)) == y_np))
    # margin of each hidden line: distance from the line to the nearest point of its gap (both classes)
    margins = [
        min(b - inner, outer - b) / float(np.linalg.norm(a))
        for a, b, (inner, outer, _) in zip(normals, sw["offsets"], sw["gaps"])
    ]
    lines = [line_name(a, b) for a, b in zip(normals, sw["offsets"])]
    return StepNetwork(
        W1=sw["W1"],
        W2=sw["W2"],
        offsets=sw["offsets"],
        gaps=sw["gaps"],
        lines=lines,
        margins=margins,
        accuracy=accuracy,
    )


# ----------------------------------------------------------------------------------------------------------
# §5(c): the linear network and exact linear analysis
# ----------------------------------------------------------------------------------------------------------


@jax.jit
def _linear_outputs(nets, x):
    """For each network (stacked): its outputs o with linear activation, W̃ and W̃x̃ (o = W̃x̃ is §5(c))."""

    def one(net):
        W_tilde = network.collapse(net)
        return (
            network.forward(net.W1, net.W2, x, activation=network.linear),
            network.add_intercept(x) @ W_tilde,
            W_tilde,
            network.predict(net, x, activation=network.linear),
        )

    return jax.vmap(one)(nets)


def analyse_linear(x_np, y_np, x, y, random_net, *, config: Config) -> LinearAnalysis:
    """§5(c): train the linear network, check o = W̃x̃ at random and trained weights, decide separability."""
    trained = network.fit(
        random_net,
        x,
        y,
        learning_rate=config.linear_learning_rate,
        steps=config.linear_steps,
        activation=network.linear,
    )
    # the random and the trained weights, stacked
    both = network.Network(
        np.stack([random_net.W1, trained.W1]),
        np.stack([random_net.W2, trained.W2]),
        np.zeros((2, 0)),
    )
    o_net, o_tilde, W_tilde, labels = (np.asarray(a) for a in _linear_outputs(both, x))
    collapse = {
        label: float(np.max(np.abs(o_net[i] - o_tilde[i])) / np.max(np.abs(o_net[i])))
        for i, label in enumerate(("random_weights", "trained_weights"))
    }
    sep = separability(x_np, y_np)
    return LinearAnalysis(
        separability=sep,
        certificate=None if sep.separable else hull_certificate(x_np, y_np),
        best=best_linear(x_np, y_np),
        network_accuracy=float(np.mean(labels[1] == y_np)),
        W_tilde=W_tilde[1],
        collapse=collapse,
        majority=float(max(np.mean(y_np), 1 - np.mean(y_np))),
    )


# ----------------------------------------------------------------------------------------------------------
# the derivations, through the verifier
# ----------------------------------------------------------------------------------------------------------


def verify_network_derivations(key, *, config: Config) -> dict[str, Outcome]:
    """Every verifier entry of ``jaxml_derivations.network`` at ``config.points`` points: {function name: Outcome}."""
    import jaxml_derivations.network  # noqa: F401  (declares the entries)

    return {
        e.fn.__name__: run_entry(e, points=config.points, key=_draws.fold_in(key, i))
        for i, e in enumerate(entries("jaxml_derivations.network"))
    }


def check_batchnorm(
    x, y, k_bn, k_init, *, config: Config, device_override: str | None = None
) -> BatchNormChecks:
    """§6: every formula at each batch shape, the v-path of ∂L/∂μ, and the layer inside a jitted training loop."""
    from jaxml_derivations import batchnorm as bn_derivations

    with quick_checks():  # a check that runs once (see jaxml._compile)
        reports = bn_derivations.check_shapes(config.bn_shapes, points=config.points, key=k_bn)
        v_path_at_mean, v_path_general = bn_derivations.v_path_ratios(
            _draws.fold_in(k_bn, 7), points=config.points
        )
    with placed("sequential", device_override):
        net = batchnorm.init(2, config.hidden, key=k_init)
        start = time.perf_counter()
        hand = batchnorm.fit(
            net,
            x,
            y,
            learning_rate=config.bn_learning_rate,
            steps=config.bn_train_steps,
            layer=batchnorm.layer,
        )
        auto = batchnorm.fit(
            net,
            x,
            y,
            learning_rate=config.bn_learning_rate,
            steps=config.bn_train_steps,
            layer=batchnorm.reference,
        )
        jax.block_until_ready((hand, auto))
        seconds = time.perf_counter() - start
        accuracy = float(np.mean(np.asarray(_predict_batchnorm(hand, x)) == np.asarray(y)))
    hand_p = [np.asarray(a) for a in (hand.W1, hand.gamma, hand.beta, hand.W2)]
    auto_p = [np.asarray(a) for a in (auto.W1, auto.gamma, auto.beta, auto.W2)]
    return BatchNormChecks(
        reports=reports,
        v_path_at_mean=v_path_at_mean,
        v_path_general=v_path_general,
        final_loss_hand=float(np.asarray(hand.losses)[-1]),
        final_loss_autodiff=float(np.asarray(auto.losses)[-1]),
        max_abs_param_diff=max(float(np.max(np.abs(a - b))) for a, b in zip(hand_p, auto_p)),
        param_scale=max(float(np.max(np.abs(b))) for b in auto_p),
        accuracy=accuracy,
        seconds=seconds,
    )


_predict_batchnorm = quick_jit(batchnorm.predict)  # one-shot labels


# ----------------------------------------------------------------------------------------------------------
# the experiment's numbers
# ----------------------------------------------------------------------------------------------------------


def compute(
    data, *, key, config: Config = CONFIG, progress=None, device_override: str | None = None
) -> NNResult:
    """Run §5 and §6 on ``data`` (a :class:`jaxml.data.DataSource`); deterministic given ``key``.

    Args:
      data: the data source (real files or synthetic stand-ins); uses ``data.simple_nn()``.
      key: PRNG key (split here, never reused).
      config: the settings (:data:`CONFIG`).
      progress: a :class:`jaxml.experiments.Progress`, or None for silence.
      device_override: the placement override (``--device``).

    Returns:
      :class:`NNResult`.
    """
    k_init, k_verify, k_bn, k_bn_init, k_collapse = _draws.split_list(key, 5)
    split = data.simple_nn()
    x_np, y_np = np.asarray(split.x, np.float64), np.asarray(split.y, np.float64)
    with placed("sequential", device_override) as seq_device:
        x, y = jnp.asarray(x_np), jnp.asarray(y_np)
        restarts = init_networks(
            _draws.split(k_init, config.restarts), hidden=config.hidden, scale=config.init_scale
        )
        linear_net = network.init(2, config.hidden, key=k_collapse)
        if progress:
            progress.log(
                f"nn: training {config.restarts} sigmoid networks, {config.steps} gradient-descent steps each"
            )
        sigmoid = train_sigmoid(x, y, restarts, config=config, progress=progress)
        step = build_step_network(x_np, y_np, x, config=config)
        linear = analyse_linear(x_np, y_np, x, y, linear_net, config=config)
    # checks of the same function at the same shapes share one compiled program (bit-identical results)
    with placed("batched", device_override) as batch_device, shared_programs():
        if progress:
            progress.log("nn: verifying the network derivations")
        with quick_checks():  # a check that runs once (see jaxml._compile)
            outcomes = verify_network_derivations(k_verify, config=config)
        if progress:
            progress.log(f"nn: verifying the batch-norm derivations at batches {config.bn_shapes}")
        bn = check_batchnorm(x, y, k_bn, k_bn_init, config=config, device_override=device_override)
    device = f"{device_name(seq_device)} (training), {device_name(batch_device)} (verification)"
    return NNResult(
        n=len(y_np),
        sigmoid=sigmoid,
        step=step,
        linear=linear,
        outcomes=outcomes,
        batchnorm=bn,
        device=device,
        config=config,
    )


# ----------------------------------------------------------------------------------------------------------
# results.json
# ----------------------------------------------------------------------------------------------------------

INDEX_CONVENTION = (
    "W¹₁,₂ = weight from input x₁ into hidden unit 2 (the course's w^[1]_{i,j}: input i -> hidden j; the write-up's "
    "update uses W²₂) = W1[1, 1] in code (row = hidden unit, 0-based; column 0 = intercept, column i = x_i)"
)

BN_DOWNSTREAM_LOSS = "L(y) = Σ c ⊙ tanh(y) + ½‖A vec(y)‖², c and A random per point"


def outcome_json(o: Outcome) -> dict:
    """One verifier outcome as results.json records it."""
    return {
        "verdict": o.verdict,
        "ok": o.as_expected,
        "diagnosis": o.diagnosis,
        "erratum": o.erratum,
        "equation": o.equation,
        "max_rel_error": float(o.max_rel_error),
        "points": o.points,
    }


def _step_json(step: StepNetwork) -> dict:
    return {
        "W1": step.W1.tolist(),
        "W2": step.W2.tolist(),
        "convention": "W1[k] = [intercept, w_x1, w_x2] of hidden unit k+1; W2 = [intercept, h1, h2, h3]; "
        f"step(z) = 1 if z >= {network.STEP_THRESHOLD:g} else 0 on hidden and output units",
        "lines": step.lines,
        "gaps": [
            {
                "class0_extreme": g[0],
                "nearest_class1_only_this_side": g[1],
                "class1_points_this_side": g[2],
            }
            for g in step.gaps
        ],
        "margins": step.margins,
    }


def _linear_json(lin: LinearAnalysis) -> dict:
    sep, best = lin.separability, lin.best
    if sep.separable:
        witness = {"w": sep.w.tolist(), "b": sep.b, "margin_l2": sep.margin_l2}
    else:
        certificate = None
        if lin.certificate:
            certificate = {
                k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(lin.certificate).items()
            }
        witness = {
            "hull_point": sep.hull_point.tolist(),
            "hull_residual": sep.hull_residual,
            "exact_certificate": certificate,
        }
    return {
        "linear_separable": bool(sep.separable),
        "linear_separability_witness": witness,
        "linear_best_accuracy": best.accuracy,
        "linear_best_accuracy_upper_bound": best.upper_bound,
        "linear_best_accuracy_exact": best.exact,
        "linear_best_classifier": {"w": best.w.tolist(), "b": best.b},
        "linear_network_accuracy": lin.network_accuracy,
        "linear_network_W_tilde": lin.W_tilde.tolist(),
        "linear_collapse_max_rel_diff": lin.collapse,
        "majority_class_accuracy": lin.majority,
    }


def _nn_json(r: NNResult) -> dict:
    c, sig, out = r.config, r.sigmoid, r.outcomes
    w12 = out["writeup_w12"]
    return {
        "dtype": c.dtype,
        "n": r.n,
        "sigmoid_train_accuracy": float(sig.accuracy[sig.best]),
        "sigmoid_training": {
            "hidden": c.hidden,
            "restarts": c.restarts,
            "init_scale": c.init_scale,
            "learning_rate": c.learning_rate,
            "steps": c.steps,
            "selected_by": "lowest final training loss",
            "final_loss": float(sig.final_loss[sig.best]),
            "accuracy_per_restart": [float(a) for a in sig.accuracy],
            "final_loss_per_restart": sig.final_loss.tolist(),
            "seconds": sig.seconds,
            "W1": sig.W1.tolist(),
            "W2": sig.W2.tolist(),
        },
        "step_accuracy": r.step.accuracy,
        "step_weights": _step_json(r.step),
        **_linear_json(r.linear),
        "backprop": {name: outcome_json(out[name]) for name in ("dL_dW2", "dL_dW1", "dL_dW12")},
        "writeup_eq9": outcome_json(out["writeup_eq9"]),
        "writeup_eq10": outcome_json(out["writeup_eq10"]),
        "writeup_eq10_literal": outcome_json(out["writeup_eq10_literal"]),
        "writeup_w12": {
            **outcome_json(out["writeup_w12_sigma_argument"]),
            "generic_diagnosis": w12.diagnosis,
            "as_written_entry_verdict": w12.verdict,
        },
        "index_convention": INDEX_CONVENTION,
        "verification_points": c.points,
    }


def bn_summary(bn: BatchNormChecks) -> tuple[dict, dict]:
    """({formula: worst max rel error over the shapes}, {formula: passed at every shape})."""
    worst = {
        name: max(float(r.max_rel_error) for r in by_shape.values())
        for name, by_shape in bn.reports.items()
    }
    ok = {name: all(r.ok for r in by_shape.values()) for name, by_shape in bn.reports.items()}
    return worst, ok


def _bn_json(r: NNResult) -> dict:
    c, bn = r.config, r.batchnorm
    worst, ok = bn_summary(bn)
    return {
        "dtype": c.dtype,
        **worst,
        "all_pass": all(ok.values()),
        "pass": ok,
        "shapes": [list(s) for s in c.bn_shapes],
        "points_per_shape": c.points,
        "by_shape": {
            name: {f"{m}x{d}": float(rep.max_rel_error) for (m, d), rep in by_shape.items()}
            for name, by_shape in bn.reports.items()
        },
        "downstream_loss": BN_DOWNSTREAM_LOSS,
        "dL_dmu_v_path_at_batch_mean": bn.v_path_at_mean,
        "dL_dmu_v_path_at_general_mu": bn.v_path_general,
        "training": {
            "model": "o = W2 · [1, σ(BN(W1 x̃))] on simple_nn, full-batch gradient descent, jitted lax.scan",
            "steps": c.bn_train_steps,
            "learning_rate": c.bn_learning_rate,
            "final_loss_hand_vjp": bn.final_loss_hand,
            "final_loss_autodiff": bn.final_loss_autodiff,
            "max_abs_param_diff": bn.max_abs_param_diff,
            "param_scale": bn.param_scale,
            "accuracy": bn.accuracy,
            "seconds_both": bn.seconds,
        },
    }


def results_json(result: NNResult) -> dict:
    """The results.json sections of the experiment: {"nn": {...}, "batchnorm": {...}}."""
    return {"nn": _nn_json(result), "batchnorm": _bn_json(result)}
