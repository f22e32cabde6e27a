"""Logistic regression (write-up §1): ``jaxml.models.logistic``.

    ℓ(θ) = (1/n) Σᵢ yᵢ log σ(θᵀxᵢ) + (1 − yᵢ) log σ(−θᵀxᵢ)

``fit`` (gradient ascent, constant / decreasing rate, optional L2 penalty) and ``fit_newton`` return one
:class:`LogisticRegression`; both take ``gradient=`` (Newton also ``hessian=``), defaulting to autodiff.

Example::

    from jaxml.models import logistic
    x = logistic.add_intercept(x_raw)
    result = logistic.fit(x, y, learning_rate=10.0, max_iterations=100_000)
    p = logistic.predict_proba(result, x)
"""

from ._logistic import (
    InversePowerSchedule,
    LogisticRegression,
    add_intercept,
    fit,
    fit_newton,
    inverse_power_schedule,
    l2_regularised_log_likelihood,
    log_likelihood,
    predict,
    predict_proba,
)

__all__ = [
    "InversePowerSchedule",
    "LogisticRegression",
    "add_intercept",
    "fit",
    "fit_newton",
    "inverse_power_schedule",
    "l2_regularised_log_likelihood",
    "log_likelihood",
    "predict",
    "predict_proba",
]
