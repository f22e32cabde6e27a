"""The NumPy peers of ``benchmarks/numpy_peers.py`` compute what the jaxml models compute (agreement, not timing).

A benchmark is only meaningful if both sides run the same algorithm on the same data: each test below runs a
peer and its jaxml counterpart on a small problem and compares the outputs. No timing is asserted anywhere.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxml  # noqa: F401  (float64 on)
from jaxml import models

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    """Import a script of benchmarks/ (a folder of scripts, not a package) from its file path."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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
    ours = peers.logistic_gradient_ascent(x, y, learning_rate=1.0, max_iterations=3_000, record_at=(10, 500))
    ref = models.gradient_ascent(jnp.asarray(x), jnp.asarray(y), learning_rate=1.0, max_iterations=3_000,
                                 record_at=(10, 500), chunk_size=1_000)
    assert _rel(ours["theta"], ref.theta) < 1e-12
    assert set(ours["recorded"]) == set(ref.recorded) == {10, 500}
    for t in (10, 500):
        assert _rel(ours["recorded"][t], ref.recorded[t]) < 1e-12
    assert ours["converged"] == ref.converged == (not separable)  # separable: tol 1e-15 is never reached
    # at tol = 1e-15, ‖θ_new − θ‖ is a few ulps of θ: the order in which BLAS and XLA sum Xᵀ(y − h) decides the
    # last bit, and with it the exact stopping step (a handful of steps out of ~1,700)
    assert abs(ours["iterations"] - ref.iterations) <= 3


@pytest.mark.parametrize("tol", [1e-10, 1e-15])
def test_gradient_ascent_stops_at_the_same_iteration(tol):
    """On non-separable data the ‖θ_new − θ‖ < tol rule fires; both stop at the same step (1e-15: at the last bit)."""
    x, y = _logreg_data(np.random.default_rng(1))
    ours = peers.logistic_gradient_ascent(x, y, learning_rate=1.0, tol=tol, max_iterations=100_000)
    ref = models.gradient_ascent(jnp.asarray(x), jnp.asarray(y), learning_rate=1.0, tol=tol,
                                 max_iterations=100_000)
    assert ours["converged"] and ref.converged
    if tol > 1e-13:  # far above the rounding of θ: the same step
        assert ours["iterations"] == ref.iterations
    else:  # ‖Δθ‖ of a few ulps of θ: the summation order of the gradient decides the last bit (see above)
        assert abs(ours["iterations"] - ref.iterations) <= 3
    assert _rel(ours["theta"], ref.theta) < 1e-12


def test_gradient_ascent_schedule_and_l2_match_jaxml():
    x, y = _logreg_data(np.random.default_rng(2), separable=True)
    xj, yj = jnp.asarray(x), jnp.asarray(y)
    ours = peers.logistic_gradient_ascent(x, y, learning_rate=10.0, schedule_power=2.0, max_iterations=2_000)
    ref = models.gradient_ascent(xj, yj, learning_rate=models.inverse_power_schedule(10.0, 2.0),
                                 max_iterations=2_000)
    assert _rel(ours["theta"], ref.theta) < 1e-12
    ours = peers.logistic_gradient_ascent(x, y, learning_rate=1.0, l2=1e-2, max_iterations=2_000)
    ref = models.gradient_ascent(xj, yj, optimizer=models.l2_optimizer(1e-2, 1.0), max_iterations=2_000)
    assert _rel(ours["theta"], ref.theta) < 1e-12


def test_gradient_ascent_tol_zero_runs_every_step():
    """The reproduce sum replays a run's step count with tol = 0: the loop must not stop early."""
    x, y = _logreg_data(np.random.default_rng(3))
    assert peers.logistic_gradient_ascent(x, y, tol=0.0, max_iterations=1234)["iterations"] == 1234


def test_linear_svm_adam_matches_jaxml():
    x, y = _logreg_data(np.random.default_rng(4), n=40)
    ours = peers.linear_svm_adam(x, y, lam=1e-2, steps=400)
    ref = models.fit_linear_svm(jnp.asarray(x), jnp.asarray(y), lam=1e-2, steps=400)
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
    vocab = models.build_vocabulary(messages, min_count=1)
    enc = models.encode(messages, vocab)
    ours = peers.count_matrix(enc.row, enc.ids, enc.n, enc.vocab_size)
    np.testing.assert_array_equal(ours, np.asarray(models.count_features(enc)))


def test_naive_bayes_matches_jaxml():
    from jaxml.models import _naive_bayes as nb

    x, y = _counts(np.random.default_rng(5))
    log_phi, log_prior = peers.naive_bayes_fit(x, y)
    model = nb.fit_naive_bayes(x, y)
    assert _rel(log_phi, model.log_phi) < 1e-14
    assert _rel(log_prior, model.log_prior) < 1e-14
    np.testing.assert_array_equal(peers.naive_bayes_predict(log_phi, log_prior, x),
                                  np.asarray(nb.predict_naive_bayes(model, x)))


def test_binary_sq_distances_are_exact():
    rng = np.random.default_rng(6)
    a, b = rng.random((20, 30)) < 0.3, rng.random((15, 30)) < 0.3
    expected = ((a[:, None, :].astype(int) - b[None, :, :].astype(int)) ** 2).sum(-1)
    np.testing.assert_array_equal(peers.binary_sq_distances(a, b), expected)
    np.testing.assert_array_equal(peers.binary_sq_distances(a), ((a[:, None] ^ a[None]).sum(-1)))


def test_kernel_svm_matches_jaxml_on_the_same_stream():
    from jaxml.models import _kernel_svm as ksvm

    x, y = _counts(np.random.default_rng(7), n=60, v=30)
    idx = np.random.default_rng(8).integers(0, 60, 600)
    radii = [0.5, 2.0]
    fit = ksvm.fit_kernel_svm(x, y, radii, indices=idx)
    d = peers.binary_sq_distances(x > 0)
    for r, alpha_ref, last_ref in zip(radii, np.asarray(fit.alpha), np.asarray(fit.alpha_last)):
        alpha_avg, alpha_last = peers.kernel_svm_train(peers.rbf_table(r, int(d.max()))[d], y, idx)
        assert _rel(alpha_avg, alpha_ref) < 1e-12
        assert _rel(alpha_last, last_ref) < 1e-12
        single = ksvm.fit_kernel_svm(x, y, r, indices=idx)
        np.testing.assert_array_equal(peers.kernel_svm_predict(d, alpha_avg, r),
                                      np.asarray(ksvm.predict_kernel_svm(single, x)))


def test_kernel_svm_radius_sweep_matches_jaxml_protocol():
    from jaxml.models import _kernel_svm as ksvm

    rng = np.random.default_rng(9)
    x, y = _counts(rng, n=90, v=30)
    tr, va, te = slice(0, 50), slice(50, 70), slice(70, 90)
    idx_s, idx_t = rng.integers(0, 50, 500), rng.integers(0, 50, 500)
    radii = [0.3, 1.0, 3.0]
    ours = peers.kernel_svm_radius_sweep(x[tr], y[tr], x[va], y[va], x[te], y[te], radii, idx_s, idx_t)
    fit = ksvm.fit_kernel_svm(x[tr], y[tr], radii, indices=idx_s)
    val = np.mean(np.asarray(ksvm.predict_kernel_svm(fit, x[va])) == y[va][None], axis=1)
    np.testing.assert_array_equal(ours["val_accuracy"], val)
    best = radii[int(np.argmax(val))]
    assert ours["best_radius"] == best
    fit_test = ksvm.fit_kernel_svm(x[tr], y[tr], best, indices=idx_t)
    assert ours["test_accuracy"] == np.mean(np.asarray(ksvm.predict_kernel_svm(fit_test, x[te])) == y[te])
    assert _rel(ours["alpha_test"], fit_test.alpha) < 1e-12


def test_spam_logreg_matches_jaxml():
    from jaxml.models import _spam_logreg as lr

    x, y = _counts(np.random.default_rng(10))
    rates = [1e-3, 1e-2, 1e-1]
    theta, b = peers.spam_logreg_fit(x, y, rates, num_steps=50)
    fit = lr.fit_spam_logreg(x, y, rates, num_steps=50)
    assert _rel(theta, fit.theta) < 1e-10
    assert _rel(b, fit.b) < 1e-10
    np.testing.assert_array_equal(peers.spam_logreg_predict(theta, b, x), np.asarray(lr.predict_spam_logreg(fit, x)))


# ----------------------------------------------------------------------------------------------------------------
# §3
# ----------------------------------------------------------------------------------------------------------------

KERNELS = {
    "dot": models.dot_kernel,
    "rbf": models.rbf_kernel,
    "non_psd": models.non_psd_kernel,
    "identity": lambda x, z: -models.non_psd_kernel(x, z),
    "poly": models.polynomial_kernel,
}


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_perceptron_matches_jaxml(name):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(37, 2)) * 2.0
    x[5] = x[2]  # a duplicate point: the (non-)PSD kernels see K(x, z) != 0 off the diagonal
    y = (np.linalg.norm(x, axis=1) < 2.0).astype(np.float64)
    z = rng.normal(size=(23, 2)) * 2.0
    beta = peers.kernel_perceptron_fit(x, y, kernel=name, alpha=0.5, block=8)  # several blocks, a ragged last
    model = models.perceptron_fit(x, y, kernel=KERNELS[name], alpha=0.5)
    np.testing.assert_array_equal(beta, np.asarray(model.beta))  # β ∈ {−α, 0, α}: every decision equal
    margin = peers.kernel_perceptron_margin(x, beta, z, kernel=name, block_elements=100)  # blocks of 2 rows
    assert np.allclose(margin, np.asarray(models.perceptron_margin(model, z)), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(peers.kernel_perceptron_predict(x, beta, z, kernel=name),
                                  np.asarray(models.perceptron_predict(model, z)))


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
    ref = np.asarray(models.double_descent_sweep(xs, ys, lams, xv, yv))
    assert ours.shape == ref.shape == (4, 3)
    assert _rel(ours, ref) < 1e-9
    direct = peers.ridge_validation_grid_solve(xs, ys, lams, xv, yv)  # lstsq / solve: the same numbers
    assert _rel(direct, ref) < 1e-8


def test_lasso_path_matches_jaxml():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(15, 25))
    y = x[:, :3] @ np.array([1.5, -2.0, 1.0]) + 0.1 * rng.normal(size=15)
    gammas = np.array([50.0, 5.0, 0.5, 0.05])
    ours = peers.lasso_path_fista(x, y, gammas, max_iter=20_000)
    ref = models.lasso_path(x, y, gammas, max_iter=20_000)
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
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    params = jax.vmap(lambda k: models.network_init(2, 3, key=k))(keys)
    act = jax.nn.sigmoid if activation == "sigmoid" else (lambda z: z)
    lr = 0.1 if activation == "sigmoid" else 0.01
    train = jax.vmap(functools.partial(models.network_train, x=jnp.asarray(x), y=jnp.asarray(y), learning_rate=lr,
                                       steps=200, activation=act))
    ref, ref_losses = train(params)
    W1, W2, losses = peers.network_train(np.asarray(params.W1), np.asarray(params.W2), x, y, learning_rate=lr,
                                         steps=200, activation=activation)
    assert _rel(W1, ref.W1) < 1e-10 and _rel(W2, ref.W2) < 1e-10
    assert _rel(losses, np.asarray(ref_losses).T) < 1e-10
    W1s, W2s, _ = peers.network_train(np.asarray(params.W1[0]), np.asarray(params.W2[0]), x, y, learning_rate=lr,
                                      steps=200, activation=activation)  # unbatched form
    assert W1s.shape == (3, 3) and _rel(W1s, ref.W1[0]) < 1e-10
    assert W2s.shape == (4,) and _rel(W2s, ref.W2[0]) < 1e-10


def test_batchnorm_forward_and_backward_match_jaxml():
    from jaxml.models import _batchnorm as bn

    rng = np.random.default_rng(15)
    x, dy = rng.normal(size=(16, 5)), rng.normal(size=(16, 5))
    gamma, beta = 1.0 + 0.1 * rng.normal(size=5), 0.1 * rng.normal(size=5)
    y_ours, x_hat, inv_std = peers.batchnorm_forward(x, gamma, beta)
    grads_ours = peers.batchnorm_backward(x_hat, inv_std, gamma, dy)
    y_ref, pullback = jax.vjp(bn.batchnorm_reference, jnp.asarray(x), jnp.asarray(gamma), jnp.asarray(beta))
    assert _rel(y_ours, y_ref) < 1e-13
    for ours, ref in zip(grads_ours, pullback(jnp.asarray(dy))):  # autodiff of the plain layer
        assert _rel(ours, ref) < 1e-10


# ----------------------------------------------------------------------------------------------------------------
# the timing helpers (behaviour only, never a duration)
# ----------------------------------------------------------------------------------------------------------------


def test_run_child_reports_its_own_exit_code_and_rss():
    big = timing.run_child([sys.executable, "-c", "import sys; b = bytearray(60 * 2**20); sys.exit(3)"])
    assert big.returncode == 3
    assert big.max_rss_bytes >= 60 * 2**20  # the child's own peak, from os.wait4
    small = timing.run_child([sys.executable, "-c", "print('hi')"])
    assert small.returncode == 0 and small.stdout.strip() == "hi"
    assert small.max_rss_bytes < big.max_rss_bytes  # per child, not the maximum over all children so far


def test_time_pair_interleaves_and_keeps_results():
    calls = []
    out = timing.time_pair(lambda: calls.append("j") or 1, lambda: calls.append("n") or 2, repeats=3)
    assert calls == ["j", "j", "n", "j", "n", "j", "n"]  # warm-up, then alternating
    assert out["jax"].result == 1 and out["numpy"].result == 2 and out["sklearn"] is None
    assert len(out["jax"].times) == len(out["numpy"].times) == 3 and out["jax"].first is not None
