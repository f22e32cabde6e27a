"""The course's RBF-kernel SVM (write-up §2(d)): averaged stochastic sub-gradient descent on the kernelised hinge
loss, several radii in one scan.

``fit(x, y, *, radius, key=...) -> KernelSVM`` (or ``indices=`` to replay a given random stream, e.g.
``sample_indices(M, key=key)``); ``decision`` (f(x) = Σ_j ᾱ_j K(x, x_j)); ``predict`` (1{f > 0}). The default
regulariser is C = 1 (λ = 1/M); the course's is C = 64 (``lam=1 / (64 * M)``).
"""

from ._kernel_svm import KernelSVM, decision, fit, predict, sample_indices

__all__ = [
    "KernelSVM",
    "decision",
    "fit",
    "predict",
    "sample_indices",
]
