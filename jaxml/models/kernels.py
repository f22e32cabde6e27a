"""Kernels K(x, z) on single examples and blocked kernel products (write-up §3).

>>> from jaxml.models import kernels
>>> kernels.rbf(x, z, sigma=1.0)                   # a scalar
>>> kernels.matvec(kernels.rbf, x_train, beta, x)  # sum_j beta_j K(x_j, x_i), in blocks of rows

A kernel's parameters are keyword-only (``rbf(x, z, sigma=2.0)``, ``functools.partial(kernels.rbf, sigma=2.0)``).
"""

from ._kernels import (
    NON_PSD_EPS,
    Kernel,
    check_kernel,
    dot,
    gram,
    matvec,
    min_eigenvalue,
    non_psd,
    polynomial,
    rbf,
    row,
)

__all__ = [
    "NON_PSD_EPS",
    "Kernel",
    "check_kernel",
    "dot",
    "gram",
    "matvec",
    "min_eigenvalue",
    "non_psd",
    "polynomial",
    "rbf",
    "row",
]
