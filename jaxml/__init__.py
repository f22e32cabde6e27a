"""jaxml: the CS229 PS2 models in JAX, jitted training, and a verifier for hand-derived mathematics.

Importing jaxml turns on JAX's float64 mode (derivations are verified in float64).
"""

from . import _config  # noqa: F401  (float64 on)
from . import data as data
from . import errors as errors
from . import models as models
from . import placement as placement
from . import separability as separability
from . import verify as verify

__version__ = "0.1.0"
