"""Sub-gradient optimality for non-smooth objectives F(θ) = f(θ) + γ‖θ‖₁ (the lasso of write-up §4(e)).

A non-smooth objective has no gradient to set to zero; θ minimises the convex F exactly when 0 ∈ ∂F(θ):

    ∂f/∂θⱼ(θ) + γⱼ sign(θⱼ) = 0      where θⱼ ≠ 0,
    |∂f/∂θⱼ(θ)| ≤ γⱼ                 where θⱼ = 0          (Karush-Kuhn-Tucker / sub-gradient conditions).

The check measures, per coordinate, the distance from 0 to ∂ⱼF(θ) (the minimum-norm sub-gradient):
|∂f/∂θⱼ + γⱼ sign θⱼ| on non-zero coordinates, max(|∂f/∂θⱼ| − γⱼ, 0) on zero ones, and compares the largest with
the problem's scale max(γ, ‖∇f(0)‖∞) — ‖∇f(0)‖∞ is the weight above which θ = 0 is the answer. ∇f comes from
``jax.grad`` in float64 (or the lasso's 2Xᵀ(Xθ − y) for :func:`check_lasso_kkt`).

When the check fails, the diagnosis tries the usual mistakes: a wrong weight (θ satisfies the conditions for
γ' = c·γ, c named when it is 2, 1/2, n, ...), a sign flip, coordinates that are tiny but not exactly zero (a
smooth solver such as L-BFGS on a non-smooth objective), zero coordinates that should be active, or plain
non-convergence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import UsageError
from ._factors import factor_label
from ._mistake import Mistake, MistakeKind, mistake
from ._report import Report
from ._x64 import in_float64

DEFAULT_RTOL = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3}
# A coordinate counts as "tiny" (for the diagnosis only) when |θⱼ| ≤ TINY · max|θ|.
TINY = 1e-6
# Relative spread under which the active coordinates are taken to agree on one implied weight γ'.
_AGREE = 1e-6


@dataclasses.dataclass(frozen=True, kw_only=True)
class SubgradientReport(Report):
    """The verdict of :func:`check_lasso_kkt` / :func:`check_l1_optimality`.

    Attributes:
      ok: every coordinate's sub-gradient violation is within tolerance.
      max_abs_error: maxⱼ dist(0, ∂ⱼF(θ)), in units of the gradient.
      max_rel_error: ``max_abs_error / scale``.
      scale: max(maxⱼ γⱼ, ‖∇f(0)‖∞).
      worst_index: the coordinate with the largest violation.
      n_nonzero, n_zero: how many coordinates of θ are non-zero / zero (|θⱼ| ≤ zero_tol counts as zero).
      gamma: the weight γ checked (its maximum when per-coordinate).
      gamma_implied: median over the non-zero coordinates of −∂f/∂θⱼ · sign θⱼ / γⱼ · γ, i.e. the weight those
        coordinates are stationary for (equals γ at a solution); None when every coordinate is zero.
      rtol, atol: the tolerance (``atol`` overrides ``rtol · scale`` when given).
      diagnosis: the likely mistake (None when ok).
      note: a remark (None).
    """

    ok: bool
    max_abs_error: float
    max_rel_error: float
    scale: float
    worst_index: int
    n_nonzero: int
    n_zero: int
    gamma: float
    gamma_implied: float | None
    rtol: float
    atol: float | None
    diagnosis: str | None = None
    mistake: Mistake | None = None
    note: str | None = None
    name: str = "sub-gradient optimality"
    compares: str = "0 ∈ ∇f(θ) + γ ∂‖θ‖₁ (KKT)"
    points: int = 1

    @property
    def tolerance(self) -> str:
        return f"atol {self.atol:.0e}" if self.atol is not None else f"rtol {self.rtol:.0e}"

    def summary(self) -> str:
        implied = (
            ""
            if self.gamma_implied is None
            else f", the non-zero coordinates imply γ' = {self.gamma_implied:.6g}"
        )
        return (
            f"largest sub-gradient violation {self.max_abs_error:.3g} at coordinate {self.worst_index} (relative "
            f"{self.max_rel_error:.3g} of scale {self.scale:.4g}; {self.tolerance}); {self.n_nonzero} non-zero / "
            f"{self.n_zero} zero coordinates; γ = {self.gamma:.6g}{implied}"
        )


def _diagnose(theta, g, gamma, zero, r, tol_abs, ns) -> Mistake:
    """The most likely reason the conditions fail (theta, g, gamma, r: float64 (d,))."""
    if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(g))):
        return mistake(MistakeKind.NON_FINITE, "non-finite values in θ or in ∇f(θ)")
    big = np.max(np.abs(theta)) if theta.size else 0.0
    tiny = (~zero) & (np.abs(theta) <= TINY * big)
    active = (~zero) & ~tiny
    worst = int(np.argmax(r))
    # 1. a consistent wrong weight (or sign) on the active set
    if active.any():
        ratio = -g[active] * np.sign(theta[active]) / gamma[active]  # = 1 at a solution
        c = float(np.median(ratio))
        consistent = np.max(np.abs(ratio - c)) <= _AGREE * max(abs(c), 1e-300)
        if consistent and abs(c - 1.0) > _AGREE:
            zeros_fit = bool(
                np.all(np.abs(g[zero]) <= abs(c) * gamma[zero] * (1 + _AGREE) + tol_abs)
            )
            if abs(c + 1.0) <= _AGREE:
                return mistake(
                    MistakeKind.SIGN,
                    "sign flip: ∂f/∂θⱼ = +γ sign θⱼ on every non-zero coordinate — θ is stationary for "
                    "f − γ‖θ‖₁ or the smooth part's gradient has the wrong sign (gradient ascent, or θ negated)",
                    factor=-1.0,
                )
            label = factor_label(abs(c), ns)
            if c > 0 and (active.sum() >= 2 or label is not None) and zeros_fit:
                named = f"c = {label}" if label else f"c = {c:.6g}"
                hint = ""
                if label == "2" or label == "1/2":
                    hint = (
                        " (e.g. the factor 2 between ½‖y − Xθ‖² and ‖y − Xθ‖², or 2σ²/b against σ²/b for a "
                        "Laplace prior)"
                    )
                elif label is not None:
                    hint = " (e.g. a mean loss (1/n)‖y − Xθ‖² against the sum, as scikit-learn's alpha = γ/(2n))"
                return mistake(
                    MistakeKind.CONSTANT_FACTOR,
                    f"θ satisfies the optimality conditions for the weight γ' = c·γ = {c * np.max(gamma):.6g} "
                    f"with {named}: the solver or the formula used the wrong weight{hint}",
                    factor=c,
                )
    # 2. coordinates that should be exactly zero but are merely tiny
    if tiny.any() and tiny[worst]:
        return mistake(
            MistakeKind.NOT_SPARSE,
            f"{int(tiny.sum())} coordinates are tiny but not exactly zero (|θⱼ| ≤ {TINY:g}·max|θ|, e.g. "
            f"θ_{worst} = {theta[worst]:.3g} with |∂f/∂θⱼ| = {abs(g[worst]):.3g} < γ): a smooth solver "
            "(gradient descent, L-BFGS) never lands exactly on 0 on a non-smooth objective — use a proximal "
            "method (FISTA, coordinate descent) or pass zero_tol to count them as zero",
            count=int(tiny.sum()),
        )
    # 3. zero coordinates that should be active
    violators = zero & (np.abs(g) > gamma + tol_abs)
    if violators.any() and zero[worst]:
        return mistake(
            MistakeKind.NOT_STATIONARY,
            f"{int(violators.sum())} coordinates are 0 although |∂f/∂θⱼ| > γ there (worst j = {worst}: "
            f"|∂f/∂θⱼ| = {abs(g[worst]):.6g} against γ = {gamma[worst]:.6g}): they should be non-zero — the "
            "solver stopped early, or thresholded with too large a step or weight",
            count=int(violators.sum()),
        )
    return mistake(
        MistakeKind.NOT_CONVERGED,
        f"not optimal: the largest violation is at coordinate {worst} (θⱼ = {theta[worst]:.6g}, "
        f"∂f/∂θⱼ = {g[worst]:.6g}, γ = {gamma[worst]:.6g}); the solver has not converged — run it longer, "
        "tighten its tolerance or check its step size (≤ 1/L)",
    )


def _report(theta, g, g0, gamma, *, rtol, atol, zero_tol, ns, name) -> SubgradientReport:
    theta, g, g0 = (np.asarray(a, np.float64) for a in (theta, g, g0))
    gamma = np.broadcast_to(np.asarray(gamma, np.float64), theta.shape)
    zero = np.abs(theta) <= zero_tol
    # dist(0, ∂ⱼF): |gⱼ + γⱼ sign θⱼ| off zero; max(|gⱼ| − γⱼ, 0) at zero
    r = np.where(zero, np.maximum(np.abs(g) - gamma, 0.0), np.abs(g + gamma * np.sign(theta)))
    r = np.where(np.isfinite(r), r, np.inf)
    scale = max(
        float(np.max(gamma)) if gamma.size else 0.0,
        float(np.max(np.abs(g0))) if g0.size else 0.0,
        np.finfo(np.float64).tiny,
    )
    max_abs = float(np.max(r)) if r.size else 0.0
    max_rel = max_abs / scale
    tol_abs = atol if atol is not None else rtol * scale
    ok = bool(np.isfinite(max_abs) and max_abs <= tol_abs)
    active = ~zero
    implied = None
    if active.any():
        implied = float(
            np.median(
                -g[active]
                * np.sign(theta[active])
                / np.where(gamma[active] > 0, gamma[active], 1.0)
            )
            * np.max(gamma)
        )
    found = None if ok else _diagnose(theta, g, gamma, zero, r, tol_abs, ns)
    return SubgradientReport(
        ok=ok,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
        scale=scale,
        worst_index=int(np.argmax(r)) if r.size else 0,
        n_nonzero=int(active.sum()),
        n_zero=int(zero.sum()),
        gamma=float(np.max(gamma)) if gamma.size else 0.0,
        gamma_implied=implied,
        rtol=rtol,
        atol=atol,
        diagnosis=None if found is None else found.text,
        mistake=found,
        name=name,
    )


def _check_gamma(gamma, d: int):
    gamma = np.asarray(gamma, np.float64)
    if gamma.shape not in ((), (d,)):
        raise UsageError(
            f"gamma must be a scalar or a (d,) = ({d},) vector of weights; got shape {gamma.shape}"
        )
    if not np.all(np.isfinite(gamma)) or np.any(gamma < 0):
        raise UsageError("gamma must be finite and non-negative")
    return gamma


def _default_rtol(theta, rtol):
    if rtol is not None:
        return float(rtol)
    dtype = np.dtype(getattr(theta, "dtype", np.float64))
    return DEFAULT_RTOL.get(dtype, 1e-6)


@in_float64
def check_l1_optimality(
    smooth: Callable,
    theta,
    *args,
    gamma,
    rtol: float | None = None,
    atol: float | None = None,
    zero_tol: float = 0.0,
    name: str = "sub-gradient optimality",
) -> SubgradientReport:
    """Check 0 ∈ ∂F(θ) for F(θ) = smooth(θ, *args) + Σⱼ γⱼ|θⱼ| (∇smooth by ``jax.grad``, in float64).

    Args:
      smooth: the differentiable part f(theta, *args) -> scalar.
      theta: (d,) the candidate minimiser.
      *args: the data of ``smooth``.
      gamma: the ℓ1 weight, a scalar or a (d,) vector of non-negative weights.
      rtol: tolerance on maxⱼ dist(0, ∂ⱼF) / max(γ, ‖∇f(0)‖∞) (default 1e-6 for a float64 θ, 1e-3 for float32).
      atol: absolute tolerance on maxⱼ dist(0, ∂ⱼF); overrides rtol when given.
      zero_tol: coordinates with |θⱼ| ≤ zero_tol count as zero (default 0: only exact zeros).
      name: the report's title.

    Returns:
      A :class:`SubgradientReport`.
    """
    if not callable(smooth):
        raise UsageError(
            "check_l1_optimality(smooth, theta, *args, gamma=...): smooth must be callable"
        )
    if np.ndim(theta) != 1:
        raise UsageError(f"theta must be a (d,) vector; got shape {np.shape(theta)}")
    rtol = _default_rtol(theta, rtol)
    gamma = _check_gamma(gamma, np.shape(theta)[0])
    theta64 = jnp.asarray(theta, jnp.float64)
    args64 = tuple(
        jnp.asarray(a, jnp.float64) if jnp.issubdtype(jnp.result_type(a), jnp.floating) else a
        for a in args
    )
    grad = jax.grad(lambda t: smooth(t, *args64))
    ns = tuple(int(s) for a in args64 for s in np.shape(a)[:1])
    return _report(
        theta64,
        grad(theta64),
        grad(jnp.zeros_like(theta64)),
        gamma,
        rtol=rtol,
        atol=atol,
        zero_tol=zero_tol,
        ns=ns,
        name=name,
    )


def check_lasso_kkt(
    theta,
    x,
    y,
    gamma,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    zero_tol: float = 0.0,
    name: str = "lasso KKT",
) -> SubgradientReport:
    """Check the lasso's sub-gradient (KKT) conditions for θ = argmin ‖y − Xθ‖² + γ‖θ‖₁ (write-up §4(e)).

        2xⱼᵀ(Xθ − y) + γ sign θⱼ = 0   (θⱼ ≠ 0),       |2xⱼᵀ(Xθ − y)| ≤ γ   (θⱼ = 0)

    Args:
      theta: (d,) the candidate.
      x: (n, d) design.
      y: (n,) targets.
      gamma: γ ≥ 0, a scalar or (d,) per-coordinate weights.
      rtol: tolerance relative to max(γ, ‖2Xᵀy‖∞) (default 1e-6 for a float64 θ, 1e-3 for float32).
      atol: absolute tolerance on the largest violation; overrides rtol.
      zero_tol: |θⱼ| ≤ zero_tol counts as zero (default 0).
      name: the report's title.

    Returns:
      A :class:`SubgradientReport` (``str()`` it for a readable verdict and diagnosis).

    Example:
      >>> report = check_lasso_kkt(theta, x, y, gamma=2 * sigma**2 / b)
      >>> assert report.ok, str(report)
    """
    x_shape, y_shape, t_shape = np.shape(x), np.shape(y), np.shape(theta)
    if len(x_shape) != 2 or y_shape != (x_shape[0],) or t_shape != (x_shape[1],):
        raise UsageError(
            f"check_lasso_kkt expects theta (d,), x (n, d), y (n,); got theta {t_shape}, x {x_shape}, "
            f"y {y_shape}"
        )
    rtol = _default_rtol(theta, rtol)
    gamma = _check_gamma(gamma, t_shape[0])
    theta64, x64, y64 = (np.asarray(a, np.float64) for a in (theta, x, y))
    g = 2.0 * x64.T @ (x64 @ theta64 - y64)  # ∇‖y − Xθ‖² = 2Xᵀ(Xθ − y)
    g0 = -2.0 * x64.T @ y64  # ∇ at θ = 0
    return _report(
        theta64, g, g0, gamma, rtol=rtol, atol=atol, zero_tol=zero_tol, ns=(x_shape[0],), name=name
    )
