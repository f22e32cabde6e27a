"""Linear SVM, hinge loss with an L2 penalty (write-up §1(d)): ``jaxml.models.linear_svm``.

    J(θ) = (λ/2) ‖w‖² + (1/n) Σᵢ max(0, 1 − ỹᵢ θᵀxᵢ),   θ = (b, w),   ỹ = 2y − 1

``fit`` returns a :class:`LinearSVM`; ``dual`` and ``duality_gap`` certify it (weak duality).

Example::

    from jaxml.models import linear_svm, logistic
    x = logistic.add_intercept(x_raw)
    svm = linear_svm.fit(x, y, lam=1e-4)
    assert linear_svm.duality_gap(svm, x, y, lam=1e-4) < 1e-6 * svm.objective

Settings are keyword-only (``dual(x, y, lam=...)``); ``objective(theta, x, y, lam)`` takes λ by position, as
``jax.grad`` calls it.
"""

from ._linear_svm import LinearSVM, decision, dual, duality_gap, fit, margin, objective, predict

__all__ = ["LinearSVM", "decision", "dual", "duality_gap", "fit", "margin", "objective", "predict"]
