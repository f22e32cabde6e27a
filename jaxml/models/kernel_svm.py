"""The course's RBF-kernel SVM (write-up §2(d)): averaged stochastic sub-gradient descent on the kernelised hinge
loss, several radii in one scan.

``fit(x, y, radius, *, key=...) -> KernelSVM`` (or ``indices=`` to replay a given random stream, e.g.
``sample_indices(M, key=key)``); ``decision`` (f(x) = Σ_j ᾱ_j K(x, x_j)); ``predict`` (1{f > 0}).
"""

from ._kernel_svm import KernelSVM, decision, fit, predict, sample_indices

__all__ = [
    "KernelSVM",
    "decision",
    "fit",
    "predict",
    "sample_indices",
]
