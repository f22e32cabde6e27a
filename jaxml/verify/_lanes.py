"""Two lanes for many checks: a cold ``jaxml verify`` is XLA compilation, and XLA compiles on any thread.

Compiling an XLA program releases the GIL, so two threads checking two entries keep two cores busy. Every entry
is computed entirely on one thread from its own key, so the outcomes are bit-identical to running them one after
the other, and come back in the entries' order.

One hazard decides which entry may go where: with jaxlib 0.10.2, two *batched* LAPACK calls running at the same
time (``vmap`` of ``solve``, ``eigh``, ``cholesky``, ...) can deadlock XLA:CPU's thread pool (each kernel blocks a
pool thread waiting for pieces queued on the same pool; reproduced with two threads, see
``jaxml/sharding.py``). So an entry runs beside another only when its every program has been traced and found
free of linear-algebra primitives (:func:`concurrency_safe`). The others — custom checks, untraceable ones, those
that factorise matrices — hold a token while they run, one at a time: at most one lane ever runs LAPACK.
"""

from __future__ import annotations

import collections
import os
import threading
from collections.abc import Callable

import jax
import jax.lax.linalg as _linalg

from .._bucketed_random import prng_key

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


def opaque(entry) -> bool:
    """A custom check that may use linear algebra: it cannot be traced to find out (``@verification`` declares
    ``linear_algebra=False`` when it does not)."""
    return entry.kind == "custom" and entry.options.get("linear_algebra", True)


def concurrency_safe(entry, points: int | None) -> bool:
    """The entry may run beside another one: a gradient, Hessian or closed-form entry whose example maker, loss
    (and its derivative) and hand formula all trace without linear algebra."""
    from ._programs import DERIVATIVES

    if entry.kind == "custom":
        return not opaque(entry)
    try:
        key = prng_key(0)
        # the example maker traced once: its primitives (the same batched or not) and its outputs' shapes
        jaxpr, shapes = jax.make_jaxpr(entry.example, return_shape=True)(key)
        if _primitives(jaxpr, set()) & LINALG:
            return False
        if entry.kind in ("gradient", "hessian"):
            derivative = DERIVATIVES["gradient" if entry.kind == "gradient" else "Hessian"]
            argnums = tuple(entry.argnums) if isinstance(entry.argnums, list) else entry.argnums
            return linalg_free(derivative(entry.target, argnums=argnums), *shapes) and linalg_free(
                entry.fn, *shapes
            )
        if entry.kind == "closed_form":
            theta = jax.eval_shape(entry.fn, *shapes)
            return linalg_free(entry.fn, *shapes) and linalg_free(
                jax.grad(entry.target), theta, *shapes
            )
    except Exception:  # noqa: BLE001 - user code may raise anything
        return False
    return False


class _Schedule:
    """Hands out entry indices to two lanes under the LAPACK token rule.

    ``opaque(i)``: the entry cannot be traced (a custom check): unsafe, known without tracing. ``safe(i)``: traced
    lazily, once, for the entries a lane considers.
    """

    def __init__(self, n: int, safe: Callable[[int], bool], opaque: Callable[[int], bool]):
        self.pending = collections.deque(range(n))
        self.safe, self.opaque, self.known = safe, opaque, {}
        self.token = False  # an unsafe entry is running
        self.cond = threading.Condition()

    def _is_safe(self, i: int) -> bool:
        if i not in self.known:
            self.known[i] = not self.opaque(i) and self.safe(i)
        return self.known[i]

    def _preference(self, main: bool) -> list[int]:
        """Only one unsafe entry runs at a time, so the unsafe ones are the critical chain: the main lane takes
        the opaque ones first, then the others from the back; the second lane takes the others from the front."""
        order = list(self.pending)
        opaque = [i for i in order if self.opaque(i)]
        rest = [i for i in order if not self.opaque(i)]
        return opaque + rest[::-1] if main else rest + opaque

    def take(self, main: bool) -> int | None:
        """The next entry this lane may run (None when all are taken); waits while only unsafe entries are left
        and the token is held."""
        with self.cond:
            while self.pending:
                for i in self._preference(main):
                    if self._is_safe(i) or not self.token:
                        self.token = self.token or not self._is_safe(i)
                        self.pending.remove(i)
                        return i
                self.cond.wait()
            return None

    def release(self, i: int) -> None:
        with self.cond:
            if not self._is_safe(i):
                self.token = False
            self.cond.notify_all()


def run_lanes(
    n: int,
    one: Callable[[int], object],
    safe: Callable[[int], bool],
    jobs: int | None,
    opaque: Callable[[int], bool] = lambda i: False,
) -> list:
    """``[one(i) for i in range(n)]``, on ``jobs`` lanes (1 or 2) as described in the module docstring.

    An entry that is ``opaque(i)`` or not ``safe(i)`` waits until no other unsafe entry runs (see
    :class:`_Schedule` for who takes what). The results come back in order; the first error (in entry order) is raised after every lane has
    finished.
    """
    jobs = default_jobs() if jobs is None else int(jobs)
    if jobs <= 1 or n < 2:
        return [one(i) for i in range(n)]
    results: list = [None] * n
    errors: dict = {}
    schedule = _Schedule(n, safe, opaque)
    # the caller's thread-local settings (a `with jax.default_device(...)` block) hold on the second lane too
    device, promotion = jax.config.jax_default_device, jax.config.jax_numpy_dtype_promotion

    def lane(main: bool) -> None:
        while (i := schedule.take(main)) is not None:
            try:
                results[i] = one(i)
            except BaseException as exc:  # noqa: BLE001 - re-raised on the main thread
                errors[i] = exc
            finally:
                schedule.release(i)

    def worker() -> None:
        with jax.default_device(device), jax.numpy_dtype_promotion(promotion):
            lane(main=False)

    thread = threading.Thread(target=worker, name="jaxml-verify-lane", daemon=True)
    thread.start()
    lane(main=True)
    thread.join()
    if errors:
        raise errors[min(errors)]
    return results
