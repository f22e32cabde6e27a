"""Two lanes for many checks: a cold ``jaxml verify`` is XLA compilation, and XLA compiles on any thread.

Compiling an XLA program releases the GIL, so two threads checking two entries keep two cores busy. Every entry
is computed entirely on one thread from its own key, so the outcomes are bit-identical to running them one after
the other, and come back in the entries' order.

One hazard decides which entry may go where: with jaxlib 0.10.2, two *batched* LAPACK calls running at the same
time (``vmap`` of ``solve``, ``eigh``, ``cholesky``, ...) can deadlock XLA:CPU's thread pool (each kernel blocks a
pool thread waiting for pieces queued on the same pool; reproduced with two threads, see
``jaxml/sharding.py``). So the second lane only takes entries whose every program is traced first and found free
of linear-algebra primitives (:func:`concurrency_safe`); custom checks, untraceable ones and those that factorise
matrices run on the main lane. At most one lane ever runs LAPACK.
"""

from __future__ import annotations

import collections
import os
import threading
from collections.abc import Callable

import jax
import jax.lax.linalg as _linalg
import numpy as np

# the primitives XLA:CPU runs through LAPACK / BLAS custom calls (lu, cholesky, eigh, triangular_solve, ...)
LINALG = frozenset(getattr(_linalg, name).name for name in dir(_linalg) if name.endswith("_p"))


def default_jobs() -> int:
    """Two lanes when the machine has two cores or more."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _primitives(jaxpr, seen: set) -> set:
    """Every primitive name in a (closed) jaxpr, its sub-jaxprs included."""
    inner = getattr(jaxpr, "jaxpr", jaxpr)
    if id(inner) in seen or not hasattr(inner, "eqns"):
        return set()
    seen.add(id(inner))
    names = set()
    for eqn in inner.eqns:
        names.add(eqn.primitive.name)
        for value in eqn.params.values():
            for sub in value if isinstance(value, (tuple, list)) else (value,):
                if hasattr(sub, "eqns") or hasattr(getattr(sub, "jaxpr", None), "eqns"):
                    names |= _primitives(sub, seen)
    return names


def linalg_free(fn: Callable, *args) -> bool:
    """``fn(*args)`` traces (args may be ShapeDtypeStructs) and uses no linear-algebra primitive."""
    try:
        return not (_primitives(jax.make_jaxpr(fn)(*args), set()) & LINALG)
    except Exception:  # noqa: BLE001 - untraceable: the main lane runs it
        return False


def concurrency_safe(entry, points: int | None) -> bool:
    """The entry may run beside another one: a gradient, Hessian or closed-form entry whose example maker, loss
    (and its derivative) and hand formula all trace without linear algebra."""
    from ._programs import DERIVATIVES

    try:
        key = jax.random.PRNGKey(0)
        if entry.kind in ("gradient", "hessian"):
            n = 8 if points is None else max(int(points), 1)
            keys = jax.ShapeDtypeStruct((n,) + np.shape(key), key.dtype)
            if not linalg_free(jax.vmap(entry.example), keys):
                return False
            one = jax.eval_shape(entry.example, key)
            derivative = DERIVATIVES["gradient" if entry.kind == "gradient" else "Hessian"]
            argnums = tuple(entry.argnums) if isinstance(entry.argnums, list) else entry.argnums
            return linalg_free(derivative(entry.target, argnums=argnums), *one) and linalg_free(
                entry.fn, *one
            )
        if entry.kind == "closed_form":
            if not linalg_free(entry.example, key):
                return False
            args = jax.eval_shape(entry.example, key)
            theta = jax.eval_shape(entry.fn, *args)
            return linalg_free(entry.fn, *args) and linalg_free(
                jax.grad(entry.target), theta, *args
            )
    except Exception:  # noqa: BLE001 - user code may raise anything
        return False
    return False


def run_lanes(
    n: int, one: Callable[[int], object], safe: Callable[[int], bool], jobs: int | None
) -> list:
    """``[one(i) for i in range(n)]``, on ``jobs`` lanes (1 or 2) as described in the module docstring.

    The second lane takes candidates in order, checks ``safe(i)`` and runs the safe ones; it hands the others back.
    The main lane runs what is not a candidate, what was handed back, then helps with the rest from the end.
    """
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs <= 1 or n < 2:
        return [one(i) for i in range(n)]
    results: list = [None] * n
    errors: dict = {}
    lock = threading.Lock()
    pending = collections.deque(range(n))
    handed_back: collections.deque = collections.deque()
    done = threading.Event()

    def run(i):
        try:
            results[i] = one(i)
        except BaseException as exc:  # noqa: BLE001 - re-raised on the main thread
            errors[i] = exc

    # the caller's thread-local settings (a `with jax.default_device(...)` block) hold on the second lane too
    device, promotion = jax.config.jax_default_device, jax.config.jax_numpy_dtype_promotion

    def worker():
        try:
            with jax.default_device(device), jax.numpy_dtype_promotion(promotion):
                _work()
        finally:
            done.set()

    def _work():
        while True:
            with lock:
                if not pending:
                    break
                i = pending.popleft()
            if safe(i):
                run(i)
            else:
                handed_back.append(i)

    thread = threading.Thread(target=worker, name="jaxml-verify-lane", daemon=True)
    thread.start()
    while not done.is_set() or handed_back:
        if handed_back:
            run(handed_back.popleft())
            continue
        with lock:
            i = pending.pop() if pending else None
        if i is None:
            done.wait(0.01)
            continue
        run(i)  # the main lane may run anything: the other lane never runs LAPACK
    thread.join()
    if errors:
        raise errors[min(errors)]
    return results
