"""Declaring derivations for ``jaxml verify``, and finding them in a file or a package.

Six decorators declare an entry; each returns the decorated function unchanged:

* ``@derivation(of=loss, argnums=0, example=make_args)`` — the function is the hand-derived gradient of ``loss``;
* ``@hessian(of=f, argnums=0, example=make_args)`` — the function is the hand-derived Hessian of ``f``;
* ``@vjp_rule(reference=plain_f, example=make_args)`` — the function (a ``jax.custom_vjp`` or ``custom_jvp``) carries
  a VJP rule, checked against ``jax.vjp(plain_f)``;
* ``@jvp_rule(reference=plain_f, example=make_args)`` — the function (a ``jax.custom_jvp``) carries a JVP rule,
  checked against ``jax.jvp(plain_f)``;
* ``@closed_form(objective=obj, example=make_args)`` — the function returns the minimiser of ``obj(theta, *args)``;
* ``@verification(name=..., compares=...)`` — a fully custom check ``fn(points, key) -> report``.

A declaration belongs to the module that makes it: the decorator records the entry in that module's namespace
(``__jaxml_derivations__``), not in a process-wide list. So ``derivation(of=loss, example=ex)(grad)`` applied in
your file to a ``grad`` imported from elsewhere is your file's entry, and nothing is collected until a file or a
package is loaded (:func:`load_file`, :func:`load_package`, :func:`builtin_entries`).

``example(key)`` returns a tuple of arguments. It should be written with ``jax.random`` so that it can be vmapped
over many keys (that makes a 1,000-point check one batched call); a non-traceable one is called in a loop.
``expected_failure=True`` marks an as-written formula known to be wrong (an erratum): it *should* fail.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import inspect
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import UsageError, VerifyError

TABLE = "__jaxml_derivations__"  # the name of a module's {entry name: Entry} table
# Packages of derivations register under this entry-point group (pyproject.toml: [project.entry-points]); jaxml
# registers the write-up's, derivations/ installed as jaxml_derivations, and finds it as it finds anyone else's.
ENTRY_POINT_GROUP = "jaxml.derivations"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One declared derivation.

    Attributes:
      name: display name.
      kind: "gradient" | "hessian" | "vjp" | "jvp" | "closed_form" | "custom".
      fn: the hand-derived function (or the custom check).
      module: the module that declared it (where the decorator was applied).
      target: the loss (gradient, Hessian), the plain reference (VJP / JVP rule) or objective (closed form).
      argnums, example: as given to the decorator.
      equation, expected_failure, erratum, compares: the table's columns.
      options: {"rtol": ..., "transform": ..., "domain": ..., "linear_algebra": ... (custom checks)}.
    """

    name: str
    kind: str
    fn: Callable
    module: str
    target: Callable | None = None
    argnums: Any = 0
    example: Callable | None = None
    equation: str = ""
    expected_failure: bool = False
    erratum: str = ""
    compares: str = ""
    options: dict = dataclasses.field(default_factory=dict)


def _declare(entry_fields: dict, frame) -> Entry:
    """Record an entry in the table of the module whose code applied the decorator (``frame``)."""
    namespace = frame.f_globals
    entry = Entry(module=namespace.get("__name__", "__main__"), **entry_fields)
    table = namespace.setdefault(TABLE, {})
    # a module executed again replaces its entries instead of duplicating them
    table.pop(entry.name, None)
    table[entry.name] = entry
    return entry


def _caller():
    """The frame that applied the decorator (two levels up: wrap <- its caller)."""
    return inspect.currentframe().f_back.f_back


def _qualname(fn: Callable) -> str:
    return getattr(fn, "__name__", repr(fn))


def derivation(
    *,
    of: Callable,
    argnums=0,
    example: Callable,
    name: str | None = None,
    equation: str = "",
    expected_failure: bool = False,
    erratum: str = "",
    rtol: float | None = None,
    domain=None,
) -> Callable:
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
      domain: where the example's points lie, as in :func:`~jaxml.verify.check_gradient` ("positive",
        "spd", ...; default: all of space).
    """
    return _derivative(
        "gradient",
        "jax.grad",
        of,
        argnums,
        example,
        name,
        equation,
        expected_failure,
        erratum,
        {"rtol": rtol, "domain": domain},
    )


def hessian(
    *,
    of: Callable,
    argnums=0,
    example: Callable,
    name: str | None = None,
    equation: str = "",
    expected_failure: bool = False,
    erratum: str = "",
    rtol: float | None = None,
    domain=None,
) -> Callable:
    """Declare the decorated function as the hand-derived Hessian of the scalar ``of`` (same arguments as
    :func:`derivation`)."""
    return _derivative(
        "hessian",
        "jax.hessian",
        of,
        argnums,
        example,
        name,
        equation,
        expected_failure,
        erratum,
        {"rtol": rtol, "domain": domain},
    )


def _derivative(
    kind, reference, of, argnums, example, name, equation, expected_failure, erratum, options
):
    if not callable(of) or not callable(example):
        raise UsageError(
            f"@{'derivation' if kind == 'gradient' else kind}(of=..., example=...) needs a callable "
            "function and a callable example maker"
        )

    def wrap(fn):
        _declare(
            {
                "name": name or _qualname(fn),
                "kind": kind,
                "fn": fn,
                "target": of,
                "argnums": argnums,
                "example": example,
                "equation": equation,
                "expected_failure": expected_failure,
                "erratum": erratum,
                "compares": f"{_qualname(fn)} vs {reference}({_qualname(of)})",
                "options": options,
            },
            _caller(),
        )
        return fn

    return wrap


def vjp_rule(
    *,
    reference: Callable,
    example: Callable,
    argnums=0,
    name: str | None = None,
    equation: str = "",
    expected_failure: bool = False,
    erratum: str = "",
    rtol: float | None = None,
    domain=None,
) -> Callable:
    """Declare the decorated function's custom VJP rule (a ``jax.custom_vjp`` or ``custom_jvp`` function) for
    checking against ``jax.vjp`` of ``reference``, the same function written plainly (:func:`check_vjp`).

    Args:
      reference: computes the same primal as the decorated function, without the rule.
      example: ``example(key) -> tuple of args`` for both.
      argnums: the argument(s) whose cotangents are compared.
      name: display name (default: the function's name).
      equation: where the rule comes from.
      expected_failure: True for a rule known to be wrong.
      erratum: what is wrong with it.
      rtol: tolerance override (default 1e-9 relative, float64).
      domain: where the points lie (see :func:`check_vjp`); the examples must lie there.
    """
    return _rule(
        "vjp", reference, example, argnums, name, equation, expected_failure, erratum, rtol, domain
    )


def jvp_rule(
    *,
    reference: Callable,
    example: Callable,
    argnums=0,
    name: str | None = None,
    equation: str = "",
    expected_failure: bool = False,
    erratum: str = "",
    rtol: float | None = None,
    domain=None,
) -> Callable:
    """Declare the decorated ``jax.custom_jvp`` function's rule for checking against ``jax.jvp`` of
    ``reference`` (:func:`check_jvp`); the same arguments as :func:`vjp_rule`."""
    return _rule(
        "jvp", reference, example, argnums, name, equation, expected_failure, erratum, rtol, domain
    )


def _rule(
    kind, reference, example, argnums, name, equation, expected_failure, erratum, rtol, domain
):
    if not callable(reference) or not callable(example):
        raise UsageError(
            f"@{kind}_rule(reference=..., example=...) needs a callable reference and a callable example "
            "maker"
        )

    def wrap(fn):
        if not callable(fn):
            raise UsageError(f"@{kind}_rule applies to the function that carries the rule")
        _declare(
            {
                "name": name or _qualname(fn),
                "kind": kind,
                "fn": fn,
                "target": reference,
                "argnums": argnums,
                "example": example,
                "equation": equation,
                "expected_failure": expected_failure,
                "erratum": erratum,
                "compares": f"{_qualname(fn)}'s rule vs jax.{kind}({_qualname(reference)})",
                "options": {"rtol": rtol, "domain": domain},
            },
            _caller(),
        )
        return fn

    return wrap


def closed_form(
    *,
    objective: Callable,
    example: Callable,
    name: str | None = None,
    equation: str = "",
    expected_failure: bool = False,
    erratum: str = "",
    transform: Callable | None = None,
    rtol: float | None = None,
) -> Callable:
    """Declare the decorated ``fn(*args) -> theta`` as the minimiser of ``objective(theta, *args)``."""
    if not callable(objective) or not callable(example):
        raise UsageError("@closed_form(objective=..., example=...) needs callables")

    def wrap(fn):
        _declare(
            {
                "name": name or _qualname(fn),
                "kind": "closed_form",
                "fn": fn,
                "target": objective,
                "example": example,
                "equation": equation,
                "expected_failure": expected_failure,
                "erratum": erratum,
                "compares": f"{_qualname(fn)} minimises {_qualname(objective)}",
                "options": {"transform": transform, "rtol": rtol},
            },
            _caller(),
        )
        return fn

    return wrap


def verification(
    *,
    name: str,
    compares: str,
    equation: str = "",
    expected_failure: bool = False,
    erratum: str = "",
    linear_algebra: bool = True,
) -> Callable:
    """Declare a custom check ``fn(points: int, key) -> report`` (anything with ``.ok``, ``.max_abs_error``,
    ``.max_rel_error``, ``.diagnosis``; a :class:`~jaxml.verify.Report` from ``check_gradient`` & co. is best).

    ``linear_algebra=False`` declares that the check runs no JAX linear algebra (``solve``, ``eigh``,
    ``cholesky``, ...): ``jaxml verify`` may then run it beside another entry. A custom check cannot be traced to
    find out, so by default it runs alone with respect to every other entry that factorises matrices (XLA:CPU
    can deadlock when two batched LAPACK calls run at once; see ``jaxml/verify/_lanes.py``)."""

    def wrap(fn):
        _declare(
            {
                "name": name,
                "kind": "custom",
                "fn": fn,
                "equation": equation,
                "expected_failure": expected_failure,
                "erratum": erratum,
                "compares": compares,
                "options": {"linear_algebra": bool(linear_algebra)},
            },
            _caller(),
        )
        return fn

    return wrap


def declared(module) -> list[Entry]:
    """The entries a loaded module declares, in declaration order."""
    return list(getattr(module, TABLE, {}).values())


def entries(module_prefix: str | None = None) -> list[Entry]:
    """The entries of the modules already imported (optionally only those named ``module_prefix`` or below).

    Prefer :func:`load_package` / :func:`load_file`, which import what they collect.
    """
    out = []
    for name, module in list(sys.modules.items()):
        if module_prefix is None or name == module_prefix or name.startswith(module_prefix + "."):
            out += declared(module)
    return out


def load_module(name: str) -> list[Entry]:
    """Import the module ``name`` and return its entries.

    Raises:
      VerifyError: the module cannot be imported.
    """
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise VerifyError(f"{name}: could not be imported: {exc}") from exc
    return declared(module)


def load_package(package: str) -> list[Entry]:
    """Import ``package`` (e.g. ``"jaxml_derivations"``) and its public modules, in name order; return their entries.

    Raises:
      VerifyError: the package cannot be imported.
    """
    found = load_module(package)
    pkg = sys.modules[package]
    for info in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
        if not info.name.startswith("_"):
            found += load_module(f"{package}.{info.name}")
    return found


def builtin_entries() -> list[Entry]:
    """Every installed package of derivations: those registered under the entry-point group
    :data:`ENTRY_POINT_GROUP` (``jaxml.derivations``), in name order. jaxml registers the write-up's
    (``writeup = "jaxml_derivations"``); a package of your own registers the same way::

        [project.entry-points."jaxml.derivations"]
        my_course = "my_course.derivations"

    Raises:
      VerifyError: none is registered (jaxml not installed with pip), or one cannot be imported.
    """
    from importlib.metadata import entry_points

    registered = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    if not registered:
        raise VerifyError(
            f"no derivations are registered under the entry-point group {ENTRY_POINT_GROUP!r}: install "
            "jaxml with pip (pip install .) so that its write-up derivations are found"
        )
    found = []
    for ep in registered:
        found += load_package(ep.module)
    return found


def load_file(path: str | Path) -> list[Entry]:
    """Import a user's Python file and return the entries it declares (including decorators it applies to
    functions imported from elsewhere).

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
    except Exception as exc:  # user code may raise anything
        raise VerifyError(f"{path}: could not be imported: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.pop(0)
    found = declared(module)
    if not found:
        raise VerifyError(
            f"{path}: declares no derivations. Decorate your gradient with "
            "@jaxml.verify.derivation(of=loss, example=make_args)"
        )
    return found
