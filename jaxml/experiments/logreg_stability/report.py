"""§1 in REPORT.md: the comparison rows (ours beside the write-up's) and the notes that explain them."""

from __future__ import annotations

import numpy as np

from .._registry import Row
from .compute import (
    LogregStabilityResult,
    direction_cosines,
    svm_converges,
    theta_b_matches,
    trunc2,
)


def _count(k: int, noun: str) -> str:
    return f"{k} {noun}" + ("" if k == 1 else "s")


def _verdict(ok: bool, real: bool) -> str:
    if not real:
        return "synthetic data"
    return "reproduced" if ok else "differs"


def _b_margin(r: LogregStabilityResult, missing: float) -> float:
    return r.hard.margin if r.hard is not None else missing


def _rows_ab(r: LogregStabilityResult, real: bool, device: str) -> list[Row]:
    c, matches = r.config, theta_b_matches(r)
    rows = [
        Row(
            f"(b) theta on B at t = {t:,}",
            np.array2string(np.asarray(theta), precision=3),
            str(c.writeup_theta[t]),
            _verdict(matches[t], real),
            f"truncated to 2 decimals: {trunc2(theta)}"
            + (" = write-up" if matches[t] else " != write-up"),
        )
        for t, theta in r.theta_b.items()
    ]
    max_diff = float(np.max(np.abs(r.newton_a.theta - r.a.theta)))
    rows.append(
        Row(
            "(a) A converges",
            f"yes, {r.a.iterations:,} iterations" if r.a.converged else "no",
            "quickly converges",
            _verdict(r.a.converged, real),
            f"||grad l|| = {r.a.grad_norm:.1e} there; Newton reaches the same theta (max diff "
            f"{max_diff:.1e}) in {r.newton_a.iterations} steps",
        )
    )
    rows.append(
        Row(
            "(a) B does not converge",
            f"not in {c.b_cap:,}" if not r.b.converged else f"converged at {r.b.iterations:,}",
            "not after > 1,000,000 iterations",
            _verdict(not r.b.converged, real),
            f"||dtheta|| = {r.b.step_norm:.1e} at the cap, ||theta|| = {r.b.theta_norm:.1f} "
            f"({r.b_seconds:.2f} s on {device})",
        )
    )
    sep_a, sep_b = r.sep_a, r.sep_b
    rows.append(
        Row(
            "(b) B separable, A not",
            f"B: {sep_b.separable}, A: {sep_a.separable}",
            "B (quasi-)separable, A not",
            _verdict(sep_b.separable and not sep_a.separable, real),
            f"LP witnesses: B margin {sep_b.margin_l2:.4f} (max margin {_b_margin(r, 0):.4f}); "
            f"A: a point in both convex hulls"
            if sep_b.separable and not sep_a.separable
            else f"B: {sep_b}; A: {sep_a}",
        )
    )
    ray, rising_from = r.ray, r.b_log_likelihood_increasing_from
    rising = ray.b_increasing and ray.grad_b_finite and rising_from <= c.record[0]
    rows.append(
        Row(
            "(b) l keeps rising on B",
            "yes" if rising else "no",
            "likelihood strictly increasing in theta",
            _verdict(rising, real),
            f"l(s u) on B: {ray.log_likelihood_b[0]:.3g} (s=1) -> {ray.log_likelihood_b[-1]:.3g} "
            f"(s=1000), finite; l(theta_t) rises at every recorded t >= {rising_from:,}",
        )
    )
    return rows


def _half_norm(fit, half: int) -> float:
    return float(np.linalg.norm(fit.recorded[half]))


def _rows_c(r: LogregStabilityResult, real: bool) -> list[Row]:
    c, half = r.config, r.config.mod_cap // 2
    constant_converges = any(fit.converged for _, fit in r.constant)
    dec = r.decreasing[0]
    dec_stopped, dec_converges = dec.fit.converged, dec.fit.converged and dec.fit.grad_norm < 1e-8
    rows = [
        Row(
            "(c)(i) other constant rates",
            "diverges" if not constant_converges else "converges",
            "would not converge",
            _verdict(not constant_converges, real),
            "; ".join(
                f"alpha={alpha:g}: ||theta|| {_half_norm(fit, half):.0f}->{fit.theta_norm:.0f}"
                for alpha, fit in r.constant
            )
            + f" ({half:,} -> {c.mod_cap:,} it.)",
        ),
        Row(
            "(c)(ii) decreasing rate: stop",
            f"t = {dec.fit.iterations:,}, alpha = {dec.alpha_last_on_sum:.2g} (sum) / {dec.alpha_last:.2g} (mean)",
            "t = 120,000, alpha = 5.8e-17",
            _verdict(dec_stopped, real),
            f"schedule 0.1/t^3 on the sum (= 10/t^3 on the mean); the exact t depends on alpha0, p and "
            f"||grad l||: t* ~ (alpha0 ||grad l|| / 1e-15)^(1/p) = {dec.predicted_stop:,.0f}",
        ),
        Row(
            "(c)(ii) ... false convergence",
            "false" if not dec_converges else "true",
            "false convergence",
            _verdict(dec_stopped and not dec_converges, real),
            f"||grad l|| = {dec.fit.grad_norm:.3g} at the stop (vs {dec.grad_norm_at_theta0:.3g} at theta = 0)",
        ),
    ]
    scaling_converges = any(fit.converged for _, _, fit in r.scaling)
    rows.append(
        Row(
            "(c)(iii) scaled inputs",
            "diverges" if not scaling_converges else "converges",
            "would not converge",
            _verdict(not scaling_converges and all(sep for _, sep, _ in r.scaling), real),
            "; ".join(
                f"{t}: separable {sep}, ||theta|| {fit.theta_norm:.0f}" for t, sep, fit in r.scaling
            ),
        )
    )
    return rows + _rows_cd(r, real)


def _rows_cd(r: LogregStabilityResult, real: bool) -> list[Row]:
    c, l2, noise, svm = r.config, r.l2, r.noise, r.svm
    l2_converges = l2.fit.converged and l2.closed_form_ok
    newton_diff = float(np.max(np.abs(noise.newton.theta - noise.fit.theta)))
    return [
        Row(
            "(c)(iv) L2 regularisation",
            f"converges, {l2.fit.iterations:,} it." if l2_converges else "does not converge",
            "would converge",
            _verdict(l2_converges, real),
            f"lambda={c.l2_lambda:g}: check_closed_form {'PASS' if l2.closed_form_ok else 'FAIL'} "
            f"(stationarity {l2.stationarity:.1e}, L-BFGS rel. diff {l2.solver_rel_diff:.1e})",
        ),
        Row(
            "(c)(v) Gaussian input noise",
            f"converges, {noise.fit.iterations:,} it."
            if noise.fit.converged
            else "does not converge",
            "would converge",
            _verdict(noise.fit.converged and not noise.separable, real),
            f"sigma={c.noise_sigma:g}: separable {noise.separable}; Newton agrees to {newton_diff:.1e}",
        ),
        Row(
            "(d) hinge SVM on B",
            f"converges, margin {svm.margin:.4f}" if svm_converges(r) else "not certified",
            "not vulnerable (max-margin boundary)",
            _verdict(svm_converges(r), real),
            f"lambda={c.svm_lambda:g}: duality gap {svm.duality_gap:.1e}, ||w|| {svm.w_norm:.1f} <= "
            f"sqrt(2/lambda) = {np.sqrt(2.0 / svm.lam):.0f}; {_count(svm.training_errors, 'training error')}",
        ),
    ]


def rows(r: LogregStabilityResult, *, real: bool, device: str) -> list[Row]:
    """The comparison table: ours beside the write-up's, with a verdict and one line of evidence each.

    Args:
      r: the computed result.
      real: the course data (else every verdict reads "synthetic data").
      device: where the loops ran, for the timing evidence.
    """
    return _rows_ab(r, real, device) + _rows_c(r, real)


# ----------------------------------------------------------------------------------------------------------------
# Notes: one paragraph per part of the write-up
# ----------------------------------------------------------------------------------------------------------------


def _a(v, precision: int) -> str:
    return np.array2string(np.asarray(v), precision=precision)


def _notes_head(r: LogregStabilityResult, device: str) -> str:
    c = r.config
    table = "\n".join(
        f"| {t:,} | {_a(theta, 4)} | {trunc2(theta)} | {c.writeup_theta[t]} |"
        for t, theta in r.theta_b.items()
    )
    overflow = "overflowed" if not r.newton_b.finite else "did not converge"
    return f"""Float64 throughout; θ = (intercept, θ₁, θ₂). Gradient ascent θ ← θ + α∇ℓ on the **mean**
log-likelihood with α = {c.alpha:g} (the course's 0.1 on the sum, n = 100) from θ₀ = 0, stopping at ‖Δθ‖ < 1e-15;
a jitted `lax.while_loop` in chunks of {c.chunk:,} on {device}: {c.b_cap:,} iterations on B took
{r.b_seconds:.2f} s.

| t | θ_B (ours) | ours truncated to 2 d.p. | write-up |
|---|---|---|---|
{table}

**(a)** A stops after {r.a.iterations:,} iterations (the exact count depends on the last bits of σ near the
1e-15 threshold: a NumPy loop computing σ as 1/(1 + e^(−z)) stops at a slightly different count, within 0.1%, as
the tests check), at θ = {_a(r.a.theta, 4)},
where ‖∇ℓ‖ = {r.a.grad_norm:.1e} and Newton's method (hand Hessian of `derivations/logistic.py`) gives the
same θ in {r.newton_a.iterations} steps: A's maximum-likelihood estimate exists. On B, θ is still moving after
{c.b_cap:,} iterations (‖Δθ‖ = {r.b.step_norm:.1e}, θ = {_a(r.b.theta, 2)}), and
Newton's iterates blow up ({overflow} after {r.newton_b.iterations} steps).
"""


def _notes_b(r: LogregStabilityResult) -> str:
    c, ray, nan = r.config, r.ray, float("nan")
    hull = _a(r.sep_a.hull_point, 4) if not r.sep_a.separable else "-"
    lls = ", ".join(f"{v:.2e}" for v in ray.log_likelihood_b)
    scales = ", ".join(f"{s:g}" for s in ray.scales)
    norms = ", ".join(f"{np.linalg.norm(r.b.recorded[t]):.0f}" for t in (10_000, 100_000, c.b_cap))
    cosines = ", ".join(f"{v:.6f}" for v in direction_cosines(r).values())
    return f"""
**(b) Why.** Decided exactly by linear programming (`jaxml.separability`, each answer with a re-checked witness):
B is strictly separable (a separating line with Euclidean margin {r.sep_b.margin_l2:.4f}; the maximal margin is
{_b_margin(r, nan):.4f}), A is not (the point {hull}
lies in the convex hull of both classes). On separable data every yᵢ log σ(θᵀxᵢ) term rises towards 0 as θ
moves out along a separating direction u: ℓ(s·u) on B goes {lls}
for s = {scales} (finite throughout: log σ is computed as `jax.nn.log_sigmoid`), so ℓ has no
maximiser and gradient ascent's ‖θ‖ grows without bound ({norms}
at t = 10⁴, 10⁵, 10⁶: still faster than the log t growth theory predicts asymptotically); ℓ(θ_t) rises at every recorded t from t = {r.b_log_likelihood_increasing_from:,} on (α = 10
overshoots in the first few steps). Along A's direction ℓ(s·u) turns down ({ray.log_likelihood_a[-1]:.3g} at
s = 1000). θ_B points almost along the max-margin separator (cosine {cosines}
at t = 10k, 100k, 250k, 1M); theory says the direction converges to it (Soudry et al. 2018, *The Implicit Bias of
Gradient Descent on Separable Data*), but only at rate 1/log t, which a million iterations cannot show (the cosine
is not monotone here). The write-up calls B "almost perfectly" separable; it is exactly separable.
"""


def _notes_c_i_ii(r: LogregStabilityResult) -> str:
    c, half = r.config, r.config.mod_cap // 2
    constant_lines = ", ".join(
        f"α = {alpha:g}: ‖θ‖ {_half_norm(fit, half):.1f} → {fit.theta_norm:.1f}, ‖∇ℓ‖ {fit.grad_norm:.1e}"
        for alpha, fit in r.constant
    )
    growing = all(fit.theta_norm > _half_norm(fit, half) for _, fit in r.constant)
    constant_verdict = (
        f"No constant α converges: ‖θ‖ still grows between {half:,} and {c.mod_cap:,} iterations at every "
        "rate; a larger α only moves faster along the diverging path."
        if growing and not any(fit.converged for _, fit in r.constant)
        else "Not every rate diverged here: see the numbers above."
    )
    d, d2 = r.decreasing
    return f"""
**(c)(i) Constant rates** ({c.mod_cap:,} iterations each): {constant_lines}. {constant_verdict}

**(c)(ii) Decreasing rate.** The write-up's stop (t = 120,000, α = 5.8e-17) is what α_t = 0.1/t³ on the sum
gradient gives (0.1/120,000³ = 5.79e-17); we ran that schedule (10/t³ on the mean, via `optax.sgd` with the schedule
`inverse_power_schedule(10, 3)`): it "converges" at t = {d.fit.iterations:,} with α =
{d.alpha_last_on_sum:.3g} on the sum scale ({d.alpha_last:.3g} on the mean), while
‖∇ℓ‖ = {d.fit.grad_norm:.3g}, about the size it had at θ = 0 ({d.grad_norm_at_theta0:.3g}):
θ = {_a(d.fit.theta, 3)} stayed near the origin, because the whole path
is at most Σ α_t · max ‖∇ℓ‖ = α₀ ζ(3) · max ‖∇ℓ‖ long. The stop is the rule ‖Δθ‖ = α_t ‖∇ℓ‖ < 1e-15, reached at t* ≈ (α₀ ‖∇ℓ‖ / 1e-15)^(1/p) — here
{d.predicted_stop:,.0f} — so it scales with α₀^(1/p) and depends strongly on p: with α₀/t² the same rule
has not fired after {d2.fit.iterations:,} iterations (predicted t* ≈ {d2.predicted_stop:.2g}), ‖∇ℓ‖ =
{d2.fit.grad_norm:.3g}. Either way the stop is false convergence: the step vanished, the gradient did not.
"""


def _scaling_line(label: str, separable: bool, fit) -> str:
    if fit.converged:
        return f"{label}: converged"
    return f"{label}: separable {separable}, not converged after {fit.iterations:,} (‖θ‖ = {fit.theta_norm:.1f})"


def _notes_c_iii_iv(r: LogregStabilityResult) -> str:
    c, l2 = r.config, r.l2
    s10, s1 = l2.stiff[c.alpha], l2.stiff[1.0]
    stiff_alpha10 = (
        f"converges in {s10.iterations:,}"
        if s10.converged
        else f"keeps bouncing (‖Δθ‖ = {s10.step_norm:.2g} after {s10.iterations:,} iterations)"
    )
    stiff_alpha1 = (
        "converges in " + format(s1.iterations, ",") if s1.converged else "does not converge"
    )
    kappa, kappa_stiff = l2.max_curvature, l2.max_curvature_stiff
    return f"""
**(c)(iii) Scaling.** {"; ".join(_scaling_line(*run) for run in r.scaling)}.
An invertible affine map of the features keeps a separating line a separating line.

**(c)(iv) L2 regularisation.** Gradient ascent on ℓ(θ) − (λ/2)‖θ‖² with λ = {c.l2_lambda:g} and the same α = {c.alpha:g}
(`optax.add_decayed_weights` then `optax.sgd`) stops after {l2.fit.iterations:,} iterations at
θ = {_a(l2.fit.theta, 4)}. `jaxml.verify.check_closed_form` on that θ:
{"PASS" if l2.closed_form_ok else "FAIL"} (relative autodiff gradient {l2.stationarity:.1e}, optax L-BFGS from a random start
agrees to {l2.solver_rel_diff:.1e}). A step must stay below 2/κ, κ the largest curvature of the objective at the
optimum: κ = {kappa:.3f} here (2/κ = {2 / kappa:.1f} > α). With λ = {c.l2_lambda_stiff:g} the optimum sits where
ℓ is more curved (κ = {kappa_stiff:.3f}, 2/κ = {2 / kappa_stiff:.1f} < 10): α = 10 then
{stiff_alpha10}, α = 1 {stiff_alpha1}. Regularisation gives the objective a maximiser; the step still has to fit it.
"""


def _notes_c_v_d(r: LogregStabilityResult) -> str:
    c, noise, svm, nan = r.config, r.noise, r.svm, float("nan")
    newton_diff = float(np.max(np.abs(noise.newton.theta - noise.fit.theta)))
    noise_lines = ", ".join(f"σ = {sigma:g}: {k}/{draws}" for sigma, draws, k in noise.sweep)
    path_lines = ", ".join(
        f"λ = {p.lam:g}: margin {p.margin:.4f} ({_count(p.training_errors, 'error')}, "
        f"gap {p.duality_gap / p.objective:.0e})"
        for p in r.svm_path
    )
    return f"""
**(c)(v) Gaussian noise.** x + σ·N(0, I) with σ = {c.noise_sigma:g} (seeded from the experiment key): B is no longer
separable ({"LP: convex hulls meet" if not noise.separable else "still separable"}) and gradient ascent converges
in {noise.fit.iterations:,} iterations to θ = {_a(noise.fit.theta, 3)} (Newton: the same to
{newton_diff:.1e}). It only works when σ is large against B's margin
({_b_margin(r, nan):.4f}): draws (out of {c.noise_draws}) that leave B separable: {noise_lines}.

**(d) SVM.** The hinge loss max(0, 1 − ỹθᵀx) is exactly 0 once a point is beyond the margin, and the penalty
(λ/2)‖w‖² grows, so the objective has a minimiser and ‖w‖ ≤ √(2/λ) there. With λ = {c.svm_lambda:g} (optax Adam,
cosine-decayed step, {c.svm_steps[-1]:,} full-batch steps): θ = {_a(svm.theta, 4)},
margin 1/‖w‖ = {svm.margin:.4f}, certified by weak duality (objective − dual bound = {svm.duality_gap:.1e},
relative {svm.duality_gap / svm.objective:.1e}); runs of {c.svm_steps[0]:,} and {c.svm_steps[1]:,} steps end within
{r.svm_theta_change:.1e} of each other. Along λ: {path_lines}; the margin falls toward the
hard margin {_b_margin(r, nan):.4f} as λ → 0 (reaching it once no point is left inside the margin;
tests/models/test_linear_svm.py shows that on a set with a wider gap). Logistic regression's θ_B points almost along
the max-margin line too, but its length never settles; the SVM's does.
"""


def notes(r: LogregStabilityResult, *, real: bool, device: str) -> str:
    """The Markdown paragraphs under the table: what each row rests on."""
    text = (
        _notes_head(r, device)
        + _notes_b(r)
        + _notes_c_i_ii(r)
        + _notes_c_iii_iv(r)
        + _notes_c_v_d(r)
    )
    if not real:
        text = (
            "Synthetic stand-ins (not the course's files): the write-up comparisons do not apply.\n\n"
            + text
        )
    return text
