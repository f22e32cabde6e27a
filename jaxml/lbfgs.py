"""Minimising a smooth objective with optax L-BFGS, in one jitted ``lax.while_loop``.

Shared by the models (MAP fits) and the verifier (``check_closed_form``). The objective is a *static* argument
and the data are traced, so one compilation serves every call with the same objective and shapes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from ._compile import as_device_array, checker_jit, quick_enabled
from .errors import UsageError


class LbfgsResult(NamedTuple):
    """What :func:`minimize_lbfgs` returns.

    Attributes:
      theta: (d,) the minimiser found.
      value: objective at theta.
      grad_norm: ‖∇f(theta)‖∞.
      iterations: L-BFGS steps taken.
      converged: ‖∇f‖∞ ≤ gtol · ‖∇f(θ₀)‖∞ was reached within ``max_iter``.
    """

    theta: jax.Array
    value: jax.Array
    grad_norm: jax.Array
    iterations: jax.Array
    converged: jax.Array


def _lbfgs_loop(fun, theta0, args, gtol, max_iter, memory_size):
    # optax is imported where it is used (at trace time): it takes ~0.1 s, and `import jaxml` should cost little
    # more than JAX
    import optax

    f = lambda theta: fun(theta, *args)
    opt = optax.lbfgs(memory_size=memory_size)
    value_and_grad = optax.value_and_grad_from_state(f)
    g0 = jnp.max(jnp.abs(jax.grad(f)(theta0)))
    target = gtol * jnp.maximum(g0, jnp.finfo(theta0.dtype).tiny)  # stop at ‖∇f‖∞ ≤ gtol ‖∇f(θ₀)‖∞

    def cond(carry):
        _, _, k, gnorm = carry
        return (k < max_iter) & (gnorm > target)

    def body(carry):
        theta, state, k, _ = carry
        value, grad = value_and_grad(theta, state=state)
        updates, state = opt.update(grad, state, theta, value=value, grad=grad, value_fn=f)
        theta = optax.apply_updates(theta, updates)
        # the line search's gradient at the step it accepted, which is this theta: no second gradient program
        return theta, state, k + 1, jnp.max(jnp.abs(optax.tree_utils.tree_get(state, "grad")))

    carry = (theta0, opt.init(theta0), jnp.asarray(0), jnp.asarray(jnp.inf, theta0.dtype))
    theta, _, k, gnorm = jax.lax.while_loop(cond, body, carry)
    return LbfgsResult(
        theta=theta, value=f(theta), grad_norm=gnorm, iterations=k, converged=gnorm <= target
    )


_STATIC = ("fun", "max_iter", "memory_size")
_lbfgs = jax.jit(_lbfgs_loop, static_argnames=_STATIC)


@functools.cache
def _lbfgs_quick() -> Callable:
    """The same loop compiled for compile speed (:mod:`jaxml._compile`): for one-shot solves of small problems."""
    return checker_jit(_lbfgs_loop, static_argnames=_STATIC)


def minimize_lbfgs(
    fun: Callable,
    theta0,
    *args,
    gtol: float = 1e-12,
    max_iter: int = 2000,
    memory_size: int = 10,
    quick_compile: bool = False,
) -> LbfgsResult:
    """Minimise a smooth ``fun(theta, *args)`` with optax L-BFGS (zoom line search), jitted ``lax.while_loop``.

    Compiled once per (fun, shapes): ``args`` are traced, so new data reuse the compilation. Pass a module-level
    function (a fresh lambda per call compiles again).

    Args:
      fun: scalar objective ``fun(theta, *args)``.
      theta0: (d,) start.
      *args: data (arrays or scalars).
      gtol: stop when ‖∇f‖∞ ≤ gtol · ‖∇f(θ₀)‖∞.
      max_iter: step cap.
      memory_size: L-BFGS history length.
      quick_compile: while ``jaxml verify`` runs, compile for compile speed rather than run speed
        (``jaxml._compile``): for a one-shot solve of a small problem, as the verifier's closed-form checks run;
        the last bits of the result may differ. Elsewhere it changes nothing.

    Returns:
      :class:`LbfgsResult`.
    """
    if not callable(fun):
        raise UsageError("minimize_lbfgs(fun, theta0, *args): fun must be callable")
    theta0 = as_device_array(theta0)
    if theta0.ndim != 1:
        raise UsageError(f"theta0 must be a 1-d array; got shape {theta0.shape}")
    dtype = jnp.result_type(theta0)
    theta0 = theta0.astype(dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.float64)
    # optax's L-BFGS adds its int32 step counter to an int64 ``jnp.arange`` under x64, which strict dtype promotion
    # rejects; trace it under the standard rules (the same program the CLI has always compiled).
    with jax.numpy_dtype_promotion("standard"):
        solve = _lbfgs_quick() if quick_compile and quick_enabled() else _lbfgs
        return solve(fun, theta0, tuple(args), gtol, int(max_iter), int(memory_size))
