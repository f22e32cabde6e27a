"""Logistic regression (write-up §1): ``jaxml.models.logistic``.

    ℓ(θ) = (1/n) Σᵢ yᵢ log σ(θᵀxᵢ) + (1 − yᵢ) log σ(−θᵀxᵢ)

``fit`` (gradient ascent, constant / decreasing rate, optional L2 penalty) and ``fit_newton`` return one
:class:`LogisticRegression`; both take ``gradient=`` (Newton also ``hessian=``), defaulting to autodiff.

Example::

    from jaxml.models import logistic
    x = logistic.add_intercept(x_raw)
    result = logistic.fit(x, y)  # step 1/L, ‖Δθ‖ < √ε, at most 10,000 steps
    p = logistic.predict_proba(result, x)
    course = logistic.fit(x, y, learning_rate=10.0, tol=1e-15, max_iterations=1_000_000)  # write-up §1

Settings are keyword-only (``inverse_power_schedule(alpha0=10.0, power=3.0)``); the objectives
(``log_likelihood(theta, x, y)``, ``l2_regularised_log_likelihood(theta, x, y, lam)``) take their arguments by
position, as ``jax.grad`` and ``jaxml.verify`` call them.
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
