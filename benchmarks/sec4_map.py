"""§4 MAP linear regression: the double-descent grid (``jaxml.models.ridge.double_descent_sweep``) and the lasso
path on train200 (``jaxml.models.lasso.path``) against their NumPy peers and scikit-learn; and the NumPy sum of the
``double_descent`` experiment (the grid, the lasso paths and fits, at the sizes its results.json records).

Settings (σ, the λ / λ_opt scales, the path's length, the synthetic problem's shape) come from
``jaxml.experiments.double_descent.CONFIG``; η = 1/√d from the data, as the course starter (and the experiment) set it.
"""

from __future__ import annotations

import math

import _timing as timing
import numpy as np
import numpy_peers as peers
from _bench import Ctx, Row, Term, rel, row, sklearn_available


def _config():
    from jaxml.experiments.double_descent import CONFIG

    return CONFIG


def grid_inputs(ctx: Ctx) -> dict:
    """The training sets (by n), the validation set, and λ = scale · λ_opt, λ_opt = σ²/η², η = 1/√d."""
    from jaxml.models import ridge

    config, data = _config(), ctx.data.double_descent()
    n_list = sorted(data.train)
    d = data.train[n_list[0]].x.shape[1]
    eta = 1.0 / math.sqrt(d)  # course starter: η = 1/√d
    lams = np.asarray(config.scales) * float(ridge.lambda_opt(config.sigma, eta))
    return {
        "n_list": n_list,
        "xs": [data.train[n].x for n in n_list],
        "ys": [data.train[n].y for n in n_list],
        "lams": lams,
        "xv": data.validation.x,
        "yv": data.validation.y,
        "d": d,
        "eta": eta,
    }


def _sklearn_grid(g: dict):
    from sklearn.linear_model import LinearRegression, Ridge

    def run():
        out = np.empty((len(g["lams"]), len(g["xs"])))
        for j, (x, y) in enumerate(zip(g["xs"], g["ys"])):
            for i, lam in enumerate(g["lams"]):
                est = (
                    LinearRegression(fit_intercept=False)
                    if lam == 0
                    else Ridge(alpha=lam, fit_intercept=False)
                )
                out[i, j] = np.mean((g["yv"] - est.fit(x, y).predict(g["xv"])) ** 2)
        return out

    return run


def bench_double_descent(ctx: Ctx) -> list[Row]:
    """Validation MSEs for every (λ, n): one eigh of XᵀX per training set."""
    from jaxml.models import ridge

    g = grid_inputs(ctx)
    args = (g["xs"], g["ys"], g["lams"], g["xv"], g["yv"])
    t = ctx.timed_pair(
        "double_descent",
        lambda: ridge.double_descent_sweep(g["xs"], g["ys"], g["xv"], g["yv"], lams=g["lams"]),
        lambda: peers.ridge_validation_grid(*args),
        kind="batched",
        sklearn_fn=_sklearn_grid(g) if sklearn_available() else None,
        sklearn_repeats=1,
    )
    gj, gn = np.asarray(t["jax"].result), t["numpy"].result
    agree = f"val-MSE max rel diff {np.max(np.abs(gj - gn) / np.abs(gn)):.1e}"
    if t["sklearn"] is not None:
        gs = t["sklearn"].result
        agree += f" (sklearn Ridge/LinearRegression: {np.max(np.abs(gj - gs) / np.abs(gs)):.1e})"
    ratio = t["numpy"].median / t["jax"].median
    rows = [
        row(
            "§4(d) double-descent grid",
            f"{len(g['n_list'])} n × {len(g['lams'])} λ validation MSEs (d = {g['d']}, "
            f"{len(g['yv'])} validation rows), one eigh of XᵀX per n",
            t,
            agreement=agree,
            target="≥ 5×",
            met=(ratio >= 5) if ctx.full else None,
        )
    ]
    if ctx.device is None:
        direct = timing.time_one(
            lambda: peers.ridge_validation_grid_solve(*args), repeats=min(ctx.repeats, 3)
        )
        rows.append(
            Row(
                "§4(d) double-descent grid",
                "NumPy variant: one solve per (n, λ) (the course's way), for reference",
                jax_s=t["jax"].median,
                numpy_s=direct.median,
                agreement=f"max rel diff {np.max(np.abs(gj - direct.result) / np.abs(direct.result)):.1e}",
                note="not the fair peer: a different (slower) algorithm",
            )
        )
    return rows


def train_path_b(eta: float, points: int) -> np.ndarray:
    """The experiment's train200 path: b from 100× down to 1/100× the MAP b = η/√2 (results.json map.lasso_path.b)."""
    return (eta / math.sqrt(2.0)) * np.logspace(2, -2, points)


def _sklearn_path(x, y, gammas):
    from sklearn.linear_model import lasso_path

    def run():
        # sklearn: (1/(2n))‖y − Xθ‖² + a‖θ‖₁, so a = γ/(2n); coordinate descent with warm starts
        order = np.argsort(-gammas)  # lasso_path works from the largest alpha down
        alphas, coefs, _ = lasso_path(
            x, y, alphas=gammas[order] / (2 * len(y)), tol=1e-12, max_iter=100_000
        )
        theta = np.empty((len(gammas), x.shape[1]))
        theta[order] = coefs.T[np.argsort(-alphas)]  # back to the order of gammas
        return theta

    return run


def bench_lasso(ctx: Ctx) -> list[Row]:
    """The lasso path on the smallest training set: every γ = 2σ²/b of the experiment's path at once (FISTA)."""
    from jaxml.models import lasso

    config, g = _config(), grid_inputs(ctx)
    x, y = g["xs"][0], g["ys"][0]
    gammas = np.asarray(
        lasso.map_gamma(config.sigma, train_path_b(g["eta"], config.lasso_path_points))
    )
    t = ctx.timed_pair(
        "lasso",
        lambda: lasso.path(x, y, gammas=gammas).theta,
        lambda: peers.lasso_path_fista(x, y, gammas)["theta"],
        kind="sequential",
        sklearn_fn=_sklearn_path(x, y, gammas) if sklearn_available() else None,
        sklearn_repeats=1,
        repeats=min(ctx.repeats, 3),
    )
    tj, tn = np.asarray(t["jax"].result), t["numpy"].result
    agree = f"θ max rel diff {rel(tj, tn):.1e}"
    if t["sklearn"] is not None:
        agree += f"; sklearn lasso_path (CD, tol 1e-12): {rel(tj, t['sklearn'].result):.1e}"
    return [
        row(
            "§4(e) lasso path",
            f"{len(gammas)} γ on train{g['n_list'][0]} (d = {g['d']}), FISTA to rtol 1e-10, "
            "vectorised over γ",
            t,
            agreement=agree,
        )
    ]


BENCHES = [("double_descent", bench_double_descent), ("lasso", bench_lasso)]


# ----------------------------------------------------------------------------------------------------------------
# the experiment's computations, replayed by the peers (reproduce benchmark)
# ----------------------------------------------------------------------------------------------------------------


def _synthetic_problem(config, seed: int):
    """A problem of the experiment's synthetic shape (n, d, active): x ~ N(0, I), θⱼ = ±(1 + U[0, 1)) on the first
    ``active``, y = Xθ + σε (a NumPy draw; the experiment draws from its key)."""
    n, d, active = config.synthetic_lasso
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    true = np.where(np.arange(d) < active, 1.0 + rng.uniform(size=d), 0.0) * np.where(
        np.arange(d) % 2 == 0, 1, -1
    )
    return x, x @ true + config.sigma * rng.normal(size=n)


def reproduce_terms(ctx: Ctx, results: dict) -> list[Term]:
    """The §4 terms of the NumPy sum: the grid (λ_opt and scales read from ``results``), the lasso paths (their b
    read from ``results``) and the Laplace-MAP / lasso fits at the experiment's γ."""
    r, m = results.get("double_descent"), results.get("map")
    if not r or not m:
        return []
    from jaxml.models import lasso

    config, g = _config(), grid_inputs(ctx)
    lams = np.asarray(r["scales"]) * r["lambda_opt"]
    x, y = g["xs"][0], g["ys"][0]
    path = m["lasso_path"]
    gammas = np.asarray(lasso.map_gamma(r["sigma"], np.asarray(path["b"])))
    x_syn, y_syn = _synthetic_problem(config, ctx.seed)
    gammas_syn = np.asarray(lasso.map_gamma(r["sigma"], np.asarray(path["synthetic_b"])))
    gamma = m["laplace"]["gamma"]
    return [
        Term(
            "§4",
            "double_descent",
            f"{len(lams)} × {len(g['xs'])} ridge grid (one eigh per n; the experiment runs it "
            "three times to time it, summed once)",
            lambda: peers.ridge_validation_grid(g["xs"], g["ys"], lams, g["xv"], g["yv"]),
        ),
        Term(
            "§4",
            "double_descent",
            f"lasso: the path of {len(gammas)} γ on train{g['n_list'][0]}, the γ = 2σ²/b fit "
            f"twice (Laplace MAP, lasso), the synthetic path of {len(gammas_syn)} γ (FISTA)",
            lambda: (
                peers.lasso_path_fista(x, y, gammas),
                peers.lasso_path_fista(x, y, [gamma]),
                peers.lasso_path_fista(x, y, [gamma]),
                peers.lasso_path_fista(x_syn, y_syn, gammas_syn),
            ),
        ),
    ]
