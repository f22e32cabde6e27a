"""The NumPy peers of ``benchmarks/numpy_peers.py`` compute what jaxml's public models compute (agreement, not
timing), and the benchmark's bookkeeping (child processes, interleaved timing, the reproduce sums) behaves.

A benchmark is only meaningful if both sides run the same algorithm on the same data: each test below runs a peer
and its ``jaxml.models.<family>`` counterpart on a small problem and compares the outputs. No timing is asserted.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

from jaxml.models import (
    batchnorm,
    kernel_svm,
    kernels,
    lasso,
    linear_svm,
    logistic,
    naive_bayes,
    network,
    perceptron,
    ridge,
    sparse_logistic,
    text,
)

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    """Import a script of benchmarks/ (a folder of scripts, not a package) as ``run.py`` does: by its plain name,
    with benchmarks/ on the path (its modules import each other that way)."""
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


peers = _load("numpy_peers")
timing = _load("_timing")


def _rel(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ----------------------------------------------------------------------------------------------------------------
# §1
# ----------------------------------------------------------------------------------------------------------------


def _logreg_data(rng, n=30, separable=False):
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(np.float64)
    if not separable:
        y[:4] = 1.0 - y[:4]  # flip a few labels: the MLE exists
    return peers.add_intercept(x), y


@pytest.mark.parametrize("separable", [False, True])
def test_gradient_ascent_constant_rate_matches_jaxml(separable):
    x, y = _logreg_data(np.random.default_rng(0), separable=separable)
    ours = peers.logistic_gradient_ascent(
        x, y, learning_rate=1.0, tol=1e-15, max_iterations=3_000, record_at=(10, 500)
    )
    ref = logistic.fit(
        x,
        y,
        learning_rate=1.0,
        tol=1e-15,
        max_iterations=3_000,
        record_at=(10, 500),
        chunk_size=1_000,
    )
    assert _rel(ours["theta"], ref.theta) < 1e-12
    assert set(ours["recorded"]) == set(ref.recorded) == {10, 500}
    for t in (10, 500):
        assert _rel(ours["recorded"][t], ref.recorded[t]) < 1e-12
    # separable: tol 1e-15 is never reached
    assert ours["converged"] == ref.converged == (not separable)
    # at tol = 1e-15, ‖θ_new − θ‖ is a few ulps of θ: the order in which BLAS and XLA sum Xᵀ(y − h) decides the
    # last bit, and with it the exact stopping step (a handful of steps out of ~1,700)
    assert abs(ours["iterations"] - ref.iterations) <= 3


@pytest.mark.parametrize("tol", [1e-10, 1e-15])
def test_gradient_ascent_stops_at_the_same_iteration(tol):
    """On non-separable data the ‖θ_new − θ‖ < tol rule fires; both stop at the same step (1e-15: at the last bit)."""
    x, y = _logreg_data(np.random.default_rng(1))
    ours = peers.logistic_gradient_ascent(x, y, learning_rate=1.0, tol=tol, max_iterations=100_000)
    ref = logistic.fit(x, y, learning_rate=1.0, tol=tol, max_iterations=100_000)
    assert ours["converged"] and ref.converged
    if tol > 1e-13:  # far above the rounding of θ: the same step
        assert ours["iterations"] == ref.iterations
    else:  # ‖Δθ‖ of a few ulps of θ: the summation order of the gradient decides the last bit (see above)
        assert abs(ours["iterations"] - ref.iterations) <= 3
    assert _rel(ours["theta"], ref.theta) < 1e-12


def test_gradient_ascent_schedule_and_l2_match_jaxml():
    x, y = _logreg_data(np.random.default_rng(2), separable=True)
    ours = peers.logistic_gradient_ascent(
        x, y, learning_rate=10.0, schedule_power=2.0, tol=1e-15, max_iterations=2_000
    )
    ref = logistic.fit(
        x,
        y,
        learning_rate=logistic.inverse_power_schedule(alpha0=10.0, power=2.0),
        tol=1e-15,
        max_iterations=2_000,
    )
    assert _rel(ours["theta"], ref.theta) < 1e-12
    ours = peers.logistic_gradient_ascent(
        x, y, learning_rate=1.0, l2=1e-2, tol=1e-15, max_iterations=2_000
    )
    ref = logistic.fit(x, y, learning_rate=1.0, l2=1e-2, tol=1e-15, max_iterations=2_000)
    assert _rel(ours["theta"], ref.theta) < 1e-12
    # tol 1e-15: the last bit decides the stopping step
    assert abs(ours["iterations"] - ref.iterations) <= 3


def test_gradient_ascent_tol_zero_runs_every_step():
    """The reproduce sum replays a run's step count with tol = 0: the loop must not stop early."""
    x, y = _logreg_data(np.random.default_rng(3))
    assert (
        peers.logistic_gradient_ascent(x, y, learning_rate=10.0, tol=0.0, max_iterations=1234)[
            "iterations"
        ]
        == 1234
    )


def test_linear_svm_adam_matches_jaxml():
    x, y = _logreg_data(np.random.default_rng(4), n=40)
    ours = peers.linear_svm_adam(x, y, lam=1e-2, steps=400)
    ref = linear_svm.fit(x, y, lam=1e-2, steps=400)
    assert _rel(ours, ref.theta) < 1e-9


# ----------------------------------------------------------------------------------------------------------------
# §2
# ----------------------------------------------------------------------------------------------------------------


def _counts(rng, n=80, v=25):
    x = rng.poisson(0.4, size=(n, v)).astype(np.float64)
    y = (x[:, :5].sum(1) > x[:, 5:10].sum(1)).astype(np.int64)
    return x, y


def test_count_matrix_matches_jaxml_features():
    messages = ["win a prize now", "call me now", "", "prize prize  claim", "hello"]
    vocab = text.build_vocabulary(messages, min_count=1, sep=" ")
    enc = text.encode(messages, vocab)
    ours = peers.count_matrix(enc.row, enc.ids, enc.n, enc.vocab_size)
    np.testing.assert_array_equal(ours, np.asarray(text.count_features(enc)))


def test_naive_bayes_matches_jaxml():
    x, y = _counts(np.random.default_rng(5))
    log_phi, log_prior = peers.naive_bayes_fit(x, y)
    model = naive_bayes.fit(x, y)
    assert _rel(log_phi, model.log_phi) < 1e-14
    assert _rel(log_prior, model.log_prior) < 1e-14
    np.testing.assert_array_equal(
        peers.naive_bayes_predict(log_phi, log_prior, x), np.asarray(naive_bayes.predict(model, x))
    )


def test_binary_sq_distances_are_exact():
    rng = np.random.default_rng(6)
    a, b = rng.random((20, 30)) < 0.3, rng.random((15, 30)) < 0.3
    expected = ((a[:, None, :].astype(int) - b[None, :, :].astype(int)) ** 2).sum(-1)
    np.testing.assert_array_equal(peers.binary_sq_distances(a, b), expected)
    np.testing.assert_array_equal(peers.binary_sq_distances(a), ((a[:, None] ^ a[None]).sum(-1)))


def test_kernel_svm_matches_jaxml_on_the_same_stream():
    x, y = _counts(np.random.default_rng(7), n=60, v=30)
    idx = np.random.default_rng(8).integers(0, 60, 600)
    radii = [0.5, 2.0]
    fit = kernel_svm.fit(x, y, radius=radii, lam=1 / (64 * 60), indices=idx)  # the peer's default λ
    d = peers.binary_sq_distances(x > 0)
    labels = np.asarray(kernel_svm.predict(fit, x))  # (R, n)
    for k, r in enumerate(radii):
        alpha_avg, alpha_last = peers.kernel_svm_train(peers.rbf_table(r, int(d.max()))[d], y, idx)
        assert _rel(alpha_avg, fit.alpha[k]) < 1e-12
        assert _rel(alpha_last, fit.alpha_last[k]) < 1e-12
        np.testing.assert_array_equal(peers.kernel_svm_predict(d, alpha_avg, r), labels[k])
    lam = 3.0 / (64 * 60)  # an explicit λ reaches both sides alike
    alpha_avg, _ = peers.kernel_svm_train(
        peers.rbf_table(radii[0], int(d.max()))[d], y, idx, lam=lam
    )
    assert (
        _rel(alpha_avg, kernel_svm.fit(x, y, radius=radii[0], indices=idx, lam=lam).alpha) < 1e-12
    )


def test_kernel_svm_radius_sweep_matches_jaxml_protocol():
    rng = np.random.default_rng(9)
    x, y = _counts(rng, n=90, v=30)
    tr, va, te = slice(0, 50), slice(50, 70), slice(70, 90)
    idx_s, idx_t = rng.integers(0, 50, 500), rng.integers(0, 50, 500)
    radii = [0.3, 1.0, 3.0]
    ours = peers.kernel_svm_radius_sweep(
        x[tr], y[tr], x[va], y[va], x[te], y[te], radii, idx_s, idx_t
    )
    lam = 1 / (64 * 50)  # the peer's (the starter's) λ = 1/(64 M)
    fit = kernel_svm.fit(x[tr], y[tr], radius=radii, lam=lam, indices=idx_s)
    val = np.mean(np.asarray(kernel_svm.predict(fit, x[va])) == y[va][None], axis=1)
    np.testing.assert_array_equal(ours["val_accuracy"], val)
    best = radii[int(np.argmax(val))]
    assert ours["best_radius"] == best
    fit_test = kernel_svm.fit(x[tr], y[tr], radius=best, lam=lam, indices=idx_t)
    assert ours["test_accuracy"] == np.mean(
        np.asarray(kernel_svm.predict(fit_test, x[te])) == y[te]
    )
    assert _rel(ours["alpha_test"], fit_test.alpha) < 1e-12


@pytest.mark.parametrize("l2", [0.0, 0.5])
def test_sparse_logistic_matches_jaxml(l2):
    import scipy.sparse as sp

    x, y = _counts(np.random.default_rng(10))
    rates = [1e-3, 1e-2, 1e-1]
    # sparse input
    theta, b = peers.sparse_logistic_fit(sp.csr_matrix(x), y, rates, num_steps=50, l2=l2)
    fit = sparse_logistic.fit(x, y, learning_rates=rates, num_steps=50, l2=l2)
    assert _rel(theta, fit.theta) < 1e-10
    assert _rel(b, fit.b) < 1e-10
    # dense input: the same numbers
    dense = peers.sparse_logistic_fit(x, y, rates, num_steps=50, l2=l2)
    np.testing.assert_array_equal(dense[0], theta)
    assert (
        _rel(peers.sparse_logistic_decision(theta, b, x), sparse_logistic.decision(fit, x)) < 1e-10
    )
    np.testing.assert_array_equal(
        peers.sparse_logistic_predict(theta, b, x), np.asarray(sparse_logistic.predict(fit, x))
    )


# ----------------------------------------------------------------------------------------------------------------
# §3
# ----------------------------------------------------------------------------------------------------------------

SIGMA, EPS = 0.7, 1e-5  # σ ≠ 1: the peer must use the σ it is given
KERNELS = {  # name -> (jaxml kernel, the peer's keyword arguments)
    "dot": (kernels.dot, {"kernel": "dot"}),
    "rbf": (lambda x, z: kernels.rbf(x, z, sigma=SIGMA), {"kernel": "rbf", "sigma": SIGMA}),
    "non_psd": (lambda x, z: kernels.non_psd(x, z, eps=EPS), {"kernel": "non_psd", "eps": EPS}),
    "identity": (lambda x, z: -kernels.non_psd(x, z, eps=EPS), {"kernel": "identity", "eps": EPS}),
    "polynomial": (kernels.polynomial, {"kernel": "polynomial"}),
}


def test_peer_kernels_are_the_jaxml_kernels():
    assert set(KERNELS) == set(peers.KERNELS)
    rng = np.random.default_rng(16)
    a, b = rng.normal(size=(6, 2)), rng.normal(size=(4, 2))
    b[1] = a[3]  # a coincident pair: the (non-)PSD kernels are non-zero there
    for fn, kw in KERNELS.values():
        expected = np.asarray(kernels.gram(fn, a, b))
        np.testing.assert_allclose(
            peers.kernel_block(
                kw["kernel"], a, b, **{k: v for k, v in kw.items() if k != "kernel"}
            ),
            expected,
            rtol=1e-13,
            atol=1e-13,
        )
    with pytest.raises(ValueError, match="sigma"):
        peers.kernel_block("rbf", a, b)


def test_kernel_perceptron_matches_jaxml():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(37, 2)) * 2.0
    x[5] = x[2]  # a duplicate point: the (non-)PSD kernels see K(x, z) != 0 off the diagonal
    y = (np.linalg.norm(x, axis=1) < 2.0).astype(np.float64)
    z = rng.normal(size=(23, 2)) * 2.0
    for name, (fn, kw) in KERNELS.items():
        # several blocks, a ragged last
        beta = peers.kernel_perceptron_fit(x, y, alpha=0.5, block=8, **kw)
        model = perceptron.fit(x, y, kernel=fn, alpha=0.5)
        # β ∈ {−α, 0, α}: every decision
        np.testing.assert_array_equal(beta, np.asarray(model.beta), err_msg=name)
        # blocks of 2 rows
        margin = peers.kernel_perceptron_margin(x, beta, z, block_elements=100, **kw)
        assert np.allclose(
            margin, np.asarray(perceptron.margin(model, z)), rtol=1e-12, atol=1e-12
        ), name
        np.testing.assert_array_equal(
            peers.kernel_perceptron_predict(x, beta, z, **kw),
            np.asarray(perceptron.predict(model, z)),
            err_msg=name,
        )


# ----------------------------------------------------------------------------------------------------------------
# §4
# ----------------------------------------------------------------------------------------------------------------


def test_ridge_validation_grid_matches_double_descent_sweep():
    rng = np.random.default_rng(12)
    d = 12
    theta = rng.normal(size=d) / np.sqrt(d)
    xs = [rng.normal(size=(n, d)) for n in (6, 12, 20)]  # n < d, n = d, n > d
    ys = [x @ theta + 0.5 * rng.normal(size=len(x)) for x in xs]
    xv = rng.normal(size=(30, d))
    yv = xv @ theta + 0.5 * rng.normal(size=30)
    lams = np.array([0.0, 0.1, 1.0, 10.0])
    ours = peers.ridge_validation_grid(xs, ys, lams, xv, yv)
    ref = np.asarray(ridge.double_descent_sweep(xs, ys, xv, yv, lams=lams))
    assert ours.shape == ref.shape == (4, 3)
    assert _rel(ours, ref) < 1e-9
    # lstsq / solve: the same numbers
    direct = peers.ridge_validation_grid_solve(xs, ys, lams, xv, yv)
    assert _rel(direct, ref) < 1e-8


def test_lasso_path_matches_jaxml():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(15, 25))
    y = x[:, :3] @ np.array([1.5, -2.0, 1.0]) + 0.1 * rng.normal(size=15)
    gammas = np.array([50.0, 5.0, 0.5, 0.05])
    ours = peers.lasso_path_fista(x, y, gammas, max_iter=20_000)
    ref = lasso.path(x, y, gammas=gammas, max_iter=20_000)
    np.testing.assert_array_equal(ours["iterations"], np.asarray(ref.iterations))
    assert _rel(ours["theta"], ref.theta) < 1e-9
    assert np.array_equal(ours["theta"] == 0, np.asarray(ref.theta) == 0)  # the same exact zeros


# ----------------------------------------------------------------------------------------------------------------
# §5, §6
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["sigmoid", "linear"])
def test_network_train_matches_jaxml(activation):
    rng = np.random.default_rng(14)
    x = rng.uniform(0, 4, size=(40, 2))
    y = (x.sum(1) > 4).astype(np.float64)
    nets = [network.init(2, 3, key=k) for k in jax.random.split(jax.random.PRNGKey(0), 3)]
    W1, W2 = np.stack([np.asarray(n.W1) for n in nets]), np.stack([np.asarray(n.W2) for n in nets])
    act = jax.nn.sigmoid if activation == "sigmoid" else network.linear
    lr = 0.1 if activation == "sigmoid" else 0.01
    ref = jax.vmap(lambda net: network.fit(net, x, y, learning_rate=lr, steps=200, activation=act))(
        network.Network(W1, W2, np.zeros((3, 0)))
    )
    W1n, W2n, losses = peers.network_train(
        W1, W2, x, y, learning_rate=lr, steps=200, activation=activation
    )
    assert _rel(W1n, ref.W1) < 1e-10 and _rel(W2n, ref.W2) < 1e-10
    assert _rel(losses, np.asarray(ref.losses).T) < 1e-10
    # unbatched form
    W1s, W2s, _ = peers.network_train(
        W1[0], W2[0], x, y, learning_rate=lr, steps=200, activation=activation
    )
    assert W1s.shape == (3, 3) and _rel(W1s, ref.W1[0]) < 1e-10
    assert W2s.shape == (4,) and _rel(W2s, ref.W2[0]) < 1e-10


def test_batchnorm_forward_and_backward_match_jaxml():
    rng = np.random.default_rng(15)
    x, dy = rng.normal(size=(16, 5)), rng.normal(size=(16, 5))
    gamma, beta = 1.0 + 0.1 * rng.normal(size=5), 0.1 * rng.normal(size=5)
    y_ours, x_hat, inv_std = peers.batchnorm_forward(x, gamma, beta)
    grads_ours = peers.batchnorm_backward(x_hat, inv_std, gamma, dy)
    for layer in (
        batchnorm.reference,
        batchnorm.layer,
    ):  # autodiff of the plain layer; the hand VJP
        y_ref, pullback = jax.vjp(layer, x, gamma, beta)
        assert _rel(y_ours, y_ref) < 1e-13
        for ours, ref in zip(grads_ours, pullback(dy)):
            assert _rel(ours, ref) < 1e-10


# ----------------------------------------------------------------------------------------------------------------
# the benchmark's bookkeeping (behaviour only, never a duration)
# ----------------------------------------------------------------------------------------------------------------


def test_run_child_reports_its_own_exit_code_and_rss():
    big = timing.run_child(
        [sys.executable, "-c", "import sys; b = bytearray(60 * 2**20); sys.exit(3)"], timeout=60
    )
    assert big.returncode == 3
    assert big.max_rss_bytes >= 60 * 2**20  # the child's own peak, from os.wait4
    small = timing.run_child([sys.executable, "-c", "print('hi')"], timeout=60)
    assert small.returncode == 0 and small.stdout.strip() == "hi"
    # per child, not the maximum over all children so far
    assert small.max_rss_bytes < big.max_rss_bytes


def test_run_child_reports_the_cpu_of_the_command_and_its_children():
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
    nested = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {spin!r}])"
    run = timing.run_child([sys.executable, "-c", nested], timeout=60)
    assert run.returncode == 0 and run.cpu_seconds >= 0.3  # the grandchild's spin counts


def test_compile_options_names_what_moved():
    options = _load("compile_options")
    ref = {"outcomes": [{"name": "dL_dv", "max_rel_error": 1e-15, "seconds": 1.0}], "ok": True}
    same = {"outcomes": [{"name": "dL_dv", "max_rel_error": 1e-15, "seconds": 9.0}], "ok": True}
    ref["spam"] = {"seconds": {"svm": 30.0}, "accuracy": 0.98}
    same["spam"] = {"seconds": {"svm": 31.0}, "accuracy": 0.98}
    other = {"outcomes": [{"name": "dL_dv", "max_rel_error": 4e-15, "seconds": 1.0}], "ok": False}
    other["spam"] = ref["spam"]
    assert options.moved(ref, same) == []  # wall-clock fields are not results
    changes = options.moved(ref, other)
    assert [path for path, _, _ in changes] == ["/ok", "/outcomes[0]/max_rel_error"]
    assert options.named("/outcomes[0]/max_rel_error", ref) == "/outcomes[dL_dv]/max_rel_error"
    absolute, relative = options.largest_moves(changes[1:])
    assert absolute == pytest.approx(3e-15) and relative == pytest.approx(0.75)
    inf = float("inf")
    assert options.largest_moves(changes[:1]) == (inf, inf)  # True -> False is not a number
    env = options.child_env("/tmp/cache", "--xla_cpu_use_fusion_emitters=false")
    assert env["JAXML_COMPILATION_CACHE"] == "/tmp/cache"
    assert env["XLA_FLAGS"].endswith("--xla_cpu_use_fusion_emitters=false")


def test_time_pair_interleaves_and_keeps_results():
    calls = []
    out = timing.time_pair(
        lambda: calls.append("j") or 1, lambda: calls.append("n") or 2, repeats=3
    )
    assert calls == ["j", "j", "n", "j", "n", "j", "n"]  # warm-up, then alternating
    assert out["jax"].result == 1 and out["numpy"].result == 2 and out["sklearn"] is None
    assert len(out["jax"].times) == len(out["numpy"].times) == 3 and out["jax"].first is not None


def test_reproduce_rows_compare_with_the_peers_of_sections_1_to_4_only():
    """The target's sum is §1–§4; §5 is its own line; the detail table lists every term once."""
    cli = _load("cli_bench")
    bench = _load("_bench")
    ctx = bench.Ctx(data=None, data_dir=None, quick=False, repeats=1, log=lambda _: None)
    measured = [
        cli.Measured(bench.Term(s, e, w, lambda: None), sec)
        for s, e, w, sec in [
            ("§1", "logreg_stability", "ascent", 2.0),
            ("§2", "spam", "svm", 3.0),
            ("§4", "double_descent", "grid", 1.0),
            ("§5", "nn", "training", 10.0),
        ]
    ]
    cold = timing.ChildRun(seconds=5.0, max_rss_bytes=2**30, returncode=0, stdout="", stderr="")
    warm = timing.ChildRun(seconds=4.0, max_rss_bytes=2**29, returncode=0, stdout="", stderr="")
    results = {"timings_s": {"logreg_stability": 1.5, "spam": 2.5, "nn": 7.0, "derivations": 1.0}}
    rows = cli.reproduce_rows(ctx, cold, warm, measured, results)
    # cold and warm against §1–§4 (2 + 3 + 1); §1–§4 experiments' own wall (1.5 + 2.5: no timing for
    # double_descent) against the same; nn against §5 alone
    assert [(r.jax_s, r.numpy_s) for r in rows] == [(5.0, 6.0), (4.0, 6.0), (4.0, 6.0), (7.0, 10.0)]
    assert rows[0].ratio == pytest.approx(6.0 / 5.0) and rows[0].met is True
    assert rows[1].target == "" and rows[1].met is None  # the target is the cold run's
    detail = cli.reproduce_detail(cold, warm, measured, results)
    # derivations: not summed
    assert "**6.0**" in detail and "1024 MiB" in detail and "no NumPy peer" in detail
    assert all(w in detail for w in ("ascent", "svm", "grid", "training"))
