"""Declaring derivations for ``jaxml verify``, finding them, and running them.

Three decorators declare an entry; each returns the decorated function unchanged:

* ``@derivation(of=loss, argnums=0, example=make_args)`` — the function is the hand-derived gradient of ``loss``;
* ``@closed_form(objective=obj, example=make_args)`` — the function returns the minimiser of ``obj(theta, *args)``;
* ``@verification(name=..., compares=...)`` — a fully custom check ``fn(points, key) -> report``.

``example(key)`` returns a tuple of arguments. It should be written with ``jax.random`` so that it can be vmapped
over many keys (that makes a 1,000-point check one jitted call); a non-traceable one is called in a loop.
``expected_failure=True`` marks an as-written formula known to be wrong (an erratum): it *should* fail.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import pkgutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np

from ..errors import UsageError, VerifyError
from ._closed_form import check_closed_form
from ._gradient import check_gradient, check_hessian


@dataclasses.dataclass
class Entry:
    """One declared derivation."""

    name: str
    kind: str  # "gradient" | "hessian" | "closed_form" | "custom"
    fn: Callable
    module: str
    target: Callable | None = None  # the loss (gradient) or objective (closed form)
    argnums: Any = 0
    example: Callable | None = None
    equation: str = ""
    expected_failure: bool = False
    erratum: str = ""
    compares: str = ""
    options: dict = dataclasses.field(default_factory=dict)


_ENTRIES: list[Entry] = []


def _register(entry: Entry) -> None:
    # Re-importing a module (a user's file loaded twice) replaces its entries instead of duplicating them.
    _ENTRIES[:] = [e for e in _ENTRIES if not (e.module == entry.module and e.name == entry.name)]
    _ENTRIES.append(entry)


def _qualname(fn: Callable) -> str:
    return getattr(fn, "__name__", repr(fn))


def derivation(*, of: Callable, argnums=0, example: Callable, name: str | None = None, equation: str = "",
               expected_failure: bool = False, erratum: str = "", rtol: float | None = None) -> Callable:
    """Declare the decorated function as the hand-derived gradient of ``of``.

    Args:
      of: the scalar function being differentiated.
      argnums: which argument(s) of ``of`` the gradient is taken with respect to.
      example: ``example(key) -> tuple of args`` for ``of`` (and the decorated function).
      name: display name (default: the function's name).
      equation: where the formula comes from ("write-up eq. 9").
      expected_failure: True for a formula known to be wrong (an as-written erratum).
      erratum: what is wrong with it, shown beside the verifier's own diagnosis.
      rtol: tolerance override (default 1e-9 relative, float64).
    """
    if not callable(of) or not callable(example):
        raise UsageError("@derivation(of=..., example=...) needs a callable loss and a callable example maker")

    def wrap(fn):
        _register(Entry(name=name or _qualname(fn), kind="gradient", fn=fn, module=fn.__module__, target=of,
                        argnums=argnums, example=example, equation=equation, expected_failure=expected_failure,
                        erratum=erratum, compares=f"{_qualname(fn)} vs jax.grad({_qualname(of)})",
                        options={"rtol": rtol}))
        return fn

    return wrap


def hessian(*, of: Callable, argnums=0, example: Callable, name: str | None = None, equation: str = "",
            expected_failure: bool = False, erratum: str = "", rtol: float | None = None) -> Callable:
    """Declare the decorated function as the hand-derived Hessian of the scalar ``of`` (same arguments as
    :func:`derivation`)."""
    if not callable(of) or not callable(example):
        raise UsageError("@hessian(of=..., example=...) needs a callable function and a callable example maker")

    def wrap(fn):
        _register(Entry(name=name or _qualname(fn), kind="hessian", fn=fn, module=fn.__module__, target=of,
                        argnums=argnums, example=example, equation=equation, expected_failure=expected_failure,
                        erratum=erratum, compares=f"{_qualname(fn)} vs jax.hessian({_qualname(of)})",
                        options={"rtol": rtol}))
        return fn

    return wrap


def closed_form(*, objective: Callable, example: Callable, name: str | None = None, equation: str = "",
                expected_failure: bool = False, erratum: str = "", transform: Callable | None = None,
                rtol: float | None = None) -> Callable:
    """Declare the decorated ``fn(*args) -> theta`` as the minimiser of ``objective(theta, *args)``."""
    if not callable(objective) or not callable(example):
        raise UsageError("@closed_form(objective=..., example=...) needs callables")

    def wrap(fn):
        _register(Entry(name=name or _qualname(fn), kind="closed_form", fn=fn, module=fn.__module__,
                        target=objective, example=example, equation=equation, expected_failure=expected_failure,
                        erratum=erratum, compares=f"{_qualname(fn)} minimises {_qualname(objective)}",
                        options={"transform": transform, "rtol": rtol}))
        return fn

    return wrap


def verification(*, name: str, compares: str, equation: str = "", expected_failure: bool = False,
                 erratum: str = "") -> Callable:
    """Declare a custom check ``fn(points: int, key) -> report`` (anything with ``.ok``, ``.max_abs_error``,
    ``.max_rel_error``, ``.diagnosis``)."""

    def wrap(fn):
        _register(Entry(name=name, kind="custom", fn=fn, module=fn.__module__, equation=equation,
                        expected_failure=expected_failure, erratum=erratum, compares=compares))
        return fn

    return wrap


def entries(module_prefix: str | None = None) -> list[Entry]:
    """The declared entries (optionally only those of modules starting with ``module_prefix``)."""
    if module_prefix is None:
        return list(_ENTRIES)
    return [e for e in _ENTRIES if e.module == module_prefix or e.module.startswith(module_prefix + ".")]


def load_package(package: str) -> list[Entry]:
    """Import every public module of ``package`` (e.g. ``"jaxml_derivations"``) and return their entries.

    Raises:
      VerifyError: the package cannot be imported.
    """
    try:
        pkg = importlib.import_module(package)
    except ImportError as exc:
        raise VerifyError(f"{package}: could not be imported: {exc}") from exc
    for info in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package}.{info.name}")
    return entries(package)


BUILTIN_PACKAGE = "jaxml_derivations"  # derivations/ in the source tree


def builtin_entries() -> list[Entry]:
    """Every derivation of the write-up: the entries of :data:`BUILTIN_PACKAGE`."""
    return load_package(BUILTIN_PACKAGE)


def load_file(path: str | Path) -> list[Entry]:
    """Import a user's Python file and return the entries it declares.

    Raises:
      VerifyError: the file does not exist, fails to import, or declares nothing.
    """
    path = Path(path)
    if not path.is_file():
        raise VerifyError(f"{path}: no such file")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    module_name = f"jaxml_user_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise VerifyError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise VerifyError(f"{path}: could not be imported: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.pop(0)
    found = entries(module_name)
    if not found:
        raise VerifyError(
            f"{path}: declares no derivations. Decorate your gradient with "
            "@jaxml.verify.derivation(of=loss, example=make_args)"
        )
    return found


@dataclasses.dataclass
class Outcome:
    """The result of checking one entry, as the verify table shows it."""

    name: str
    compares: str
    equation: str
    points: int
    max_abs_error: float
    max_rel_error: float
    tolerance: str
    passed: bool
    expected_failure: bool
    diagnosis: str | None
    erratum: str
    seconds: float
    report: Any = None

    @property
    def verdict(self) -> str:
        if self.expected_failure:
            return "expected fail" if not self.passed else "UNEXPECTED PASS"
        return "pass" if self.passed else "FAIL"

    @property
    def ok(self) -> bool:
        """True when the verdict is what was expected (a pass, or an erratum that fails)."""
        return self.passed != self.expected_failure

    def as_dict(self) -> dict:
        return {
            "name": self.name, "compares": self.compares, "equation": self.equation, "points": self.points,
            "max_abs_error": _jsonable(self.max_abs_error), "max_rel_error": _jsonable(self.max_rel_error),
            "tolerance": self.tolerance, "verdict": self.verdict, "ok": self.ok,
            "expected_failure": self.expected_failure, "diagnosis": self.diagnosis, "erratum": self.erratum,
            "seconds": round(self.seconds, 4),
        }


def _jsonable(x: float):
    x = float(x)
    return x if np.isfinite(x) else str(x)


def _examples(example: Callable, keys) -> tuple:
    """Stack ``example(key)`` over keys: one vmapped call when it traces, a loop otherwise."""
    try:
        return tuple(jax.vmap(example)(keys))
    except Exception:
        outs = [example(k) for k in keys]
        return tuple(jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *outs))


# Closed forms run one L-BFGS solve per example; a few examples are enough to catch a wrong formula.
CLOSED_FORM_EXAMPLES = 3


def run_entry(entry: Entry, *, points: int = 100, key: jax.Array | None = None) -> Outcome:
    """Check one entry at ``points`` points (closed forms: at most ``CLOSED_FORM_EXAMPLES`` examples)."""
    key = jax.random.PRNGKey(0) if key is None else key
    start = time.perf_counter()
    try:
        if entry.kind in ("gradient", "hessian"):
            keys = jax.random.split(key, points)
            batch = _examples(entry.example, keys)
            first = tuple(jax.tree_util.tree_map(lambda x: x[0], a) for a in batch)
            check = check_gradient if entry.kind == "gradient" else check_hessian
            report = check(entry.target, entry.fn, *first, argnums=entry.argnums, at=batch,
                           rtol=entry.options.get("rtol"), name=entry.name)
        elif entry.kind == "closed_form":
            n = max(1, min(points, CLOSED_FORM_EXAMPLES))
            reports = []
            for k in jax.random.split(key, n):
                k_example, k_start = jax.random.split(k)
                args = tuple(entry.example(k_example))
                reports.append(check_closed_form(entry.target, entry.fn, *args, key=k_start,
                                                 transform=entry.options.get("transform"),
                                                 rtol=entry.options.get("rtol"), name=entry.name))
            report = max(reports, key=lambda r: (not r.ok, r.max_rel_error))
            report.points = n
        else:
            report = entry.fn(points, key)
    except Exception as exc:  # a broken declaration is reported, never a traceback
        raise VerifyError(f"{entry.name} ({entry.module}): the check could not run: "
                          f"{type(exc).__name__}: {exc}") from exc
    seconds = time.perf_counter() - start
    return Outcome(
        name=entry.name, compares=entry.compares or getattr(report, "compares", ""), equation=entry.equation,
        points=int(getattr(report, "points", points)), max_abs_error=float(report.max_abs_error),
        max_rel_error=float(report.max_rel_error), tolerance=getattr(report, "tolerance", ""),
        passed=bool(report.ok), expected_failure=entry.expected_failure, diagnosis=report.diagnosis,
        erratum=entry.erratum, seconds=seconds, report=report,
    )
