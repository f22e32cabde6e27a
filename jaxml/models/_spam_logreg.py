"""Legacy names of the sparse logistic regression (now ``jaxml.models.sparse_logistic``); removed at integration.

``benchmarks/`` and ``tests/benchmarks/`` still import ``jaxml.models._spam_logreg``; these thin aliases keep them
working until they move to the public API.
"""

from __future__ import annotations

from ._sparse_logistic import SparseLogistic as SpamLogReg
from ._sparse_logistic import SparseRows, to_sparse
from ._sparse_logistic import fit as _fit
from ._sparse_logistic import log_likelihood as log_likelihood_sum
from ._sparse_logistic import log_likelihood_grad as log_likelihood_sum_grad
from ._sparse_logistic import predict as predict_spam_logreg


def fit_spam_logreg(x, y, learning_rates, *, num_steps=2000, chunks=4, callback=None) -> SpamLogReg:
    """Legacy name of :func:`jaxml.models.sparse_logistic.fit` (no L2)."""
    return _fit(x, y, learning_rates, num_steps=num_steps, chunks=chunks, callback=callback)


__all__ = [
    "SpamLogReg",
    "SparseRows",
    "fit_spam_logreg",
    "log_likelihood_sum",
    "log_likelihood_sum_grad",
    "predict_spam_logreg",
    "to_sparse",
]
