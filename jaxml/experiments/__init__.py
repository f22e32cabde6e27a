"""The write-up's experiments, one module per problem, each registered with ``jaxml reproduce``.

Importing this package registers them all, in the write-up's order.
"""

from ._registry import Context as Context
from ._registry import Experiment as Experiment
from ._registry import ExperimentOutput as ExperimentOutput
from ._registry import Progress as Progress
from ._registry import Row as Row
from ._registry import register as register
from ._registry import registered as registered

# Registration order = report order. Each module calls @register once.
from . import logreg_stability
from . import spam
from . import perceptron
from . import double_descent
from . import network
from . import derivations
