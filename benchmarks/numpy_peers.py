"""NumPy peers of jaxml's models: the same algorithms, written as well as NumPy allows.

Each function computes what its jaxml counterpart (named in its docstring) computes: same inputs, same outputs,
same update rule, so the benchmarks compare implementations, not algorithms. Where NumPy can vectorise, it does
(kernel blocks, the whole λ axis of the ridge grid, all learning rates or all lasso γ as the columns of one matrix,
all network restarts as a batch axis). Where the algorithm is sequential (gradient-ascent steps, the SVM's 10·M
stochastic steps, a perceptron pass), the Python loop is unavoidable; its body is kept lean: preallocated buffers
with ``out=``, constants folded out of the loop, scalars kept as Python floats.

Defaults mirror the defaults of the jaxml function a peer stands for (Laplace smoothing α = 1, the SVM's
λ = 1/(64 M), FISTA's tolerance); an experiment's own settings (learning rates, step counts, radii, σ, ...) are
always passed by the caller, from the experiment's ``CONFIG`` or its results.json. No JAX and no jaxml import here:
this module runs on a machine with NumPy and SciPy only.
"""

from __future__ import annotations

import contextlib
import functools
import math

import numpy as np
from scipy.special import (
    expit,  # σ(z) = 1/(1 + e^(−z)) as a ufunc (stable for large |z|, accepts out=)
)


def one_blas_thread(fn):
    """Run ``fn`` with the BLAS limited to one thread (threadpoolctl, when installed).

    The sequential peers multiply small matrices thousands of times (100 × 3, 200 × 500 by 500 × 13, ...):
    a multi-threaded BLAS spends longer synchronising its threads than multiplying, and on a busy machine a
    descheduled helper thread stalls every product (measured here: a 200×500 @ 500×13 product went from ~0.6 ms
    with 2 threads to well under that with 1, and the lasso path from 32 s to ~3 s). A well-written NumPy
    peer therefore runs these loops single-threaded; the one-shot large products (Gram matrices,
    eigendecompositions) keep every thread.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # no control: run with the BLAS's own threading
            limit = contextlib.nullcontext()
        else:
            limit = threadpool_limits(limits=1, user_api="blas")
        with limit:
            return fn(*args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------------------------------------------------
# §1 logistic regression: batch gradient ascent on the mean log-likelihood
# ----------------------------------------------------------------------------------------------------------------


def add_intercept(x: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, d + 1) with a leading column of ones."""
    x = np.asarray(x, dtype=np.float64)
    return np.concatenate([np.ones((x.shape[0], 1)), x], axis=1)


def _ascent_constant(x, y, theta, learning_rate, tol2, max_iterations, record) -> tuple:
    """The lean loop of a constant rate without penalty: (α/n) Xᵀ folded into one (d, n) matrix, every buffer
    preallocated (``out=``). Returns (θ, t, ‖Δθ‖², recorded)."""
    n, d = x.shape
    xt = np.ascontiguousarray(x.T) * (learning_rate / n)
    z, delta, new = np.empty(n), np.empty(d), np.empty(d)
    dot, add, sub = np.dot, np.add, np.subtract
    recorded, t, step2 = {}, 0, math.inf
    while t < max_iterations:
        dot(x, theta, out=z)  # z = Xθ
        expit(z, out=z)  # h = σ(Xθ)
        sub(y, z, out=z)  # y − h
        dot(xt, z, out=delta)  # α ∇ℓ(θ) = (α/n) Xᵀ(y − h)
        add(theta, delta, out=new)  # θ_new = θ + α ∇ℓ(θ)
        sub(
            new, theta, out=delta
        )  # Δθ = θ_new − θ as stored (the course's ‖θ_new − θ‖, rounding included)
        theta, new = new, theta
        t += 1
        if t in record:
            recorded[t] = theta.copy()
        step2 = delta.dot(delta)
        if step2 < tol2:  # ‖Δθ‖ < tol
            break
    return theta, t, step2, recorded


def _ascent_general(
    x, y, theta, learning_rate, schedule_power, l2, tol2, max_iterations, record
) -> tuple:
    """A decreasing rate α_t = α₀/t^p and/or the L2 penalty: θ ← θ + α_t (∇ℓ(θ) − λθ). Returns as above."""
    n, d = x.shape
    xt = np.ascontiguousarray(x.T) / n
    z, g, delta, new = np.empty(n), np.empty(d), np.empty(d), np.empty(d)
    recorded, t, step2 = {}, 0, math.inf
    while t < max_iterations:
        t += 1
        np.dot(x, theta, out=z)
        expit(z, out=z)
        np.subtract(y, z, out=z)
        np.dot(xt, z, out=g)  # ∇ℓ(θ)
        if l2:
            g -= l2 * theta  # ∇(ℓ − (λ/2)‖θ‖²)
        alpha = learning_rate if schedule_power is None else learning_rate / t**schedule_power
        np.multiply(g, alpha, out=delta)
        np.add(theta, delta, out=new)
        np.subtract(new, theta, out=delta)
        theta, new = new, theta
        if t in record:
            recorded[t] = theta.copy()
        step2 = delta.dot(delta)
        if step2 < tol2:
            break
    return theta, t, step2, recorded


@one_blas_thread
def logistic_gradient_ascent(
    x,
    y,
    *,
    learning_rate: float,
    tol: float,
    max_iterations: int,
    schedule_power: float | None = None,
    l2: float = 0.0,
    record_at=(),
) -> dict:
    """θ ← θ + α_t (∇ℓ(θ) − λθ) from θ = 0, ∇ℓ = (1/n) Xᵀ(y − σ(Xθ)), until ‖Δθ‖ < tol (the course's rule).

    The peer of ``jaxml.models.logistic.fit`` (a constant rate, ``inverse_power_schedule(α₀, p)``: α_t = α₀/t^p,
    and ``l2=λ``). ``tol=0`` runs exactly ``max_iterations`` steps (how a run's step count is replayed).

    Args:
      x: (n, d) inputs with the intercept column.
      y: (n,) labels in {0, 1}.
      learning_rate: α (or α₀ of the schedule).
      tol: stop when ‖Δθ‖ < tol.
      max_iterations: cap.
      schedule_power: p for α_t = α₀ / t^p (t = 1, 2, ...); None for a constant rate.
      l2: λ of the penalty −(λ/2)‖θ‖².
      record_at: iterations at which to keep θ.

    Returns:
      {"theta": (d,), "iterations": int, "converged": bool, "step_norm": float, "recorded": {t: θ}}
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    theta = np.zeros(x.shape[1])
    record, tol2 = {int(t) for t in record_at}, tol * tol
    if schedule_power is None and l2 == 0.0:
        theta, t, step2, recorded = _ascent_constant(
            x, y, theta, learning_rate, tol2, max_iterations, record
        )
    else:
        theta, t, step2, recorded = _ascent_general(
            x, y, theta, learning_rate, schedule_power, l2, tol2, max_iterations, record
        )
    return {
        "theta": theta,
        "iterations": t,
        "converged": bool(step2 < tol2),
        "step_norm": math.sqrt(step2),
        "recorded": recorded,
    }


@one_blas_thread
def linear_svm_adam(
    x,
    y,
    *,
    lam: float,
    steps: int,
    learning_rate: float = 1.0,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
) -> np.ndarray:
    """Adam (cosine-decayed step) on J(θ) = (λ/2)‖w‖² + (1/n) Σ max(0, 1 − ỹ θᵀx), θ = (b, w), full batch.

    The peer of ``jaxml.models.linear_svm.fit`` with its default optimizer ``optax.adam(cosine_decay(lr, steps))``:
    the sub-gradient takes 1/2 at a kink (as JAX differentiates ``maximum``).

    Args:
      x: (n, d) with intercept column; y: (n,) in {0, 1}; lam: λ; steps: Adam steps.

    Returns:
      θ (d,).
    """
    x = np.asarray(x, dtype=np.float64)
    y_pm = 2.0 * np.asarray(y, dtype=np.float64) - 1.0
    n, d = x.shape
    a = np.ascontiguousarray(y_pm[:, None] * x)  # rows ỹᵢ xᵢ
    a_over_n = a / n
    penal = np.ones(d)
    penal[0] = 0.0  # the intercept is not penalised
    penal *= lam
    theta, mu, nu = np.zeros(d), np.zeros(d), np.zeros(d)
    margin = np.empty(n)
    b1c, b2c = 1.0, 1.0
    for t in range(steps):
        np.dot(a, theta, out=margin)  # ỹᵢ θᵀxᵢ
        # ∂/∂m max(0, 1 − m) = −1 (m < 1), −1/2 (m = 1), 0 (m > 1)
        w = (margin < 1.0).astype(np.float64)
        w += 0.5 * (margin == 1.0)
        g = penal * theta - w @ a_over_n  # ∇J = λ (0, w) − (1/n) Σ wᵢ ỹᵢ xᵢ
        mu *= b1
        mu += (1.0 - b1) * g  # μ ← β₁μ + (1 − β₁)g
        nu *= b2
        nu += (1.0 - b2) * g * g  # ν ← β₂ν + (1 − β₂)g²
        b1c *= b1
        b2c *= b2
        lr = learning_rate * 0.5 * (1.0 + math.cos(math.pi * t / steps))  # cosine decay, count = t
        # θ ← θ − lr μ̂ / (√ν̂ + ε)
        theta -= lr * (mu / (1.0 - b1c)) / (np.sqrt(nu / (1.0 - b2c)) + eps)
    return theta


# ----------------------------------------------------------------------------------------------------------------
# §2 spam: counts, multinomial naive Bayes, the course's RBF-kernel SVM
# ----------------------------------------------------------------------------------------------------------------


def count_matrix(row, ids, n: int, vocab_size: int) -> np.ndarray:
    """x[i, k] = #{tokens of message i with id k}, from flat (row, id) pairs: one bincount, no Python loop."""
    flat = np.asarray(row, np.int64) * vocab_size + np.asarray(ids, np.int64)
    return np.bincount(flat, minlength=n * vocab_size).reshape(n, vocab_size).astype(np.float64)


def naive_bayes_fit(x, y, *, alpha: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial naive Bayes, Laplace smoothing: (log φ (2, V), log prior (2,)).

    φ_{k|c} = (α + Σ_{i: yᵢ=c} x_ik) / (αV + Σ_{i: yᵢ=c} Σ_j x_ij), φ_y = mean(y).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    onehot = np.stack([y == 0, y == 1], axis=1).astype(np.float64)  # (n, 2) 1{yᵢ = c}
    counts = onehot.T @ x  # (2, V)
    v = x.shape[1]
    log_phi = np.log(alpha + counts) - np.log(alpha * v + counts.sum(axis=1, keepdims=True))
    with np.errstate(divide="ignore"):
        log_prior = np.log(onehot.sum(axis=0)) - np.log(x.shape[0])
    return log_phi, log_prior


def naive_bayes_predict(log_phi, log_prior, x) -> np.ndarray:
    """1 (spam) iff log p(x, y=1) ≥ log p(x, y=0); (n,) int."""
    lj = log_prior + np.asarray(x, dtype=np.float64) @ log_phi.T
    return (lj[:, 1] >= lj[:, 0]).astype(np.int32)


def binary_sq_distances(xb_a: np.ndarray, xb_b: np.ndarray | None = None) -> np.ndarray:
    """Exact squared distances between binary rows: ‖a − b‖² = n_a + n_b − 2 a·b, as an int32 matrix.

    The product a·b is an integer count, exact in float32 (< 2^24), so the float32 GEMM (twice the speed of
    float64) loses nothing.
    """
    a = np.asarray(xb_a, dtype=np.float32)
    b = a if xb_b is None else np.asarray(xb_b, dtype=np.float32)
    common = (a @ b.T).astype(np.int32)  # |S_a ∩ S_b|
    na = a.sum(axis=1).astype(np.int32)
    nb = na if xb_b is None else b.sum(axis=1).astype(np.int32)
    return na[:, None] + nb[None, :] - 2 * common


def rbf_table(radius: float, dmax: int) -> np.ndarray:
    """exp(−d / (2r²)) for the integer squared distances d = 0 … dmax (bit-identical to evaluating exp)."""
    return np.exp(-np.arange(dmax + 1, dtype=np.float64) / (2.0 * radius**2))


@one_blas_thread
def kernel_svm_train(
    kernel: np.ndarray, y, idx, *, lam: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The course's stochastic sub-gradient RBF-SVM (CS229 PS2 ``svm.py``), on a precomputed kernel matrix.

    For t = 1 … T with i = idx[t−1]:  margin = yᵢ (Kα)ᵢ;  g = (Mλαᵢ − yᵢ 1{margin < 1}) K[:, i];
    α ← α − g/√t;  ᾱ = (1/T) Σ_t α_t. (The starter builds g in two vector operations and divides ᾱ by T·M; here
    g's scalar coefficient is formed first and ᾱ divided by T, as ``jaxml.models.kernel_svm.fit`` does.)

    Args:
      kernel: (M, M) symmetric kernel matrix, C-contiguous (row i = column i).
      y: (M,) labels in {0, 1}.
      idx: (T,) sampled example indices.
      lam: λ, default 1/(64 M).

    Returns:
      (ᾱ (M,), α_T (M,)).
    """
    m = kernel.shape[0]
    lam = 1.0 / (64.0 * m) if lam is None else lam
    y_pm = (
        2.0 * np.asarray(y, dtype=np.float64) - 1.0
    ).tolist()  # Python floats: cheap scalar arithmetic
    m_lam = m * lam
    alpha = np.zeros(m)
    alpha_sum = np.zeros(m)
    step = np.empty(m)
    multiply, subtract, add = np.multiply, np.subtract, np.add
    idx = np.asarray(idx).tolist()
    inv_sqrt = (1.0 / np.sqrt(np.arange(1, len(idx) + 1, dtype=np.float64))).tolist()
    for i, s in zip(idx, inv_sqrt):
        k_i = kernel[i]  # K[i, :] = K[:, i], a view
        yi = y_pm[i]
        coef = m_lam * alpha.item(i)  # M λ αᵢ
        if yi * k_i.dot(alpha) < 1.0:  # margin yᵢ (Kα)ᵢ < 1: the hinge is active
            coef -= yi
        multiply(k_i, coef * s, out=step)  # g/√t
        subtract(alpha, step, out=alpha)  # α ← α − g/√t
        add(alpha_sum, alpha, out=alpha_sum)  # Σ_t α_t
    return alpha_sum / len(idx), alpha


def kernel_svm_predict(
    sq_dist_query: np.ndarray, alpha_avg: np.ndarray, radius: float
) -> np.ndarray:
    """ŷ = 1{Σ_j ᾱ_j K(x, x_j) > 0}; ``sq_dist_query`` (n, M) integer squared distances to the training rows."""
    table = rbf_table(radius, int(sq_dist_query.max(initial=0)))
    return (table[sq_dist_query] @ alpha_avg > 0).astype(np.int32)


def kernel_svm_radius_sweep(
    x_train, y_train, x_val, y_val, x_test, y_test, radii, idx_sweep, idx_test
) -> dict:
    """The course's §2(d): fit the SVM for each radius (10·M steps), pick the best validation accuracy, refit on the
    training set with that radius and report the test accuracy.

    One exact integer distance matrix serves every radius (K = exp(−D/(2r²)) through a per-radius table).

    Args:
      x_*: count matrices (binarised here, as the course does); y_*: labels {0, 1}.
      radii: the radii to try.
      idx_sweep: (T,) sampled indices shared by the radius fits (as jaxml's joint fit shares them).
      idx_test: (T,) sampled indices of the final fit.

    Returns:
      {"val_accuracy": [...], "best_radius": r, "test_accuracy": float, "alpha_sweep": (R, M), "alpha_test": (M,)}
    """
    xb = np.asarray(x_train) > 0
    d_train = binary_sq_distances(xb)
    d_val = binary_sq_distances(np.asarray(x_val) > 0, xb)
    d_test = binary_sq_distances(np.asarray(x_test) > 0, xb)
    dmax = int(d_train.max(initial=0))
    y_val = np.asarray(y_val)
    alphas, accs = [], []
    for r in radii:
        kernel = rbf_table(r, dmax)[d_train]  # (M, M) float64, built by one gather
        alpha_avg, _ = kernel_svm_train(kernel, y_train, idx_sweep)
        del kernel
        alphas.append(alpha_avg)
        accs.append(float(np.mean(kernel_svm_predict(d_val, alpha_avg, r) == y_val)))
    best = int(np.argmax(accs))  # first best, as the starter's strict ">" keeps the first
    kernel = rbf_table(radii[best], dmax)[d_train]
    alpha_test, _ = kernel_svm_train(kernel, y_train, idx_test)
    del kernel
    test_acc = float(
        np.mean(kernel_svm_predict(d_test, alpha_test, radii[best]) == np.asarray(y_test))
    )
    return {
        "val_accuracy": accs,
        "best_radius": radii[best],
        "test_accuracy": test_acc,
        "alpha_sweep": np.stack(alphas),
        "alpha_test": alpha_test,
    }


# ----------------------------------------------------------------------------------------------------------------
# §3 the kernel perceptron: one pass in file order, kernel blocks computed vectorised
# ----------------------------------------------------------------------------------------------------------------

KERNELS = ("dot", "rbf", "non_psd", "identity", "polynomial")


def _sq_dists(
    a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None, tmp: np.ndarray | None = None
) -> np.ndarray:
    """‖aᵢ − bⱼ‖² summed from differences (as jaxml's kernels do), one feature at a time (small d), into ``out``.

    ``out`` and ``tmp`` are optional preallocated (len(a), len(b)) buffers: reusing them avoids fresh large
    allocations (and their page faults) in every block.
    """
    shape = (a.shape[0], b.shape[0])
    out = np.empty(shape) if out is None else out
    np.subtract.outer(a[:, 0], b[:, 0], out=out)
    np.multiply(out, out, out=out)
    if a.shape[1] > 1:
        tmp = np.empty(shape) if tmp is None else tmp
        for j in range(1, a.shape[1]):
            np.subtract.outer(a[:, j], b[:, j], out=tmp)
            np.multiply(tmp, tmp, out=tmp)
            np.add(out, tmp, out=out)
    return out


def kernel_block(
    kernel: str,
    a: np.ndarray,
    b: np.ndarray,
    *,
    sigma: float | None = None,
    eps: float | None = None,
    out: np.ndarray | None = None,
    tmp: np.ndarray | None = None,
) -> np.ndarray:
    """K(aᵢ, bⱼ) for all pairs, into ``out`` when given (the kernels of ``jaxml.models.kernels``).

    "dot" aᵀb; "rbf" exp(−‖a − b‖²/(2σ²)); "non_psd" −1{‖a − b‖² < ε}; "identity" +1{‖a − b‖² < ε} (its PSD
    mirror image); "polynomial" (1 + aᵀb)². ``sigma`` is needed by "rbf", ``eps`` by "non_psd" and "identity".
    """
    if kernel in ("dot", "polynomial"):
        k = np.matmul(a, b.T, out=out)
        if kernel == "polynomial":
            k += 1.0
            np.multiply(k, k, out=k)
        return k
    if kernel not in ("rbf", "non_psd", "identity"):
        raise ValueError(f"unknown kernel {kernel!r}; one of {KERNELS}")
    if (sigma if kernel == "rbf" else eps) is None:
        raise ValueError(f"kernel {kernel!r} needs {'sigma' if kernel == 'rbf' else 'eps'}")
    d2 = _sq_dists(a, b, out, tmp)
    if kernel == "rbf":
        np.multiply(d2, -1.0 / (2.0 * sigma**2), out=d2)
        return np.exp(d2, out=d2)
    near = d2 < eps
    d2.fill(0.0)
    d2[near] = -1.0 if kernel == "non_psd" else 1.0
    return d2


@one_blas_thread
def kernel_perceptron_fit(
    x,
    y,
    *,
    kernel: str,
    alpha: float,
    sigma: float | None = None,
    eps: float | None = None,
    block: int = 64,
) -> np.ndarray:
    """One pass: βᵢ = α [yᵢ − g(Σ_{k<i} β_k K(x_k, x_i))], g(z) = 1{z ≥ 0} (write-up eq. 1).

    The peer of ``jaxml.models.perceptron.fit``. Kernel rows come in vectorised blocks of ``block`` examples
    against the points before them, written into two preallocated (block, n) buffers (O(block · n) memory, never
    n × n); the sequential part is one dot per example.

    Returns:
      β (n,).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).tolist()
    n = x.shape[0]
    block = min(block, n)
    beta = np.zeros(n)
    buf, tmp = np.empty((block, n)), np.empty((block, n))
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = stop - start
        # K(x_i, x_k) for i in the block and k < stop
        k = kernel_block(
            kernel,
            x[start:stop],
            x[:stop],
            sigma=sigma,
            eps=eps,
            out=buf[:rows, :stop],
            tmp=tmp[:rows, :stop],
        )
        for r in range(rows):
            i = start + r
            s = k[r, :i].dot(beta[:i])  # Σ_{k<i} β_k K(x_k, x_i)
            beta[i] = alpha * (y[i] - (1.0 if s >= 0.0 else 0.0))  # βᵢ = α [yᵢ − g(s)]
    return beta


def kernel_perceptron_margin(
    x_train,
    beta,
    z,
    *,
    kernel: str,
    sigma: float | None = None,
    eps: float | None = None,
    block_elements: int = 2**22,
) -> np.ndarray:
    """f(zᵢ) = Σ_j β_j K(x_j, zᵢ), in blocks of rows of z (about ``block_elements`` kernel values at once).

    The peer of ``jaxml.models.perceptron.margin``.
    """
    x_train = np.asarray(x_train, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    n = x_train.shape[0]
    rows = max(1, min(z.shape[0], block_elements // max(1, n)))
    buf, tmp = np.empty((rows, n)), np.empty((rows, n))
    out = np.empty(z.shape[0])
    for start in range(0, z.shape[0], rows):
        zb = z[start : start + rows]
        k = kernel_block(
            kernel, zb, x_train, sigma=sigma, eps=eps, out=buf[: len(zb)], tmp=tmp[: len(zb)]
        )
        np.dot(k, beta, out=out[start : start + len(zb)])
    return out


def kernel_perceptron_predict(
    x_train, beta, z, *, kernel: str, sigma: float | None = None, eps: float | None = None
) -> np.ndarray:
    """h(z) = g(f(z)) in {0., 1.} (the peer of ``jaxml.models.perceptron.predict``)."""
    margin = kernel_perceptron_margin(x_train, beta, z, kernel=kernel, sigma=sigma, eps=eps)
    return (margin >= 0.0).astype(np.float64)


# ----------------------------------------------------------------------------------------------------------------
# §4 MAP linear regression: the double-descent grid, lasso
# ----------------------------------------------------------------------------------------------------------------


def ridge_validation_grid(xs, ys, lams, x_val, y_val, *, rcond: float | None = None) -> np.ndarray:
    """Validation MSE of ridge θ(λ) = argmin ‖y − Xθ‖² + λ‖θ‖² for every (λ, training set): (L, N).

    The algorithm of ``jaxml.models.ridge.double_descent_sweep``: per training set one eigh of XᵀX,
    θ(λ) = V diag(1/(e + λ)) VᵀXᵀy for every λ at once; λ = 0 is the pseudo-inverse solution (eigenvalues
    ≤ rcond · e_max dropped, rcond = 10 · max(n_max, d) · eps by default). The N eigendecompositions run as one
    stacked ``np.linalg.eigh``; everything after it is vectorised over (N, L).
    """
    lams = np.asarray(lams, dtype=np.float64)
    x_val = np.asarray(x_val, dtype=np.float64)
    y_val = np.asarray(y_val, dtype=np.float64)
    d = x_val.shape[1]
    n_max = max(np.shape(x)[0] for x in xs)
    rcond = 10.0 * max(n_max, d) * np.finfo(np.float64).eps if rcond is None else rcond
    gram = np.stack([np.asarray(x).T @ np.asarray(x) for x in xs])  # (N, d, d) XᵀX
    xty = np.stack([np.asarray(x).T @ np.asarray(y) for x, y in zip(xs, ys)])  # (N, d) Xᵀy
    e, v = np.linalg.eigh(gram)  # XᵀX = V diag(e) Vᵀ, stacked
    vt = v.transpose(0, 2, 1)
    b = np.matmul(vt, xty[:, :, None])[:, :, 0]  # Vᵀ Xᵀy, (N, d)
    e = np.maximum(e, 0.0)[:, None, :]  # (N, 1, d)
    lam = lams[None, :, None]  # (1, L, 1)
    keep = e > rcond * e.max(axis=2, keepdims=True)
    with np.errstate(divide="ignore"):
        f = np.where(
            lam > 0,
            1.0 / (e + np.where(lam > 0, lam, 1.0)),
            np.where(keep, 1.0 / np.where(keep, e, 1.0), 0.0),
        )
    theta = np.matmul(f * b[:, None, :], vt)  # θ(λ) = V (f ⊙ b), stacked as rows: (N, L, d)
    residual = y_val[None, None, :] - theta @ x_val.T  # (N, L, m)
    return np.mean(residual**2, axis=2).T  # (L, N)


def ridge_validation_grid_solve(xs, ys, lams, x_val, y_val) -> np.ndarray:
    """The course's way: one dense solve (XᵀX + λI)θ = Xᵀy per (n, λ) (λ = 0 by lstsq): (L, N). For reference."""
    lams = np.asarray(lams, dtype=np.float64)
    out = np.empty((len(lams), len(xs)))
    for j, (x, y) in enumerate(zip(xs, ys)):
        x, y = np.asarray(x), np.asarray(y)
        g, b = x.T @ x, x.T @ y
        eye = np.eye(g.shape[0])
        thetas = [
            np.linalg.lstsq(x, y, rcond=None)[0] if lam == 0 else np.linalg.solve(g + lam * eye, b)
            for lam in lams
        ]
        out[:, j] = np.mean(
            (np.asarray(y_val)[None, :] - np.stack(thetas) @ np.asarray(x_val).T) ** 2, axis=1
        )
    return out


@one_blas_thread
def lasso_path_fista(
    x, y, gammas, *, rtol: float = 1e-10, max_iter: int = 50_000, restart: bool = True
) -> dict:
    """min ‖y − Xθ‖² + γ‖θ‖₁ for every γ at once, by FISTA with adaptive restart, vectorised over γ.

    The algorithm of ``jaxml.models.lasso.path`` (FISTA vmapped over γ): step 1/L with L = 2 s_max(X)², the
    gradient 2Xᵀ(Xz − y) as two products with X, and a path stops when its sub-gradient bound (2/t)‖z − θ⁺‖ falls
    to rtol · max(‖2Xᵀy‖∞, γ). All paths advance together as the columns of (d, G) matrices; a path that has
    stopped is frozen (as a vmapped while_loop freezes it), so each column equals its own single run.

    Returns:
      {"theta": (G, d), "iterations": (G,), "residual": (G,)}
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    gammas = np.asarray(gammas, dtype=np.float64)
    n, d = x.shape
    g_count = gammas.size
    gram_small = x @ x.T if n < d else x.T @ x
    step = 1.0 / (2.0 * np.linalg.eigvalsh(gram_small)[-1])  # 1/L
    tol = rtol * np.maximum(np.max(np.abs(2.0 * x.T @ y)), gammas)  # (G,)
    tau = step * gammas  # soft-threshold levels, (G,)
    theta = np.zeros((d, g_count))
    z = np.zeros((d, g_count))
    t = np.ones(g_count)
    k = np.zeros(g_count, dtype=np.int64)
    residual = np.full(g_count, np.inf)
    active = np.ones(g_count, dtype=bool)
    xt2 = 2.0 * x.T  # (d, n)
    y_col = y[:, None]
    for _ in range(max_iter):
        if not active.any():
            break
        g = xt2 @ (x @ z - y_col)  # ∇‖y − Xz‖² = 2Xᵀ(Xz − y), (d, G)
        u = z - step * g
        theta_new = np.sign(u) * np.maximum(np.abs(u) - tau, 0.0)  # prox of τ‖·‖₁
        diff = z - theta_new
        res = 2.0 * np.sqrt(np.einsum("ij,ij->j", diff, diff)) / step
        t_new = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        reset = restart & (np.einsum("ij,ij->j", diff, theta_new - theta) > 0)
        momentum = np.where(reset, 0.0, (t - 1.0) / t_new)
        z_new = theta_new + momentum * (theta_new - theta)
        # a vmapped while_loop keeps a finished path's state: only active columns move
        theta = np.where(active, theta_new, theta)
        z = np.where(active, z_new, z)
        t = np.where(active, np.where(reset, 1.0, t_new), t)
        residual = np.where(active, res, residual)
        k += active
        active &= residual > tol
    return {"theta": theta.T, "iterations": k, "residual": residual}


# ----------------------------------------------------------------------------------------------------------------
# §2(e) logistic regression on sparse features: a learning-rate grid trained together, scipy.sparse products
# ----------------------------------------------------------------------------------------------------------------


def _csr(x):
    """A scipy CSR matrix from a dense array or any scipy sparse matrix, in float64."""
    import scipy.sparse as sp

    return sp.csr_matrix(x if sp.issparse(x) else np.asarray(x), dtype=np.float64)


@one_blas_thread
def sparse_logistic_fit(
    x, y, learning_rates, *, num_steps: int, l2: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient ascent θ ← θ + α (Xᵀ(y − σ(Xθ + b)) − λθ), b ← b + α Σ(y − σ(Xθ + b)) (the SUM log-likelihood),
    from 0, for every learning rate α of the grid at once (columns of a (V, G) matrix), with scipy.sparse products.

    The peer of ``jaxml.models.sparse_logistic.fit``.

    Args:
      x: (n, V) features, dense or scipy sparse.
      y: (n,) labels in {0, 1}.
      learning_rates: (G,) the grid.
      num_steps: full-batch steps.
      l2: λ of the penalty (λ/2)‖θ‖² (the intercept is not penalised).

    Returns:
      (θ (G, V), b (G,)).
    """
    xs = _csr(x)
    xts = xs.T.tocsr()
    y_col = np.asarray(y, dtype=np.float64)[:, None]
    lrs = np.asarray(learning_rates, dtype=np.float64)
    theta = np.zeros((xs.shape[1], lrs.size))
    b = np.zeros(lrs.size)
    for _ in range(num_steps):
        r = xs @ theta  # z = Xθ, (n, G)
        r += b
        expit(r, out=r)  # σ(z)
        np.subtract(y_col, r, out=r)  # y − σ(z)
        g = xts @ r  # ∇_θ ℓ = Xᵀ(y − σ)
        if l2:
            g -= l2 * theta  # ∇(ℓ − (λ/2)‖θ‖²)
        theta += g * lrs  # θ ← θ + α ∇
        b += r.sum(axis=0) * lrs
    return theta.T, b


def sparse_logistic_decision(theta, b, x) -> np.ndarray:
    """z = θᵀx + b for every learning rate: (G, n) (the peer of ``jaxml.models.sparse_logistic.decision``)."""
    return (_csr(x) @ theta.T + b).T


def sparse_logistic_predict(theta, b, x) -> np.ndarray:
    """1{θᵀx + b > 0} for every learning rate: (G, n)."""
    return (sparse_logistic_decision(theta, b, x) > 0).astype(np.int32)


# ----------------------------------------------------------------------------------------------------------------
# §5 the two-layer sigmoid network: full-batch gradient descent with hand backprop
# ----------------------------------------------------------------------------------------------------------------


@one_blas_thread
def network_train(W1, W2, x, y, *, learning_rate: float, steps: int, activation: str = "sigmoid"):
    """``steps`` steps of W ← W − α ∂L/∂W on L = (1/n) Σ (o − y)², o = W2 · [1, a(W1 [1, x])], for a batch of R
    networks at once (a leading restart axis, as the experiment vmaps its random restarts).

    The peer of ``jaxml.models.network.fit`` (which differentiates by autodiff); backprop by hand:
    δ = (2/n)(o − y), ∂L/∂W2 = Σ δ h̃, ∂L/∂W1 = Σ δ (W2[1:] ⊙ a′(z)) x̃ᵀ.

    Args:
      W1: (R, h, d+1) or (h, d+1); W2: (R, h+1) or (h+1,); x: (n, d); y: (n,);
      activation: "sigmoid" or "linear".

    Returns:
      (W1, W2, losses (steps, R) or (steps,) — L before each step).
    """
    single = np.ndim(W2) == 1
    W1 = np.array(W1, dtype=np.float64, ndmin=3)
    W2 = np.array(W2, dtype=np.float64, ndmin=2)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.shape[0]
    r_count = W1.shape[0]
    xt = add_intercept(x)  # x̃, (n, d+1)
    losses = np.empty((steps, r_count))
    sigmoid = activation == "sigmoid"
    for s in range(steps):
        hid = np.matmul(xt, W1.transpose(0, 2, 1))  # z = W1 x̃, (R, n, h)
        if sigmoid:
            expit(hid, out=hid)  # h = σ(z)
        o = np.matmul(hid, W2[:, 1:, None])[..., 0]  # (R, n)
        o += W2[:, :1]  # o = W2 · h̃
        r = o - y
        losses[s] = np.einsum("rn,rn->r", r, r) / n  # L
        r *= 2.0 / n  # δ = ∂L/∂o⁽ⁱ⁾
        g2_0 = r.sum(axis=1)
        g2 = np.matmul(r[:, None, :], hid)[:, 0, :]  # Σ δ h, (R, h)
        dz = r[:, :, None] * W2[:, None, 1:]  # δ W2[1:], (R, n, h)
        if sigmoid:
            dz *= hid
            dz *= 1.0 - hid  # ⊙ σ(z)(1 − σ(z))
        g1 = np.matmul(dz.transpose(0, 2, 1), xt)  # (R, h, d+1)
        W1 -= learning_rate * g1
        W2[:, 0] -= learning_rate * g2_0
        W2[:, 1:] -= learning_rate * g2
    if single:
        return W1[0], W2[0], losses[:, 0]
    return W1, W2, losses


# ----------------------------------------------------------------------------------------------------------------
# §6 batch normalisation: forward and the fused hand backward (write-up eq. 16)
# ----------------------------------------------------------------------------------------------------------------


def batchnorm_forward(x, gamma, beta, *, eps: float = 0.0):
    """y = γ ⊙ (x − μ)/√(v + ε) + β per feature; returns (y, x̂, 1/√(v + ε))."""
    mu = x.mean(axis=0)
    xc = x - mu
    inv_std = 1.0 / np.sqrt((xc * xc).mean(axis=0) + eps)
    x_hat = xc * inv_std
    return gamma * x_hat + beta, x_hat, inv_std


def batchnorm_backward(x_hat, inv_std, gamma, dy):
    """(dx, dγ, dβ): dβ = Σ dy, dγ = Σ dy ⊙ x̂, dx = (γ/√(v+ε))/m ⊙ (m dy − dβ − x̂ ⊙ dγ)."""
    m = x_hat.shape[0]
    dbeta = dy.sum(axis=0)
    dgamma = (dy * x_hat).sum(axis=0)
    dx = (gamma * inv_std / m) * (m * dy - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta
