"""§4 compute: the double-descent grid, and the MAP closed forms against jitted solvers (L-BFGS, FISTA).

Float64. Programs compiled (issue #11): the whole 9 × 13 grid is one jitted call; the Gaussian-prior L-BFGS fits
for three sizes are one vmapped program per objective; index bookkeeping and one-shot arithmetic run in NumPy. The
verifier checks (the closed form, the minimum-norm solution, the objective differences, the lasso KKT conditions)
are compiled as written, or quickly as in ``jaxml verify`` under ``--quick-checks`` (``jaxml/_compile.py``; then
only their rounding measures differ in their last bits). The closed forms and the minimum-norm solution set beside the fits keep their op-by-op
evaluation: those differences are at the rounding level and jit would round them differently.
"""

from __future__ import annotations

import dataclasses
import math
import time

import jax
import jax.numpy as jnp
import numpy as np

from jaxml import _bucketed_random
from jaxml._compile import one_program, quick_checks
from jaxml.lbfgs import minimize_lbfgs
from jaxml.models import lasso, ridge
from jaxml.placement import device_name, placed
from jaxml.verify import check_closed_form, check_lasso_kkt

from .._registry import Progress
from .config import CONFIG, Config


def _rel(a, b) -> float:
    """‖a − b‖∞ / ‖b‖∞."""
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), np.finfo(np.float64).tiny))


# ----------------------------------------------------------------------------------------------------------------
# the double-descent grid (§4(d))
# ----------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Grid:
    """The validation-MSE grid and what it shows (val_err[i, j]: scale i, training size n_list[j])."""

    n_list: list
    d: int
    eta: float
    lam_opt: float
    val_err: np.ndarray
    rises: np.ndarray  # val_err[:, j + 1] − val_err[:, j]
    genuine_rel: list  # smallest genuine eigenvalue of XᵀX / the largest, per n
    null_rel: list  # largest numerically-null eigenvalue of XᵀX / the largest, per n
    grid_vs_direct: float
    validation_rows: int
    rcond: float  # the pseudo-inverse cut-off at λ = 0 (relative to the largest eigenvalue of XᵀX)
    sweep_seconds: float
    sweep_first_seconds: float
    direct_seconds: float
    device: str


def _direct_grid(train, n_list, lams, x_val, y_val) -> np.ndarray:
    """The grid by a direct NumPy solve per (n, λ): lstsq (minimum norm) at λ = 0, else solve(XᵀX + λI, Xᵀy)."""
    out = np.empty((len(lams), len(n_list)))
    for j, n in enumerate(n_list):
        x, y = train[n].x, train[n].y
        gram, xty = x.T @ x, x.T @ y
        for i, lam in enumerate(lams):
            if lam == 0:
                theta = np.linalg.lstsq(x, y, rcond=None)[0]
            else:
                theta = np.linalg.solve(gram + lam * np.eye(x.shape[1]), xty)
            out[i, j] = np.mean((y_val - x_val @ theta) ** 2)
    return out


def _spectra(train, n_list, d) -> tuple[list, list]:
    """The spectrum behind the λ = 0 cut-off: smallest genuine and largest numerically-null eigenvalue of XᵀX."""
    genuine_rel, null_rel = [], []
    for n in n_list:
        e = np.linalg.eigvalsh(train[n].x.T @ train[n].x)[::-1]  # descending
        k = min(n, d)
        genuine_rel.append(float(e[k - 1] / e[0]))
        null_rel.append(float(np.max(np.abs(e[k:])) / e[0]) if k < d else 0.0)
    return genuine_rel, null_rel


def _grid(data, config: Config, progress: Progress, device) -> Grid:
    """Validation MSE for every (λ = scale · λ_opt, n): one jitted call, timed; checked by a NumPy solve per cell."""
    n_list = sorted(data.train)
    d = data.train[n_list[0]].x.shape[1]
    x_val, y_val = data.validation.x, data.validation.y
    eta = 1.0 / math.sqrt(d)  # course starter: η = 1/√d
    lam_opt = ridge.lambda_opt(config.sigma, eta)  # σ²/η² = d σ²
    lams = np.asarray(config.scales) * lam_opt
    xs, ys = [data.train[n].x for n in n_list], [data.train[n].y for n in n_list]
    # the pseudo-inverse cut-off at λ = 0: eigenvalues of XᵀX ≤ rcond · e_max are null (n_max = 800 rows)
    rcond = config.rcond_factor * max(max(n_list), d) * float(np.finfo(np.asarray(x_val).dtype).eps)
    with placed("batched", device) as batch_device:
        start = time.perf_counter()
        val_err = np.asarray(
            jax.block_until_ready(
                ridge.double_descent_sweep(xs, ys, x_val, y_val, lams=lams, rcond=rcond)
            )
        )
        sweep_first = time.perf_counter() - start  # includes compilation
        sweep_seconds = math.inf
        for _ in range(2):  # steady state: best of two calls
            start = time.perf_counter()
            jax.block_until_ready(
                ridge.double_descent_sweep(xs, ys, x_val, y_val, lams=lams, rcond=rcond)
            )
            sweep_seconds = min(sweep_seconds, time.perf_counter() - start)
    progress.log(
        f"double descent: {len(config.scales)} x {len(n_list)} grid in {sweep_seconds:.2f} s "
        f"({sweep_first:.2f} s with compilation)"
    )
    start = time.perf_counter()
    direct = _direct_grid(data.train, n_list, lams, x_val, y_val)
    direct_seconds = time.perf_counter() - start
    grid_vs_direct = float(np.max(np.abs(val_err - direct) / np.abs(direct)))
    progress.log(
        f"double descent: a direct NumPy solve per (n, λ) agrees to {grid_vs_direct:.1e} "
        f"({direct_seconds:.2f} s)"
    )
    genuine_rel, null_rel = _spectra(data.train, n_list, d)
    return Grid(
        n_list=n_list,
        d=d,
        eta=eta,
        lam_opt=float(lam_opt),
        val_err=val_err,
        rises=np.diff(val_err, axis=1),
        genuine_rel=genuine_rel,
        null_rel=null_rel,
        grid_vs_direct=grid_vs_direct,
        validation_rows=len(y_val),
        rcond=rcond,
        sweep_seconds=sweep_seconds,
        sweep_first_seconds=sweep_first,
        direct_seconds=direct_seconds,
        device=device_name(batch_device),
    )


# ----------------------------------------------------------------------------------------------------------------
# Gaussian prior: closed forms against L-BFGS on the densities (§4(b), (c))
# ----------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GaussianChecks:
    """θ_MAP's closed form against the solvers, per checked n, and eq. (7)'s λ = 1/(2η²).

    Attributes:
      per_n: str(n) -> the results.json row (relative differences, iterations, convergence).
      check_n: the sizes checked; n_cf: the one given to ``check_closed_form``; cf_report: its report.
      lambda_equivalence: the results.json dict of eq. (7) (minimisers, constant difference).
      spread_rel, expected_constant: the objective difference's spread and the constant (d/2) log(2πη²).
    """

    per_n: dict
    check_n: list
    n_cf: int
    cf_report: object
    lambda_equivalence: dict
    spread_rel: float
    expected_constant: float


def _fit_rows(check_n, lbfgs, lbfgs7, closed, library) -> dict:
    """The per-n rows: each solver's minimiser against the hand closed form, and the library's closed form."""
    theta, theta7 = np.asarray(lbfgs.theta), np.asarray(lbfgs7.theta)
    iterations = np.asarray(lbfgs.iterations)
    converged = np.asarray(lbfgs.converged) & np.asarray(lbfgs7.converged)
    closed, library = np.asarray(closed), np.asarray(library)
    return {
        str(n): {
            "closed_form_vs_lbfgs_rel_diff": _rel(theta[k], closed[k]),
            "eq7_objective_vs_lbfgs_rel_diff": _rel(theta7[k], closed[k]),
            "eq7_vs_posterior_minimiser_rel_diff": _rel(theta7[k], theta[k]),
            "lbfgs_iterations": int(iterations[k]),
            "lbfgs_converged": bool(converged[k]),
            "closed_form_vs_library_rel_diff": _rel(library[k], closed[k]),
        }
        for k, n in enumerate(check_n)
    }


def _gaussian(data, n_list, d, eta, key, config: Config) -> GaussianChecks:
    """L-BFGS on −log p(y|X,θ) − log p(θ) and on eq. (7), vmapped over zero-padded n, against the closed form."""
    from jaxml_derivations import (
        map_estimation as hand,  # the hand closed forms and checks (verified)
    )

    sigma = config.sigma
    check_n = [n for n in config.check_n if n in data.train] or n_list[:1]
    # zero rows add a θ-independent constant to −log p(y|X,θ) and leave XᵀX, Xᵀy unchanged: one compilation
    x_pad, y_pad = (
        jnp.asarray(a)
        for a in ridge.stack_padded(
            [data.train[n].x for n in check_n], [data.train[n].y for n in check_n]
        )
    )
    lbfgs = jax.vmap(lambda x, y: ridge.fit_map(x, y, sigma=sigma, eta=eta))(x_pad, y_pad)
    lam7 = hand.lambda_of_eta(eta)
    theta0 = np.zeros(d)
    lbfgs7 = jax.vmap(lambda x, y: minimize_lbfgs(hand.map_objective, theta0, x, y, sigma, lam7))(
        x_pad, y_pad
    )
    closed = jax.vmap(hand.theta_map, in_axes=(0, 0, None, None))(x_pad, y_pad, sigma, eta)
    library = jax.vmap(lambda x, y: ridge.theta_map(x, y, sigma=sigma, eta=eta))(x_pad, y_pad)
    per_n = _fit_rows(check_n, lbfgs, lbfgs7, closed, library)

    n_cf = check_n[len(check_n) // 2]
    x_cf, y_cf = jnp.asarray(data.train[n_cf].x), jnp.asarray(data.train[n_cf].y)
    with quick_checks():  # a check that runs once (see jaxml._compile)
        cf_report = check_closed_form(
            ridge.neg_log_posterior,
            hand.theta_map,
            x_cf,
            y_cf,
            sigma,
            eta,
            key=jax.random.fold_in(key, 1),
            name=f"θ_MAP on train{n_cf}",
        )
    # eq. (7): the two objectives differ by a constant in θ, (d/2) log(2πη²)
    # jax.random.normal's numbers through the size-bucketed program the Laplace check's draws use too
    draws = _bucketed_random.normal(
        jax.random.fold_in(key, 2), (config.objective_points, d), jnp.float64
    )
    thetas = 3.0 * np.asarray(draws)
    with quick_checks():  # a check that runs once (see jaxml._compile)
        diff, size = one_program(
            lambda t: hand.objective_difference(
                lambda th: ridge.neg_log_posterior(th, x_cf, y_cf, sigma, eta),
                lambda th: hand.map_objective(th, x_cf, y_cf, sigma, lam7),
                t,
            )
        )(thetas)
    diff, size = np.asarray(diff), float(size)  # the summaries below in NumPy, not op by op
    spread_rel = float(np.max(diff) - np.min(diff)) / size
    expected_constant = 0.5 * d * math.log(2 * math.pi * eta**2)
    minimiser = max(g["eq7_vs_posterior_minimiser_rel_diff"] for g in per_n.values())
    constant = float(np.mean(diff))
    lam_eq = {
        "n": int(n_cf),
        "minimiser_rel_diff": minimiser,
        "objective_difference_spread_rel": spread_rel,
        "constant": constant,
        "expected_constant": expected_constant,
        "ok": bool(
            minimiser <= config.map_rtol
            and spread_rel <= 1e-12
            and abs(constant - expected_constant) <= 1e-9 * size
        ),
    }
    return GaussianChecks(
        per_n=per_n,
        check_n=check_n,
        n_cf=int(n_cf),
        cf_report=cf_report,
        lambda_equivalence=lam_eq,
        spread_rel=spread_rel,
        expected_constant=expected_constant,
    )


# ----------------------------------------------------------------------------------------------------------------
# λ = 0 with n < d, and the Laplace prior (§4(d), (e))
# ----------------------------------------------------------------------------------------------------------------


def _min_norm(x_s, y_s, d, key, config: Config) -> dict:
    """λ = 0, n < d: the minimum-norm solution (pseudo-inverse) against L-BFGS from 0 and the grid's λ = 0."""
    from jaxml_derivations import map_estimation as hand

    out = {"n": int(x_s.shape[0])}
    if x_s.shape[0] >= d:
        return out
    with quick_checks():  # a check that runs once (see jaxml._compile)
        report = hand.check_min_norm(x_s, y_s, config.sigma, key=jax.random.fold_in(key, 3))
    pinv = ridge.min_norm(x_s, y_s)
    sweep_theta0 = np.asarray(ridge.path(x_s, y_s, lams=np.zeros(1)))[0]
    out.update(
        pinv_vs_lbfgs_rel_diff=report.details["solver_rel_diff"],
        hand_vs_pinv_rel_diff=_rel(hand.min_norm_solution(x_s, y_s), pinv),
        sweep_lambda0_vs_pinv_rel_diff=_rel(sweep_theta0, pinv),
        off_row_space=report.details["off_row_space"],
        ok=bool(report.ok),
    )
    return out


@dataclasses.dataclass(frozen=True)
class LaplaceChecks:
    """The Laplace prior with the Gaussian's variance (b = η/√2) on the smallest training set.

    Attributes:
      b, gamma: the Laplace scale and γ = 2σ²/b.
      theta_map, theta_lasso: FISTA on the posterior's densities, FISTA on the lasso (both (d,)).
      iterations: FISTA steps of the posterior fit.
      kkt, kkt_lasso, kkt_wrong: the lasso KKT reports (posterior fit at γ, lasso fit at γ, posterior at σ²/b).
      objective_report: −log posterior − lasso/(2σ²) is constant in θ.
    """

    b: float
    gamma: float
    theta_map: np.ndarray
    theta_lasso: np.ndarray
    iterations: int
    kkt: object
    kkt_lasso: object
    kkt_wrong: object
    objective_report: object


def _laplace(x_s, y_s, eta, key, config: Config) -> LaplaceChecks:
    """FISTA on the Laplace posterior (densities) vs FISTA on the lasso; the lasso's KKT conditions at γ = 2σ²/b."""
    from jaxml_derivations import map_estimation as hand

    sigma = config.sigma
    b = eta / math.sqrt(2.0)
    gamma = hand.gamma_of_b(sigma, b)
    laplace = lasso.fit_map(x_s, y_s, sigma=sigma, b=b)
    plain = lasso.fit(x_s, y_s, gamma=gamma)
    theta_map, theta_lasso = np.asarray(laplace.theta), np.asarray(plain.theta)
    with quick_checks():  # a check that runs once (see jaxml._compile)
        return LaplaceChecks(
            b=b,
            gamma=float(gamma),
            theta_map=theta_map,
            theta_lasso=theta_lasso,
            iterations=int(laplace.iterations),
            kkt=check_lasso_kkt(theta_map, x_s, y_s, gamma),
            kkt_lasso=check_lasso_kkt(theta_lasso, x_s, y_s, gamma),
            kkt_wrong=check_lasso_kkt(theta_map, x_s, y_s, sigma**2 / b),  # γ = σ²/b: must fail
            objective_report=hand.check_laplace_objective(
                x_s, y_s, sigma, b, key=jax.random.fold_in(key, 4)
            ),
        )


@dataclasses.dataclass(frozen=True)
class LassoPaths:
    """Lasso paths as b shrinks: a synthetic problem with a sparse truth, and the smallest training set."""

    b_syn: np.ndarray
    theta_syn: np.ndarray  # (P, d_syn)
    true_syn: np.ndarray
    b_real: np.ndarray
    nnz_real: np.ndarray
    kkt: object  # the worst KKT report along the real path


@jax.jit(static_argnames=("n", "d"))
def _synthetic_draws(key, n, d):
    """The synthetic problem's random numbers, one program: x ~ N(0, I) (n, d), u ~ U[0, 1) (d,), ε ~ N(0, 1) (n,)."""
    k_x, k_t, k_e = jax.random.split(jax.random.fold_in(key, 5), 3)
    return (
        jax.random.normal(k_x, (n, d), jnp.float64),
        jax.random.uniform(k_t, (d,)),
        jax.random.normal(k_e, (n,), jnp.float64),
    )


def _synthetic_lasso(key, config: Config):
    """A small regression with a sparse truth: x ~ N(0, I) (n, d), θⱼ = ±(1 + U[0, 1)) on the first ``active``."""
    n, d, active = config.synthetic_lasso
    x, u, noise = _synthetic_draws(key, n, d)
    index = np.arange(d)
    true = np.where(index < active, 1.0 + np.asarray(u), 0.0)
    true = true * np.where(index % 2 == 0, 1.0, -1.0)  # alternating signs
    # y = Xθ + σ ε, op by op outside the jitted draws: the product rounds as an eager matmul does
    y = np.asarray(x @ true) + config.sigma * np.asarray(noise)
    return x, true, y


def _paths(x_s, y_s, b, key, config: Config) -> LassoPaths:
    """FISTA vmapped over γ = 2σ²/b: the synthetic path (figure) and the train-set path with its KKT check."""
    x_syn, true_syn, y_syn = _synthetic_lasso(key, config)
    b_syn = np.logspace(1, -3.5, config.synthetic_path_points)
    path_syn = lasso.path(x_syn, y_syn, gammas=lasso.map_gamma(config.sigma, b_syn))
    b_real = b * np.logspace(2, -2, config.lasso_path_points)
    theta_real = np.asarray(
        lasso.path(x_s, y_s, gammas=lasso.map_gamma(config.sigma, b_real)).theta
    )
    kkt = max(
        (
            check_lasso_kkt(theta_real[i], x_s, y_s, lasso.map_gamma(config.sigma, b_real[i]))
            for i in range(len(b_real))
        ),
        key=lambda r: r.max_rel_error,
    )
    return LassoPaths(
        b_syn=b_syn,
        theta_syn=np.asarray(path_syn.theta),
        true_syn=true_syn,
        b_real=b_real,
        nnz_real=np.sum(theta_real != 0, axis=1),
        kkt=kkt,
    )


# ----------------------------------------------------------------------------------------------------------------
# the whole of §4
# ----------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DoubleDescentResult:
    """Everything §4 measures; ``results_json`` gives the results.json sections "double_descent" and "map"."""

    config: Config
    grid: Grid
    gaussian: GaussianChecks
    min_norm: dict
    laplace: LaplaceChecks
    paths: LassoPaths
    map_max_rel: float
    map_ok: bool
    load_seconds: float
    solver_device: str


def _map_summary(
    gaussian: GaussianChecks,
    min_norm: dict,
    laplace: LaplaceChecks,
    paths: LassoPaths,
    config: Config,
) -> tuple[float, bool]:
    """The largest closed-form-vs-solver relative difference, and whether every §4 check passed."""
    rel = [g["closed_form_vs_lbfgs_rel_diff"] for g in gaussian.per_n.values()]
    rel += [g["eq7_objective_vs_lbfgs_rel_diff"] for g in gaussian.per_n.values()]
    rel += [
        gaussian.cf_report.solver_rel_diff,
        gaussian.lambda_equivalence["minimiser_rel_diff"],
        _rel(laplace.theta_map, laplace.theta_lasso),
    ]
    if "pinv_vs_lbfgs_rel_diff" in min_norm:
        rel += [min_norm["pinv_vs_lbfgs_rel_diff"], min_norm["sweep_lambda0_vs_pinv_rel_diff"]]
    max_rel = float(max(rel))
    ok = bool(
        max_rel <= config.map_rtol
        and gaussian.cf_report.ok
        and gaussian.lambda_equivalence["ok"]
        and laplace.kkt.ok
        and laplace.kkt_lasso.ok
        and not laplace.kkt_wrong.ok
        and laplace.objective_report.ok
        and paths.kkt.ok
        and min_norm.get("ok", True)
        and all(g["lbfgs_converged"] for g in gaussian.per_n.values())
    )
    return max_rel, ok


def compute(
    data,
    *,
    key,
    config: Config = CONFIG,
    progress: Progress | None = None,
    device: str | None = None,
    load_seconds: float = 0.0,
) -> DoubleDescentResult:
    """Run §4: the double-descent grid and every closed form against its solver.

    Args:
      data: the double-descent files (``DataSource.double_descent()``: ``train`` n -> Split, ``validation``).
      key: PRNG key (solver starts, random θ, the synthetic lasso problem).
      config: the settings.
      progress: where to log (default: quiet).
      device: the placement override ("cpu", "gpu", "auto" or None).
      load_seconds: how long loading the files took (reported).

    Returns:
      A :class:`DoubleDescentResult`.
    """
    progress = progress or Progress(quiet=True)
    grid = _grid(data, config, progress, device)
    progress.log("MAP: closed forms against L-BFGS / FISTA on the training files")
    with placed("sequential", device) as seq_device:
        gaussian = _gaussian(data, grid.n_list, grid.d, grid.eta, key, config)
        n_small = grid.n_list[0]
        x_s, y_s = jnp.asarray(data.train[n_small].x), jnp.asarray(data.train[n_small].y)
        min_norm = _min_norm(x_s, y_s, grid.d, key, config)
        progress.log("MAP: Laplace prior against the lasso (FISTA), lasso paths")
        laplace = _laplace(x_s, y_s, grid.eta, key, config)
        paths = _paths(x_s, y_s, laplace.b, key, config)
    max_rel, ok = _map_summary(gaussian, min_norm, laplace, paths, config)
    return DoubleDescentResult(
        config=config,
        grid=grid,
        gaussian=gaussian,
        min_norm=min_norm,
        laplace=laplace,
        paths=paths,
        map_max_rel=max_rel,
        map_ok=ok,
        load_seconds=load_seconds,
        solver_device=device_name(seq_device),
    )


def _grid_json(result: DoubleDescentResult, real: bool) -> dict:
    grid, config = result.grid, result.config
    i_zero, i_opt = config.scales.index(0.0), config.scales.index(1.0)
    max_rise = grid.rises.max(axis=1)
    k_rise = int(np.argmax(grid.rises[i_opt]))
    return {
        "dtype": "float64",
        "d": int(grid.d),
        "sigma": config.sigma,
        "eta": grid.eta,
        "lambda_opt": grid.lam_opt,
        "n_list": [int(n) for n in grid.n_list],
        "scales": [float(s) for s in config.scales],
        "val_err": [[float(v) for v in row] for row in grid.val_err],
        "peak_n_unregularised": int(grid.n_list[int(np.argmax(grid.val_err[i_zero]))]),
        "peak_val_err_unregularised": float(grid.val_err[i_zero].max()),
        "optimal_curve_max_rise": float(max_rise[i_opt]),
        "optimal_curve_max_rise_between": [int(grid.n_list[k_rise]), int(grid.n_list[k_rise + 1])],
        "max_rise_by_scale": [float(v) for v in max_rise],
        "best_scale_per_n": [float(config.scales[i]) for i in np.argmin(grid.val_err, axis=0)],
        "optimal_excess_over_best": float(np.max(grid.val_err[i_opt] - grid.val_err.min(axis=0))),
        "validation_rows": grid.validation_rows,
        "validation_is_substitute": bool(real),
        "grid_vs_direct_solve_max_rel_diff": grid.grid_vs_direct,
        "method": "eigh of XᵀX per n, zero-padded to n_max, vmapped",
        "rcond_lambda0": grid.rcond,
        "gram_smallest_genuine_eigenvalue_rel": grid.genuine_rel,
        "gram_largest_null_eigenvalue_rel": grid.null_rel,
        "load_seconds": round(result.load_seconds, 3),
        "sweep_seconds": round(grid.sweep_seconds, 4),
        "sweep_seconds_with_compile": round(grid.sweep_first_seconds, 3),
        "direct_numpy_seconds": round(grid.direct_seconds, 3),
    }


def _map_json(result: DoubleDescentResult) -> dict:
    gaussian, laplace, paths, cf = (
        result.gaussian,
        result.laplace,
        result.paths,
        result.gaussian.cf_report,
    )
    return {
        "dtype": "float64",
        "closed_form_vs_solver_max_rel_diff": result.map_max_rel,
        "rtol": result.config.map_rtol,
        "gaussian": gaussian.per_n,
        "check_closed_form": {
            "n": gaussian.n_cf,
            "ok": bool(cf.ok),
            "stationarity": cf.stationarity,
            "solver_rel_diff": cf.solver_rel_diff,
        },
        "lambda_equivalence": gaussian.lambda_equivalence,
        "min_norm": result.min_norm,
        "laplace": {
            "n": result.min_norm["n"],
            "b": laplace.b,
            "gamma": laplace.gamma,
            "laplace_vs_lasso_rel_diff": _rel(laplace.theta_map, laplace.theta_lasso),
            "nonzero": int(np.sum(laplace.theta_map != 0)),
            "fista_iterations": laplace.iterations,
            "objective_difference_spread_rel": laplace.objective_report.max_rel_error,
            "wrong_gamma_sigma2_over_b_rejected": not laplace.kkt_wrong.ok,
        },
        "lasso_kkt_ok": bool(laplace.kkt.ok),
        "lasso_kkt_max_abs": laplace.kkt.max_abs_error,
        "lasso_kkt_max_rel": laplace.kkt.max_rel_error,
        "lasso_path": {
            "b": [float(v) for v in paths.b_real],
            "nonzero": [int(v) for v in paths.nnz_real],
            "kkt_max_rel": paths.kkt.max_rel_error,
            "synthetic_nonzero": [int(v) for v in np.sum(paths.theta_syn != 0, axis=1)],
            "synthetic_b": [float(v) for v in paths.b_syn],
        },
        "all_ok": result.map_ok,
    }


def results_json(result: DoubleDescentResult, *, real: bool) -> dict:
    """The results.json sections of §4: {"double_descent": ..., "map": ...} (stable keys: runs compare by them)."""
    return {"double_descent": _grid_json(result, real), "map": _map_json(result)}
