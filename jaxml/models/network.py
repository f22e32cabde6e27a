"""The two-layer network of write-up §5: sigmoid, step and linear activations, and its jitted training.

    >>> from jaxml.models import network
    >>> net = network.init(2, 3, key=key)                       # Network(W1 (3, 3), W2 (4,), losses (0,))
    >>> net = network.fit(net, x, y, learning_rate=0.3, steps=5_000)
    >>> network.predict(net, x)                                 # labels: o >= 1/2

The implementation and the maths are in ``jaxml/models/_network.py``.
"""

from ._network import STEP_THRESHOLD as STEP_THRESHOLD
from ._network import Network as Network
from ._network import add_intercept as add_intercept
from ._network import collapse as collapse
from ._network import fit as fit
from ._network import forward as forward
from ._network import hidden as hidden
from ._network import init as init
from ._network import linear as linear
from ._network import loss as loss
from ._network import predict as predict
from ._network import predict_step as predict_step
from ._network import step as step
