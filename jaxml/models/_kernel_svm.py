"""RBF-kernel SVM trained as in the course (write-up §2(d)): stochastic sub-gradient on the kernelised hinge loss.

The course's starter (CS229 PS2 ``svm.py``), re-derived
-------------------------------------------------------
Binarise the features, x ← 1{x > 0}; map labels to y ∈ {−1, +1}; use the Gaussian kernel

    K(x, z) = exp(−‖x − z‖² / (2 r²))                                   (r = the "radius")

and the representer form f(x) = Σ_j α_j K(x, x_j). The objective is the regularised average hinge loss

    J(α) = (1/M) Σ_i max(0, 1 − y_i (Kα)_i) + (λ/2) αᵀKα,      λ = 1/(64 M) in the course,

i.e. a C-SVM ½‖w‖² + C Σ_i hinge_i with w = Σ_j α_j φ(x_j) and C = 1/(λM) = 64 (the library's default is
C = 1, λ = 1/M, as scikit-learn's ``SVC``; the §2 experiment passes the course's λ). One step picks i uniformly
and follows an unbiased sub-gradient of J:

    g_t = M λ K[:, i] α_i − y_i K[:, i] · 1{y_i (Kα)_i < 1}          (E_i[M K[:, i] α_i] = Kα),
    α ← α − g_t / √t,           t = 1, …, T = 10 M,

and predicts with the averaged iterate ᾱ = (1/T) Σ_t α_t:  ŷ(x) = 1{Σ_j ᾱ_j K(x, x_j) > 0}.
This is exactly the starter's ``grad = M * L * K[:, i] * alpha[i]`` with ``L = 1/(64 M)`` (every public copy
of the starter has the factor M; dropping it would weaken the regulariser M-fold, C = 64 M). The starter divides
ᾱ by T·M instead of T, a positive factor that cannot change a sign. Note g_t is a multiple of K[:, i], so each
step needs one kernel *row* (K is symmetric), never the whole Gram matrix.

Memory and speed: integer distances, never the Gram matrix
----------------------------------------------------------
The starter materialises the M × M Gram matrix (4457² float64 = 159 MB on the course data). Here the kernel
values come from integer distances: for binary vectors ‖x_i − x_j‖² = n_i + n_j − 2 |S_i ∩ S_j| (n = number of
distinct words, S = the set of words), and |S_i ∩ S_j| for all j is the sum of the ``n_i`` rows of Xᵀ (V × M,
uint8) indexed by the words of message i — O(n_i · M) work (about 11 · M on the SMS data) instead of O(M · V).
Since ‖x_i − x_j‖² is an integer in [0, 2 max_i n_i], the kernel values come from a small per-radius table
exp(−d / (2r²)), bit-identical to evaluating exp but cheaper in float64. When the M × M matrix of these integers
fits in :data:`DISTANCE_MATRIX_BYTES` (64 MiB; 4457² uint8 = 20 MB here) and the fit takes at least M steps, it is
computed once per fit and each step reads its row; otherwise each step computes its row from the index (O(M · V)
bytes of memory, 7.7 MB here). The integers are the same either way, and so is every number of the fit.
Several radii are fitted in one scan sharing the sampled indices (and hence the distance row of each step):
a radius sweep is one jitted ``lax.scan``, run in chunks so a caller can show progress.

float64 matters for small radii: at r = 0.1, K = e^{−50 d} underflows in float32 already at d = 3 (and in
float64 only at d ≈ 15), and predictions for messages with no near-duplicate in the training set are signs of
such tiny numbers. The model computes in the default float dtype: float64 when the caller enabled it (the CLI
does; the starter's), float32 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._compile import quick_jit
from ..errors import UsageError
from ..sharding import shard_leading
from ..timeouts import block_until_ready
from ._deprecation import positional_settings


class KernelSVM(NamedTuple):
    """A fitted RBF-kernel SVM (one or several radii).

    Attributes:
      alpha: (M,) or (R, M) averaged coefficients ᾱ (what predictions use).
      alpha_last: (M,) or (R, M) the last iterate α_T.
      x: (M, V) uint8 binarised training features 1{x > 0}.
      radius: () or (R,) the kernel radius (a leading R axis on alpha iff radius has one).
      lam: λ, the regulariser of J(α).
      num_steps: T, the number of sub-gradient steps.
    """

    alpha: jax.Array
    alpha_last: jax.Array
    x: jax.Array
    radius: jax.Array
    lam: float
    num_steps: int


def _binary(x, where: str) -> np.ndarray:
    if isinstance(x, jax.core.Tracer):
        raise UsageError(f"{where}: x must be a concrete array (call it outside jax.jit)")
    x = np.asarray(x)
    if x.ndim != 2:
        raise UsageError(f"{where}: x must be a (n, V) feature matrix, got shape {x.shape}")
    if x.dtype != bool and not np.issubdtype(x.dtype, np.number):
        raise UsageError(f"{where}: x must be numeric, got dtype {x.dtype}")
    if x.dtype != bool and not np.all(np.isfinite(x)):
        raise UsageError(f"{where}: x must be finite")
    return (x > 0).astype(np.uint8)  # the course binarises: x ← 1{x > 0}


def _radii(radius, where: str) -> np.ndarray:
    r = np.asarray(radius, dtype=np.float64)
    if r.ndim > 1 or r.size == 0:
        raise UsageError(f"{where}: radius must be a number or a 1-D sequence, got shape {r.shape}")
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise UsageError(f"{where}: radius must be finite and > 0, got {radius!r}")
    return r


def _put(a, dtype=None) -> jax.Array:
    """Host data to the device: a transfer, never a compiled program (``jnp.asarray`` stages one per shape)."""
    return jax.device_put(np.asarray(a, dtype=dtype))


class _Index(NamedTuple):
    """Sparse view of the binary training set for per-step kernel rows."""

    xt: jax.Array  # (V + 1, M) uint8: Xᵀ plus a zero row (id V pads `ids`)
    ids: jax.Array  # (M, L) int32: the word ids of each message, padded with V
    nnz: jax.Array  # (M,) int32: n_i = number of distinct words of message i (= ‖x_i‖²)


def _index(xb: np.ndarray) -> _Index:
    m, v = xb.shape
    nnz = xb.sum(axis=1, dtype=np.int64)
    width = max(int(nnz.max(initial=0)), 1)
    rows, cols = np.nonzero(xb)  # row-major: each message's word ids, in order
    # position within its message
    slot = np.arange(rows.size) - np.repeat(np.cumsum(nnz) - nnz, nnz)
    ids = np.full((m, width), v, dtype=np.int32)
    ids[rows, slot] = cols
    xt = np.concatenate([xb.T, np.zeros((1, m), np.uint8)], axis=0)
    return _Index(xt=_put(xt), ids=_put(ids), nnz=_put(nnz, np.int32))


def _sq_dist_row(index: _Index, i) -> jax.Array:
    """‖x_i − x_j‖² for all j, exact in int32: n_i + n_j − 2 Σ_{w ∈ S_i} Xᵀ[w, j]."""

    def add_word(l, acc):
        return acc + index.xt[index.ids[i, l]].astype(jnp.int32)  # |S_i ∩ S_j| += 1{w_l ∈ S_j}

    common = lax.fori_loop(0, index.nnz[i], add_word, jnp.zeros(index.xt.shape[1], jnp.int32))
    return index.nnz[i] + index.nnz - 2 * common


# the steps read each distance row from a precomputed M × M matrix when it takes at most this many bytes
DISTANCE_MATRIX_BYTES = 64 * 2**20


def _distance_dtype(dmax: int):
    """The narrowest integer type holding every ‖x_i − x_j‖² ≤ dmax."""
    return jnp.uint8 if dmax <= 255 else jnp.int16 if dmax <= 32767 else jnp.int32


@jax.jit(static_argnames=("dtype",))
def _distance_matrix(index: _Index, dtype) -> jax.Array:
    """D[i, j] = ‖x_i − x_j‖² for all pairs, exact (every row as :func:`_sq_dist_row` computes it), (M, M)."""
    rows = jnp.arange(index.nnz.shape[0])
    return lax.map(lambda i: _sq_dist_row(index, i).astype(dtype), rows, batch_size=64)


class _State(NamedTuple):
    alpha: jax.Array  # (R, M) α_t
    alpha_sum: jax.Array  # (R, M) Σ_{s ≤ t} α_s


@jax.jit
def _run_chunk(state: _State, steps, idx, distances, y, table, lam):
    """``len(idx)`` sub-gradient steps; ``steps`` are their step numbers t (1-based, float). ``distances`` is the
    (M, M) matrix of :func:`_distance_matrix`, or the :class:`_Index` to compute each step's row from."""
    m = y.shape[0]

    def row(i):  # (M,) integer ‖x_i − x_j‖²
        if isinstance(distances, _Index):
            return _sq_dist_row(distances, i)
        return distances[i].astype(jnp.int32)

    def step(state, ti):
        t, i = ti
        d = row(i)
        # k[r, j] = K(x_i, x_j) = exp(−‖x_i − x_j‖² / (2 r²)), looked up in the exact table
        k = jnp.take_along_axis(table, jnp.broadcast_to(d[None, :], state.alpha.shape), axis=1)
        margin = y[i] * jnp.sum(k * state.alpha, axis=1)  # y_i (Kα)_i, one per radius
        # g = M λ K[:, i] α_i − y_i K[:, i] 1{margin < 1}  =  coef · K[:, i]
        coef = m * lam * state.alpha[:, i] - y[i] * (margin < 1.0).astype(y.dtype)
        alpha = state.alpha - (coef / jnp.sqrt(t))[:, None] * k  # α ← α − g / √t
        return _State(alpha=alpha, alpha_sum=state.alpha_sum + alpha), None

    state, _ = lax.scan(step, state, (steps, idx))
    return state


def _check_labels(x, y, where: str):
    xb = _binary(x, where)
    m = xb.shape[0]
    if m == 0:
        raise UsageError(f"{where}: no training examples")
    yn = np.asarray(y)
    if yn.shape != (m,):
        raise UsageError(f"{where}: y must have shape ({m},) to match x {xb.shape}, got {yn.shape}")
    if not np.all(np.isin(yn, (0, 1))):
        raise UsageError(f"{where}: labels must be 0 or 1, found {yn[~np.isin(yn, (0, 1))][0]!r}")
    return xb, yn


def _steps(m: int, num_steps, where: str) -> int:
    num_steps = 10 * m if num_steps is None else num_steps  # the course's T = 10 M
    if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)) or num_steps < 1:
        raise UsageError(f"{where}: num_steps must be a positive int, got {num_steps!r}")
    return int(num_steps)


def _draw_indices(key, *, num_steps: int, m: int, fits: int | None):
    def draw(k):
        return jax.random.randint(k, (num_steps,), 0, m, dtype=jnp.int32)  # i_t ~ Uniform{0..M-1}

    return draw(key) if fits is None else jax.vmap(draw)(jax.random.split(key, fits))


# one-shot set-up, and integer draws: the same numbers under any compiler options, so compiled for compile speed
_draw = quick_jit(_draw_indices, static_argnames=("num_steps", "m", "fits"))


def sample_indices(
    m: int, *, key: jax.Array, num_steps: int | None = None, fits: int | None = None
) -> np.ndarray:
    """The examples the stochastic steps visit: i_t ~ Uniform{0, …, M − 1}, t = 1..T (what :func:`fit` draws).

    ``fit(x, y, radius=r, key=key)`` and ``fit(x, y, radius=r, indices=sample_indices(M, key=key))`` are the
    same fit. With
    ``fits=S`` the key is split into S keys first (``jax.random.split(key, S)``) and row s is
    ``sample_indices(M, key=keys[s])``: the streams of S independent fits in one compiled program.

    Args:
      m: M, the number of training examples.
      key: a PRNG key (used once).
      num_steps: T; default None: 10 M.
      fits: optional number S of independent streams; default None (one stream).

    Returns:
      (T,) or (S, T) int32 NumPy array.
    """
    if fits is not None and (isinstance(fits, bool) or not isinstance(fits, int) or fits < 1):
        raise UsageError(f"sample_indices: fits must be a positive int, got {fits!r}")
    steps = _steps(int(m), num_steps, "sample_indices")
    return np.asarray(_draw(key, num_steps=steps, m=int(m), fits=fits))


def _indices(indices, num_steps, m: int, where: str) -> np.ndarray:
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise UsageError(
            f"{where}: indices must be a non-empty 1-D int array, got {idx.dtype} {idx.shape}"
        )
    if idx.min() < 0 or idx.max() >= m:
        raise UsageError(
            f"{where}: indices must lie in [0, {m}), got range [{idx.min()}, {idx.max()}]"
        )
    if num_steps is not None and num_steps != idx.size:
        raise UsageError(f"{where}: num_steps={num_steps} but {idx.size} indices given")
    return idx.astype(np.int32)


@jax.jit
def _rbf_table(d, radii):
    return jnp.exp(-d[None, :] / (2.0 * radii[:, None] ** 2))  # exp(−d / (2r²)), (R, dmax + 1)


@positional_settings("kernel_svm", ("x", "y", "radius"))
def fit(
    x,
    y,
    *,
    radius,
    key: jax.Array | None = None,
    indices=None,
    num_steps: int | None = None,
    lam: float | None = None,
    chunks: int = 10,
    dtype=None,
    callback: Callable[[int, int], None] | None = None,
) -> KernelSVM:
    """Fit the course's RBF-kernel SVM by averaged stochastic sub-gradient descent (see the module docstring).

    J(α) = (1/M) Σ_i max(0, 1 − y_i (Kα)_i) + (λ/2) αᵀKα;  α ← α − g_t/√t;  predict with ᾱ = mean_t α_t.

    Several radii are fitted together (one scan, the same sampled indices, one distance row per step).

    Args:
      x: (M, V) training features (counts; binarised here as 1{x > 0}, as the course does).
      y: (M,) labels in {0, 1} (mapped to ∓1).
      radius: r > 0, or a 1-D sequence of R radii (keyword-only, required: no radius suits every feature scale).
      key: PRNG key for the sampled indices i_t ~ Uniform{0..M−1}; exactly one of ``key`` and ``indices``.
      indices: (T,) int sequence of sampled examples instead of a key (to replay another implementation's random
        stream, e.g. the NumPy starter's, or :func:`sample_indices`).
      num_steps: T; default None: 10 M (ten passes over the data, the course's too).
      lam: λ ≥ 0; default None: 1/M, i.e. C = 1/(λM) = 1 (scikit-learn's ``SVC`` default; the course uses
        λ = 1/(64 M), C = 64).
      chunks: the scan runs in this many jitted chunks (one compilation, plus one for a shorter last chunk);
        ``callback(done, T)`` is called after each. Default 10.
      dtype: of the kernel values and coefficients (default: the default float dtype, float64 under x64; see the
        module docstring for why float64 matters at small radii).
      callback: optional progress hook, called as ``callback(steps_done, num_steps)`` between chunks.

    Returns:
      :class:`KernelSVM`.

    Example:
      >>> model = kernel_svm.fit(x, y, radius=[0.1, 1.0], key=key)  # two radii, one scan
      >>> kernel_svm.predict(model, x_test)                          # (2, n) labels
    """
    xb, yn = _check_labels(x, y, "kernel_svm.fit")
    m = xb.shape[0]
    r = _radii(radius, "kernel_svm.fit")
    lam = 1.0 / m if lam is None else float(lam)  # C = 1/(λM) = 1 by default
    if not lam >= 0.0:
        raise UsageError(f"kernel_svm.fit: lam must be >= 0, got {lam!r}")
    if (key is None) == (indices is None):
        raise UsageError("kernel_svm.fit: pass exactly one of key= (a PRNG key) and indices=")
    if indices is None:
        idx = sample_indices(m, key=key, num_steps=num_steps)
    else:
        idx = _indices(indices, num_steps, m, "kernel_svm.fit")
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
        raise UsageError(f"kernel_svm.fit: chunks must be a positive int, got {chunks!r}")
    dtype = jax.dtypes.canonicalize_dtype(float if dtype is None else dtype)
    alpha_sum, alpha_last = _sweep(xb, yn, np.atleast_1d(r), idx, lam, chunks, dtype, callback)
    # ᾱ = (1/T) Σ_t α_t (host division: one IEEE rounding, as on the device)
    alpha_avg = alpha_sum / idx.size
    if r.ndim == 0:
        alpha_avg, alpha_last = alpha_avg[0], alpha_last[0]
    return KernelSVM(
        alpha=_put(alpha_avg),
        alpha_last=_put(alpha_last),
        x=_put(xb),
        radius=_put(r, dtype),
        lam=lam,
        num_steps=int(idx.size),
    )


def _sweep(xb, yn, radii, idx, lam, chunks, dtype, callback):
    """Run the T steps in jitted chunks; returns (Σ_t α_t, α_T), each (R, M) in NumPy."""
    m, total = xb.shape[0], idx.size
    index = _index(xb)
    y_pm = _put(2.0 * yn - 1.0, dtype)  # {0,1} → {−1,+1}
    dmax = 2 * int(index.ids.shape[1])  # ‖x_i − x_j‖² ≤ n_i + n_j ≤ 2 max n
    table = _rbf_table(np.arange(dmax + 1, dtype=dtype), radii.astype(dtype))
    dist_dtype = _distance_dtype(dmax)
    # the matrix costs M rows once, the steps need T rows (T = 10 M by default): the same integers either way
    if total >= m and m * m * jnp.dtype(dist_dtype).itemsize <= DISTANCE_MATRIX_BYTES:
        distances = _distance_matrix(index, dist_dtype)
    else:
        distances = index
    zeros = _put(np.zeros((radii.size, m)), dtype)
    # the radius axis is spread over every visible device (jaxml.sharding; padded to a multiple of the device
    # count by repeating the last radius, whose copies are dropped below); a no-op with one device
    table, zeros = shard_leading((table, zeros))
    state = _State(alpha=zeros, alpha_sum=zeros)
    lam_j = _put(lam, dtype)
    size = -(-total // min(chunks, total))
    for start in range(0, total, size):
        stop = min(start + size, total)
        steps = np.arange(start + 1, stop + 1, dtype=dtype)  # t, 1-based: step size 1/√t
        state = _run_chunk(state, steps, idx[start:stop], distances, y_pm, table, lam_j)
        if callback is not None:
            block_until_ready(state, what="kernel SVM chunk")
            callback(stop, total)
    block_until_ready(state, what="kernel SVM fit")  # a bounded wait, then host numbers
    return np.asarray(state.alpha_sum)[: radii.size], np.asarray(state.alpha)[: radii.size]


@jax.jit
def _decision_block(xq, xtrain, alpha, radii):
    """f_r(x) = Σ_j ᾱ_rj K_r(x, x_j) for a block of queries; exact integer distances (binary features)."""
    xq32 = xq.astype(jnp.float32)
    xt32 = xtrain.astype(jnp.float32)
    common = xq32 @ xt32.T  # x·x_j, an exact integer in float32 (< 2^24)
    d = xq32.sum(1)[:, None] + xt32.sum(1)[None, :] - 2.0 * common  # ‖x − x_j‖² = n + n_j − 2 x·x_j
    d = d.astype(alpha.dtype)
    k = jnp.exp(-d[None, :, :] / (2.0 * radii[:, None, None] ** 2))  # (R, B, M)
    return jnp.einsum("rbm,rm->rb", k, alpha)


def decision(model: KernelSVM, x, *, block_size: int = 256) -> jax.Array:
    """f(x) = Σ_j ᾱ_j exp(−‖x − x_j‖² / (2 r²)) on binarised queries, in blocks of ``block_size`` rows.

    Memory is O(block_size · M · R) whatever the number of queries; every block (the last one padded) has the
    same shape, so one compiled program serves any number of queries.

    Args:
      model: a :class:`KernelSVM` from :func:`fit`.
      x: (n, V) query features (counts; binarised here).
      block_size: query rows per kernel block; default 256.

    Returns:
      (n,) or (R, n) decision values (R iff the model has several radii).
    """
    if not isinstance(model, KernelSVM):
        raise UsageError(
            f"kernel_svm.decision: model must be a KernelSVM, got {type(model).__name__}"
        )
    xb = _binary(x, "kernel_svm.decision")
    if xb.shape[1] != model.x.shape[1]:
        raise UsageError(
            f"kernel_svm.decision: x has {xb.shape[1]} columns but the model has V = {model.x.shape[1]}"
        )
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise UsageError(
            f"kernel_svm.decision: block_size must be a positive int, got {block_size!r}"
        )
    alpha = np.atleast_2d(np.asarray(model.alpha))
    radii = np.atleast_1d(np.asarray(model.radius))
    n = xb.shape[0]
    out = [np.zeros((alpha.shape[0], 0), alpha.dtype)]
    for start in range(0, n, block_size):
        block = xb[start : start + block_size]
        if block.shape[0] < block_size and n > block_size:  # pad the last block: one compiled shape
            block = np.concatenate(
                [block, np.zeros((block_size - block.shape[0], xb.shape[1]), np.uint8)]
            )
        out.append(np.asarray(_decision_block(block, model.x, alpha, radii)))
    f = np.concatenate(out, axis=1)[:, :n]  # host work: no compiled program
    return _put(f[0] if model.radius.ndim == 0 else f)


def predict(model: KernelSVM, x, *, block_size: int = 256) -> jax.Array:
    """Labels ŷ = 1{f(x) > 0} (the starter's (1 + sign f) // 2: f = 0 → 0, ham).

    Args:
      model: a :class:`KernelSVM` from :func:`fit`.
      x: (n, V) query features (counts; binarised here).
      block_size: query rows per kernel block (see :func:`decision`); default 256.

    Returns:
      (n,) or (R, n) int32 labels in {0, 1}.
    """
    f = np.asarray(decision(model, x, block_size=block_size))
    return _put(f > 0, np.int32)
