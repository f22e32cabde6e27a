"""Naming the likely mistake in a wrong gradient.

Given the user's values ``got`` and autodiff's ``ref`` for one array (all points stacked on a leading axis), try the
mistakes people actually make, in order, and return a sentence naming the first that explains the difference:

* non-finite values in ``got``;
* a wrong shape (with the special case of per-example gradients: an extra axis of length n whose mean or sum
  is the gradient);
* a constant factor c with got = c · ref — named when c is −1 (sign flip), n or 1/n (sum vs mean), 2 or 1/2,
  or a signed combination of them;
* a transposed matrix;
* otherwise "no simple pattern".
"""

from __future__ import annotations

import numpy as np

# Relative residual under which got is taken to be an exact transformation of ref (float64 noise is ~1e-15).
_MATCH_RTOL = 1e-6


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    """a ≈ b relative to b's own scale (max-abs), for deciding whether a candidate explanation fits."""
    scale = max(np.max(np.abs(b)), 1e-300) if b.size else 1.0
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= _MATCH_RTOL * scale))


def _factor_name(c: float, ns: tuple[int, ...]) -> str:
    """Name a constant factor c (got = c · ref), recognising ±1, ±2, ±1/2, ±n, ±1/n."""
    sign = "-" if c < 0 else ""
    a = abs(c)
    candidates = [(1.0, "1"), (2.0, "2"), (0.5, "1/2")]
    for n in ns:
        if n > 2:
            candidates += [(float(n), f"n = {n}"), (1.0 / n, f"1/n = 1/{n}"), (2.0 * n, f"2n = {2 * n}"),
                           (2.0 / n, f"2/n = 2/{n}"), (0.5 * n, f"n/2 = {n}/2"), (0.5 / n, f"1/(2n) = 1/{2 * n}")]
    for value, name in candidates:
        if abs(a - value) <= 1e-6 * value:
            if name == "1":
                return "sign flip: your gradient is the negative of the true one (check the sign of each term)"
            label = f"{sign}{name}"
            if name.startswith("n ="):
                why = ("you differentiated the sum where the mean was meant: missing 1/n "
                       "(a per-example gradient summed, not averaged)")
            elif name.startswith("1/n"):
                why = "an extra 1/n: the mean where the sum was meant"
            elif name == "2":
                why = "an extra factor 2 (e.g. from d/dx x^2 = 2x where the loss already has 1/2)"
            elif name == "1/2":
                why = "a missing factor 2 (d/dx x^2 = 2x)"
            else:
                why = "a combination of a factor 2 and 1/n"
            if sign:
                why += ", and the sign is flipped"
            return f"constant factor {label}: {why}"
    return f"constant factor {c:.6g}: your gradient is {c:.6g} x the true one (a scale or units slip)"


def diagnose_array(got: np.ndarray, ref: np.ndarray, ns: tuple[int, ...], label: str = "") -> str | None:
    """Return a sentence naming the mistake for one leaf, or None when got matches ref.

    Args:
      got: the user's values, shape (P, *s_got): P points stacked.
      ref: autodiff's values, shape (P, *s_ref).
      ns: candidate batch sizes n (leading sizes of the example arrays), for 1/n and per-example checks.
      label: the leaf's name, prefixed to the sentence.
    """
    prefix = f"{label}: " if label else ""
    if got.shape[1:] != ref.shape[1:]:
        return prefix + diagnose_shape(got, ref, ns)
    if not np.all(np.isfinite(got)):
        bad = int(np.sum(~np.isfinite(got)))
        ref_bad = int(np.sum(~np.isfinite(ref)))
        extra = "" if ref_bad == 0 else f" (autodiff has {ref_bad} too: the function itself is non-finite there)"
        return prefix + f"non-finite values (NaN or inf) in {bad} of {got.size} entries{extra}"
    if _close(got, ref):
        return None
    # A constant factor: fit c per point by least squares, then ask whether c is the same at every point.
    flat_g = got.reshape(got.shape[0], -1)
    flat_r = ref.reshape(ref.shape[0], -1)
    rr = np.sum(flat_r * flat_r, axis=1)
    usable = rr > 0
    if np.any(usable):
        c = np.sum(flat_g * flat_r, axis=1)[usable] / rr[usable]
        if _close(flat_g[usable], c[:, None] * flat_r[usable]) and np.all(
            np.abs(c - c[0]) <= 1e-6 * max(abs(c[0]), 1e-300)
        ):
            if abs(c[0]) < 1e-12:
                return prefix + "your gradient is zero where the true one is not"
            return prefix + _factor_name(float(c[0]), ns)
        if _close(flat_g[usable], c[:, None] * flat_r[usable]):
            return prefix + (
                "proportional to the true gradient at each point, but the factor changes from point to point "
                f"(from {np.min(c):.4g} to {np.max(c):.4g}): a data-dependent scale is wrong or missing"
            )
    # A transposed matrix (square: shapes agree, so only the values tell).
    if got.ndim >= 3 and got.shape[-1] == got.shape[-2] and _close(np.swapaxes(got, -1, -2), ref):
        return prefix + "transposed: your matrix is the transpose of the true gradient"
    # A per-example gradient stacked on a trailing axis of the right shape cannot be seen here (shape check
    # caught it). Partial agreement says which entries are wrong.
    scale = np.max(np.abs(ref), axis=tuple(range(1, ref.ndim)), keepdims=True) if ref.ndim > 1 else np.abs(ref)
    wrong = np.abs(got - ref) > _MATCH_RTOL * np.maximum(scale, 1e-300)
    per_entry = np.any(wrong, axis=0)
    if per_entry.size > 1 and 0 < per_entry.sum() < per_entry.size:
        idx = [tuple(int(i) for i in ix) for ix in np.argwhere(per_entry)[:5]]
        more = "" if per_entry.sum() <= 5 else f" and {int(per_entry.sum()) - 5} more"
        return prefix + (
            f"no simple pattern; {int(per_entry.sum())} of {per_entry.size} entries are wrong "
            f"(at {', '.join(map(str, idx))}{more}), the others match"
        )
    return prefix + "no simple pattern (not a constant factor, sign, transpose or sum/mean slip)"


def diagnose_shape(got: np.ndarray, ref: np.ndarray, ns: tuple[int, ...]) -> str:
    """Explain a shape mismatch; recognise transposes and per-example gradients (an extra axis of length n)."""
    s_got, s_ref = got.shape[1:], ref.shape[1:]
    msg = f"wrong shape: expected {s_ref}, got {s_got}"
    if len(s_got) == 2 and s_got == s_ref[::-1]:
        if _close(np.swapaxes(got, -1, -2), ref):
            return msg + " - your result is the transpose of the true gradient"
        return msg + " - transposed, and the values differ too"
    if len(s_got) == len(s_ref) + 1:
        for axis in range(len(s_got)):
            n = s_got[axis]
            if s_got[:axis] + s_got[axis + 1:] != s_ref:
                continue
            mean = np.mean(got, axis=axis + 1)
            total = np.sum(got, axis=axis + 1)
            if _close(mean, ref):
                return msg + (f" - per-example gradients (an extra axis {axis} of length {n}) where the mean "
                              "was meant: average them over the examples")
            if _close(total, ref):
                return msg + (f" - per-example gradients (an extra axis {axis} of length {n}) where the sum "
                              "was meant: sum them over the examples")
            return msg + (f" - an extra axis {axis} of length {n}: per-example values? neither their mean "
                          "nor their sum matches the true gradient")
    if got.size // max(got.shape[0], 1) == ref.size // max(ref.shape[0], 1):
        if _close(got.reshape(ref.shape), ref):
            return msg + " - the right numbers in the wrong shape (reshape or ravel slip)"
    return msg
