"""Multinomial event-model naive Bayes with Laplace smoothing (write-up §2(b), §2(c)).

Model (CS229 notes, multinomial event model): a message is a bag of tokens drawn i.i.d. from φ_{·|y},

    p(y = 1) = φ_y,        p(x | y) = Π_k φ_{k|y}^{x_k}        (x_k = count of word k).

Maximum likelihood with Laplace (add-α, α = 1) smoothing — derived in ``derivations/naive_bayes.py``:

    φ_y     = (1/n) Σ_i 1{y_i = 1}
    φ_{k|c} = (α + Σ_{i: y_i = c} x_ik) / (α V + Σ_{i: y_i = c} Σ_j x_ij)

Prediction compares log-joints, never products of probabilities (underflow):

    log p(x, y = c) = log p(y = c) + Σ_k x_k log φ_{k|c}.

A word's indicativeness of spam (§2(c)) is log(φ_{k|y=1} / φ_{k|y=0}).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import UsageError
from ._deprecation import positional_settings


class NaiveBayes(NamedTuple):
    """A fitted multinomial naive Bayes model (log space).

    Attributes:
      log_phi: (2, V) log φ_{k|y=c}; row c = class (0 ham, 1 spam). Each row's exp sums to 1.
      log_prior: (2,) [log(1 − φ_y), log φ_y].
    """

    log_phi: jax.Array
    log_prior: jax.Array


def _is_concrete(a) -> bool:
    return not isinstance(a, jax.core.Tracer)


def _put(a, dtype=None) -> jax.Array:
    """Host data to the device: a transfer, never a compiled program (``jnp.asarray`` stages one per shape)."""
    return jax.device_put(np.asarray(a, dtype=dtype))


def _check_xy(x, y, where: str):
    if not isinstance(x, jax.Array):
        x = _put(x)
    if x.ndim != 2:
        raise UsageError(f"{where}: x must be a (n, V) count matrix, got shape {x.shape}")
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = _put(x, jax.dtypes.canonicalize_dtype(float))  # the default float dtype
    if y is None:
        return x, None
    if not isinstance(y, jax.Array):
        y = _put(y)
    if y.shape != (x.shape[0],):
        raise UsageError(
            f"{where}: y must have shape ({x.shape[0]},) to match x {x.shape}, got {y.shape}"
        )
    if _is_concrete(y):
        bad = ~np.isin(np.asarray(y), (0, 1))
        if bad.any():
            k = int(np.argmax(bad))
            raise UsageError(
                f"{where}: labels must be 0 (ham) or 1 (spam); y[{k}] = {np.asarray(y)[k]!r}"
            )
    if _is_concrete(x):
        xn = np.asarray(x)
        if not np.all(np.isfinite(xn)) or (xn < 0).any():
            raise UsageError(f"{where}: x must hold finite non-negative counts")
    if _is_concrete(y):
        y = _put(y, x.dtype)  # labels in x's dtype (host conversion, no program)
    return x, y


@jax.jit
def _fit(x, y, alpha):
    y = y.astype(x.dtype)
    onehot = jnp.stack([1.0 - y, y], axis=1)  # (n, 2): 1{y_i = c}
    counts = onehot.T @ x  # (2, V): N_{kc} = Σ_{i: y_i=c} x_ik
    v = x.shape[1]
    # φ_{k|c} = (α + N_kc) / (αV + Σ_j N_jc), in log space
    log_phi = jnp.log(alpha + counts) - jnp.log(alpha * v + counts.sum(axis=1, keepdims=True))
    n_c = onehot.sum(axis=0)  # (2,)
    log_prior = jnp.log(n_c) - jnp.log(jnp.asarray(x.shape[0], x.dtype))  # log(1 − φ_y), log φ_y
    return NaiveBayes(log_phi=log_phi, log_prior=log_prior)


def fit(x, y, *, alpha: float = 1.0) -> NaiveBayes:
    """Maximum-likelihood multinomial naive Bayes with add-α (Laplace, α = 1) smoothing.

    φ_{k|c} = (α + Σ_{i: y_i=c} x_ik) / (αV + Σ_{i: y_i=c} Σ_j x_ij),  φ_y = mean(y).

    Args:
      x: (n, V) word counts (non-negative); computes in x's floating dtype.
      y: (n,) labels in {0, 1} (1 = spam).
      alpha: the pseudo-count (> 0); default 1.0 (Laplace smoothing, as the assignment and scikit-learn's
        ``MultinomialNB``).

    Returns:
      :class:`NaiveBayes` with log φ (2, V) and the log prior (2,). A class absent from y gets log prior −inf.
    """
    x, y = _check_xy(x, y, "naive_bayes.fit")
    if isinstance(alpha, bool) or not (isinstance(alpha, (int, float)) and alpha > 0):
        raise UsageError(f"naive_bayes.fit: alpha must be a positive number, got {alpha!r}")
    return _fit(x, y, np.asarray(alpha, dtype=x.dtype))


@jax.jit
def _log_joint(model: NaiveBayes, x):
    return model.log_prior + x @ model.log_phi.T  # log p(y=c) + Σ_k x_k log φ_{k|c}


@jax.jit
def _predict(model: NaiveBayes, x):
    lj = _log_joint(model, x)
    return (lj[:, 1] >= lj[:, 0]).astype(jnp.int32)  # ties go to spam, as in the starter


def _check_model(model, x, where: str):
    if not isinstance(model, NaiveBayes):
        raise UsageError(
            f"{where}: model must be a NaiveBayes (from fit), got {type(model).__name__}"
        )
    x, _ = _check_xy(x, None, where)
    if x.shape[1] != model.log_phi.shape[1]:
        raise UsageError(
            f"{where}: x has {x.shape[1]} columns but the model has V = {model.log_phi.shape[1]}"
        )
    if x.dtype != model.log_phi.dtype:
        raise UsageError(f"{where}: x is {x.dtype} but the model is {model.log_phi.dtype}")
    return x


def log_joint(model: NaiveBayes, x) -> jax.Array:
    """log p(x_i, y = c) for each message and class (up to the multinomial coefficient, equal across classes).

    log p(x, y = c) = log p(y = c) + Σ_k x_k log φ_{k|c}.

    Args:
      model: a :class:`NaiveBayes` from :func:`fit`.
      x: (n, V) counts, V matching the model.

    Returns:
      (n, 2) log-joints, column c for class c.
    """
    return _log_joint(model, _check_model(model, x, "naive_bayes.log_joint"))


def predict(model: NaiveBayes, x) -> jax.Array:
    """Predicted labels: 1 (spam) iff log p(x, y=1) >= log p(x, y=0) (the starter's tie rule).

    Args:
      model: a :class:`NaiveBayes` from :func:`fit`.
      x: (n, V) counts, V matching the model.

    Returns:
      (n,) int32 labels in {0, 1}.
    """
    return _predict(model, _check_model(model, x, "naive_bayes.predict"))


@positional_settings("naive_bayes", ("model", "words", "k"))
def indicative_tokens(model: NaiveBayes, words, *, k: int = 5) -> list[tuple[str, float]]:
    """The k words most indicative of spam, by log(φ_{j|y=1} / φ_{j|y=0}) (write-up §2(c)), largest first.

    Args:
      model: a fitted :class:`NaiveBayes`.
      words: the vocabulary's words (sequence of V str, id order).
      k: how many, in [1, V]; default 5 (the write-up's list).

    Returns:
      list of (word, log-ratio) pairs; ties keep vocabulary order.
    """
    words = list(words)
    log_phi = np.asarray(model.log_phi)  # host work: one subtraction and a sort
    v = log_phi.shape[1]
    if len(words) != v:
        raise UsageError(f"indicative_tokens: {len(words)} words for a model with V = {v}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= v:
        raise UsageError(f"indicative_tokens: k must be an int in [1, {v}], got {k!r}")
    ratio = log_phi[1] - log_phi[0]  # log φ_{j|1} − log φ_{j|0}
    order = np.argsort(-ratio, kind="stable")[:k]
    return [(words[j], float(ratio[j])) for j in order]
