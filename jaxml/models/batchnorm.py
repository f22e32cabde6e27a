"""Batch normalisation (write-up §6): the layer with its hand-derived backward pass (``jax.custom_vjp``), the
plain layer for autodiff, and the §5 network with batch norm trained by gradient descent.

    >>> from jaxml.models import batchnorm
    >>> y = batchnorm.layer(x, gamma, beta)                     # backward pass: eq. 16, by hand
    >>> y_ref = batchnorm.reference(x, gamma, beta)             # backward pass: autodiff
    >>> net = batchnorm.fit(batchnorm.init(2, 3, key=key), x, labels, learning_rate=0.3, steps=2_000)

The implementation and the maths are in ``jaxml/models/_batchnorm.py``.
"""

from ._batchnorm import BatchNormNetwork, fit, forward, init, loss, predict
from ._batchnorm import batchnorm as layer
from ._batchnorm import batchnorm_backward as backward
from ._batchnorm import batchnorm_reference as reference
from ._batchnorm import batchnorm_stats as stats

__all__ = [
    "BatchNormNetwork",
    "backward",
    "fit",
    "forward",
    "init",
    "layer",
    "loss",
    "predict",
    "reference",
    "stats",
]
