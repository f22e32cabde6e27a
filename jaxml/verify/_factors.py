"""Naming a constant factor c between an answer and the right one: the slips people make, written once.

A wrong gradient, Hessian, VJP, closed form or regularisation weight is often the right one times a constant:
−1 (a sign), 2 or 1/2 (d/dx x² = 2x), n or 1/n (a sum where the mean was meant), or a product of these. Every
check of :mod:`jaxml.verify` names such a factor through :func:`factor_label` and :func:`describe_factor`.
"""

from __future__ import annotations

# |c| within this relative distance of a candidate counts as that candidate
FACTOR_RTOL = 1e-6


def _candidates(ns: tuple[int, ...]) -> list[tuple[float, str]]:
    """(value, label) for 1, 2, 1/2 and, for every batch size n > 2, n, 1/n, 2n, 2/n, n/2, 1/(2n)."""
    out = [(1.0, "1"), (2.0, "2"), (0.5, "1/2")]
    for n in ns:
        if n > 2:
            out += [
                (float(n), f"n = {n}"),
                (1.0 / n, f"1/n = 1/{n}"),
                (2.0 * n, f"2n = {2 * n}"),
                (2.0 / n, f"2/n = 2/{n}"),
                (0.5 * n, f"n/2 = {n}/2"),
                (0.5 / n, f"1/(2n) = 1/{2 * n}"),
            ]
    return out


def factor_label(c: float, ns: tuple[int, ...] = ()) -> str | None:
    """The name of |c| when it is one of the usual slips ("1", "2", "1/2", "n = 40", "1/n = 1/40", ...), else None.

    Args:
      c: the factor (its sign is ignored).
      ns: candidate batch sizes n (the sizes of the example arrays' axes).
    """
    a = abs(float(c))
    for value, label in _candidates(ns):
        if abs(a - value) <= FACTOR_RTOL * value:
            return label
    return None


def _why(label: str, noun: str) -> str:
    if label.startswith("n ="):
        return (
            f"you differentiated the sum where the mean was meant: missing 1/n (a per-example {noun} summed, "
            "not averaged)"
        )
    if label.startswith("1/n"):
        return "an extra 1/n: the mean where the sum was meant"
    if label == "2":
        return "an extra factor 2 (e.g. from d/dx x^2 = 2x where the loss already has 1/2)"
    if label == "1/2":
        return "a missing factor 2 (d/dx x^2 = 2x)"
    return "a combination of a factor 2 and 1/n"


def describe_factor(c: float, ns: tuple[int, ...] = (), noun: str = "gradient") -> str:
    """A sentence naming the factor c in "yours = c × the true {noun}".

    >>> describe_factor(-1.0)
    'sign flip: your gradient is the negative of the true one (check the sign of each term)'
    >>> describe_factor(40.0, (40,))[:33]
    'constant factor n = 40: you diffe'
    """
    label = factor_label(c, ns)
    sign = "-" if c < 0 else ""
    if label == "1":
        if c > 0:
            return f"your {noun} equals the true one"
        return (
            f"sign flip: your {noun} is the negative of the true one (check the sign of each term)"
        )
    if label is None:
        return f"constant factor {c:.6g}: your {noun} is {c:.6g} x the true one (a scale or units slip)"
    why = _why(label, noun)
    if sign:
        why += ", and the sign is flipped"
    return f"constant factor {sign}{label}: {why}"
