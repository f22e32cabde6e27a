"""MAP linear regression (write-up §4): what the Gaussian-prior (ridge) and Laplace-prior (lasso) families share.

The model of §4(c): yᵢ | xᵢ, θ ~ N(θᵀxᵢ, σ²) independently, X (n, d) with rows xᵢᵀ. Two priors:

* Gaussian θ ~ N(0, η²I) (:mod:`jaxml.models.ridge`): −log p(θ | X, y) = ‖y − Xθ‖²/(2σ²) + ‖θ‖²/(2η²) + const,
  minimised by θ_MAP = (XᵀX + (σ²/η²) I)⁻¹ Xᵀy (§4(c));
* Laplace θⱼ ~ Laplace(0, b) (:mod:`jaxml.models.lasso`): −log p(θ | X, y) = ‖y − Xθ‖²/(2σ²) + ‖θ‖₁/b + const,
  i.e. the lasso ‖y − Xθ‖² + γ‖θ‖₁ with γ = 2σ²/b (§4(e)).

The negative log posteriors are written from the densities (``jax.scipy.stats.norm`` / ``laplace``), not from the
closed forms, so that the solvers check the derivations instead of repeating them. This file holds the shared
likelihood and the input checks.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax.scipy import stats

from ..errors import UsageError


def check_xy(x, y, *, what: str = "x, y") -> None:
    """Raise UsageError unless x is (n, d) and y is (n,)."""
    x_shape, y_shape = np.shape(x), np.shape(y)
    if len(x_shape) != 2 or len(y_shape) != 1 or x_shape[0] != y_shape[0]:
        raise UsageError(f"{what}: expected x (n, d) and y (n,); got x {x_shape}, y {y_shape}")


def check_vector(values, name: str) -> None:
    """Raise UsageError unless ``values`` is 1-d."""
    if np.ndim(values) != 1:
        raise UsageError(f"{name} must be a 1-d array of values; got shape {np.shape(values)}")


def float_dtype(*arrays):
    """The floating dtype to compute in: the inputs' (if floating), else the default float."""
    dtype = jnp.result_type(*arrays)
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.result_type(float)


def as_float(x, y):
    """x and y as JAX arrays of x's floating dtype."""
    x, y = jnp.asarray(x), jnp.asarray(y)
    dtype = float_dtype(x)
    return x.astype(dtype), y.astype(dtype)


def neg_log_likelihood(theta, x, y, sigma):
    """−log p(y | X, θ) for yᵢ | xᵢ, θ ~ N(θᵀxᵢ, σ²) independent (write-up §4(c)).

        −log p(y | X, θ) = Σᵢ (yᵢ − θᵀxᵢ)²/(2σ²) + n log(√(2π) σ)

    Args:
      theta: (d,) parameters.
      x: (n, d) inputs, rows xᵢᵀ.
      y: (n,) targets.
      sigma: noise standard deviation σ > 0.

    Returns:
      scalar.
    """
    # log N(yᵢ; θᵀxᵢ, σ²), summed over the independent examples
    return -jnp.sum(stats.norm.logpdf(y, loc=x @ theta, scale=sigma))
