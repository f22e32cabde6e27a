"""Quick compilation for short-lived programs: the checks of ``jaxml verify``, which run once.

XLA:CPU spends most of a small program's compile time optimising code that then runs for milliseconds. Inside
:func:`quick_compilation` (``jaxml verify`` runs its checks in one) the verifier's programs are compiled with

* ``xla_cpu_use_fusion_emitters=False``: the elemental IR emitters instead of the MLIR fusion emitters (no MLIR
  context built in every compilation),
* ``xla_backend_optimization_level=0``: LLVM -O0 for the generated code, and
* ``xla_cpu_parallel_codegen_split_count=1``: the generated code as one LLVM module (splitting it for parallel
  code generation costs more than it saves in a small program),

per program (``jax.jit(..., compiler_options=...)``); the ``jaxml verify`` process also puts them in ``XLA_FLAGS``
(:func:`quick_process`, the only way to reach operations run one by one). The one-shot work around the checks
(example makers, closed forms, custom checks' set-up) is compiled as one program instead of operation by operation.
A program compiles about 3× faster and runs somewhat slower: the right trade for code that runs once. The verdicts
are the same; the rounding measures (max errors) may differ in their last bits.

``JAXML_QUICK_COMPILE=0`` turns all of this off: every program is then compiled as ``jax.jit`` compiles it, and
``jaxml verify`` prints the numbers it printed before quick compilation existed.

``jaxml reproduce`` compiles its verifier checks (the ``derivations`` experiment, and the checks inside §1, §4 and
§5–§6) as they have always been compiled, because REPORT.md prints their rounding measures and no digit of REPORT.md
may move for speed (issue #25). ``jaxml reproduce --quick-checks`` (``JAXML_QUICK_CHECKS=1``) opens a
:func:`quick_checks` block around them instead: about 18 s faster cold on two cores, and those max errors then differ
in their last digits (verdicts and every other number are unchanged). Outside a block — a check called from your
code, the experiments' models and training loops — everything runs as it always has: :func:`checker_jit` is
``jax.jit`` and :func:`one_program` is the function as written.
:func:`quick_jit` (always quick) is for an experiment's one-shot set-up whose results do not depend on the options
(integer draws, labels). Long-running programs (training loops) never get these options: they would run slower
(``benchmarks/COMPILE_OPTIONS.md``). On other backends than the CPU the options are not applied.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import threading
import weakref
from collections.abc import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np

QUICK_OPTIONS = {
    "xla_cpu_use_fusion_emitters": False,
    "xla_backend_optimization_level": 0,
    "xla_cpu_parallel_codegen_split_count": 1,
}

_lock = threading.Lock()
# quick_compilation() blocks open, in any thread (jaxml verify checks entries on two threads)
_depth = 0


@contextlib.contextmanager
def quick_compilation() -> Iterator[None]:
    """Within the block, the verifier compiles for compile speed (see the module docstring)."""
    global _depth
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1


def quick_enabled() -> bool:
    """A :func:`quick_compilation` block is open (and ``JAXML_QUICK_COMPILE=0`` does not turn it off)."""
    return _depth > 0 and os.environ.get("JAXML_QUICK_COMPILE", "1") != "0"


QUICK_CHECKS_ENV = "JAXML_QUICK_CHECKS"


def quick_checks() -> contextlib.AbstractContextManager:
    """Around a ``jaxml reproduce`` experiment's verifier checks: a :func:`quick_compilation` block when the run asked
    for it (``--quick-checks``, which sets ``JAXML_QUICK_CHECKS=1`` for the worker processes), else nothing."""
    return quick_compilation() if quick_checks_requested() else contextlib.nullcontext()


def quick_checks_requested() -> bool:
    """``JAXML_QUICK_CHECKS=1``: reproduce's verifier checks are compiled for compile speed (:func:`quick_checks`)."""
    return os.environ.get(QUICK_CHECKS_ENV, "0") == "1"


def quick_process() -> bool:
    """Compile every program of this process quickly, eager operations included: for a process that only runs
    checks (the ``jaxml verify`` command), called before XLA starts. The options go into ``XLA_FLAGS`` (the only
    way to reach the programs JAX compiles for operations run one by one); a flag you set yourself is kept.
    Nothing is changed once XLA has started, on a machine with a CUDA plugin, or with ``JAXML_QUICK_COMPILE=0``.
    Returns whether the options were set."""
    from jax._src import xla_bridge

    if os.environ.get("JAXML_QUICK_COMPILE", "1") == "0" or xla_bridge.backends_are_initialized():
        return False
    if importlib.util.find_spec("jax_plugins") is not None or "cuda" in os.environ.get(
        "JAX_PLATFORMS", ""
    ):
        return False
    flags = os.environ.get("XLA_FLAGS", "")
    added = [
        f"--{name}={str(value).lower()}"
        for name, value in QUICK_OPTIONS.items()
        if name not in flags
    ]
    os.environ["XLA_FLAGS"] = " ".join([flags, *added]).strip()
    return True


def quick_options() -> dict | None:
    """The per-program options of a quick compilation on the default backend (None where they do not apply)."""
    return dict(QUICK_OPTIONS) if jax.default_backend() == "cpu" else None


def _traced(args, kwargs) -> bool:
    return any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves((args, kwargs)))


class _Quick:
    """``fn`` compiled with :data:`QUICK_OPTIONS` always (``mode="always"``) or inside :func:`quick_compilation`
    only; elsewhere ``jax.jit(fn)`` (``mode="jit"``) or ``fn`` as written (``mode="eager"``). Inside another
    jitted function it is inlined (XLA takes compile options only for a whole program: the outer one's apply).
    Built at the first call, so a module-level one does not start JAX's backend on import."""

    def __init__(self, fn: Callable, jit_kwargs: dict, mode: str):
        self._fn, self._jit_kwargs, self._mode = fn, jit_kwargs, mode
        self._quick = self._plain = None
        functools.update_wrapper(self, fn)

    def _jit(self, quick: bool) -> Callable:
        if quick:
            if self._quick is None:
                self._quick = jax.jit(
                    self._fn, compiler_options=quick_options(), **self._jit_kwargs
                )
            return self._quick
        if self._plain is None:
            self._plain = jax.jit(self._fn, **self._jit_kwargs)
        return self._plain

    def __call__(self, *args, **kwargs):
        if _traced(args, kwargs):
            return self._jit(False)(*args, **kwargs)
        if self._mode == "always" or quick_enabled():
            return self._jit(True)(*args, **kwargs)
        if self._mode == "eager":
            return self._fn(*args, **kwargs)
        return self._jit(False)(*args, **kwargs)


def checker_jit(fn: Callable, **jit_kwargs) -> Callable:
    """``jax.jit(fn, **jit_kwargs)`` for a verifier program: compiled quickly inside :func:`quick_compilation`."""
    return _Quick(fn, jit_kwargs, mode="jit")


def quick_jit(fn: Callable, **jit_kwargs) -> Callable:
    """``jax.jit(fn)`` always compiled for compile speed: for one-shot, short-running set-up work (never a
    training loop or a heavy kernel: it runs slower)."""
    return _Quick(fn, jit_kwargs, mode="always")


def one_program(fn: Callable, **jit_kwargs) -> Callable:
    """``fn`` as one program compiled for compile speed while ``jaxml verify`` runs; ``fn`` as written elsewhere.

    For the one-shot work of a check — drawing its examples, a closed form, a custom check's set-up — that would
    otherwise be dispatched operation by operation, one small compiled program each. Inside ``jaxml verify`` it is
    ``jax.jit(fn)`` with XLA:CPU options that compile about 3× faster (the results may differ in their last
    bits), and so in ``jaxml reproduce --quick-checks``'s verifier checks; anywhere else (your code, the experiments' models)
    calling it calls ``fn``, so the numbers are exactly those of the code as written. Do not use it for
    long-running loops.

    Args:
      fn: the function (it must trace, as for ``jax.jit``).
      **jit_kwargs: ``jax.jit``'s other arguments (``static_argnames``, ...).

    Returns:
      A function with ``fn``'s signature.

    Example:
      >>> @one_program
      ... def draw(key):
      ...     return jax.random.normal(key, (30, 8))
    """
    if jit_kwargs:
        return _Quick(fn, jit_kwargs, mode="eager")
    try:  # one per function: the verifier and a custom check drawing from the same example share its program
        return _ONE_PROGRAMS.setdefault(fn, _Quick(fn, {}, mode="eager"))
    except TypeError:  # not weakly referenceable
        return _Quick(fn, {}, mode="eager")


_ONE_PROGRAMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def as_device_array(a) -> jax.Array:
    """``jnp.asarray(a)`` without a compiled program: a NumPy array is put on the device as it is (``jnp.asarray``
    compiles a copy program for each new shape of one); anything else goes through ``jnp.asarray``."""
    return jax.device_put(a) if isinstance(a, np.ndarray) else jnp.asarray(a)
