"""check_closed_form: a hand-derived minimiser against the objective it claims to minimise.

Two independent checks, both in float64:

1. stationarity — the autodiff gradient of the objective vanishes at the candidate, relative to the problem's
   scale: ``‖∇f(θ*)‖∞ / ‖∇f(θ₀)‖∞ <= stationarity_tol`` where θ₀ is the solver's (random) start;
2. agreement — a jitted optax L-BFGS, started from θ₀, finds the same minimiser:
   ``‖θ_solver − θ*‖∞ / ‖θ*‖∞ <= rtol``.

A closed form that is a *maximiser* or a saddle passes (1) but fails (2); one off by a factor fails both and the
diagnosis names the factor.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._bucketed_random import normal as bucketed_normal
from .._bucketed_random import prng_key
from .._compile import checker_jit, quick_enabled
from ..errors import UsageError
from ..lbfgs import minimize_lbfgs
from ._diagnose import factor_mistake
from ._mistake import Mistake, MistakeKind, combined, mistake
from ._programs import call_jitted, shared
from ._report import Report
from ._x64 import in_float64

DEFAULT_RTOL = 1e-6
DEFAULT_STATIONARITY_TOL = 1e-8


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClosedFormReport(Report):
    """The verdict of :func:`check_closed_form`.

    Attributes:
      ok: stationary and equal to the solver's minimiser.
      stationarity: ‖∇f(θ*)‖∞ / ‖∇f(θ₀)‖∞.
      solver_rel_diff: ‖θ_solver − θ*‖∞ / ‖θ*‖∞ (after ``transform``, if one was given).
      objective_closed_form, objective_solver: f at the two answers.
      solver_iterations, solver_converged: how the L-BFGS run went.
      max_abs_error, max_rel_error: ‖θ_solver − θ*‖∞ and ``solver_rel_diff`` (for the verify table).
      diagnosis: the likely mistake (None when ok); mistake: the same as data.
      note: a remark (None).
    """

    ok: bool
    stationarity: float
    solver_rel_diff: float
    objective_closed_form: float
    objective_solver: float
    solver_iterations: int
    solver_converged: bool
    max_abs_error: float
    max_rel_error: float
    rtol: float
    stationarity_tol: float
    diagnosis: str | None = None
    mistake: Mistake | None = None
    note: str | None = None
    name: str = "closed form"
    compares: str = "closed form vs L-BFGS minimiser; ∇f = 0 there"
    points: int = 1

    @property
    def tolerance(self) -> str:
        return f"rtol {self.rtol:.0e}, ∇ {self.stationarity_tol:.0e}"

    def summary(self) -> str:
        return (
            f"relative gradient at the closed form {self.stationarity:.3g} (tol {self.stationarity_tol:.0e}); "
            f"L-BFGS minimiser differs by {self.solver_rel_diff:.3g} relative (tol {self.rtol:.0e}); objective "
            f"{self.objective_closed_form:.12g} (closed form) vs {self.objective_solver:.12g} (solver, "
            f"{self.solver_iterations} iterations{'' if self.solver_converged else ', NOT converged'})"
        )


TINY = np.finfo(np.float64).tiny
_FACTORS = (MistakeKind.CONSTANT_FACTOR, MistakeKind.SIGN)


def _flatten(tree) -> tuple[np.ndarray, Callable]:
    """(the leaves of ``tree`` as one float64 vector, ``unflatten``): ``ravel_pytree`` without dispatching a JAX
    operation per leaf; ``unflatten`` works on NumPy arrays and on traced ones alike."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    shapes = [np.shape(leaf) for leaf in leaves]
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes]).tolist()
    flat = np.concatenate(
        [np.ravel(np.asarray(leaf, np.float64)) for leaf in leaves] or [np.zeros(0)]
    )

    def unflatten(vector):
        parts = [vector[e - int(np.prod(sh)) : e].reshape(sh) for sh, e in zip(shapes, ends)]
        return jax.tree_util.tree_unflatten(treedef, parts)

    return flat, unflatten


def _start(theta_star, key):
    """The solver's start θ₀ = θ* + scale · ξ, ξ standard normal, scale = max(std(θ*), 1)."""
    flat_star, unflatten = _flatten(theta_star)
    if flat_star.size <= 1:
        scale = 1.0
    elif quick_enabled():  # jaxml verify: no program for two numbers
        scale = max(float(np.std(flat_star)), 1.0)
    else:
        scale = jnp.maximum(jnp.std(flat_star), 1.0)
    # the numbers of jax.random.normal(key, shape), drawn by a program shared by many sizes
    noise = np.asarray(bucketed_normal(key, flat_star.shape, jnp.float64))
    return unflatten(flat_star + np.asarray(scale) * noise)


def _solve(objective, theta_star, start, args, max_iter):
    """L-BFGS from ``start`` (gtol 1e-13): (the fit, its minimiser in θ*'s structure)."""
    if np.ndim(theta_star) == 1 and not isinstance(theta_star, (dict, list, tuple)):
        # the objective itself is the solver's static argument: one compilation per objective and shapes
        fit = minimize_lbfgs(
            objective, start, *args, gtol=1e-13, max_iter=max_iter, quick_compile=True
        )
        return fit, fit.theta
    # a pytree of parameters: solve over the flattened vector
    _, unflatten = _flatten(theta_star)
    leaves, treedef = jax.tree_util.tree_flatten(theta_star)
    structure = (treedef, tuple((np.shape(x), np.dtype(x.dtype).str) for x in leaves))
    flat0, _ = _flatten(start)
    fit = minimize_lbfgs(
        _flat_objective(objective, structure, unflatten),
        flat0,
        *args,
        gtol=1e-13,
        max_iter=max_iter,
        quick_compile=True,
    )
    return fit, unflatten(np.asarray(fit.theta))


def _diagnosis(
    a,
    b,
    stationarity,
    stationarity_tol,
    rel_diff,
    rtol,
    f_star,
    f_solver,
    converged,
    g_solver,
    iterations,
) -> Mistake:
    """Why the closed form ``a`` is not the solver's minimiser ``b`` (both flat, compared)."""
    if not np.all(np.isfinite(a)):
        return mistake(MistakeKind.NON_FINITE, "your closed form has non-finite entries")
    if not converged and stationarity <= stationarity_tol:
        text = (
            "the closed form is stationary but the solver did not converge "
            f"(‖∇f‖ {g_solver:.2g} after {iterations} iterations): the problem may be ill-conditioned"
        )
        return mistake(MistakeKind.NOT_CONVERGED, text, iterations=iterations)
    parts = []
    if stationarity > stationarity_tol:
        text = (
            f"the gradient does not vanish at your closed form (relative size {stationarity:.3g})"
        )
        parts.append(mistake(MistakeKind.NOT_STATIONARY, text, stationarity=stationarity))
    if f_solver < f_star - 1e-12 * max(abs(f_star), 1.0):
        text = f"the solver finds a lower objective ({f_solver:.10g} < {f_star:.10g}): yours is not the minimiser"
        parts.append(mistake(MistakeKind.NOT_MINIMISER, text))
    elif rel_diff > rtol and stationarity <= stationarity_tol:
        text = (
            "stationary but not the solver's minimiser: a maximiser or saddle, or the minimum "
            "is not unique (pass transform= to compare up to a symmetry)"
        )
        parts.append(mistake(MistakeKind.NOT_MINIMISER, text, stationary=True))
    bb = float(b @ b)
    if bb > 0:
        c = float(a @ b) / bb  # a = c · b?
        if np.max(np.abs(a - c * b)) <= 1e-6 * max(np.max(np.abs(a)), 1e-300):
            factor = factor_mistake(c, (), "closed form")
            text = "your answer = c x the minimiser with " + factor.text
            parts.append(dataclasses.replace(factor, text=text))
    if not parts:
        return mistake(MistakeKind.OTHER, "no simple pattern")
    # the sentence keeps the findings' order; the most specific one (a factor) is the mistake
    text, _ = combined(parts)
    # (a factor 0 is no factor: "your answer is zero" says no more than "not the minimiser")
    named = [m for m in parts if m.kind in _FACTORS and abs(m.factor) > 1e-12]
    first = named[0] if named else parts[0]
    return dataclasses.replace(first, text=text)


def _value_and_gradient(objective: Callable) -> Callable:
    """``jit(value_and_grad(objective))``: inside ``jaxml verify`` one program gives the check both numbers."""
    build = lambda: checker_jit(jax.value_and_grad(objective))
    return shared(("objective value and gradient", objective), build)


def _jitted(objective: Callable) -> Callable:
    return shared(("objective", objective), lambda: checker_jit(objective))


def _flat_objective(objective: Callable, structure, unravel) -> Callable:
    """``objective(unravel(t), *args)`` over the flattened parameters; within one ``jaxml verify`` run one function
    (hence one L-BFGS compilation) per objective and pytree structure."""
    return shared(("flat", objective, structure), lambda: lambda t, *a: objective(unravel(t), *a))


@in_float64
def check_closed_form(
    objective: Callable,
    solution: Callable,
    *args,
    key: jax.Array | None = None,
    rtol: float | None = None,
    stationarity_tol: float | None = None,
    start: Any = None,
    transform: Callable | None = None,
    max_iter: int = 5000,
    name: str = "closed form",
) -> ClosedFormReport:
    """Check that ``solution(*args)`` minimises ``objective(theta, *args)``.

    Args:
      objective: scalar ``objective(theta, *args)`` written from its definition (not from the closed form).
      solution: your closed form, ``solution(*args) -> theta`` (an array or a pytree).
      *args: the problem's data.
      key: PRNG key for the solver's random start (default ``PRNGKey(0)``).
      rtol: tolerance on ‖θ_solver − θ*‖∞ / ‖θ*‖∞ (default 1e-6).
      stationarity_tol: tolerance on ‖∇f(θ*)‖∞ / ‖∇f(θ₀)‖∞ (default 1e-8).
      start: the solver's start θ₀ (default: θ* plus a unit-scale Gaussian perturbation).
      transform: applied to both answers before comparing them, for objectives whose minimiser is unique only
        up to a symmetry (e.g. ``jax.nn.softmax`` for logits defined up to a constant).
      max_iter: L-BFGS iteration cap.

    Returns:
      A :class:`ClosedFormReport`.
    """
    if not callable(objective) or not callable(solution):
        raise UsageError("check_closed_form(objective, solution, *args): both must be callables")
    rtol = DEFAULT_RTOL if rtol is None else float(rtol)
    stationarity_tol = (
        DEFAULT_STATIONARITY_TOL if stationarity_tol is None else float(stationarity_tol)
    )
    key = prng_key(0) if key is None else key

    theta_star = jax.tree_util.tree_map(
        lambda t: jnp.asarray(t, jnp.float64), call_jitted(solution, *args)
    )
    f = lambda theta: objective(theta, *args)
    value_shape = jax.eval_shape(f, theta_star)
    if getattr(value_shape, "shape", None) != ():
        raise UsageError(f"objective must return a scalar; it returns shape {value_shape.shape}")
    start = _start(theta_star, key) if start is None else start

    if quick_enabled():  # jaxml verify: one program per objective and shapes, the data as arguments
        value_and_grad = _value_and_gradient(objective)
        grad = lambda theta: value_and_grad(theta, *args)[1]
        value = lambda theta, *data: value_and_grad(theta, *data)[0]
    else:  # the data closed over, as always: the stationarity numbers depend on it
        grad = checker_jit(jax.grad(f))
        value = _jitted(objective)  # one program per objective and shapes, the data as arguments
    g_star = float(np.max(np.abs(_flatten(grad(theta_star))[0]), initial=0.0))
    g_start = float(np.max(np.abs(_flatten(grad(start))[0]), initial=0.0))
    stationarity = g_star / max(g_start, TINY)

    fit, theta_solver = _solve(objective, theta_star, start, args, max_iter)
    iterations, g_solver = int(fit.iterations), float(fit.grad_norm)
    converged = g_solver <= 1e-9 * max(g_start, TINY)
    compare = (lambda t: t) if transform is None else functools.partial(call_jitted, transform)
    a = _flatten(compare(theta_star))[0]
    b = _flatten(compare(theta_solver))[0]
    abs_diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    rel_diff = abs_diff / max(float(np.max(np.abs(a))) if a.size else 0.0, TINY)
    f_star, f_solver = float(value(theta_star, *args)), float(value(theta_solver, *args))

    ok = bool(np.isfinite(stationarity) and stationarity <= stationarity_tol and rel_diff <= rtol)
    found = None
    if not ok:
        found = _diagnosis(
            a,
            b,
            stationarity,
            stationarity_tol,
            rel_diff,
            rtol,
            f_star,
            f_solver,
            converged,
            g_solver,
            iterations,
        )
    return ClosedFormReport(
        ok=ok,
        stationarity=stationarity,
        solver_rel_diff=rel_diff,
        objective_closed_form=f_star,
        objective_solver=f_solver,
        solver_iterations=iterations,
        solver_converged=bool(converged),
        max_abs_error=abs_diff,
        max_rel_error=rel_diff,
        rtol=rtol,
        stationarity_tol=stationarity_tol,
        diagnosis=None if found is None else found.text,
        mistake=found,
        name=name,
    )
