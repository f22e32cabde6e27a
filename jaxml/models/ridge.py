"""Ridge regression as MAP estimation with a Gaussian prior (write-up §4(b)-(d)); the double-descent sweep.

>>> from jaxml.models import ridge
>>> ridge.fit(x, y, lam=0.1)  # argmin ‖y − Xθ‖² + λ‖θ‖², solved directly: a RidgeFit (default λ = 1)
>>> ridge.theta_map(x, y, sigma=0.5, eta=0.1)  # (XᵀX + (σ²/η²) I)⁻¹ Xᵀy
>>> ridge.path(x, y, lams=lams)  # θ(λ) for many λ from one factorisation
>>> ridge.double_descent_sweep(xs, ys, x_val, y_val, lams=lams)  # validation MSE, one jitted call
>>> ridge.fit_map(x, y, sigma=0.5, eta=0.1)  # L-BFGS on the densities: a RidgeFit

Settings are keyword-only; the objectives and densities (``objective(theta, x, y, lam)``,
``neg_log_posterior(theta, x, y, sigma, eta)``) take their arguments by position, as ``jax.grad``, the solvers
and ``jaxml.verify`` call them.
"""

from ._map import neg_log_likelihood
from ._ridge import (
    RidgeFit,
    closed_form,
    double_descent_sweep,
    fit,
    fit_least_squares,
    fit_map,
    lambda_opt,
    min_norm,
    objective,
    path,
    stack_padded,
    theta_map,
)

# the densities keep their prior in their names (``__name__`` shows in verify reports and compile logs)
from ._ridge import neg_log_posterior_gaussian as neg_log_posterior
from ._ridge import neg_log_prior_gaussian as neg_log_prior

__all__ = [
    "RidgeFit",
    "closed_form",
    "double_descent_sweep",
    "fit",
    "fit_least_squares",
    "fit_map",
    "lambda_opt",
    "min_norm",
    "neg_log_likelihood",
    "neg_log_posterior",
    "neg_log_prior",
    "objective",
    "path",
    "stack_padded",
    "theta_map",
]
