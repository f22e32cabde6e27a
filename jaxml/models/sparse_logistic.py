"""Logistic regression on sparse features (write-up §2(e)): full-batch gradient ascent on the summed
log-likelihood, optionally L2-penalised, a learning-rate grid (and several feature sets) in one compiled program.

``fit(x, y, *, learning_rates) -> SparseLogistic``; ``fit_many(xs, y, *, learning_rates)`` for several feature sets
of the same messages; ``decision`` / ``decision_many`` (z = θᵀx + b), ``predict``, ``predict_proba``; the objective
``log_likelihood`` and its hand gradient ``log_likelihood_grad``; :class:`SparseRows` (``to_sparse`` from a dense
matrix, ``from_coo`` from its non-zeros).
"""

from ._sparse_logistic import (
    SparseLogistic,
    SparseRows,
    decision,
    decision_many,
    fit,
    fit_many,
    from_coo,
    log_likelihood,
    log_likelihood_grad,
    predict,
    predict_proba,
    to_sparse,
)

__all__ = [
    "SparseLogistic",
    "SparseRows",
    "decision",
    "decision_many",
    "fit",
    "fit_many",
    "from_coo",
    "log_likelihood",
    "log_likelihood_grad",
    "predict",
    "predict_proba",
    "to_sparse",
]
