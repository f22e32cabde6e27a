"""§4 configuration: the course starter's double-descent protocol, the checks' tolerances, the write-up's claims."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Config:
    """The settings of the §4 experiment.

    Attributes:
      sigma: noise standard deviation σ (write-up §4(d) / course starter: 0.5); η = 1/√d comes from the data.
      scales: λ = scale · λ_opt, λ_opt = σ²/η² (course starter).
      y_cap: the figure's validation-error axis is capped here (write-up figure 3).
      max_rise_no_double_descent: the λ_opt curve's largest rise allowed for "no double descent" (issue #6).
      map_rtol: closed forms and solvers agree to this relative difference (issue #6).
      rcond_factor: the grid's pseudo-inverse cut-off at λ = 0 is rcond_factor · max(n, d) · eps (relative).
      check_n: training sizes n < d, n = d, n > d for the closed-form checks.
      lasso_path_points: b values on the train200 lasso path.
      synthetic_path_points: b values on the small synthetic lasso path.
      synthetic_lasso: (n, d, active) of the small synthetic lasso problem.
      objective_points: random θ at which two objectives are compared (eq. (7)).
    """

    sigma: float = 0.5  # write-up §4(d) / course starter: noise standard deviation σ = 0.5
    # course starter: λ = scale · λ_opt
    scales: tuple = (0.0, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0, 2.0, 4.0)
    y_cap: float = 2.0  # write-up figure 3: validation error axis capped at 2
    # issue #6: the λ_opt curve's largest rise is "a few hundredths"
    max_rise_no_double_descent: float = 0.05
    map_rtol: float = 1e-6  # issue #6: closed forms and solvers agree to ≤ 1e-6 relative
    # λ = 0 is the pseudo-inverse: eigenvalues of XᵀX ≤ rcond_factor · max(n, d) · eps · e_max are null (forming
    # XᵀX rounds its eigenvalues by about n · eps · e_max); the same cut-off as jaxml.models.ridge's default
    rcond_factor: float = 10.0
    # n < d, n = d, n > d for the closed-form checks on the real data
    check_n: tuple = (200, 500, 800)
    lasso_path_points: int = 13  # b values on the train200 lasso path
    synthetic_path_points: int = 40  # b values on the synthetic lasso path (d = 20: cheap)
    synthetic_lasso: tuple = (50, 20, 5)  # (n, d, active): 5 of 20 true coefficients non-zero
    objective_points: int = 64  # random θ for the eq. (7) objective difference


CONFIG = Config()

# The write-up prints no numbers in §4 (figure 3 survives only as a caption); its claims:
WRITEUP_NO_DOUBLE_DESCENT = "'When λ = λ_opt, we do not have a double descent problem' (§4(d))"
WRITEUP_DOUBLE_DESCENT = (
    "'the validation loss does not monotonically decrease' away from λ_opt (§4(d), fig. 3)"
)
WRITEUP_CLOSED_FORM = "θ_MAP = (XᵀX + (σ²/η²) I)⁻¹ Xᵀy (§4(c))"
WRITEUP_LAMBDA = "λ = 1/(2η²) (§4(b), eq. 7)"
WRITEUP_GAMMA = "γ = 2σ²/b (§4(e))"
WRITEUP_NOTATION = "(y − θᵀX)ᵀ(y − θᵀX), ‖y − θᵀX‖² (§4(c), (e))"
WRITEUP_SIGN = "log p = Σ log(1/√(2π)σ) − Σ(−(y − θᵀx)²/(2σ²)) (§4(c))"
