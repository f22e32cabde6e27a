"""Numerical configuration shared by the whole package.

jaxml verifies derivations in float64, so importing jaxml turns on JAX's 64-bit mode
(``jax_enable_x64``). Arrays created as float32 stay float32; pass ``dtype=jnp.float32`` where you want it.
"""

from __future__ import annotations

import jax

jax.config.update("jax_enable_x64", True)
