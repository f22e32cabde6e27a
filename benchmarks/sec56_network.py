"""§5 the two-layer network (``jaxml.models.network.fit``, restarts vmapped, against the NumPy peer with hand
backprop) and §6 the batch-norm backward (``jaxml.models.batchnorm.layer``'s hand VJP against autodiff of
``batchnorm.reference`` and NumPy); and the NumPy sum of the ``nn`` experiment's training runs (informational: the
reproduce target compares §1–§4 only).

Settings (restarts, learning rates, steps, chunk) come from ``jaxml.experiments.network.CONFIG``.
"""

from __future__ import annotations

import numpy as np
import numpy_peers as peers
from _bench import Ctx, Row, Term, rel, row

BENCH_STEPS, QUICK_STEPS = (
    10_000,
    2_000,
)  # the timed training (the reproduce sum replays the experiment's steps)


def _config():
    from jaxml.experiments.network import CONFIG

    return CONFIG


def _restarts(config, seed: int):
    """CONFIG.restarts networks N(0, init_scale²), stacked (``init_networks``, as the experiment initialises them)."""
    import jax

    from jaxml.experiments.network.compute import init_networks

    keys = jax.random.split(jax.random.PRNGKey(seed), config.restarts)
    return init_networks(keys, hidden=config.hidden, scale=config.init_scale)


def bench_network(ctx: Ctx) -> list[Row]:
    """The restarts trained together by full-batch gradient descent, in the experiment's chunks."""
    import jax
    import jax.numpy as jnp

    from jaxml.models import network

    config = _config()
    split = ctx.data.simple_nn()
    steps = QUICK_STEPS if ctx.quick else BENCH_STEPS
    nets = _restarts(config, ctx.seed)
    x, y = jnp.asarray(split.x), jnp.asarray(split.y)
    chunk = min(config.chunk, steps)
    train_chunk = jax.jit(
        jax.vmap(
            lambda net: network.fit(net, x, y, learning_rate=config.learning_rate, steps=chunk)
        )
    )

    def jax_fn():
        net = nets
        for _ in range(steps // chunk):  # as the experiment: chunks vmapped over the restarts
            net = train_chunk(net._replace(losses=np.zeros((config.restarts, 0))))
        return net

    def numpy_fn():
        return peers.network_train(
            nets.W1, nets.W2, split.x, split.y, learning_rate=config.learning_rate, steps=steps
        )

    t = ctx.timed_pair("network", jax_fn, numpy_fn, kind="sequential", repeats=min(ctx.repeats, 3))
    net, (W1n, W2n, _) = t["jax"].result, t["numpy"].result
    per = np.array(
        [max(rel(net.W1[r], W1n[r]), rel(net.W2[r], W2n[r])) for r in range(config.restarts)]
    )
    return [
        row(
            "§5 network training",
            f"{config.restarts} restarts (batched) × {steps:,} full-batch GD steps, "
            f"2-{config.hidden}-1 sigmoid, n = {len(split.y)}",
            t,
            agreement=f"{int(np.sum(per < 1e-9))}/{config.restarts} restarts agree to < 1e-9 (median rel diff "
            f"{np.median(per):.0e}); the other trajectories amplify rounding (max {per.max():.0e})",
            note="JAX: autodiff gradients; NumPy: hand backprop",
        )
    ]


def _batchnorm_inputs(m: int, d: int):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(m, d)).astype(np.float32)
    gamma = (1.0 + 0.1 * rng.normal(size=d)).astype(np.float32)
    beta = (0.1 * rng.normal(size=d)).astype(np.float32)
    return x, gamma, beta, rng.normal(size=(m, d)).astype(np.float32)


def _vjp_of(layer):
    """(x, γ, β, dy) -> the pullback of ``layer`` at (x, γ, β) applied to dy, jitted."""
    import jax

    @jax.jit
    def f(x, gamma, beta, dy):
        _, pullback = jax.vjp(layer, x, gamma, beta)
        return pullback(dy)

    return f


def bench_batchnorm(ctx: Ctx, m: int = 4096, d: int = 1024) -> list[Row]:
    """Forward + VJP of the layer at m × d float32: the hand custom_vjp, autodiff of the plain layer, NumPy."""
    import jax.numpy as jnp

    from jaxml.models import batchnorm

    host = _batchnorm_inputs(m, d)
    with ctx.placed("batched"):
        args = tuple(jnp.asarray(a) for a in host)
    hand, auto = _vjp_of(batchnorm.layer), _vjp_of(batchnorm.reference)

    def numpy_fn():
        _, x_hat, inv_std = peers.batchnorm_forward(*host[:3])
        return peers.batchnorm_backward(x_hat, inv_std, host[1], host[3])

    reps = max(ctx.repeats, 11)
    t = ctx.timed_pair(
        f"batchnorm_hand_{m}x{d}", lambda: hand(*args), numpy_fn, kind="batched", repeats=reps
    )
    ta = ctx.timed_pair(
        f"batchnorm_auto_{m}x{d}", lambda: auto(*args), None, kind="batched", repeats=reps
    )
    dx_h, dx_a, dx_n = (
        np.asarray(t["jax"].result[0]),
        np.asarray(ta["jax"].result[0]),
        t["numpy"].result[0],
    )
    scale = float(np.max(np.abs(dx_a)))
    return [
        row(
            "§6 batch-norm backward",
            f"forward + VJP, {m}×{d} float32: hand custom_vjp (eq. 16 fused)",
            t,
            agreement=f"dx vs autodiff max abs {np.max(np.abs(dx_h - dx_a)) / scale:.1e} (rel. to max |dx|); NumPy "
            f"{np.max(np.abs(dx_n - dx_a)) / scale:.1e}",
        ),
        Row(
            "§6 batch-norm backward",
            f"same, JAX autodiff of the plain layer (hand/autodiff time "
            f"{t['jax'].median / ta['jax'].median:.2f})",
            jax_s=ta["jax"].median,
            jax_compile_s=ta["jax"].compile,
            numpy_s=t["numpy"].median,
        ),
    ]


BENCHES = [("network", bench_network), ("batchnorm", bench_batchnorm)]


# ----------------------------------------------------------------------------------------------------------------
# the experiment's training runs, replayed by the peers (reproduce benchmark; §5, informational)
# ----------------------------------------------------------------------------------------------------------------


def reproduce_terms(ctx: Ctx, results: dict) -> list[Term]:
    """The §5 terms: the sigmoid restarts (restarts, steps, α, init scale read from ``results``) and the linear
    network. Not summed: the batch-norm network's training (§6, no peer) and the verifier's checks."""
    r = results.get("nn")
    if not r:
        return []
    config = _config()
    tr = r["sigmoid_training"]
    split = ctx.data.simple_nn()
    rng = np.random.default_rng(ctx.seed)
    h = tr["hidden"]
    W1 = tr["init_scale"] * rng.normal(size=(tr["restarts"], h, 3))
    W2 = tr["init_scale"] * rng.normal(size=(tr["restarts"], h + 1))
    return [
        Term(
            "§5",
            "nn",
            f"sigmoid network: {tr['restarts']} restarts × {tr['steps']:,} steps",
            lambda: peers.network_train(
                W1, W2, split.x, split.y, learning_rate=tr["learning_rate"], steps=tr["steps"]
            ),
        ),
        Term(
            "§5",
            "nn",
            f"linear network: {config.linear_steps:,} steps",
            lambda: peers.network_train(
                W1[0],
                W2[0],
                split.x,
                split.y,
                learning_rate=config.linear_learning_rate,
                steps=config.linear_steps,
                activation="linear",
            ),
        ),
    ]
