"""Ridge regression as MAP estimation with a Gaussian prior (write-up §4(b)-(d)); the double-descent sweep.

>>> from jaxml.models import ridge
>>> ridge.theta_map(x, y, sigma, eta)  # (XᵀX + (σ²/η²) I)⁻¹ Xᵀy
>>> ridge.path(x, y, lams)  # θ(λ) for many λ from one factorisation
>>> ridge.double_descent_sweep(xs, ys, lams, x_val, y_val)  # validation MSE, one jitted call
>>> ridge.fit_map(x, y, sigma, eta)  # L-BFGS on the densities: a RidgeFit
"""

from ._map import neg_log_likelihood
from ._ridge import (
    RidgeFit,
    closed_form,
    default_rcond,
    double_descent_sweep,
    fit_least_squares,
    fit_map,
    lambda_opt,
    min_norm,
    objective,
    pad_rows,
    path,
    theta_map,
)

# the densities keep their prior in their names (``__name__`` shows in verify reports and compile logs)
from ._ridge import neg_log_posterior_gaussian as neg_log_posterior
from ._ridge import neg_log_prior_gaussian as neg_log_prior

__all__ = [
    "RidgeFit",
    "closed_form",
    "default_rcond",
    "double_descent_sweep",
    "fit_least_squares",
    "fit_map",
    "lambda_opt",
    "min_norm",
    "neg_log_likelihood",
    "neg_log_posterior",
    "neg_log_prior",
    "objective",
    "pad_rows",
    "path",
    "theta_map",
]
