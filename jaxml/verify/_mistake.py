"""The likely mistake, as data: a kind from a small enum, its parameters, and the sentence built from them.

A report's ``diagnosis`` is for people; its ``mistake`` is for code (a grader counting mistakes across a class, a CI
summary, a test): ``report.mistake.kind is MistakeKind.CONSTANT_FACTOR and report.mistake.factor == 40``. Both come
from the same place, so they never disagree.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any


class MistakeKind(str, enum.Enum):
    """What is wrong (the value is a stable identifier, e.g. for JSON)."""

    NONE = "none"
    CONSTANT_FACTOR = "constant_factor"  # yours = c · true, c ≠ ±1 (named when 2, 1/2, n, 1/n, ...)
    SIGN = "sign"  # yours = −true
    ZERO = "zero"  # yours is zero where the true one is not
    VARYING_FACTOR = (
        "varying_factor"  # proportional at each point, the factor changes between points
    )
    TRANSPOSE = "transpose"
    PER_EXAMPLE = "per_example"  # extra axes: per-example terms not summed / averaged
    AXIS_SCALE = "axis_scale"  # a scale per row / column (a missing per-feature factor)
    SWAPPED = "swapped"  # a tuple in the wrong order
    SHAPE = "shape"  # another wrong shape
    STRUCTURE = "structure"  # another pytree structure
    NOT_SUBGRADIENT = "not_subgradient"  # at a kink, outside the sub-differential
    NON_FINITE = "non_finite"  # NaN or inf where f and autodiff are finite
    PRECISION = "precision"  # a right formula computed in lower precision
    PARTIAL = "partial"  # some entries wrong, the others right, no pattern
    RAISED = "raised"  # your function raised
    STRUCTURAL_RULE = (
        "structural_rule"  # a VJP / JVP rule breaks linearity, jit, vmap or transposition
    )
    NOT_STATIONARY = (
        "not_stationary"  # a closed form / optimum where the (sub-)gradient does not vanish
    )
    NOT_MINIMISER = (
        "not_minimiser"  # the solver finds a lower objective, or a different stationary point
    )
    NOT_SPARSE = "not_sparse"  # L1 solution: coordinates tiny but not exactly zero
    NOT_CONVERGED = "not_converged"  # the solver (yours or the verifier's) has not converged
    # yours − true = c · (an argument): a term such as a regulariser's with the wrong factor
    WRONG_TERM = "wrong_term"
    # yours − true is constant along an axis: a mean term missing or counted twice
    CONSTANT_OFFSET = "constant_offset"
    OTHER = "other"  # wrong, no simple pattern


@dataclasses.dataclass(frozen=True)
class Mistake:
    """One named mistake.

    Attributes:
      kind: the :class:`MistakeKind`.
      text: the sentence (what ``diagnosis`` shows).
      leaf: the argument (and pytree path) it concerns ("" for a single array or the whole result).
      factor: the constant c for factors and signs (yours = c · true), else None.
      entries: wrong entries (indices), where the mistake is confined to some.
      params: any other parameters (axes, counts, ...), as a tuple of (name, value) pairs.
    """

    kind: MistakeKind
    text: str
    leaf: str = ""
    factor: float | None = None
    entries: tuple = ()
    params: tuple = ()

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)

    def with_leaf(self, leaf: str) -> Mistake:
        """The same mistake, labelled with its leaf (the text gains the ``leaf: `` prefix)."""
        if not leaf:
            return self
        return dataclasses.replace(self, leaf=leaf, text=f"{leaf}: {self.text}")

    def as_dict(self) -> dict:
        out = {"kind": self.kind.value, "leaf": self.leaf}
        if self.factor is not None:
            out["factor"] = self.factor
        if self.entries:
            out["entries"] = [list(e) if isinstance(e, tuple) else e for e in self.entries]
        out.update({k: v for k, v in self.params})
        return out


def mistake(kind: MistakeKind, text: str, **params) -> Mistake:
    """A :class:`Mistake` (``factor`` and ``entries`` may be given among ``params``)."""
    factor = params.pop("factor", None)
    entries = tuple(params.pop("entries", ()))
    return Mistake(
        kind=kind,
        text=text,
        factor=None if factor is None else float(factor),
        entries=entries,
        params=tuple(sorted(params.items())),
    )


def combined(found: list[Mistake]) -> tuple[str | None, Mistake | None]:
    """(diagnosis, mistake) from the findings of several leaves or checks: the sentences joined, the first one's
    mistake (the others are in the sentence)."""
    found = [m for m in found if m is not None]
    if not found:
        return None, None
    return "; ".join(m.text for m in found), found[0]
