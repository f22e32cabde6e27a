"""MAP estimation for linear regression: Gaussian and Laplace priors (write-up §4(b), (c), (e)).

Model: yᵢ | xᵢ, θ ~ N(θᵀxᵢ, σ²) independently; X (n, d) has rows xᵢᵀ, so the residual vector is y − Xθ.

**§4(b), eq. (7).** With θ ~ N(0, η²I), log p(θ) = −‖θ‖²/(2η²) − (d/2) log(2πη²), hence

    θ_MAP = argmin −log p(y|X,θ) − log p(θ) = argmin −log p(y|X,θ) + λ‖θ‖²,   λ = 1/(2η²),

the two objectives differing by the constant (d/2) log(2πη²).

**§4(c).** −log p(y|X,θ) = ‖y − Xθ‖²/(2σ²) + n log(√(2π)σ). Setting the gradient of eq. (7) to zero,

    ∇ = (XᵀXθ − Xᵀy)/σ² + 2λθ = 0   ⇒   θ_MAP = (XᵀX + 2σ²λ I)⁻¹ Xᵀy = (XᵀX + (σ²/η²) I)⁻¹ Xᵀy.

**§4(e).** With independent θⱼ ~ Laplace(0, b), −log p(θ) = ‖θ‖₁/b + d log(2b), so

    θ_MAP = argmin ‖y − Xθ‖²/(2σ²) + ‖θ‖₁/b = argmin ‖y − Xθ‖² + γ‖θ‖₁,   γ = 2σ²/b

(multiply by 2σ² > 0; the minimiser does not move). The objective is not differentiable at θⱼ = 0, so the check is
the lasso's sub-gradient (KKT) conditions at the minimiser of the Laplace posterior, found by proximal gradient.

**λ = 0 and n < d.** XᵀX is singular and every θ = X⁺y + v with Xv = 0 fits the data equally well; the limit
λ → 0⁺ of the ridge solution is the minimum-norm one, θ⁺ = X⁺y = lim (XᵀX + λI)⁻¹Xᵀy, which lies in the row space
of X (θ⁺ ⊥ null(X)), so ‖θ⁺ + v‖² = ‖θ⁺‖² + ‖v‖² ≥ ‖θ⁺‖².

**Where the write-up slips** (the closed form itself is right):

* notation: it writes (y − θᵀX)ᵀ(y − θᵀX) and ‖y − θᵀX‖₂² where (y − Xθ) is meant (X is n × d with rows xᵢᵀ;
  read literally θᵀX needs X to be d × n, and then (y − θᵀX)ᵀ(y − θᵀX) with a row vector is an n × n matrix);
* sign (§4(c)): it writes log p(y|x,θ) = Σ log(1/(√(2π)σ)) − Σ(−(yᵢ − θᵀxᵢ)²/(2σ²)) and substitutes
  −Σ log(1/(√(2π)σ)) + Σ(−(yᵢ − θᵀxᵢ)²/(2σ²)) + λ‖θ‖² into eq. (7): as written that objective *rewards*
  residuals and has no minimiser; the next line silently flips the sign back (``map_objective_as_written``);
* §4(e) writes the Laplace density of the vector θ as exp(−|θ|/b)/(2b); for d coordinates it is the product
  Πⱼ exp(−|θⱼ|/b)/(2b), whose log is −‖θ‖₁/b − d log(2b) (the θ-dependent part, hence γ, is unchanged).

Nothing here calls ``jax.grad``: the checks go through ``jaxml.verify`` and the solvers of ``jaxml.models.ridge``
and ``jaxml.models.lasso``, which minimise the negative log posteriors written from the densities. Only the public
``jaxml`` API is used.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.lbfgs import minimize_lbfgs
from jaxml.models import lasso, ridge
from jaxml.testing import draws as _draws
from jaxml.verify import (
    check_closed_form,
    check_lasso_kkt,
    closed_form,
    derivation,
    one_program,
    verification,
)

neg_log_likelihood = ridge.neg_log_likelihood  # −log p(y | X, θ), the Gaussian likelihood of §4(c)

# The solver-based checks run a few examples each (one L-BFGS / FISTA solve per example), as closed forms do.
SOLVER_EXAMPLES = 3
RTOL = 1e-6  # issue #6: closed forms and solvers agree to ≤ 1e-6 relative


# ----------------------------------------------------------------------------------------------------------------
# example problems (jax.random, so they can be vmapped over keys)
# ----------------------------------------------------------------------------------------------------------------


def _problem(key, n, d, sparse=False):
    k_x, k_theta, k_noise, k_sigma, k_scale = _draws.split(key, 5)
    x = _draws.normal(k_x, (n, d), jnp.float64)
    theta = _draws.normal(k_theta, (d,), jnp.float64)
    if sparse:
        # a third of the coordinates matter
        theta = jnp.where(jnp.arange(d) < d // 3, 2.0 * theta, 0.0)
    sigma = 0.3 + _draws.uniform(k_sigma, (), jnp.float64)  # σ ∈ [0.3, 1.3]
    y = x @ theta + sigma * _draws.normal(k_noise, (n,), jnp.float64)
    return x, y, sigma, k_scale


def example_gaussian(key):
    """(x (30, 8), y (30,), σ, η): a random problem for the Gaussian prior, η ∈ [0.2, 1.2]."""
    x, y, sigma, k = _problem(key, 30, 8)
    eta = 0.2 + _draws.uniform(k, (), jnp.float64)
    return x, y, sigma, eta


def example_lambda(key):
    """(x, y, σ, λ) with λ = 1/(2η²) for the η of :func:`example_gaussian` (same key)."""
    x, y, sigma, eta = example_gaussian(key)
    return x, y, sigma, lambda_of_eta(eta)


def example_lambda_theta(key):
    """(θ, x, y, σ, λ): a random point θ for the gradient of eq. (7)."""
    k_theta, k = _draws.split(key, 2)
    return (_draws.normal(k_theta, (8,), jnp.float64), *example_lambda(k))


def example_laplace(key):
    """(x (30, 12), y (30,), σ, b): a sparse truth and b ∈ [0.01, 0.1], so γ = 2σ²/b leaves some θⱼ = 0."""
    x, y, sigma, k = _problem(key, 30, 12, sparse=True)
    b = 0.01 + 0.09 * _draws.uniform(k, (), jnp.float64)
    return x, y, sigma, b


def example_laplace_theta(key):
    """(θ, x, y, σ, b): a random θ (every coordinate non-zero with probability 1) for the Laplace gradient."""
    k_theta, k = _draws.split(key, 2)
    return (_draws.normal(k_theta, (12,), jnp.float64), *example_laplace(k))


def example_underdetermined(key):
    """(x (20, 50), y (20,), σ): n < d, so XᵀX (50 × 50) has rank 20."""
    x, y, sigma, _ = _problem(key, 20, 50)
    return x, y, sigma


def _compiled(example):
    """``example`` as one compiled program inside ``jaxml verify`` (the custom checks below draw their problems
    through it; the verifier draws the closed forms' examples through the same program)."""
    return one_program(example)


# ----------------------------------------------------------------------------------------------------------------
# the hand results
# ----------------------------------------------------------------------------------------------------------------


def lambda_of_eta(eta):
    """§4(b), eq. (7): the weight of ‖θ‖² beside −log p(y|X,θ) for a N(0, η²I) prior, λ = 1/(2η²)."""
    return 1.0 / (2.0 * eta**2)


def gamma_of_b(sigma, b):
    """§4(e): the lasso weight of a Laplace(0, b) prior, γ = 2σ²/b."""
    return 2.0 * sigma**2 / b


def map_objective(theta, x, y, sigma, lam):
    """Eq. (7): −log p(y|X,θ) + λ‖θ‖², the likelihood written from the Gaussian density."""
    return neg_log_likelihood(theta, x, y, sigma) + lam * jnp.sum(theta**2)


def map_objective_as_written(theta, x, y, sigma, lam):
    """§4(c) AS WRITTEN: −Σ log(1/(√(2π)σ)) + Σ(−(yᵢ − θᵀxᵢ)²/(2σ²)) + λ‖θ‖² (the sign of the squares slipped)."""
    r = y - x @ theta
    n = y.shape[0]
    return (
        -n * jnp.log(1.0 / (jnp.sqrt(2.0 * jnp.pi) * sigma))
        + jnp.sum(-(r**2) / (2.0 * sigma**2))
        + lam * jnp.sum(theta**2)
    )


@derivation(
    of=map_objective, example=example_lambda_theta, equation="§4(c): ∇ = (XᵀXθ − Xᵀy)/σ² + 2λθ"
)
def map_objective_grad(theta, x, y, sigma, lam):
    """The write-up's derivative of eq. (7): (1/(2σ²))(2XᵀXθ − 2Xᵀy) + 2λθ.  theta (d,) -> (d,)."""
    return (x.T @ (x @ theta) - x.T @ y) / sigma**2 + 2.0 * lam * theta


@closed_form(
    objective=ridge.neg_log_posterior,
    example=example_gaussian,
    equation="§4(c): θ_MAP = (XᵀX + (σ²/η²) I)⁻¹ Xᵀy",
)
def theta_map(x, y, sigma, eta):
    """θ_MAP = (XᵀX + (σ²/η²) I)⁻¹ Xᵀy, the minimiser of −log p(y|X,θ) − log p(θ) for θ ~ N(0, η²I).

    Args: x (n, d), y (n,), sigma σ, eta η.  Returns: (d,).
    """
    d = x.shape[1]
    return jnp.linalg.solve(x.T @ x + (sigma**2 / eta**2) * jnp.eye(d, dtype=x.dtype), x.T @ y)


@closed_form(
    objective=map_objective,
    example=example_lambda,
    equation="§4(c): θ = (XᵀX + 2σ²λ I)⁻¹ Xᵀy minimises eq. (7)",
)
def theta_map_lambda(x, y, sigma, lam):
    """θ = (XᵀX + 2σ²λ I)⁻¹ Xᵀy, the minimiser of −log p(y|X,θ) + λ‖θ‖² (eq. 7).  Returns: (d,)."""
    d = x.shape[1]
    return jnp.linalg.solve(x.T @ x + 2.0 * sigma**2 * lam * jnp.eye(d, dtype=x.dtype), x.T @ y)


@derivation(
    of=lasso.neg_log_posterior,
    example=example_laplace_theta,
    equation="§4(e): ∇ = Xᵀ(Xθ − y)/σ² + sign(θ)/b for θⱼ ≠ 0",
)
def laplace_posterior_grad(theta, x, y, sigma, b):
    """Gradient of ‖y − Xθ‖²/(2σ²) + ‖θ‖₁/b where every θⱼ ≠ 0; × 2σ² it is the lasso's 2Xᵀ(Xθ − y) + γ sign θ."""
    return x.T @ (x @ theta - y) / sigma**2 + jnp.sign(theta) / b


def min_norm_solution(x, y):
    """λ = 0, n < d: θ⁺ = X⁺y = Xᵀ(XXᵀ)⁻¹y for X of full row rank (the minimum-norm interpolant)."""
    return x.T @ jnp.linalg.solve(x @ x.T, y)


# ----------------------------------------------------------------------------------------------------------------
# custom checks
# ----------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Check:
    """A custom check's verdict, in the shape the verify table reads."""

    ok: bool
    max_abs_error: float
    max_rel_error: float
    diagnosis: str | None
    name: str
    compares: str
    tolerance: str
    points: int
    details: dict = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        text = (
            f"{self.name}: {'PASS' if self.ok else 'FAIL'} - {self.compares}: max abs {self.max_abs_error:.3g}, "
            f"max rel {self.max_rel_error:.3g} ({self.tolerance}, {self.points} points)"
        )
        return text + (f"\n  diagnosis: {self.diagnosis}" if self.diagnosis else "")


def _rel(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), np.finfo(np.float64).tiny))


def objective_difference(f, g, thetas):
    """f(θ) − g(θ) at the stacked points ``thetas`` (P, d), and max |f|: the difference is constant when f = g + c."""
    diff = jax.vmap(lambda t: f(t) - g(t))(thetas)
    return diff, jnp.max(jax.vmap(lambda t: jnp.abs(f(t)))(thetas))


@one_program
def _lambda_numbers(x, y, sigma, eta, lam, normals):
    """The numbers of :func:`check_lambda_equivalence`, in one compiled program: the two L-BFGS fits from θ = 0,
    and f(θ) − g(θ) and |f(θ)| at the stacked θ = 3 · ``normals`` (P, d) for f = −log posterior, g = eq. (7)'s
    objective with λ = ``lam`` (None: 1/(2η²))."""
    lam = lambda_of_eta(eta) if lam is None else lam
    thetas = normals * 3.0
    theta0 = jnp.zeros(x.shape[1], x.dtype)
    a = minimize_lbfgs(ridge.neg_log_posterior, theta0, x, y, sigma, eta)
    b = minimize_lbfgs(map_objective, theta0, x, y, sigma, lam)
    diff, size = objective_difference(
        lambda t: ridge.neg_log_posterior(t, x, y, sigma, eta),
        lambda t: map_objective(t, x, y, sigma, lam),
        thetas,
    )
    return a, b, diff, size


def check_lambda_equivalence(x, y, sigma, eta, *, key, points=64, lam=None) -> Check:
    """Eq. (7): −log p(y|X,θ) − log p(θ) and −log p(y|X,θ) + λ‖θ‖² (λ = 1/(2η²) unless given) have the same
    minimiser (two L-BFGS solves) and differ by the constant (d/2) log(2πη²) at ``points`` random θ drawn from
    ``key`` (θ ~ N(0, 9 I))."""
    d = x.shape[1]
    normals = _draws.normal(key, (points, d), jnp.float64)
    a, b, diff, size = _lambda_numbers(x, y, sigma, eta, lam, normals)
    minimiser_rel = _rel(b.theta, a.theta)
    diff, size = np.asarray(diff), float(size)
    spread = float(np.max(diff) - np.min(diff))  # 0 when the difference is a constant
    # −log of N(0, η²I)'s normaliser (η squared by NumPy: no program for one number)
    constant = 0.5 * d * float(np.log(2.0 * np.pi * np.asarray(eta) ** 2))
    constant_err = float(np.max(np.abs(diff - constant)))
    spread_rel = spread / max(size, 1e-300)
    ok = minimiser_rel <= RTOL and spread_rel <= 1e-12 and constant_err <= 1e-10 * max(size, 1.0)
    diagnosis = None
    if not ok:
        parts = []
        if spread_rel > 1e-12:
            parts.append(
                f"the two objectives do not differ by a constant (spread {spread:.3g} over {points} θ): "
                f"λ = {float(lambda_of_eta(eta) if lam is None else lam):.6g} is not "
                f"1/(2η²) = {float(lambda_of_eta(eta)):.6g}"
            )
        if minimiser_rel > RTOL:
            parts.append(f"their minimisers differ by {minimiser_rel:.3g} relative")
        if constant_err > 1e-10 * max(size, 1.0) and spread_rel <= 1e-12:
            parts.append(f"constant {float(np.mean(diff)):.6g} ≠ (d/2) log(2πη²) = {constant:.6g}")
        diagnosis = "; ".join(parts)
    return Check(
        ok=bool(ok),
        max_abs_error=max(spread, constant_err),
        max_rel_error=max(minimiser_rel, spread_rel),
        diagnosis=diagnosis,
        name="eq. (7): λ = 1/(2η²)",
        compares="minimisers of −log posterior and −log p(y|X,θ) + λ‖θ‖²; their difference in θ",
        tolerance=f"rtol {RTOL:.0e}, spread 1e-12",
        points=points,
        details={
            "minimiser_rel_diff": minimiser_rel,
            "spread": spread,
            "spread_rel": spread_rel,
            "constant": float(np.mean(diff)),
            "expected_constant": constant,
            "solver_iterations": (int(a.iterations), int(b.iterations)),
        },
    )


@verification(
    linear_algebra=False,  # no solve / eigh: may run beside another entry
    name="eq. (7): λ = 1/(2η²) (MAP = −log p(y|x,θ) + λ‖θ‖²)",
    compares="L-BFGS minimisers of the two objectives; their difference is constant in θ",
    equation="§4(b), eq. (7)",
)
def verify_lambda_equivalence(points, key):
    keys = _draws.split_list(key, SOLVER_EXAMPLES)
    reports = [
        check_lambda_equivalence(
            *_compiled(example_gaussian)(k), points=points, key=_draws.fold_in(k, 1)
        )
        for k in keys
    ]
    return max(reports, key=lambda r: (not r.ok, r.max_rel_error))


@verification(
    name="§4(c) as written: −Σ log(1/√(2π)σ) + Σ(−(y − θᵀx)²/(2σ²)) + λ‖θ‖²",
    compares="the closed form minimises the as-written objective",
    equation="write-up §4(c), log-likelihood line",
    expected_failure=True,
    erratum="the sign of the squared residuals slipped: log N(y; θᵀx, σ²) = log(1/(√(2π)σ)) − "
    "(y − θᵀx)²/(2σ²), but the write-up subtracts −(y − θᵀx)²/(2σ²); as written the objective "
    "rewards residuals and has no minimiser. The next line flips the sign back, so the closed "
    "form is right",
)
def verify_as_written_sign(points, key):
    k_example, k_start = _draws.split_list(key, 2)
    args = _compiled(example_lambda)(k_example)
    # the as-written objective is unbounded below: a short solver run is enough to show it
    return check_closed_form(
        map_objective_as_written,
        theta_map_lambda,
        *args,
        key=k_start,
        max_iter=100,
        name="§4(c) as written",
    )


def check_laplace_lasso(x, y, sigma, b, *, gamma=None, rtol=None):
    """§4(e): the minimiser of the Laplace −log posterior (FISTA on the densities) satisfies the lasso's KKT
    conditions for γ = 2σ²/b (or the ``gamma`` given).

    Returns:
      (report, fit): the :class:`jaxml.verify.SubgradientReport` of ``check_lasso_kkt`` and the solver's
      :class:`jaxml.models.lasso.LassoFit`.
    """
    fit = lasso.fit_map(x, y, sigma=sigma, b=b)
    # γ = 2σ²/b by NumPy: no program for one number
    gamma = gamma_of_b(np.asarray(sigma), np.asarray(b)) if gamma is None else gamma
    report = check_lasso_kkt(
        fit.theta, x, y, gamma, rtol=rtol, name="§4(e): Laplace MAP is the lasso at γ = 2σ²/b"
    )
    return report, fit


@verification(
    name="§4(e): Laplace(0, b) prior = lasso with γ = 2σ²/b",
    compares="lasso KKT (sub-gradient) conditions at the minimiser of the Laplace −log posterior",
    equation="§4(e)",
)
def verify_laplace_lasso(points, key):
    reports = [
        check_laplace_lasso(*_compiled(example_laplace)(k))[0]
        for k in _draws.split_list(key, SOLVER_EXAMPLES)
    ]
    worst = max(reports, key=lambda r: (not r.ok, r.max_rel_error))
    return dataclasses.replace(worst, points=len(reports))


@one_program
def _laplace_difference(x, y, sigma, b, gamma, thetas):
    """:func:`objective_difference` of the Laplace −log posterior and the lasso objective / (2σ²) with γ = ``gamma``
    (None: 2σ²/b), in one program."""
    gamma = gamma_of_b(sigma, b) if gamma is None else gamma
    return objective_difference(
        lambda t: lasso.neg_log_posterior(t, x, y, sigma, b),
        lambda t: lasso.objective(t, x, y, gamma) / (2.0 * sigma**2),
        thetas,
    )


def check_laplace_objective(x, y, sigma, b, *, key, points=64, gamma=None) -> Check:
    """§4(e): −log p(θ|X,y) − (‖y − Xθ‖² + γ‖θ‖₁)/(2σ²) is constant in θ for γ = 2σ²/b (or the ``gamma`` given),
    at ``points`` random θ ~ N(0, I) drawn from ``key``."""
    thetas = _draws.normal(key, (points, x.shape[1]), jnp.float64)
    diff, size = _laplace_difference(x, y, sigma, b, gamma, thetas)
    diff, size = np.asarray(diff), float(size)
    spread = float(np.max(diff) - np.min(diff))
    spread_rel = spread / max(size, 1e-300)
    ok = spread_rel <= 1e-12
    return Check(
        ok=bool(ok),
        max_abs_error=spread,
        max_rel_error=spread_rel,
        diagnosis=None
        if ok
        else f"not a constant (spread {spread:.3g}): "
        f"γ = {float(gamma_of_b(sigma, b) if gamma is None else gamma):.6g} is not "
        f"2σ²/b = {float(gamma_of_b(sigma, b)):.6g}",
        name="§4(e): −log posterior = lasso/(2σ²) + const",
        points=points,
        tolerance="spread 1e-12",
        compares="−log p(θ|X,y) − (‖y − Xθ‖² + γ‖θ‖₁)/(2σ²) over random θ",
    )


@verification(
    linear_algebra=False,  # no solve / eigh: may run beside another entry
    name="§4(e): −log posterior (Laplace) = (‖y − Xθ‖² + γ‖θ‖₁)/(2σ²) + const",
    compares="difference of the two objectives at random θ (constant)",
    equation="§4(e)",
)
def verify_laplace_objective(points, key):
    k_example, k_points = _draws.split_list(key, 2)
    return check_laplace_objective(
        *_compiled(example_laplace)(k_example), points=points, key=k_points
    )


def _min_norm_closed_form(x, y, sigma):
    """:func:`min_norm_solution` as a closed form of ``neg_log_likelihood``'s data (x, y, σ)."""
    return min_norm_solution(x, y)


def _row_space_projection(x, t):
    """P t = Xᵀ(XXᵀ)⁻¹X t: the projection on the row space of X."""
    return x.T @ jnp.linalg.solve(x @ x.T, x @ t)


# one program each inside ``jaxml verify``, shared with check_closed_form's calls of the same functions
_min_norm_program = one_program(_min_norm_closed_form)
_projection_program = one_program(_row_space_projection)


def check_min_norm(x, y, sigma, *, key, theta=None) -> Check:
    """λ = 0, n < d: ``theta`` (default :func:`min_norm_solution`) interpolates (∇ of −log p(y|X,θ) is 0, via
    ``check_closed_form`` compared in the row space, its solver started at a random point drawn from ``key``), lies
    in the row space of X (so it is the shortest least-squares solution), and equals the L-BFGS limit from θ = 0
    (iterates stay in the row space)."""
    if theta is None:
        theta, solution = _min_norm_program(x, y, sigma), _min_norm_closed_form
    else:
        theta = jnp.asarray(theta)
        solution = lambda *_: theta
    projector = functools.partial(_row_space_projection, x)
    stationary = check_closed_form(
        neg_log_likelihood,
        solution,
        x,
        y,
        sigma,
        key=key,
        transform=projector,
        name="least squares, compared in the row space",
    )
    # ‖θ − Pθ‖∞ / ‖θ‖∞: the null-space component (0 for the minimum-norm solution)
    off_row_space = float(
        np.max(np.abs(np.asarray(theta) - np.asarray(_projection_program(x, theta))))
    ) / max(float(np.max(np.abs(np.asarray(theta)))), 1e-300)
    # ridge.fit_least_squares's solve, with max_iter and the compilation of check_closed_form's: the two L-BFGS runs
    # (same objective, same shapes) share one compiled program
    fit = minimize_lbfgs(
        neg_log_likelihood, np.zeros(x.shape[1]), x, y, sigma, max_iter=5000, quick_compile=True
    )
    solver_rel = _rel(fit.theta, theta)
    ok = stationary.ok and off_row_space <= 1e-10 and solver_rel <= RTOL
    diagnosis = None
    if not ok:
        parts = []
        if not stationary.ok:
            parts.append(f"not a least-squares solution: {stationary.diagnosis}")
        if off_row_space > 1e-10:
            parts.append(
                f"θ has a component in the null space of X (relative {off_row_space:.3g}): it fits the data "
                "but is not the minimum-norm solution"
            )
        if solver_rel > RTOL:
            parts.append(f"differs from the L-BFGS limit from 0 by {solver_rel:.3g} relative")
        diagnosis = "; ".join(parts)
    return Check(
        ok=bool(ok),
        max_abs_error=float(np.max(np.abs(np.asarray(fit.theta) - np.asarray(theta)))),
        max_rel_error=max(solver_rel, off_row_space, stationary.max_rel_error),
        diagnosis=diagnosis,
        name="λ = 0, n < d: minimum-norm solution",
        points=1,
        tolerance=f"rtol {RTOL:.0e}",
        compares="X⁺y vs L-BFGS from 0 on −log p(y|X,θ); θ ⊥ null(X); ∇ = 0",
        details={
            "solver_rel_diff": solver_rel,
            "off_row_space": off_row_space,
            "stationarity": stationary.stationarity,
        },
    )


@verification(
    name="λ = 0, n < d: θ = X⁺y (minimum norm)",
    compares="X⁺y vs L-BFGS from 0 on −log p(y|X,θ); in the row space of X; a least-squares solution",
    equation="§4(d), λ = 0 curve",
)
def verify_min_norm(points, key):
    reports = [
        check_min_norm(*_compiled(example_underdetermined)(k), key=_draws.fold_in(k, 1))
        for k in _draws.split_list(key, SOLVER_EXAMPLES)
    ]
    worst = max(reports, key=lambda r: (not r.ok, r.max_rel_error))
    return dataclasses.replace(worst, points=len(reports))
