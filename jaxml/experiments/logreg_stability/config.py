"""The §1 protocol's settings and the write-up's numbers (each with the section it comes from)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the logistic-regression stability experiment (write-up §1)."""

    # course starter: 0.1 on the SUM gradient = 10 on the mean for n = 100 (write-up §1)
    alpha: float = 10.0
    # course starter: stop when ||theta_new - theta|| < 1e-15
    tol: float = 1e-15
    # write-up §1(a): "did not converge after running over a million iterations"
    b_cap: int = 1_000_000
    # write-up §1(b): theta reported at these t
    record: tuple[int, ...] = (10_000, 100_000, 250_000)
    # iterations per jitted call between progress updates
    chunk: int = 50_000
    # write-up §1(b), truncated to 2 decimals as printed there
    writeup_theta_b: tuple[tuple[int, tuple[float, ...]], ...] = (
        (10_000, (-52.74, 52.92, 52.69)),
        (100_000, (-121.21, 121.48, 121.24)),
        (250_000, (-165.75, 166.38, 165.71)),
    )
    # write-up §1(c)(ii): "converges after 120,000 iterations" with "alpha = 5.8e-17" (on the sum gradient)
    writeup_decreasing_stop: int = 120_000
    writeup_decreasing_alpha: float = 5.8e-17
    # iteration cap for the diverging modification runs (c)(i), (c)(iii)
    mod_cap: int = 200_000
    # (c)(i), on the mean gradient
    constant_rates: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0)
    # (c)(ii): alpha_t = alpha0 / t^p on the mean gradient. p = 3 with alpha0 = 10 is 0.1 / t^3 on the sum, which
    # puts alpha at 5.8e-17 at t = 120,000 (0.1 / 120000^3 = 5.79e-17): the write-up's schedule, inferred.
    decreasing: tuple[tuple[float, float], ...] = ((10.0, 3.0), (10.0, 2.0))
    # (c)(iii): x -> c x on the two features; plus standardisation
    scalings: tuple[float, ...] = (0.1, 10.0)
    # (c)(iv): maximise l(theta) - (lambda/2) ||theta||^2 with the same alpha = 10
    l2_lambda: float = 1e-3
    # (c)(iv), a larger penalty, where alpha = 10 is too large a step (see the notes)
    l2_lambda_stiff: float = 1e-2
    # (c)(v): x -> x + sigma * N(0, I) on the two features (about 10x B's margin)
    noise_sigma: float = 0.05
    # (c)(v): how often a draw leaves B separable, per sigma
    noise_sweep: tuple[float, ...] = (0.01, 0.05, 0.1)
    noise_draws: int = 20
    # (d): J = (lambda/2)||w||^2 + mean hinge; C = 1/(n lambda) = 100
    svm_lambda: float = 1e-4
    # (d): margin against lambda, toward the hard margin
    svm_path: tuple[float, ...] = (1e-2, 1e-3, 1e-4, 1e-5)
    # (d): the fits' length, and a shorter run to show theta has settled
    svm_steps: tuple[int, int] = (50_000, 100_000)
    # (d): "converged" = relative duality gap (J - D) / J below this
    svm_rel_gap: float = 1e-6
    # (b): l(s u) along a unit direction u, at these s
    ray_scales: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)

    @property
    def writeup_theta(self) -> dict[int, list[float]]:
        """{t: θ_B as the write-up prints it (truncated to 2 decimals)} (write-up §1(b))."""
        return {t: list(theta) for t, theta in self.writeup_theta_b}


CONFIG = Config()
