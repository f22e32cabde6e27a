"""§3 the kernel perceptron (``jaxml.models.perceptron`` with ``jaxml.models.kernels`` against the NumPy peer):
the write-up's three kernels on the course's 200 points, and the RBF pass at the experiment's scale; and the NumPy
sum of the ``perceptron`` experiment (five kernels, the figure's grid, the Gram spectra, the scale run).

Settings (α, σ, the non-PSD ε, the scale run's n, the grid) come from ``jaxml.experiments.perceptron.CONFIG``;
the ring points from ``jaxml_derivations.perceptron.rings``, the generator the experiment uses.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy_peers as peers
from _bench import Ctx, Row, Term, maxabs, row

QUICK_SCALE_N = 2_000  # --quick: ring points of the scale benchmark


def _config():
    from jaxml.experiments.perceptron import CONFIG

    return CONFIG


def _figure_kernels() -> tuple[str, ...]:
    """The write-up's three kernels (fig. 2), in its order: dot, rbf, non_psd."""
    from jaxml.experiments.perceptron.config import TITLES

    return tuple(TITLES)


def kernel_pairs(config) -> dict[str, tuple]:
    """name -> (the jaxml kernel, the peer's keyword arguments), with the experiment's σ and ε."""
    from jaxml.models import kernels

    return {
        "dot": (kernels.dot, {"kernel": "dot"}),
        "rbf": (
            functools.partial(kernels.rbf, sigma=config.sigma),
            {"kernel": "rbf", "sigma": config.sigma},
        ),
        "non_psd": (
            functools.partial(kernels.non_psd, eps=config.non_psd_eps),
            {"kernel": "non_psd", "eps": config.non_psd_eps},
        ),
        # the PSD mirror image of the non-PSD kernel (the experiment's contrast)
        "identity": (
            lambda x, z: -kernels.non_psd(x, z, eps=config.non_psd_eps),
            {"kernel": "identity", "eps": config.non_psd_eps},
        ),
        "polynomial": (kernels.polynomial, {"kernel": "polynomial"}),
    }


def scale_rings(key, n: int):
    """Train and test sets of n ring points each, as the experiment's scale run draws them from its key."""
    import jax
    from jaxml_derivations.perceptron import rings

    k_train, k_test = jax.random.split(key)
    return tuple(tuple(np.asarray(a) for a in rings(k, n)) for k in (k_train, k_test))


def bench_perceptron(ctx: Ctx) -> list[Row]:
    """One pass over the 200 training points and predictions on the 200 test points, per figure kernel."""
    from jaxml.models import perceptron

    config, names = _config(), _figure_kernels()
    pairs = kernel_pairs(config)
    data = ctx.data.perceptron()
    tr, te = data["train"], data["test"]

    def jax_fn():
        out = {}
        for name in names:
            model = perceptron.fit(tr.x, tr.y, kernel=pairs[name][0], alpha=config.alpha)
            out[name] = (model.beta, perceptron.predict(model, te.x))
        return out

    def numpy_fn():
        out = {}
        for name in names:
            beta = peers.kernel_perceptron_fit(tr.x, tr.y, alpha=config.alpha, **pairs[name][1])
            out[name] = (beta, peers.kernel_perceptron_predict(tr.x, beta, te.x, **pairs[name][1]))
        return out

    t = ctx.timed_pair(
        "perceptron", jax_fn, numpy_fn, kind="sequential", repeats=max(ctx.repeats, 11)
    )
    rj, rn = t["jax"].result, t["numpy"].result
    agree = "; ".join(
        f"{k}: β max diff {maxabs(rj[k][0], rn[k][0]):.0e}, labels equal "
        f"{np.array_equal(np.asarray(rj[k][1]), rn[k][1])}"
        for k in names
    )
    return [
        row(
            "§3 kernel perceptron",
            f"{len(names)} kernels ({', '.join(names)}): one pass over {len(tr.y)} + "
            f"predict {len(te.y)}",
            t,
            agreement=agree,
        )
    ] + _bench_scale(ctx, config, pairs["rbf"])


def _bench_scale(ctx: Ctx, config, rbf) -> list[Row]:
    """The RBF pass over CONFIG.scale_n ring points and the predictions on as many fresh ones."""
    import jax

    from jaxml.models import perceptron

    n = QUICK_SCALE_N if ctx.quick else config.scale_n
    (x, y), (x_test, _) = scale_rings(jax.random.PRNGKey(ctx.seed), n)
    block = max(1, min(n, config.block_values // n))  # the experiment's prediction blocks

    def jax_fn():
        model = perceptron.fit(
            x, y, kernel=rbf[0], alpha=config.alpha, chunk_size=config.scale_chunk
        )
        return model.beta, perceptron.predict(model, x_test, block_size=block)

    def numpy_fn():
        beta = peers.kernel_perceptron_fit(x, y, alpha=config.alpha, **rbf[1])
        return beta, peers.kernel_perceptron_predict(x, beta, x_test, **rbf[1])

    t = ctx.timed_pair(
        "perceptron_scale",
        jax_fn,
        numpy_fn,
        kind="sequential",
        repeats=min(ctx.repeats, 3) if ctx.full else ctx.repeats,
    )
    (bj, pj), (bn, pn) = t["jax"].result, t["numpy"].result
    return [
        row(
            "§3 kernel perceptron",
            f"RBF, {n:,} ring points: one pass (O(n²) kernel values) + predict {n:,}",
            t,
            agreement=f"β max diff {maxabs(bj, bn):.0e}, labels equal {np.array_equal(np.asarray(pj), pn)}",
            note="median of 3 (long)" if ctx.full else "",
        )
    ]


BENCHES = [("perceptron", bench_perceptron)]


# ----------------------------------------------------------------------------------------------------------------
# the experiment's computations, replayed by the peers (reproduce benchmark)
# ----------------------------------------------------------------------------------------------------------------


def _figure_grid(x_all: np.ndarray, size: int) -> np.ndarray:
    """The figure's size × size grid over [−lim, lim]², lim = ⌈max |x| + 0.5⌉ (as the experiment draws it)."""
    lim = float(np.ceil(np.max(np.abs(x_all)) + 0.5))
    gx, gy = np.meshgrid(np.linspace(-lim, lim, size), np.linspace(-lim, lim, size))
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def _five_kernels(tr, te, config):
    """Every kernel's pass over the training points, its margins at train + test points, the figure kernels'
    margins on the grid, and the figure kernels' Gram spectra."""
    pairs, names = kernel_pairs(config), _figure_kernels()
    x_eval = np.concatenate([tr.x, te.x])
    grid = _figure_grid(x_eval, config.grid)

    def run():
        for name, (_, kw) in pairs.items():
            beta = peers.kernel_perceptron_fit(tr.x, tr.y, alpha=config.alpha, **kw)
            peers.kernel_perceptron_margin(tr.x, beta, x_eval, **kw)
            if name in names:
                peers.kernel_perceptron_margin(tr.x, beta, grid, **kw)
                options = {k: v for k, v in kw.items() if k != "kernel"}
                np.linalg.eigvalsh(peers.kernel_block(kw["kernel"], tr.x, tr.x, **options))

    return run


def reproduce_terms(ctx: Ctx, results: dict) -> list[Term]:
    """The §3 terms of the NumPy sum, at the experiment's sizes (the scale run's n read from ``results``)."""
    r = results.get("perceptron")
    if not r:
        return []
    from jaxml.reproduce import experiment_key

    config = _config()
    data = ctx.data.perceptron()
    tr, te = data["train"], data["test"]
    n = r["scale"]["n_train"]
    (x, y), (x_test, _) = scale_rings(experiment_key(ctx.seed, "perceptron"), n)
    rbf = kernel_pairs(config)["rbf"][1]

    def scale():
        beta = peers.kernel_perceptron_fit(x, y, alpha=config.alpha, **rbf)
        peers.kernel_perceptron_margin(x, beta, x_test, **rbf)

    return [
        Term(
            "§3",
            "perceptron",
            f"5 kernels: one pass over {len(tr.y)} + margins at {len(tr.y) + len(te.y)} points, "
            f"3 figure grids ({config.grid}² points) and Gram spectra",
            _five_kernels(tr, te, config),
        ),
        Term(
            "§3",
            "perceptron",
            f"RBF at scale: one pass over {n:,} ring points + margins at {n:,}",
            scale,
        ),
    ]
