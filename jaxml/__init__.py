"""jaxml: the CS229 PS2 models in JAX, jitted training, and a verifier for hand-derived mathematics.

Importing jaxml changes no global JAX state. The write-up's experiments run in float64: the ``jaxml`` command
switches it on; in your own code call :func:`jaxml.enable_float64` (or ``jax.config.update("jax_enable_x64",
True)``) first if you want the same numbers. The verifier always compares in float64, whatever your setting.
"""

from . import allocator as allocator
from . import data as data
from . import errors as errors
from . import models as models
from . import placement as placement
from . import random as random
from . import separability as separability
from . import verify as verify
from ._float64 import enable_float64 as enable_float64

__version__ = "0.1.0"
