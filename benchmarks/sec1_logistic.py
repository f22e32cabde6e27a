"""§1 logistic regression: gradient ascent on data set B (``jaxml.models.logistic.fit`` against its NumPy peer),
and the NumPy sum of the ``logreg_stability`` experiment (every gradient-ascent and hinge-SVM run it made, at the
step counts its results.json records).

Settings come from ``jaxml.experiments.logreg_stability.CONFIG``; the experiment's hand gradient
(``jaxml_derivations.logistic``) is the JAX side's, as in the experiment.
"""

from __future__ import annotations

import numpy as np
import numpy_peers as peers
from _bench import Ctx, Row, Term, rel, row

QUICK_STEPS = 20_000  # --quick: steps of the timed gradient ascent


def _config():
    from jaxml.experiments.logreg_stability import CONFIG

    return CONFIG


def bench_gradient_ascent(ctx: Ctx) -> list[Row]:
    """θ after T steps of α = CONFIG.alpha on B (T = the write-up's last recorded t, 250,000)."""
    import jax.numpy as jnp
    from jaxml_derivations import logistic as hand

    from jaxml.models import logistic

    config = _config()
    steps = QUICK_STEPS if ctx.quick else max(config.record)  # write-up §1(b): θ at t = 250,000
    b = ctx.data.logreg_stability()["b"]
    x_np = peers.add_intercept(b.x)
    x, y = jnp.asarray(x_np), jnp.asarray(b.y)

    def jax_fn():
        return logistic.fit(
            x,
            y,
            learning_rate=config.alpha,
            tol=config.tol,
            max_iterations=steps,
            gradient=hand.log_likelihood_grad,
            chunk_size=config.chunk,
        ).theta

    def numpy_fn():
        return peers.logistic_gradient_ascent(
            x_np, b.y, learning_rate=config.alpha, tol=config.tol, max_iterations=steps
        )["theta"]

    t = ctx.timed_pair("gradient_ascent", jax_fn, numpy_fn, kind="sequential")
    theta_j, theta_n = np.asarray(t["jax"].result), t["numpy"].result
    ratio = t["numpy"].median / t["jax"].median
    per_step = f"per step: JAX {t['jax'].median / steps * 1e6:.2f} µs, NumPy {t['numpy'].median / steps * 1e6:.2f} µs"
    return [
        row(
            "§1 gradient ascent",
            f"{steps:,} steps on B (100×3, α = {config.alpha:g}, ‖Δθ‖ check every step)",
            t,
            agreement=f"θ max rel diff {rel(theta_j, theta_n):.1e} (θ = {np.round(theta_j, 2).tolist()})",
            target="≥ 10×",
            met=(ratio >= 10) if ctx.full else None,
            note=per_step,
        )
    ]


BENCHES = [("gradient_ascent", bench_gradient_ascent)]


# ----------------------------------------------------------------------------------------------------------------
# the experiment's runs, replayed by the peers (reproduce benchmark)
# ----------------------------------------------------------------------------------------------------------------


def _run(x, y, steps: int, learning_rate: float, **options) -> dict:
    """One gradient-ascent run to replay: exactly ``steps`` steps (tol = 0)."""
    return {
        "x": x,
        "y": y,
        "max_iterations": int(steps),
        "learning_rate": float(learning_rate),
        **options,
    }


def _scaled_inputs(x_raw: np.ndarray, config) -> list[np.ndarray]:
    """The (c)(iii) inputs in the experiment's order: x ↦ c x for c in CONFIG.scalings, then standardised."""
    return [x_raw * c for c in config.scalings] + [(x_raw - x_raw.mean(0)) / x_raw.std(0)]


def _ascent_parts(r: dict, data, config, seed: int) -> dict[str, list[dict]]:
    """Every gradient-ascent run of the experiment, by part, with the step count results.json records."""
    xa, xb = peers.add_intercept(data["a"].x), peers.add_intercept(data["b"].x)
    ya, yb = data["a"].y, data["b"].y
    mods = r["modifications"]
    l2, stiff, noise = mods["l2"], mods["l2"]["stiffer"], mods["noise"]
    scaled = _scaled_inputs(np.asarray(data["b"].x), config)
    # (c)(v): B + σ N(0, I); a NumPy draw (the experiment's is a JAX draw: the step count is what is replayed)
    x_noisy = data["b"].x + noise["sigma"] * np.random.default_rng(seed).normal(
        size=np.shape(data["b"].x)
    )
    return {
        "(a) A to convergence, B to the cap": [
            _run(xa, ya, r["a_iterations"], r["learning_rate"]),
            _run(xb, yb, r["b_iterations"], r["learning_rate"]),
        ],
        "(c)(i) constant rates": [
            _run(xb, yb, s["iterations"], s["learning_rate"]) for s in mods["constant_lr"]["runs"]
        ],
        "(c)(ii) decreasing rates": [
            _run(xb, yb, s["iterations"], s["alpha0"], schedule_power=s["power"])
            for s in mods["decreasing_lr"]["runs"]
        ],
        "(c)(iii) scaled inputs": [
            _run(peers.add_intercept(xs), yb, s["iterations"], r["learning_rate"])
            for xs, s in zip(scaled, mods["scaling"]["runs"], strict=True)
        ],
        "(c)(iv) L2 penalty": [_run(xb, yb, l2["iterations"], l2["learning_rate"], l2=l2["lam"])]
        + [
            _run(xb, yb, s["iterations"], s["learning_rate"], l2=stiff["lam"])
            for s in stiff["runs"].values()
        ],
        "(c)(v) input noise": [
            _run(peers.add_intercept(x_noisy), yb, noise["iterations"], r["learning_rate"])
        ],
    }


def _ascents(runs: list[dict]):
    return lambda: [peers.logistic_gradient_ascent(tol=0.0, **run) for run in runs]


def reproduce_terms(ctx: Ctx, results: dict) -> list[Term]:
    """The §1 terms of the NumPy sum: the experiment's runs at its own step counts (read from ``results``)."""
    r = results.get("logreg_stability")
    if not r:
        return []
    config = _config()
    data = ctx.data.logreg_stability()
    terms = []
    for part, runs in _ascent_parts(r, data, config, ctx.seed).items():
        steps = sum(run["max_iterations"] for run in runs)
        terms.append(
            Term(
                "§1",
                "logreg_stability",
                f"gradient ascent {part}: {len(runs)} run(s), {steps:,} steps",
                _ascents(runs),
            )
        )
    # (d): the λ path at its run length, and the shorter run at the write-up's λ
    svm_runs = [(p["lam"], p["steps"]) for p in r["svm"]["path"]] + [
        (config.svm_lambda, config.svm_steps[0])
    ]
    xb, yb = peers.add_intercept(data["b"].x), data["b"].y
    terms.append(
        Term(
            "§1",
            "logreg_stability",
            f"(d) hinge SVM, Adam: {len(svm_runs)} runs, {sum(s for _, s in svm_runs):,} steps",
            lambda: [peers.linear_svm_adam(xb, yb, lam=lam, steps=s) for lam, s in svm_runs],
        )
    )
    return terms
