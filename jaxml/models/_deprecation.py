"""Settings are keyword-only (issue #23); the old positional spelling keeps working for one release.

Data are positional and settings keyword-only in every public function of :mod:`jaxml.models`
(``lasso.fit(x, y, gamma=0.1)``). Functions that used to take a setting by position are wrapped with
:func:`positional_settings`: a call in the old order still runs, with a ``DeprecationWarning`` that names the new
spelling; the next release drops the wrapper and such a call becomes a ``TypeError``.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Sequence

_POSITIONAL = (inspect.Parameter.POSITIONAL_OR_KEYWORD,)


def positional_settings(
    family: str, old: Sequence[str], *, name: str | None = None
) -> Callable[[Callable], Callable]:
    """Decorator: accept the old positional order ``old`` of ``f``'s parameters for one release, with a warning.

    A call with no more positional arguments than ``f`` now takes goes straight through. A longer one is read in
    the old order (``old[k]`` names the k-th positional argument), passed on by keyword, and warned about:

        jaxml.models.lasso.fit(x, y, gamma) is deprecated: settings are keyword-only; write
        lasso.fit(x, y, gamma=gamma) (positional settings stop working in the next release)

    ``old`` may also reorder the data (``ridge.double_descent_sweep(xs, ys, lams, x_val, y_val)`` became
    ``(xs, ys, x_val, y_val, *, lams)``). The wrapper keeps ``f``'s name, docstring and signature
    (``inspect.signature`` follows ``__wrapped__``), so reference docs show the new form only.

    Args:
      family: the public module's name, e.g. ``"lasso"``.
      old: the old positional parameters, in their old order, e.g. ``("x", "y", "gamma")``.
      name: the public name when the family re-exports ``f`` under another one (``batchnorm.stats`` is
        ``batchnorm_stats``); default ``f.__name__``.

    Returns:
      The decorator.
    """
    old = tuple(old)

    def decorate(f: Callable) -> Callable:
        params = inspect.signature(f).parameters
        positional = [p.name for p in params.values() if p.kind in _POSITIONAL]
        unknown = [p for p in old if p not in params]
        if (
            unknown
            or len(old) <= len(positional)
            or any(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in params.values())
        ):
            raise TypeError(f"positional_settings({family!r}, {old}) does not fit {f.__name__}")
        public = f"{family}.{name or f.__name__}"

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            if len(args) <= len(positional):
                return f(*args, **kwargs)
            if len(args) > len(old):
                raise TypeError(
                    f"{public}() takes {len(positional)} positional arguments but {len(args)} were given"
                )
            named = dict(zip(old, args))
            clash = sorted(named.keys() & kwargs.keys())
            if clash:
                raise TypeError(f"{public}() got multiple values for argument {clash[0]!r}")
            data = [p for p in positional if p in named]
            settings = [p for p in named if p not in positional]
            new = ", ".join(data + [f"{s}={s}" for s in settings])
            warnings.warn(
                f"jaxml.models.{public}({', '.join(named)}) is deprecated: settings are keyword-only; "
                f"write {public}({new}) (positional settings stop working in the next release)",
                DeprecationWarning,
                stacklevel=2,
            )
            return f(**named, **kwargs)

        return wrapper

    return decorate
