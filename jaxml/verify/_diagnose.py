"""Naming the likely mistake in a wrong derivative, one array (pytree leaf) at a time.

Given your values ``got`` and autodiff's ``ref`` for one array (all points stacked on a leading axis), try the
mistakes people actually make, in order, and return a sentence naming the first that explains the difference:

* non-finite values in ``got``;
* a wrong shape (with the special cases of per-example gradients — an extra axis of length n whose mean or sum is
  the answer — of a transpose, and of a reshape);
* a constant factor c with got = c · ref (named by :mod:`._factors`: −1, 2, 1/2, n, 1/n, ...);
* a factor that changes from point to point (a data-dependent scale);
* a transposed matrix;
* a scale per row or per column (got[.., i, ..] = s_i · ref[.., i, ..]; e.g. a missing γ in a batch-norm ∂L/∂x is
  a scale 1/γ_j per feature), named after an argument when s is that argument (or its reciprocal);
* otherwise which entries are wrong, or "no simple pattern".

``noun`` ("gradient", "Hessian", "VJP") is the word the sentences use for the thing checked. Every finding is a
:class:`~jaxml.verify._mistake.Mistake`: its kind and parameters, and the sentence.
"""

from __future__ import annotations

import itertools

import numpy as np

from ._factors import describe_factor
from ._mistake import Mistake, MistakeKind, mistake

# Relative residual under which got is taken to be an exact transformation of ref (float64 noise is ~1e-15).
_MATCH_RTOL = 1e-6


def _close(a: np.ndarray, b: np.ndarray, like: np.ndarray | None = None) -> bool:
    """a ≈ b relative to the scale (max-abs) of ``like`` (default b), for deciding whether an explanation fits."""
    like = b if like is None else like
    scale = max(np.max(np.abs(like)), 1e-300) if like.size else 1.0
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= _MATCH_RTOL * scale))


def diagnose_array(
    got: np.ndarray,
    ref: np.ndarray,
    ns: tuple[int, ...],
    label: str = "",
    *,
    noun: str = "gradient",
    vectors: dict | None = None,
) -> Mistake | None:
    """Return the mistake for one leaf (its ``text`` names it), or None when got matches ref.

    Args:
      got: your values, shape (P, *s_got): P points stacked.
      ref: autodiff's values, shape (P, *s_ref).
      ns: candidate batch sizes n (the sizes of the example arrays' axes), for 1/n and per-example checks.
      label: the leaf's name (an argument, maybe with a pytree path), prefixed to the sentence.
      noun: what is checked ("gradient", "Hessian", "VJP").
      vectors: {name: (P, k) values} of the arguments' 1-d leaves at the same points, to name a per-row or
        per-column scale after an argument.
    """
    if got.shape[1:] != ref.shape[1:]:
        return diagnose_shape(got, ref, ns, noun=noun).with_leaf(label)
    if not np.all(np.isfinite(got)):
        bad = int(np.sum(~np.isfinite(got)))
        ref_bad = int(np.sum(~np.isfinite(ref)))
        extra = (
            ""
            if ref_bad == 0
            else f" (autodiff has {ref_bad} too: the function itself is non-finite there)"
        )
        text = f"non-finite values (NaN or inf) in {bad} of {got.size} entries{extra}"
        return mistake(MistakeKind.NON_FINITE, text, count=bad).with_leaf(label)
    if _close(got, ref):
        return None
    found = _factor(got, ref, ns, noun)
    if (
        found is None
        and got.ndim >= 3
        and got.shape[-1] == got.shape[-2]
        and _close(np.swapaxes(got, -1, -2), ref)
    ):
        # a square matrix: only the values tell a transpose
        text = f"transposed: your matrix is the transpose of the true {noun}"
        found = mistake(MistakeKind.TRANSPOSE, text)
    if found is None:
        found = _axis_scale(got, ref, noun, vectors or {})
    if found is None:
        found = _wrong_term(got, ref, noun, vectors or {})
    if found is None:
        found = _constant_offset(got, ref, noun)
    return (found or _partial(got, ref)).with_leaf(label)


def factor_mistake(c: float, ns: tuple[int, ...], noun: str) -> Mistake:
    """yours = c · true, named (a sign, a factor 2, n, 1/n, ... or just the number)."""
    text = describe_factor(c, ns, noun)
    kind = MistakeKind.SIGN if text.startswith("sign flip") else MistakeKind.CONSTANT_FACTOR
    return mistake(kind, text, factor=c)


def _factor(got, ref, ns, noun) -> Mistake | None:
    """A constant factor (the same at every point), or one that changes from point to point."""
    flat_g = got.reshape(got.shape[0], -1)
    flat_r = ref.reshape(ref.shape[0], -1)
    rr = np.sum(flat_r * flat_r, axis=1)
    usable = rr > 0
    if not np.any(usable):
        return None
    c = np.sum(flat_g * flat_r, axis=1)[usable] / rr[usable]  # least squares c per point
    if not _close(flat_g[usable], c[:, None] * flat_r[usable]):
        return None
    if np.all(np.abs(c - c[0]) <= 1e-6 * max(abs(c[0]), 1e-300)):
        if abs(c[0]) < 1e-12:
            return mistake(MistakeKind.ZERO, f"your {noun} is zero where the true one is not")
        return factor_mistake(float(c[0]), ns, noun)
    text = (
        f"proportional to the true {noun} at each point, but the factor changes from point to point "
        f"(from {np.min(c):.4g} to {np.max(c):.4g}): a data-dependent scale is wrong or missing"
    )
    return mistake(MistakeKind.VARYING_FACTOR, text, low=float(np.min(c)), high=float(np.max(c)))


def _axis_scale(got, ref, noun, vectors) -> Mistake | None:
    """got = s ⊙ ref with one factor per index of one axis (per row, per column), s varying along that axis."""
    if got.ndim < 2:
        return None
    per_point = got.shape[1:]
    for axis in range(len(per_point) - 1, -1, -1):  # columns (features) first
        k = per_point[axis]
        if k < 2:
            continue
        other = tuple(a + 1 for a in range(len(per_point)) if a != axis)
        rr = np.sum(ref * ref, axis=other)  # (P, k)
        if np.any(rr <= 0) and len(per_point) > 1:
            continue
        # least squares s per (point, index)
        s = np.sum(got * ref, axis=other) / np.where(rr > 0, rr, 1.0)
        shape = [got.shape[0]] + [1] * len(per_point)
        shape[axis + 1] = k
        if len(per_point) == 1:
            # a vector: s is the elementwise ratio, only meaningful next to an argument
            named = _name_vector(s, vectors)
            if named and _close(got, s.reshape(shape) * ref):
                text = f"your {noun} is the true one {named}"
                return mistake(MistakeKind.AXIS_SCALE, text, axis=axis, named=named)
            continue
        if not _close(got, s.reshape(shape) * ref):
            continue
        what = {len(per_point) - 1: "column", 0: "row"}.get(axis, f"index of axis {axis}")
        named = _name_vector(s, vectors)
        if named:
            text = f"a scale per {what}: your {noun} is the true one {named}"
            return mistake(MistakeKind.AXIS_SCALE, text, axis=axis, named=named)
        text = (
            f"a scale per {what}: {what} j of your {noun} is s_j x the true one (s from {np.min(s):.4g} to "
            f"{np.max(s):.4g}): a per-{what} factor is missing or extra (a per-feature γ, a per-example weight)"
        )
        return mistake(MistakeKind.AXIS_SCALE, text, axis=axis)
    return None


def _scalar_factor(s: np.ndarray, vectors: dict) -> tuple[float, str] | None:
    """s (P,) = c or c · a for a scalar argument a (the same at every point up to that), named: (c, "" or "a")."""
    if np.all(np.abs(s - s[0]) <= 1e-6 * max(abs(s[0]), 1e-300)):
        return float(s[0]), ""
    for name, a in vectors.items():
        if a.shape == s.shape and np.all(a != 0):
            c = s / a
            if np.all(np.abs(c - c[0]) <= 1e-6 * max(abs(c[0]), 1e-300)):
                return float(c[0]), name
    return None


def _wrong_term(got, ref, noun, vectors) -> Mistake | None:
    """yours − true = c · A for an argument A of the result's shape (c constant, or c times a scalar argument): a
    term in A with the wrong factor (a regulariser's λW where 2λW was meant), or one missing or extra."""
    d = got - ref
    flat_d = d.reshape(d.shape[0], -1)
    for name, a in vectors.items():
        if a.shape != got.shape:
            continue
        flat_a = a.reshape(a.shape[0], -1)
        aa = np.sum(flat_a * flat_a, axis=1)
        if np.any(aa <= 0):
            continue
        s = np.sum(flat_d * flat_a, axis=1) / aa  # least squares per point
        fitted = s.reshape((-1,) + (1,) * (d.ndim - 1)) * a
        if np.abs(s).max() < 1e-12 or not _close(d, fitted, ref):
            continue
        found = _scalar_factor(s, vectors)
        if found is None:
            continue
        c, by = found
        term = f"{c:.6g} x {by + ' x ' if by else ''}{name}"
        text = (
            f"your {noun} differs from the true one by {term}: a term in {name} has the wrong factor, or is "
            f"missing or extra (the gradient of λ‖{name}‖² is 2λ{name}, of (λ/2)‖{name}‖² is λ{name})"
        )
        return mistake(MistakeKind.WRONG_TERM, text, factor=c, term=name, times=by)
    return None


def _constant_offset(got, ref, noun) -> Mistake | None:
    """yours − true is the same along one axis (one constant per row, or per column) and not zero: a mean term
    subtracted twice or not at all (as in a normalisation layer's backward pass). Matrices only: on a vector a
    constant difference says little about where it comes from."""
    if got.ndim < 3:
        return None
    d = got - ref
    for axis in range(got.ndim - 1, 0, -1):  # the last axis (features) first
        if got.shape[axis] < 2:
            continue
        spread = d - np.mean(d, axis=axis, keepdims=True)
        if _close(spread, np.zeros_like(spread), ref):
            what = {got.ndim - 1: "row", 1: "column"}.get(axis, f"slice along axis {axis - 1}")
            text = (
                f"your {noun} differs from the true one by a constant along axis {axis - 1} (one value per "
                f"{what}): a mean term (such as −mean(dy) or −mean(dy·x̂)·x̂ in a normalisation layer) is missing "
                "or counted twice"
            )
            return mistake(MistakeKind.CONSTANT_OFFSET, text, axis=axis - 1)
    return None


def _name_vector(s: np.ndarray, vectors: dict) -> str | None:
    """Name s (P, k) when it is an argument v, −v, 1/v or −1/v (same P points): 'times gamma', 'divided by gamma'."""
    for name, v in vectors.items():
        if v.shape != s.shape:
            continue
        if _close(s, v):
            return f"times {name}: an extra factor {name}"
        if _close(s, -v):
            return f"times -{name}: an extra factor -{name}"
        if np.all(v != 0):
            if _close(s, 1.0 / v):
                return f"divided by {name}: a factor {name} is missing"
            if _close(s, -1.0 / v):
                return f"divided by -{name}: a factor -{name} is missing"
    return None


def _partial(got, ref) -> Mistake:
    """Which entries are wrong (when some match), else 'no simple pattern'."""
    scale = (
        np.max(np.abs(ref), axis=tuple(range(1, ref.ndim)), keepdims=True)
        if ref.ndim > 1
        else np.abs(ref)
    )
    wrong = np.abs(got - ref) > _MATCH_RTOL * np.maximum(scale, 1e-300)
    per_entry = np.any(wrong, axis=0)
    if per_entry.size > 1 and 0 < per_entry.sum() < per_entry.size:
        idx = [tuple(int(i) for i in ix) for ix in np.argwhere(per_entry)[:5]]
        more = "" if per_entry.sum() <= 5 else f" and {int(per_entry.sum()) - 5} more"
        text = (
            f"no simple pattern; {int(per_entry.sum())} of {per_entry.size} entries are wrong "
            f"(at {', '.join(map(str, idx))}{more}), the others match"
        )
        wrong_entries = [tuple(int(i) for i in ix) for ix in np.argwhere(per_entry)]
        return mistake(MistakeKind.PARTIAL, text, entries=wrong_entries, count=len(wrong_entries))
    text = "no simple pattern (not a constant factor, sign, transpose or sum/mean slip)"
    return mistake(MistakeKind.OTHER, text)


def _axes_words(axes: tuple, lengths: tuple) -> str:
    if len(axes) == 1:
        return f"axis {axes[0]} of length {lengths[0]}"
    return (
        f"axes {', '.join(map(str, axes[:-1]))} and {axes[-1]} of length "
        f"{', '.join(map(str, lengths[:-1]))} and {lengths[-1]}"
    )


def _extra_axes(got, ref, noun: str, msg: str) -> Mistake | None:
    """``got`` has extra axes (per-example or per-position terms): the axes whose mean or sum is the answer."""
    s_got, s_ref = got.shape[1:], ref.shape[1:]
    extra = len(s_got) - len(s_ref)
    fallback = None
    for axes in itertools.combinations(range(len(s_got)), extra):
        kept = tuple(s for a, s in enumerate(s_got) if a not in axes)
        if kept != s_ref:
            continue
        lengths = tuple(s_got[a] for a in axes)
        where = _axes_words(axes, lengths)
        over = tuple(a + 1 for a in axes)
        params = {"axes": axes, "lengths": lengths}
        what = f"an extra {where}" if len(axes) == 1 else f"extra {where}"
        for reduction, reduce, verb in (("mean", np.mean, "average"), ("sum", np.sum, "sum")):
            if not _close(reduce(got, axis=over), ref):
                continue
            if len(axes) == 1:
                detail = f"({what}) where the {reduction} was meant"
            else:
                done = "averaged" if reduction == "mean" else "summed"
                detail = f"not {done} over {where}, where the {reduction} was meant"
            over_what = "the examples" if len(axes) == 1 else "those axes"
            text = msg + f" - per-example {noun}s {detail}: {verb} them over {over_what}"
            return mistake(MistakeKind.PER_EXAMPLE, text, reduction=reduction, **params)
        if fallback is None:
            text = msg + (
                f" - {what}: per-example values? neither their mean nor their sum matches the true {noun}"
            )
            fallback = mistake(MistakeKind.SHAPE, text, **params)
    return fallback


def diagnose_shape(
    got: np.ndarray, ref: np.ndarray, ns: tuple[int, ...], *, noun: str = "gradient"
) -> Mistake:
    """Explain a shape mismatch; recognise transposes and per-example gradients (extra axes whose mean or sum is
    the answer: per example, per (batch, time) position)."""
    s_got, s_ref = got.shape[1:], ref.shape[1:]
    msg = f"wrong shape: expected {s_ref}, got {s_got}"
    if len(s_got) == 2 and s_got == s_ref[::-1]:
        if _close(np.swapaxes(got, -1, -2), ref):
            text = msg + f" - your result is the transpose of the true {noun}"
            return mistake(MistakeKind.TRANSPOSE, text)
        return mistake(MistakeKind.SHAPE, msg + " - transposed, and the values differ too")
    if len(s_got) > len(s_ref):
        found = _extra_axes(got, ref, noun, msg)
        if found is not None:
            return found
    same_size = got.size // max(got.shape[0], 1) == ref.size // max(ref.shape[0], 1)
    if same_size and _close(got.reshape(ref.shape), ref):
        text = msg + " - the right numbers in the wrong shape (reshape or ravel slip)"
        return mistake(MistakeKind.SHAPE, text, reshape=True)
    return mistake(MistakeKind.SHAPE, msg)
