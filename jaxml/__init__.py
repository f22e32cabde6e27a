"""jaxml: the CS229 PS2 models in JAX, jitted training, and a verifier for hand-derived mathematics.

Importing jaxml changes no global JAX state. The write-up's experiments run in float64: the ``jaxml`` command
switches it on; in your own code call :func:`jaxml.enable_float64` (or ``jax.config.update("jax_enable_x64",
True)``) first if you want the same numbers. The verifier always compares in float64, whatever your setting.

The library: ``jaxml.models`` (one sub-namespace per model family), ``jaxml.verify`` (the derivation verifier),
``jaxml.data`` (the course data's loaders and synthetic stand-ins), ``jaxml.testing`` (assertions and example
draws for your tests) and ``jaxml.errors``; ``jaxml.separability`` and ``jaxml.lbfgs`` are algorithms the models
use, imported by name. The rest belongs to the ``jaxml`` command and changes process-wide state or speaks of its
flags: ``jaxml.allocator`` (glibc's malloc thresholds), ``jaxml.placement`` (CPU/GPU policy), ``jaxml.sharding``,
``jaxml.timeouts`` and the watchdog.
"""

from . import data as data
from . import errors as errors
from . import models as models
from . import testing as testing
from . import verify as verify
from ._float64 import enable_float64 as enable_float64

__version__ = "0.1.0"
