"""Multinomial event-model naive Bayes with Laplace smoothing (write-up §2(b), §2(c)).

``fit(x, y, *, alpha=1.0) -> NaiveBayes``; ``predict``, ``log_joint`` (log p(x, y = c));
``indicative_tokens(model, words, *, k=5)`` (the words with the largest log(φ_{k|y=1} / φ_{k|y=0})).
"""

from ._naive_bayes import NaiveBayes, fit, indicative_tokens, log_joint, predict

__all__ = [
    "NaiveBayes",
    "fit",
    "indicative_tokens",
    "log_joint",
    "predict",
]
