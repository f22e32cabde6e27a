"""Logistic regression on sparse features (write-up §2(e)): the course's full-batch gradient ascent, jitted, a
learning-rate grid (and several feature sets) trained in one compiled program.

    h(x) = σ(θᵀx + b),
    ℓ(θ, b) = Σ_i [ y_i log σ(θᵀx_i + b) + (1 − y_i) log σ(−θᵀx_i − b) ]        (a *sum* over messages)

maximised by full-batch gradient ascent from θ = 0, b = 0, for a fixed number of steps, optionally with an L2
penalty on θ (not on b):

    θ ← θ + α (∇_θ ℓ − λ θ),        b ← b + α ∂ℓ/∂b.

The learning rate α multiplies the gradient of the *sum*, which is what makes the write-up's α = 1e-4 a sensible
value on 4,457 messages (it is α·n ≈ 0.45 on the mean). log σ is ``jax.nn.log_sigmoid`` (stable for large |z|),
and log(1 − σ(z)) = log σ(−z). With λ > 0 the maximiser is scikit-learn's ``LogisticRegression(C=1/λ)``.

Word and n-gram features are 97–99% zeros, so the products use the non-zeros only (:class:`SparseRows`):
z_i = Σ_{(i,k)} x_ik θ_k is a segment sum over rows and Xᵀr one over columns. All learning rates of a grid are
trained together (``jax.vmap`` over the rates inside one ``lax.scan``), and :func:`fit_many` trains several feature
sets over the same messages in the same scan: it stacks them block-diagonally (rows of set p shifted by p·n,
columns by V_1 + … + V_{p−1}), which leaves each set's sums, and so its fit, exactly as if trained alone.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..errors import UsageError
from ..timeouts import block_until_ready
from ._deprecation import positional_settings


@functools.partial(
    jax.tree_util.register_dataclass,
    data_fields=["row", "col", "val", "t_row", "t_col", "t_val"],
    meta_fields=["n", "V"],
)
@dataclasses.dataclass(frozen=True)
class SparseRows:
    """An (n, V) feature matrix by its non-zeros: x[row[t], col[t]] = val[t], sorted by row; ``t_row, t_col,
    t_val`` are the same non-zeros sorted by column (for the sorted segment sum of Xᵀr). A pytree whose shape
    (n, V) is static."""

    row: jax.Array
    col: jax.Array
    val: jax.Array
    t_row: jax.Array
    t_col: jax.Array
    t_val: jax.Array
    n: int
    V: int


def _put(a, dtype=None) -> jax.Array:
    """Host data to the device: a transfer, never a compiled program (``jnp.asarray`` stages one per shape)."""
    return jax.device_put(np.asarray(a, dtype=dtype))


def from_coo(row, col, val, shape) -> SparseRows:
    """:class:`SparseRows` from the non-zeros x[row[t], col[t]] = val[t] of an (n, V) matrix (host arrays).

    Entries are sorted row-major (the order of ``np.nonzero``); ``val`` keeps its floating dtype (NumPy float64
    becomes the default float dtype, float32 without x64).

    Args:
      row: (nnz,) row indices in [0, n).
      col: (nnz,) column indices in [0, V).
      val: (nnz,) finite values (integers become float64, then the default float dtype).
      shape: (n, V).

    Returns:
      :class:`SparseRows` of shape (n, V).
    """
    row, col, val = np.asarray(row), np.asarray(col), np.asarray(val)
    n, v = (int(s) for s in shape)
    if not (row.shape == col.shape == val.shape and row.ndim == 1):
        raise UsageError(
            f"from_coo: row, col, val must be 1-D of one length, got {row.shape}, {col.shape}, {val.shape}"
        )
    if row.size and (row.min() < 0 or row.max() >= n or col.min() < 0 or col.max() >= v):
        raise UsageError(f"from_coo: indices outside the shape ({n}, {v})")
    if not np.all(np.isfinite(val)):
        raise UsageError("from_coo: values contain NaN or inf")
    order = np.lexsort((col, row))  # row-major
    row, col, val = row[order], col[order], val[order]
    # the same non-zeros sorted by column (rows ascending within a column)
    t = np.argsort(col, kind="stable")
    dtype = val.dtype if np.issubdtype(val.dtype, np.floating) else np.float64
    return SparseRows(
        row=_put(row, np.int32),
        col=_put(col, np.int32),
        val=_put(val, dtype),
        t_row=_put(row[t], np.int32),
        t_col=_put(col[t], np.int32),
        t_val=_put(val[t], dtype),
        n=n,
        V=v,
    )


def to_sparse(x) -> SparseRows:
    """The non-zeros of a dense feature matrix (concrete input: call it outside ``jax.jit``).

    Args:
      x: (n, V) finite array, NumPy or JAX (integers become float64, then the default float dtype).

    Returns:
      :class:`SparseRows` of shape (n, V).
    """
    if isinstance(x, jax.core.Tracer):
        raise UsageError("to_sparse: x must be a concrete array (call it outside jax.jit)")
    x = np.asarray(x)
    if x.ndim != 2:
        raise UsageError(f"to_sparse: x must be (n, V), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise UsageError("to_sparse: x contains NaN or inf")
    row, col = np.nonzero(x)  # row-major: sorted by row
    return from_coo(row, col, x[row, col], x.shape)


# ---- the maths, for P feature sets stacked block-diagonally (P = 1: one ordinary problem) ----


def _scores(theta, b, x: SparseRows, problems: int = 1):
    """z_r = θᵀx_r + b_{p(r)} for the P·n stacked rows (flat, row r of set p(r) = r // n): a segment sum over the
    rows of the non-zeros."""
    z = jax.ops.segment_sum(x.val * theta[x.col], x.row, num_segments=x.n, indices_are_sorted=True)
    return z + b[jnp.repeat(jnp.arange(problems), x.n // problems)]  # + b_p, gathered per row


def _per_set_sum(a, problems: int):
    """Σ_i a_{p,i} for each set p: (P·n,) -> (P,)."""
    return jnp.sum(a.reshape(problems, -1), axis=1)


def _log_likelihood(theta, b, x: SparseRows, y, problems: int = 1):
    """ℓ_p = Σ_i y_i log σ(z_pi) + (1 − y_i) log σ(−z_pi), shape (P,)."""
    z = _scores(theta, b, x, problems)
    y = jnp.tile(y, problems)
    # stable log σ
    return _per_set_sum(y * jax.nn.log_sigmoid(z) + (1.0 - y) * jax.nn.log_sigmoid(-z), problems)


def _gradient(theta, b, x: SparseRows, y, problems: int = 1):
    """∂ℓ/∂θ = Xᵀ(y − σ(z)) (segment sum over columns), ∂ℓ/∂b_p = Σ_i (y_i − σ(z_pi))."""
    # y_i − σ(z_i) = d/dz [y log σ(z) + (1 − y) log σ(−z)]
    r = jnp.tile(y, problems) - jax.nn.sigmoid(_scores(theta, b, x, problems))
    g_theta = jax.ops.segment_sum(
        x.t_val * r[x.t_row], x.t_col, num_segments=x.V, indices_are_sorted=True
    )
    return g_theta, _per_set_sum(r, problems)


def log_likelihood(params, x: SparseRows, y):
    """ℓ(θ, b) = Σ_i y_i log σ(z_i) + (1 − y_i) log σ(−z_i), z_i = θᵀx_i + b.

    Args:
      params: (theta (V,), b ()).
      x: :class:`SparseRows` (n, V).
      y: (n,) labels in {0, 1}, in x's dtype.

    Returns:
      The scalar sum.
    """
    theta, b = params
    return _log_likelihood(theta, jnp.reshape(b, (1,)), x, y)[0]


def log_likelihood_grad(params, x: SparseRows, y):
    """∇ℓ by hand: ∂ℓ/∂θ = Xᵀ(y − σ(z)), ∂ℓ/∂b = Σ_i (y_i − σ(z_i)), z = Xθ + b.

    (d/dz [y log σ(z) + (1 − y) log σ(−z)] = y(1 − σ(z)) − (1 − y)σ(z) = y − σ(z).) Checked against
    ``jax.grad(log_likelihood)`` in the tests.

    Args:
      params: (theta (V,), b ()).
      x: :class:`SparseRows` (n, V).
      y: (n,) labels in {0, 1}, in x's dtype.

    Returns:
      (grad_theta (V,), grad_b ()).
    """
    theta, b = params
    g_theta, g_b = _gradient(theta, jnp.reshape(b, (1,)), x, y)
    return g_theta, g_b[0]


@functools.partial(jax.jit, static_argnames=("num_steps", "problems", "has_l2"))
def _ascend(params, x: SparseRows, y, lrs, lam, *, num_steps: int, problems: int, has_l2: bool):
    """``num_steps`` steps of θ ← θ + α(∇_θ ℓ − λθ), b ← b + α ∂ℓ/∂b for every rate α (vmap) at once."""

    def one(theta, b, lr):
        g_theta, g_b = _gradient(theta, b, x, y, problems)  # ∇ℓ
        if has_l2:
            g_theta = g_theta - lam * theta  # ∇(ℓ − (λ/2)‖θ‖²), λ per column (its feature set's)
        return theta + lr * g_theta, b + lr * g_b  # gradient *ascent*

    def step(params, _):
        return jax.vmap(one)(*params, lrs), None

    params, _ = lax.scan(step, params, None, length=num_steps)
    return params


@functools.partial(jax.jit, static_argnames=("problems",))
def _final_log_likelihood(theta, b, x: SparseRows, y, *, problems: int):
    """ℓ_p for every rate, (G, P), each intermediate rounded to memory as in op-by-op evaluation.

    The barriers keep XLA from fusing the products into the sums (a fused multiply-add rounds once, not twice),
    so the value is the one the same formula gives evaluated op by op (and by earlier versions of this model).
    """
    barrier = lax.optimization_barrier

    def one(theta, b):
        w = barrier(x.val * theta[x.col])  # x_ik θ_k
        z = barrier(jax.ops.segment_sum(w, x.row, num_segments=x.n, indices_are_sorted=True))
        z = barrier(z + b[jnp.repeat(jnp.arange(problems), x.n // problems)])  # z = θᵀx + b
        yt = jnp.tile(y, problems)
        pos = barrier(yt * barrier(jax.nn.log_sigmoid(z)))  # y log σ(z)
        # (1 − y) log σ(−z)
        neg = barrier(barrier(1.0 - yt) * barrier(jax.nn.log_sigmoid(barrier(-z))))
        return _per_set_sum(barrier(pos + neg), problems)

    return jax.vmap(one)(theta, b)


class SparseLogistic(NamedTuple):
    """Fitted logistic regressions on one feature set, one per learning rate.

    Attributes:
      theta: (G, V) weights; b: (G,) intercepts; learning_rates: (G,);
      log_likelihood: (G,) final ℓ on the training set (without the penalty; NaN if a rate diverged);
      l2: λ of the penalty (λ/2)‖θ‖² (0: none); num_steps: the number of full-batch steps.
    """

    theta: jax.Array
    b: jax.Array
    learning_rates: jax.Array
    log_likelihood: jax.Array
    l2: float = 0.0
    num_steps: int = 0


def _stack_host(xs: Sequence[SparseRows], names: Sequence[str]) -> dict:
    """The arrays ``names`` of the block-diagonal matrix diag(x_1, …, x_P), in NumPy (no compiled program)."""
    n = xs[0].n
    offsets = np.cumsum([0] + [x.V for x in xs])
    cat = {}
    for name in names:
        parts = []
        for p, x in enumerate(xs):
            a = np.asarray(getattr(x, name))
            if name in ("row", "t_row"):
                a = a + np.int32(p * n)  # rows of set p: p·n + i
            elif name in ("col", "t_col"):
                a = a + np.int32(offsets[p])  # columns of set p: V_1 + … + V_{p−1} + k
            parts.append(a)
        cat[name] = np.concatenate(parts)
    return cat


def _stack(xs: Sequence[SparseRows]) -> SparseRows:
    """diag(x_1, …, x_P) as one :class:`SparseRows` of shape (P·n, V_1 + … + V_P)."""
    cat = _stack_host(xs, ("row", "col", "val", "t_row", "t_col", "t_val"))
    return SparseRows(
        **{k: _put(a) for k, a in cat.items()}, n=xs[0].n * len(xs), V=sum(x.V for x in xs)
    )


def _check_fit(xs, y, learning_rates, num_steps, l2, where):
    if isinstance(xs, SparseRows) or not isinstance(xs, Sequence) or not xs:
        raise UsageError(f"{where}: give a non-empty list of feature matrices")
    xs = [x if isinstance(x, SparseRows) else to_sparse(x) for x in xs]
    n = xs[0].n
    if any(x.n != n for x in xs):
        raise UsageError(
            f"{where}: every feature set must cover the same n messages, got {[x.n for x in xs]}"
        )
    yn = np.asarray(y)
    if yn.shape != (n,):
        raise UsageError(
            f"{where}: y must have shape ({n},) to match x ({n}, {xs[0].V}), got {yn.shape}"
        )
    if not np.all(np.isin(yn, (0, 1))):
        raise UsageError(
            f"{where}: labels must be 0 or 1, found {np.unique(yn[~np.isin(yn, (0, 1))])[:3]}"
        )
    lrs = np.asarray(learning_rates, dtype=np.float64)
    if lrs.ndim != 1 or lrs.size == 0 or not np.all(np.isfinite(lrs)) or np.any(lrs <= 0):
        raise UsageError(
            f"{where}: learning_rates must be a non-empty list of numbers > 0, got {learning_rates!r}"
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)) or num_steps < 1:
        raise UsageError(f"{where}: num_steps must be a positive int, got {num_steps!r}")
    lam = np.broadcast_to(np.asarray(l2, dtype=np.float64), (len(xs),))
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise UsageError(
            f"{where}: l2 must be >= 0 (one number, or one per feature set), got {l2!r}"
        )
    return xs, yn, lrs, lam


@positional_settings("sparse_logistic", ("xs", "y", "learning_rates"))
def fit_many(
    xs: Sequence,
    y,
    *,
    learning_rates: Sequence[float],
    num_steps: int = 2000,
    l2=0.0,
    chunks: int = 4,
    callback: Callable[[int, int], None] | None = None,
) -> list[SparseLogistic]:
    """Gradient ascent on ℓ for several feature sets of the same messages × a learning-rate grid, in one program.

    θ_{t+1} = θ_t + α (∇_θ ℓ(θ_t) − λ θ_t), b likewise without the penalty; θ_0 = 0, ``num_steps`` full-batch
    steps. Each feature set is fitted exactly as :func:`fit` would fit it alone (block-diagonal stacking).

    Args:
      xs: P feature matrices (n, V_p), each dense or :class:`SparseRows`, over the same n messages.
      y: (n,) labels in {0, 1}.
      learning_rates: the grid of α (> 0), G of them, shared by every feature set (keyword-only, required:
        α multiplies the gradient of a *sum*, so its scale depends on n and on the features).
      num_steps: steps per rate; default 2,000.
      l2: λ ≥ 0, one number or one per feature set; default 0 (no penalty).
      chunks: jitted chunks (progress via ``callback(done, num_steps)`` between them); default 4.
      callback: the progress hook; default None.

    Returns:
      P :class:`SparseLogistic`, one per feature set (a rate that diverges gives non-finite θ; a validation
      step will not pick it).
    """
    xs, yn, lrs, lam = _check_fit(xs, y, learning_rates, num_steps, l2, "fit_many")
    chunks = max(1, min(int(chunks), int(num_steps)))
    x = _stack(xs)
    dtype = x.val.dtype
    problems, g = len(xs), lrs.size
    lam_col = _put(np.repeat(lam, [s.V for s in xs]), dtype)  # λ of each column's set
    params = (_put(np.zeros((g, x.V)), dtype), _put(np.zeros((g, problems)), dtype))
    yj, lrj = _put(yn, dtype), _put(lrs, dtype)
    size, done = -(-num_steps // chunks), 0
    while done < num_steps:
        steps = min(size, num_steps - done)
        params = _ascend(
            params,
            x,
            yj,
            lrj,
            lam_col,
            num_steps=steps,
            problems=problems,
            has_l2=bool(np.any(lam > 0)),
        )
        done += steps
        if callback is not None:
            block_until_ready(params, what="logistic-regression chunk")
            callback(done, num_steps)
    block_until_ready(params, what="logistic-regression fits")  # a bounded wait, then host numbers
    ll = np.asarray(_final_log_likelihood(*params, x, yj, problems=problems))
    theta, b = np.asarray(params[0]), np.asarray(params[1])
    offsets = np.cumsum([0] + [s.V for s in xs])
    return [
        SparseLogistic(
            theta=_put(theta[:, offsets[p] : offsets[p + 1]]),
            b=_put(b[:, p]),
            learning_rates=lrj,
            log_likelihood=_put(ll[:, p]),
            l2=float(lam[p]),
            num_steps=int(num_steps),
        )
        for p in range(problems)
    ]


@positional_settings("sparse_logistic", ("x", "y", "learning_rates"))
def fit(
    x,
    y,
    *,
    learning_rates: Sequence[float],
    num_steps: int = 2000,
    l2: float = 0.0,
    chunks: int = 4,
    callback: Callable[[int, int], None] | None = None,
) -> SparseLogistic:
    """Gradient ascent on ℓ(θ, b) (a sum over messages) for every learning rate of a grid at once.

    θ_{t+1} = θ_t + α (∇_θ ℓ(θ_t) − λ θ_t), θ_0 = 0, ``num_steps`` full-batch steps (:func:`fit_many` with one
    feature set).

    Args:
      x: (n, V) features, dense or :class:`SparseRows`.
      y: (n,) labels in {0, 1}.
      learning_rates: the grid of G rates α (> 0) (keyword-only, required: α multiplies the gradient of a
        *sum*, so its scale depends on n and on the features; the write-up's best is 1e-4 on 4,457 messages).
      num_steps: steps per rate; default 2,000.
      l2: λ ≥ 0 of the penalty (λ/2)‖θ‖²; default 0 (none, as the course).
      chunks: jitted chunks (progress via ``callback(done, num_steps)`` between them); default 4.
      callback: the progress hook; default None.

    Returns:
      :class:`SparseLogistic` with one fit per rate.

    Example:
      >>> model = sparse_logistic.fit(x, y, learning_rates=[1e-4, 1e-3])
      >>> sparse_logistic.predict(model, x_test)  # (2, n) labels, one row per rate
    """
    if not isinstance(x, SparseRows):
        x = _as_sparse(x, "fit")
    return fit_many(
        [x],
        y,
        learning_rates=learning_rates,
        num_steps=num_steps,
        l2=l2,
        chunks=chunks,
        callback=callback,
    )[0]


def _as_sparse(x, where: str) -> SparseRows:
    if np.ndim(x) != 2:
        raise UsageError(f"{where}: x must be (n, V) or SparseRows, got shape {np.shape(x)}")
    return to_sparse(x)


def _bucket(size: int, step: int) -> int:
    return max(step, -(-size // step) * step)


@functools.partial(jax.jit, static_argnames=("problems", "rows"))
def _decide(theta, b, row, col, val, *, problems: int, rows: int):
    """z[g, p, i] for every rate g; padding entries point at the dropped segment ``problems * rows``."""

    def one(theta, b):
        z = jax.ops.segment_sum(
            val * theta[col], row, num_segments=problems * rows + 1, indices_are_sorted=True
        )
        return z[:-1].reshape(problems, rows) + b[:, None]  # θ_pᵀx_{p,i} + b_p

    return jax.vmap(one)(theta, b)


def decision_many(models: Sequence[SparseLogistic], xs: Sequence) -> list[jax.Array]:
    """z = θᵀx + b of each model on its feature set (same messages), every rate, in one compiled program.

    Shapes are padded to buckets (rows to a multiple of 64, non-zeros to a multiple of 8,192), so splits of
    similar sizes share the program.

    Args:
      models: P :class:`SparseLogistic` with the same number G of rates.
      xs: P feature matrices (n, V_p), dense or :class:`SparseRows`, V_p matching the models.

    Returns:
      P arrays (G, n) of scores.
    """
    if len(models) != len(xs) or not models:
        raise UsageError(f"decision_many: {len(models)} models for {len(xs)} feature sets")
    xs = [x if isinstance(x, SparseRows) else _as_sparse(x, "decision") for x in xs]
    for m, x in zip(models, xs):
        if not isinstance(m, SparseLogistic):
            raise UsageError(f"decision: model must be a SparseLogistic, got {type(m).__name__}")
        if x.V != m.theta.shape[-1]:
            raise UsageError(
                f"decision: x has {x.V} columns but the model has V = {m.theta.shape[-1]}"
            )
    if len({x.n for x in xs}) != 1 or len({m.theta.shape[0] for m in models}) != 1:
        raise UsageError(
            "decision_many: feature sets must cover the same messages, models the same rates"
        )
    n, problems = xs[0].n, len(xs)
    rows = _bucket(n, 64)
    padded = [dataclasses.replace(x, n=rows) for x in xs]  # rows ≥ n: the extra rows stay empty
    s = _stack_host(padded, ("row", "col", "val"))
    nnz, dtype = s["row"].size, s["val"].dtype
    pad = _bucket(nnz, 8192) - nnz
    row = np.concatenate([s["row"], np.full(pad, problems * rows, np.int32)])
    col = np.concatenate([s["col"], np.zeros(pad, np.int32)])
    val = np.concatenate([s["val"], np.zeros(pad, dtype)])
    theta = np.concatenate([np.asarray(m.theta, dtype) for m in models], axis=1)
    b = np.stack([np.asarray(m.b, dtype) for m in models], axis=1)
    z = np.asarray(_decide(theta, b, row, col, val, problems=problems, rows=rows))
    return [_put(z[:, p, :n]) for p in range(problems)]


def decision(model: SparseLogistic, x) -> jax.Array:
    """Scores z = θᵀx + b for every learning rate.

    Args:
      model: a :class:`SparseLogistic` of G rates.
      x: (n, V) features, dense or :class:`SparseRows`.

    Returns:
      (G, n) scores, a JAX array.
    """
    return decision_many([model], [x])[0]


def predict(model: SparseLogistic, x) -> jax.Array:
    """Labels 1{θᵀx + b > 0} (σ > 1/2) for every learning rate.

    Args:
      model: a :class:`SparseLogistic` of G rates.
      x: (n, V) features, dense or :class:`SparseRows`.

    Returns:
      (G, n) int32 labels in {0, 1}, a JAX array.
    """
    return _put(np.asarray(decision(model, x)) > 0, np.int32)


def predict_proba(model: SparseLogistic, x) -> jax.Array:
    """p(y = 1 | x) = σ(θᵀx + b) for every learning rate, as σ(z) = exp(−log(1 + e^{−z})) (stable).

    Args:
      model: a :class:`SparseLogistic` of G rates.
      x: (n, V) features, dense or :class:`SparseRows`.

    Returns:
      (G, n) probabilities, a JAX array.
    """
    z = np.asarray(decision(model, x))
    return _put(np.exp(-np.logaddexp(0.0, -z)))
