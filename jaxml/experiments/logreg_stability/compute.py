"""§1 numbers: every fit, certificate and diagnostic of the experiment, as one typed result (no figures, no text).

Float64. Gradient ascent on the MEAN log-likelihood with α = 10 from θ₀ = 0 (the course's 0.1 on the sum,
n = 100), stopping when ‖Δθ‖ < 1e-15, with the hand-derived gradient of ``jaxml_derivations.logistic``:

(a) A converges, B does not within 1,000,000 iterations (Newton's method agrees on A, overflows on B);
(b) θ on B at 10,000 / 100,000 / 250,000; B is linearly separable and A is not (linear programs with re-checked
    witnesses), ℓ rises along B's separating direction, and θ_B points along the max-margin direction;
(c) the five modifications: constant rates, a decreasing rate (false convergence), scaling, L2 regularisation
    (stationarity verified with ``check_closed_form``), Gaussian input noise;
(d) a hinge-loss L2-regularised linear SVM on B, certified by its duality gap.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping

import jax
import numpy as np
from jaxml_derivations import logistic as hand

from ... import _bucketed_random as _random
from ..._compile import quick_checks
from ...models import linear_svm, logistic
from ...separability import MaxMargin, Separability, max_margin, separability
from ...verify import check_closed_form
from . import _evaluate as ev
from .config import CONFIG, Config


@dataclasses.dataclass(frozen=True)
class Ascent:
    """One gradient-ascent run and where it ended (ℓ and ‖∇ℓ‖ at the final θ; ∇ℓ unpenalised)."""

    iterations: int
    converged: bool
    theta: np.ndarray
    step_norm: float
    grad_norm: float
    log_likelihood: float
    recorded: Mapping[int, np.ndarray]

    @property
    def theta_norm(self) -> float:
        return float(np.linalg.norm(self.theta))


@dataclasses.dataclass(frozen=True)
class Newton:
    """A Newton's-method run (``grad_norm`` only where reported)."""

    theta: np.ndarray
    iterations: int
    converged: bool
    finite: bool
    grad_norm: float | None = None


@dataclasses.dataclass(frozen=True)
class Ray:
    """ℓ(s·u) along unit directions: B's max-margin separator, A's MLE direction (write-up §1(b))."""

    scales: tuple[float, ...]
    log_likelihood_b: tuple[float, ...]
    log_likelihood_a: tuple[float, ...]
    grad_b_finite: bool

    @property
    def b_increasing(self) -> bool:
        return bool(np.all(np.diff(self.log_likelihood_b) > 0))


@dataclasses.dataclass(frozen=True)
class DecreasingRun:
    """α_t = α₀ / t^p (write-up §1(c)(ii)): where the stopping rule fired and what ‖∇ℓ‖ was then."""

    alpha0: float
    power: float
    fit: Ascent
    alpha_last: float  # α at the last iteration taken
    alpha_last_on_sum: float  # the same on the sum gradient's scale (÷ n)
    grad_norm_at_theta0: float
    predicted_stop: float  # t* ≈ (α₀ ‖∇ℓ‖ / tol)^(1/p)


@dataclasses.dataclass(frozen=True)
class L2:
    """Gradient ascent on ℓ − (λ/2)‖θ‖² (write-up §1(c)(iv)), its certificate and the step-size bound."""

    fit: Ascent
    closed_form_ok: bool
    stationarity: float
    solver_rel_diff: float
    autodiff_grad_norm: float
    max_curvature: float
    stiff: Mapping[float, Ascent]  # {α: run} at the larger λ
    max_curvature_stiff: float


@dataclasses.dataclass(frozen=True)
class Noise:
    """B plus Gaussian input noise (write-up §1(c)(v)); ``sweep``: (σ, draws, separable draws)."""

    separable: bool
    fit: Ascent
    newton: Newton
    sweep: tuple[tuple[float, int, int], ...]


@dataclasses.dataclass(frozen=True)
class SvmFit:
    """One hinge-SVM fit on B (write-up §1(d)), certified by its duality gap."""

    lam: float
    steps: int
    theta: np.ndarray
    objective: float
    duality_gap: float
    margin: float
    training_errors: int
    margin_violations: int

    @property
    def w_norm(self) -> float:
        return float(np.linalg.norm(self.theta[1:]))


@dataclasses.dataclass(frozen=True)
class LogregStabilityResult:
    """Everything §1 computes (see the module docstring)."""

    config: Config
    a: Ascent
    b: Ascent
    newton_a: Newton
    newton_b: Newton
    b_seconds: float  # wall time of B's 1,000,000 iterations
    sep_a: Separability
    sep_b: Separability
    hard: MaxMargin | None
    ray: Ray
    constant: tuple[tuple[float, Ascent], ...]  # (α, run) of (c)(i)
    decreasing: tuple[DecreasingRun, ...]
    scaling: tuple[tuple[str, bool, Ascent], ...]  # (transform, separable, run) of (c)(iii)
    l2: L2
    noise: Noise
    svm_path: tuple[SvmFit, ...]
    svm_theta_change: float  # max |θ(steps[1]) − θ(steps[0])| at config.svm_lambda
    a_log_likelihoods: tuple[float, ...]  # ℓ(θ_t) at A's recorded t, in order
    b_log_likelihoods: tuple[float, ...]  # ℓ(θ_t) at B's recorded t, in order

    @property
    def theta_b(self) -> dict[int, np.ndarray]:
        """θ on B at the write-up's t (write-up §1(b))."""
        return {t: self.b.recorded[t] for t in self.config.record}

    @property
    def svm(self) -> SvmFit:
        """The SVM fit at the write-up's λ."""
        return next(p for p in self.svm_path if p.lam == self.config.svm_lambda)

    @property
    def trajectory(self) -> dict[str, dict[str, list]]:
        """‖θ_t‖ and ℓ(θ_t) at the recorded iterations of A's and B's runs."""
        return {
            "a": _trajectory(self.a, self.a_log_likelihoods),
            "b": _trajectory(self.b, self.b_log_likelihoods),
        }

    @property
    def b_log_likelihood_increasing_from(self) -> int:
        """The first recorded t from which ℓ(θ_t) on B rises at every later recorded t (α = 10 overshoots first)."""
        its = sorted(self.b.recorded)
        falls = np.flatnonzero(np.diff(np.asarray(self.b_log_likelihoods)) <= 0)
        return int(its[falls[-1] + 1] if falls.size else its[0])


def _trajectory(fit: Ascent, log_likelihoods) -> dict[str, list]:
    its = sorted(fit.recorded)
    return {
        "iterations": its,
        "theta_norm": [float(np.linalg.norm(fit.recorded[t])) for t in its],
        "log_likelihood": list(log_likelihoods),
    }


class _Quiet:
    """The progress interface, silent (``compute(..., progress=None)``)."""

    class _Bar:
        def update(self, n: int) -> None:
            pass

        def close(self) -> None:
            pass

    def log(self, message: str) -> None:
        pass

    def bar(self, total: int, desc: str = ""):
        return self._Bar()


def _ascend(p: ev.Problem, config: Config, **options) -> Ascent:
    """Gradient ascent with the hand gradient (the course's loop), summarised at its last θ."""
    options.setdefault("learning_rate", config.alpha)
    fit = logistic.fit(
        p.x,
        p.y,
        gradient=hand.log_likelihood_grad,
        tol=config.tol,
        chunk_size=config.chunk,
        **options,
    )
    ll, g = ev.log_likelihood_and_gradient(fit.theta, p)
    return Ascent(
        fit.iterations,
        fit.converged,
        fit.theta,
        fit.step_norm,
        float(np.linalg.norm(g)),
        ll,
        fit.recorded,
    )


def _newton(p: ev.Problem, *, with_grad_norm: bool = False) -> Newton:
    fit = logistic.fit_newton(
        p.x, p.y, gradient=hand.log_likelihood_grad, hessian=hand.log_likelihood_hessian
    )
    grad_norm = ev.grad_norm_jax(fit.theta, p) if with_grad_norm else None
    return Newton(fit.theta, fit.iterations, fit.converged, fit.finite, grad_norm)


def _bar_callback(bar):
    done = [0]

    def on_chunk(iteration):
        bar.update(iteration - done[0])
        done[0] = iteration

    return on_chunk


def _part_a(pa, pb, config: Config, progress) -> tuple[Ascent, Ascent, float]:
    """(a): A until ‖Δθ‖ < tol; B for a million iterations (timed), θ recorded along the way."""
    traj = sorted({int(t) for t in np.unique(np.round(np.logspace(0, 6, 49)))} | set(config.record))
    progress.log("    (a) gradient ascent on A until ||dtheta|| < 1e-15")
    a = _ascend(pa, config, max_iterations=config.b_cap, record_at=traj)
    progress.log(f"    (a) gradient ascent on B for {config.b_cap:,} iterations")
    bar = progress.bar(config.b_cap, "B")
    start = time.perf_counter()
    b = _ascend(
        pb, config, max_iterations=config.b_cap, record_at=traj, on_chunk=_bar_callback(bar)
    )
    seconds = time.perf_counter() - start
    bar.close()
    return a, b, seconds


def _ray(a: Ascent, b: Ascent, hard: MaxMargin | None, pa, pb, config: Config) -> Ray:
    """ℓ(s·u) on B along its (max-margin) separator and on A along its MLE direction."""
    if hard is not None:
        u_b = np.concatenate([[hard.b], hard.w])
        u_b /= np.linalg.norm(u_b)  # unit separating direction (max-margin)
    else:
        u_b = b.theta / np.linalg.norm(b.theta)
    u_a = a.theta / np.linalg.norm(a.theta)
    along_b = [ev.log_likelihood_and_gradient(s * u_b, pb) for s in config.ray_scales]
    return Ray(
        scales=config.ray_scales,
        log_likelihood_b=tuple(ll for ll, _ in along_b),
        log_likelihood_a=tuple(ev.log_likelihood(s * u_a, pa) for s in config.ray_scales),
        grad_b_finite=bool(all(np.all(np.isfinite(g)) for _, g in along_b)),
    )


def _decreasing(pb, config: Config) -> tuple[DecreasingRun, ...]:
    """(c)(ii): α_t = α₀ / t^p until the stopping rule fires (or the cap)."""
    runs = []
    for alpha0, power in config.decreasing:
        schedule = logistic.inverse_power_schedule(alpha0=alpha0, power=power)
        fit = _ascend(pb, config, learning_rate=schedule, max_iterations=config.b_cap)
        alpha_last = float(schedule(fit.iterations - 1))  # the step used at the last iteration t
        runs.append(
            DecreasingRun(
                alpha0=alpha0,
                power=power,
                fit=fit,
                alpha_last=alpha_last,
                alpha_last_on_sum=alpha_last / len(pb.y_np),
                grad_norm_at_theta0=ev.grad_norm(np.zeros(3), pb),
                # stop when alpha_t ||grad|| < tol: t* ~ (alpha0 ||grad|| / tol)^(1/p)
                predicted_stop=float((alpha0 * fit.grad_norm / config.tol) ** (1.0 / power)),
            )
        )
    return tuple(runs)


def _scaling(x_raw, y, config: Config) -> tuple[tuple[str, bool, Ascent], ...]:
    """(c)(iii): x ↦ c x and standardisation keep B separable; gradient ascent still diverges."""
    transforms = {f"x * {c:g}": x_raw * c for c in config.scalings}
    transforms["standardised (x - mean) / std"] = (x_raw - x_raw.mean(0)) / x_raw.std(0)
    runs = []
    for label, xs in transforms.items():
        fit = _ascend(
            ev.problem(logistic.add_intercept(xs), y), config, max_iterations=config.mod_cap
        )
        runs.append((label, separability(xs, y).separable, fit))
    return tuple(runs)


def _neg_penalised(theta, x, y, lam):
    """−(ℓ(θ) − (λ/2)‖θ‖²), minimised by check_closed_form."""
    return -logistic.l2_regularised_log_likelihood(theta, x, y, lam)


# check_closed_form evaluates it at two points: one compiled program
_neg_penalised_jit = jax.jit(_neg_penalised)


def _max_curvature(theta, p, lam: float) -> float:
    """κ = the largest eigenvalue of −∇²(ℓ − (λ/2)‖θ‖²) = −∇²ℓ + λI at θ: a step must stay below 2/κ."""
    return float(np.max(np.linalg.eigvalsh(-ev.hessian(theta, p) + lam * np.eye(3))))


def _l2(pb, key, config: Config) -> L2:
    """(c)(iv): ℓ − (λ/2)‖θ‖² has a maximiser; certified with check_closed_form; α against 2/κ."""
    fit = _ascend(pb, config, l2=config.l2_lambda, max_iterations=config.b_cap)
    theta = jax.device_put(fit.theta)
    # optax's L-BFGS inside check_closed_form mixes int32 and int64 counters, which strict dtype promotion (the
    # tests' setting) rejects; the CLI runs with standard promotion, as here
    # a check that runs once: compiled as `jaxml verify` compiles it (only its rounding measures may differ)
    with jax.numpy_dtype_promotion("standard"), quick_checks():
        report = check_closed_form(
            _neg_penalised_jit,
            lambda x, y, lam: theta,
            pb.x,
            pb.y,
            config.l2_lambda,
            key=key,
            name="L2-regularised logistic MLE (gradient ascent)",
        )
    stiff = {
        alpha: _ascend(
            pb,
            config,
            learning_rate=alpha,
            l2=config.l2_lambda_stiff,
            max_iterations=config.mod_cap,
        )
        for alpha in (config.alpha, 1.0)
    }
    return L2(
        fit=fit,
        closed_form_ok=report.ok,
        stationarity=report.stationarity,
        solver_rel_diff=report.solver_rel_diff,
        autodiff_grad_norm=float(
            np.linalg.norm(ev.penalised_autodiff_gradient(fit.theta, pb, config.l2_lambda))
        ),
        max_curvature=_max_curvature(fit.theta, pb, config.l2_lambda),
        stiff=stiff,
        max_curvature_stiff=_max_curvature(stiff[1.0].theta, pb, config.l2_lambda_stiff),
    )


def _normal(key, shape, size: int) -> np.ndarray:
    """``jax.random.normal(key, shape, float64)``, bit for bit, from one flat draw of ``size`` ≥ prod(shape).

    jaxml's bucketed draws' draws are a function of the flat index, so the first prod(shape) entries of a longer draw are
    the draw of ``shape``; drawing a power of two (jaxml's bucketed draws' bucket size) compiles one program for every
    shape up to ``size`` and leaves the slicing to NumPy.
    """
    flat = np.asarray(_random.normal(key, (size,), np.float64))
    return flat[: math.prod(shape)].reshape(shape)


def _noise(x_raw, y, k_noise, k_sweep, config: Config) -> Noise:
    """(c)(v): B + σ·N(0, I) with σ = 0.05; and how often smaller σ leave B separable."""
    # one power-of-two size for both draws: one compiled program
    size = max(64, 1 << (config.noise_draws * x_raw.size - 1).bit_length())
    x_noisy = x_raw + config.noise_sigma * _normal(k_noise, x_raw.shape, size)
    p = ev.problem(logistic.add_intercept(x_noisy), y)
    fit = _ascend(p, config, max_iterations=config.b_cap)
    draws = _normal(k_sweep, (config.noise_draws, *x_raw.shape), size)
    sweep = tuple(
        (
            sigma,
            config.noise_draws,
            int(sum(separability(x_raw + sigma * d, y).separable for d in draws)),
        )
        for sigma in config.noise_sweep
    )
    return Noise(separability(x_noisy, y).separable, fit, _newton(p), sweep)


def _svm_fit(pb, lam: float, steps: int) -> SvmFit:
    fit = linear_svm.fit(pb.x, pb.y, lam=lam, steps=steps)
    m = (2.0 * pb.y_np - 1.0) * (pb.x_np @ fit.theta)  # functional margins y~ theta^T x
    return SvmFit(
        lam=lam,
        steps=steps,
        theta=fit.theta,
        objective=fit.objective,
        duality_gap=linear_svm.duality_gap(fit, pb.x, pb.y, lam=lam),
        margin=fit.margin,
        training_errors=int(np.sum(m <= 0)),
        margin_violations=int(np.sum(m < 1.0 - 1e-6)),
    )


def _svm(pb, config: Config, progress) -> tuple[tuple[SvmFit, ...], float]:
    """(d): the hinge SVM along λ, and how far θ moves between the two run lengths at config.svm_lambda."""
    progress.log(f"    (d) hinge-loss SVM on B, lambda in {config.svm_path}")
    path = tuple(_svm_fit(pb, lam, config.svm_steps[-1]) for lam in config.svm_path)
    shorter = linear_svm.fit(pb.x, pb.y, lam=config.svm_lambda, steps=config.svm_steps[0])
    main = next(p for p in path if p.lam == config.svm_lambda)
    return path, float(np.max(np.abs(shorter.theta - main.theta)))


def compute(data, *, key, config: Config = CONFIG, progress=None) -> LogregStabilityResult:
    """Run §1 on data sets A and B.

    Args:
      data: {"a": Split, "b": Split} (``DataSource.logreg_stability()``): x (100, 2), y (100,) in {0, 1}.
      key: PRNG key (the input noise of (c)(v) and check_closed_form's start).
      config: the protocol (:data:`CONFIG`).
      progress: ``.log(msg)`` / ``.bar(total, desc)`` (e.g. ``jaxml.experiments.Progress``); None is silent.

    Returns:
      :class:`LogregStabilityResult`.
    """
    progress = _Quiet() if progress is None else progress
    k_noise, k_sweep = jax.random.split(key)
    x_a, y_a, x_b, y_b = data["a"].x, data["a"].y, data["b"].x, data["b"].y
    pa, pb = (
        ev.problem(logistic.add_intercept(x_a), y_a),
        ev.problem(logistic.add_intercept(x_b), y_b),
    )
    a, b, b_seconds = _part_a(pa, pb, config, progress)
    sep_a, sep_b = separability(x_a, y_a), separability(x_b, y_b)
    hard = max_margin(x_b, y_b) if sep_b.separable else None
    progress.log(
        f"    (c)(i) constant rates {config.constant_rates} for {config.mod_cap:,} iterations"
    )
    constant = tuple(
        (
            alpha,
            _ascend(
                pb,
                config,
                learning_rate=alpha,
                max_iterations=config.mod_cap,
                record_at=(config.mod_cap // 2,),
            ),
        )
        for alpha in config.constant_rates
    )
    progress.log("    (c)(ii) decreasing rates alpha0 / t^p")
    decreasing = _decreasing(pb, config)
    progress.log("    (c)(iii) scaled inputs")
    scaling = _scaling(x_b, y_b, config)
    progress.log(f"    (c)(iv) L2 penalty lambda = {config.l2_lambda:g}")
    l2 = _l2(pb, k_noise, config)
    progress.log(f"    (c)(v) Gaussian input noise sigma = {config.noise_sigma:g}")
    noise = _noise(x_b, y_b, k_noise, k_sweep, config)
    svm_path, svm_theta_change = _svm(pb, config, progress)
    return LogregStabilityResult(
        config=config,
        a=a,
        b=b,
        newton_a=_newton(pa, with_grad_norm=True),
        newton_b=_newton(pb),
        b_seconds=b_seconds,
        sep_a=sep_a,
        sep_b=sep_b,
        hard=hard,
        ray=_ray(a, b, hard, pa, pb, config),
        constant=constant,
        decreasing=decreasing,
        scaling=scaling,
        l2=l2,
        noise=noise,
        svm_path=svm_path,
        svm_theta_change=svm_theta_change,
        a_log_likelihoods=tuple(ev.log_likelihood(a.recorded[t], pa) for t in sorted(a.recorded)),
        b_log_likelihoods=tuple(ev.log_likelihood(b.recorded[t], pb) for t in sorted(b.recorded)),
    )


# ----------------------------------------------------------------------------------------------------------------
# results.json
# ----------------------------------------------------------------------------------------------------------------


def _floats(a) -> list[float]:
    return [float(v) for v in np.asarray(a)]


def trunc2(a) -> list[float]:
    """Truncate to 2 decimals, as the write-up prints θ."""
    return [float(v) for v in np.trunc(np.asarray(a) * 100.0) / 100.0]


def _summary(fit: Ascent) -> dict:
    """The numbers that say whether a gradient-ascent run converged, and to what."""
    return {
        "iterations": fit.iterations,
        "converged": fit.converged,
        "theta": _floats(fit.theta),
        "theta_norm": fit.theta_norm,
        "step_norm": fit.step_norm,
        "grad_norm": fit.grad_norm,
        "log_likelihood": fit.log_likelihood,
    }


def _separability_json(sep: Separability) -> dict:
    if sep.separable:
        return {"w": _floats(sep.w), "b": sep.b, "margin_l2": sep.margin_l2}
    return {"hull_point": _floats(sep.hull_point), "hull_residual": sep.hull_residual}


def _part_ab_json(r: LogregStabilityResult) -> dict:
    c = r.config
    res = {
        "a_converged": r.a.converged,
        "a_iterations": r.a.iterations,
        "a_theta": _floats(r.a.theta),
        "a_grad_norm": r.a.grad_norm,
        "a_newton": {
            "theta": _floats(r.newton_a.theta),
            "iterations": r.newton_a.iterations,
            "converged": r.newton_a.converged,
            "grad_norm": r.newton_a.grad_norm,
            "max_abs_diff_from_gradient_ascent": float(
                np.max(np.abs(r.newton_a.theta - r.a.theta))
            ),
        },
        "b_iterations_tried": c.b_cap,
        "b_converged": r.b.converged,
        "b_iterations": r.b.iterations,
        "b_theta_final": _floats(r.b.theta),
        "b_step_norm_final": r.b.step_norm,
        "b_grad_norm_final": r.b.grad_norm,
        "b_newton": {
            "converged": r.newton_b.converged,
            "finite": r.newton_b.finite,
            "iterations": r.newton_b.iterations,
            "theta_norm_last_finite": float(np.linalg.norm(r.newton_b.theta)),
        },
        "theta_b": {str(t): _floats(theta) for t, theta in r.theta_b.items()},
        "theta_b_writeup": {str(t): c.writeup_theta[t] for t in c.record},
        "theta_b_truncated": {str(t): trunc2(theta) for t, theta in r.theta_b.items()},
        "theta_b_matches_writeup_truncated": {str(t): m for t, m in theta_b_matches(r).items()},
        "a_separable": r.sep_a.separable,
        "b_separable": r.sep_b.separable,
        "a_separability": _separability_json(r.sep_a),
        "b_separability": _separability_json(r.sep_b),
    }
    if r.hard is not None:
        res["b_max_margin"] = r.hard.margin
        res["b_direction_cosine_to_max_margin"] = {
            str(t): v for t, v in direction_cosines(r).items()
        }
    res["ray"] = {
        "scales": list(r.ray.scales),
        "log_likelihood_b": list(r.ray.log_likelihood_b),
        "log_likelihood_a": list(r.ray.log_likelihood_a),
        "grad_b_finite": r.ray.grad_b_finite,
        "b_increasing": r.ray.b_increasing,
    }
    res["b_log_likelihood_increasing_from"] = r.b_log_likelihood_increasing_from
    res["trajectory"] = r.trajectory
    return res


def theta_b_matches(r: LogregStabilityResult) -> dict[int, bool]:
    """{t: θ_B truncated to 2 decimals equals the write-up's} (write-up §1(b))."""
    return {t: trunc2(theta) == r.config.writeup_theta[t] for t, theta in r.theta_b.items()}


def direction_cosines(r: LogregStabilityResult) -> dict[int, float]:
    """{t: cos(θ_t, max-margin direction)} at the recorded t and the cap (empty if B is not separable)."""
    if r.hard is None:
        return {}
    u = np.concatenate([[r.hard.b], r.hard.w])
    u /= np.linalg.norm(u)
    thetas = {
        **{t: r.b.recorded[t] for t in r.config.record},
        r.config.b_cap: r.b.recorded[r.config.b_cap],
    }
    return {t: float(theta @ u / np.linalg.norm(theta)) for t, theta in thetas.items()}


def _decreasing_json(r: LogregStabilityResult) -> dict:
    c = r.config
    runs = [
        {
            "alpha0": d.alpha0,
            "power": d.power,
            "schedule": f"alpha_t = {d.alpha0:g} / t^{d.power:g} (mean gradient)",
            "stopped": d.fit.converged,
            **_summary(d.fit),
            "alpha_last": d.alpha_last,
            "alpha_last_on_sum": d.alpha_last_on_sum,
            "grad_norm_at_theta0": d.grad_norm_at_theta0,
            "predicted_stop": d.predicted_stop,
        }
        for d in r.decreasing
    ]
    primary = runs[0]
    return {
        # truly converged only if the gradient vanished; it stopped because alpha did
        "converges": bool(primary["stopped"] and primary["grad_norm"] < 1e-8),
        "stopped": primary["stopped"],
        "stop_iteration": primary["iterations"],
        "alpha_at_stop": primary["alpha_last"],
        "alpha_at_stop_on_sum": primary["alpha_last_on_sum"],
        "grad_norm_at_stop": primary["grad_norm"],
        "grad_norm_at_theta0": primary["grad_norm_at_theta0"],
        "schedule": primary["schedule"],
        "runs": runs,
        "writeup_stop_iteration": c.writeup_decreasing_stop,
        "writeup_alpha": c.writeup_decreasing_alpha,
    }


def _l2_json(r: LogregStabilityResult) -> dict:
    l2, c = r.l2, r.config
    return {
        "converges": bool(l2.fit.converged and l2.closed_form_ok),
        "lam": c.l2_lambda,
        "learning_rate": c.alpha,
        "objective": "l(theta) - (lam/2) ||theta||^2, intercept penalised too",
        **_summary(l2.fit),
        "check_closed_form_ok": l2.closed_form_ok,
        "stationarity": l2.stationarity,
        "solver_rel_diff": l2.solver_rel_diff,
        "autodiff_grad_norm": l2.autodiff_grad_norm,
        "max_curvature": l2.max_curvature,
        "stable_step_bound": 2.0 / l2.max_curvature,
        "stiffer": {
            "lam": c.l2_lambda_stiff,
            "runs": {
                str(alpha): {"learning_rate": alpha, **_summary(fit)}
                for alpha, fit in l2.stiff.items()
            },
            "max_curvature": l2.max_curvature_stiff,
            "stable_step_bound": 2.0 / l2.max_curvature_stiff,
        },
    }


def _modifications_json(r: LogregStabilityResult) -> dict:
    c, half = r.config, r.config.mod_cap // 2
    constant = [
        {
            "learning_rate": alpha,
            **_summary(fit),
            "theta_norm_half": float(np.linalg.norm(fit.recorded[half]))
            if half in fit.recorded
            else None,
        }
        for alpha, fit in r.constant
    ]
    scaling = [{"transform": t, "separable": sep, **_summary(fit)} for t, sep, fit in r.scaling]
    noise = r.noise
    return {
        "constant_lr": {
            "converges": any(x["converged"] for x in constant),
            "cap": c.mod_cap,
            "runs": constant,
        },
        "decreasing_lr": _decreasing_json(r),
        "scaling": {
            "converges": any(x["converged"] for x in scaling),
            "cap": c.mod_cap,
            "runs": scaling,
        },
        "l2": _l2_json(r),
        "noise": {
            "converges": noise.fit.converged,
            "sigma": c.noise_sigma,
            "separable": noise.separable,
            **_summary(noise.fit),
            "newton": {
                "theta": _floats(noise.newton.theta),
                "iterations": noise.newton.iterations,
                "converged": noise.newton.converged,
                "max_abs_diff_from_gradient_ascent": float(
                    np.max(np.abs(noise.newton.theta - noise.fit.theta))
                ),
            },
            "sweep": [{"sigma": s, "draws": d, "separable_draws": k} for s, d, k in noise.sweep],
        },
    }


def _svm_point_json(p: SvmFit) -> dict:
    return {
        "lam": p.lam,
        "steps": p.steps,
        "theta": _floats(p.theta),
        "objective": p.objective,
        "duality_gap": p.duality_gap,
        "relative_gap": p.duality_gap / p.objective,
        "margin": p.margin,
        "w_norm": p.w_norm,
        "w_norm_bound": float(np.sqrt(2.0 / p.lam)),
        "training_errors": p.training_errors,
        "margin_violations": p.margin_violations,
    }


def svm_converges(r: LogregStabilityResult) -> bool:
    """The SVM at the write-up's λ is certified: relative duality gap below config.svm_rel_gap, θ finite."""
    svm = r.svm
    return bool(
        svm.duality_gap / svm.objective < r.config.svm_rel_gap and np.all(np.isfinite(svm.theta))
    )


def _svm_json(r: LogregStabilityResult) -> dict:
    c = r.config
    path = [_svm_point_json(p) for p in r.svm_path]
    main = next(p for p in path if p["lam"] == c.svm_lambda)
    main["theta_change_between_run_lengths"] = r.svm_theta_change  # also in its path entry
    return {
        "lam": c.svm_lambda,
        **main,
        "path": path,
        "hard_margin": r.hard.margin if r.hard else None,
        "objective": "(lam/2)||w||^2 + mean max(0, 1 - y~ theta^T x); intercept not penalised",
        "optimizer": "optax.adam, cosine-decayed step from 1.0, full batch",
    }


def results_json(r: LogregStabilityResult) -> dict:
    """The ``logreg_stability`` section of results.json (plain JSON types)."""
    c = r.config
    return {
        "dtype": "float64",
        "learning_rate": c.alpha,
        "learning_rate_on": "mean gradient (= 0.1 on the sum)",
        "tol": c.tol,
        **_part_ab_json(r),
        "modifications": _modifications_json(r),
        "svm_b_converges": svm_converges(r),
        "svm_b_margin": r.svm.margin,
        "svm": _svm_json(r),
        "timings_s": {"b_1m_iterations_s": r.b_seconds},
    }
