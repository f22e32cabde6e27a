"""Float64 for the verifier's own computations, whatever the caller's setting.

The verifier compares in float64 (a correct hand formula lands within ~1e-13 of autodiff there; float32 would hide
a wrong term of relative size 1e-7). Importing jaxml changes no JAX setting, so each public check runs inside
``jax.enable_x64(True)`` — a thread-local context that restores the caller's setting on the way out.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax


def in_float64(fn: Callable) -> Callable:
    """Decorator: run ``fn`` inside ``jax.enable_x64(True)`` (the caller's setting is restored afterwards)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper
