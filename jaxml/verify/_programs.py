"""The verifier's compiled programs, built once per function and reused across checks and entries.

``jax.jit`` caches a compiled program per (function object, shapes). A check builds its programs from the user's
functions — ``vmap(jax.grad(f))``, ``vmap(grad_f)`` — and a fresh ``vmap`` wrapper per call would compile again
every time. These builders return the same wrapper for the same inputs, so every check of the same function at
the same shapes (several entries on one loss, the three examples of a closed form, a chunked check's chunks)
shares one compilation. The programs are unchanged: results are bit-identical to building them afresh.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax

DERIVATIVES = {"gradient": jax.grad, "Hessian": jax.hessian}


@functools.lru_cache(maxsize=512)
def batched_derivative(f: Callable, argnums, kind: str, in_axes: tuple) -> Callable:
    """``jit(vmap(jax.grad(f, argnums)))`` (or ``jax.hessian``) over the points axis given by ``in_axes``."""
    return jax.jit(jax.vmap(DERIVATIVES[kind](f, argnums=argnums), in_axes=in_axes))


@functools.lru_cache(maxsize=512)
def batched(fn: Callable, in_axes: tuple) -> Callable:
    """``jit(vmap(fn))`` over the points axis given by ``in_axes``."""
    return jax.jit(jax.vmap(fn, in_axes=in_axes))
