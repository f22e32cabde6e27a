"""The verifier's compiled programs, shared across the entries of one ``jaxml verify`` run.

``jax.jit`` caches a compiled program per (function object, shapes). A check builds its programs from the user's
functions — ``vmap(jax.grad(f))``, ``vmap(grad_f)`` — and a fresh ``vmap`` wrapper per check compiles again.
Inside :func:`shared_programs` (what :func:`~jaxml.verify.run_entries` runs in) the builders below return the same
wrapper for the same function, so the entries of one run that differentiate the same loss at the same shapes
(several hand formulas of one loss, a closed form's three examples) share one compilation. The programs are the
same: the results are bit-identical to building them afresh.

Outside such a block every check builds its programs anew, as a user expects after redefining a helper that their
functions call (a program traced once would keep the old helper).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator

import jax
import numpy as np

from .._compile import checker_jit, one_program

DERIVATIVES = {"gradient": jax.grad, "Hessian": jax.hessian}

_lock = threading.Lock()
_session: dict | None = (
    None  # the shared programs while a shared_programs() block runs (any thread)
)
_depth = 0


@contextlib.contextmanager
def shared_programs() -> Iterator[None]:
    """Within the block, checks of the same function at the same shapes share their compiled programs (nested
    blocks share one cache). ``jaxml verify`` runs its entries in one; use one around many checks of one loss
    (a class's submissions, a sweep of hand formulas): each compiles once instead of once per check. Functions
    redefined inside the block keep the program built first.

    Example:
      >>> with shared_programs():
      ...     reports = [check_gradient(loss, g, *args) for g in candidates]
    """
    global _session, _depth
    with _lock:
        if _depth == 0:
            _session = {}
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _session = None


def shared(key: tuple, build: Callable[[], Callable]) -> Callable:
    """``build()``, or inside :func:`shared_programs` the one built for ``key`` earlier in the block."""
    with _lock:
        session = _session
        if session is None:
            return build()
        if key not in session:
            session[key] = build()
        return session[key]


def batched_derivative(f: Callable, argnums, kind: str, in_axes: tuple) -> Callable:
    """``jit(vmap(jax.grad(f, argnums)))`` (or ``jax.hessian``) over the points axis given by ``in_axes``."""
    build = lambda: checker_jit(jax.vmap(DERIVATIVES[kind](f, argnums=argnums), in_axes=in_axes))
    return shared(("derivative", f, argnums, kind, in_axes), build)


def batched(fn: Callable, in_axes: tuple) -> Callable:
    """``jit(vmap(fn))`` over the points axis given by ``in_axes``."""
    return shared(("batched", fn, in_axes), lambda: checker_jit(jax.vmap(fn, in_axes=in_axes)))


def stacked(example: Callable) -> Callable:
    """``vmap(example)`` over a stack of keys: inside ``jaxml verify`` one program draws every point of a check
    (:func:`~jaxml._compile.one_program`)."""
    return shared(("examples", example), lambda: one_program(jax.vmap(example)))


def jitted(fn: Callable) -> Callable:
    """``fn`` as one program compiled for compile speed inside ``jaxml verify``, as written elsewhere (one-shot
    work: an example, a closed form)."""
    return shared(("jitted", fn), lambda: one_program(fn))


def call_jitted(fn: Callable, *args):
    """``fn(*args)`` through :func:`jitted` when ``fn`` traces, else called as it is (NumPy code, Python control
    flow on values). A ``functools.partial`` of arrays (``partial(project, x)``) is called as its function with the
    bound arrays as arguments, so the partials of one function share its program."""
    try:
        if _array_partial(fn):
            return jitted(fn.func)(*fn.args, *args)
        program = jitted(fn)
        return program(*args)
    except Exception:  # noqa: BLE001 - user code may fail to trace in any way: run it as written
        return fn(*args)


def _array_partial(fn: Callable) -> bool:
    """``fn`` is a ``functools.partial`` binding only positional arrays."""
    return (
        isinstance(fn, functools.partial)
        and not fn.keywords
        and all(isinstance(a, (jax.Array, np.ndarray)) for a in fn.args)
    )
