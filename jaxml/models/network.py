"""The two-layer network of write-up §5: sigmoid, step and linear activations, and its jitted training.

    >>> from jaxml.models import network
    >>> net = network.init(2, 3, key=key)                       # Network(W1 (3, 3), W2 (4,), losses (0,))
    >>> net = network.fit(net, x, y, learning_rate=0.3, steps=5_000)
    >>> network.predict(net, x)                                 # labels: o >= 1/2

The implementation and the maths are in ``jaxml/models/_network.py``.
"""

from ._network import (
    STEP_THRESHOLD,
    Network,
    add_intercept,
    collapse,
    fit,
    forward,
    hidden,
    init,
    linear,
    loss,
    predict,
    predict_step,
    step,
)

__all__ = [
    "STEP_THRESHOLD",
    "Network",
    "add_intercept",
    "collapse",
    "fit",
    "forward",
    "hidden",
    "init",
    "linear",
    "loss",
    "predict",
    "predict_step",
    "step",
]
