"""The kernel perceptron of write-up §3: one jitted pass, beta_i = alpha [y_i - g(sum_{k<i} beta_k K(x_k, x_i))].

>>> from jaxml.models import kernels, perceptron
>>> model = perceptron.fit(x_train, y_train, kernel=kernels.rbf, alpha=0.5)   # a KernelPerceptron
>>> perceptron.predict(model, x_test)                                         # labels in {0, 1}
>>> perceptron.margin(model, x_test)                                          # sum_j beta_j K(x_j, x)
"""

from ._perceptron import KernelPerceptron, fit, margin, predict

__all__ = [
    "KernelPerceptron",
    "fit",
    "margin",
    "predict",
]
