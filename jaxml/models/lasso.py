"""The lasso as MAP estimation with a Laplace prior (write-up §4(e)), solved by FISTA.

>>> from jaxml.models import lasso
>>> lasso.fit(x, y, gamma=0.5)  # argmin ‖y − Xθ‖² + γ‖θ‖₁: a LassoFit (default γ = 1)
>>> lasso.path(x, y, gammas=gammas)  # vmapped over γ, one jitted call
>>> lasso.fit_map(x, y, sigma=0.5, b=0.1)  # FISTA on the Laplace posterior's densities
>>> lasso.map_gamma(sigma, b)  # γ = 2σ²/b

Settings are keyword-only; the objectives and densities (``objective(theta, x, y, gamma)``,
``neg_log_posterior(theta, x, y, sigma, b)``) take their arguments by position, as ``jax.grad``, the solvers and
``jaxml.verify`` call them.
"""

from ._lasso import (
    LassoFit,
    fista,
    fit,
    fit_map,
    map_gamma,
    objective,
    path,
    soft_threshold,
    squared_loss,
)

# the densities keep their prior in their names (``__name__`` shows in verify reports and compile logs)
from ._lasso import neg_log_posterior_laplace as neg_log_posterior
from ._lasso import neg_log_prior_laplace as neg_log_prior
from ._map import neg_log_likelihood

__all__ = [
    "LassoFit",
    "fista",
    "fit",
    "fit_map",
    "map_gamma",
    "neg_log_likelihood",
    "neg_log_posterior",
    "neg_log_prior",
    "objective",
    "path",
    "soft_threshold",
    "squared_loss",
]
