"""Classify: why do entries disagree — outside f's domain, at a boundary, at a kink, or simply wrong?

After the comparison, the entries that did not agree are of four kinds, told apart here (each only examined when
there is such an entry, so a passing check pays nothing):

* **non-finite** — yours or autodiff's is NaN or inf. Where f itself is not finite at the point (outside its
  domain: √x at x < 0), the point is **skipped**: reported, never failed. Where f is finite but autodiff is not (a
  boundary: √x at 0) and yours is finite, yours is compared with the one-sided difference quotient of f along that
  coordinate (:mod:`._boundary`; the feasible side only when a domain says so). Yours non-finite where autodiff is
  finite is a mistake.
* **kinks** — :mod:`._kinks`: a valid (Clarke) sub-gradient is accepted, decided for the vector.
* **smooth mismatches** — the rest: a wrong formula, diagnosed by :mod:`._diagnose`.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from .._compile import checker_jit
from . import _kinks
from ._boundary import BOUNDARY_RTOL, difference_quotients
from ._mistake import Mistake, MistakeKind, mistake

MAX_POINTS = 4096  # points with non-finite entries whose f is evaluated


@dataclasses.dataclass
class Classified:
    """The classification stage's findings.

    Attributes:
      skipped: points where f is not finite (left out of the verdict).
      boundary: entries where autodiff is not finite and yours agreed with the one-sided difference quotient.
      no_derivative: entries where neither side nor the quotient is finite (counted as agreeing).
      problems: the mistakes found among the non-finite entries.
      kinks: the kink analysis (None when it did not run).
    """

    skipped: list = dataclasses.field(default_factory=list)
    boundary: int = 0
    boundary_error: float = (
        0.0  # the largest |yours − quotient| among the boundary entries that failed
    )
    no_derivative: int = 0
    problems: list = dataclasses.field(default_factory=list)
    kinks: _kinks.KinkFindings | None = None


def _f_values(f, pts, points: list) -> dict:
    """{point: f there} for the given points."""
    f_jit = checker_jit(f)
    return {p: float(np.asarray(f_jit(*pts.at_point(p)))) for p in points}


def non_finite(spec, pts, tally) -> Classified:
    """Judge the tally's non-finite entries (:class:`~jaxml.verify._compare.Pending`); skip points outside f's
    domain (``tally.exclude``)."""
    out = Classified()
    if not tally.pending and not tally.pending_overflow:
        return out
    points = sorted({c.point for c in tally.pending})[:MAX_POINTS]
    values = _f_values(spec.f, pts, points)
    out.skipped = [p for p in points if not np.isfinite(values[p])]
    tally.exclude(out.skipped)
    _boundaries(spec, pts, tally, list(tally.pending), out)
    if tally.pending_overflow:
        text = (
            f"{tally.pending_overflow} more non-finite entries were not examined: pass domain= to keep the "
            "points inside f's domain, or check fewer points"
        )
        out.problems.append(mistake(MistakeKind.NON_FINITE, text, count=tally.pending_overflow))
    tally.pending = []
    tally.pending_overflow = 0
    return out


def _boundaries(spec, pts, tally, entries: list, out: Classified) -> None:
    """Compare each entry with f's one-sided difference quotients along its coordinate."""
    if not entries:
        return
    argnums = spec.argnums_t
    bad_yours, failures = [c for c in entries if np.isfinite(c.autodiff)], []
    for c in entries:
        if np.isfinite(c.autodiff):
            continue  # yours is not finite where autodiff is: a mistake, no quotient needed
        point = pts.at_point(c.point)
        diff = tuple(point[i] for i in argnums)
        direction = _unit(diff, c.leaf, c.index)
        domain = _domain_of(pts, argnums, c.leaf, diff)
        sides = (1,) if domain is not None and domain.name != "real" else (1, -1)
        if domain is not None:
            flat = _flat(diff)[c.leaf].reshape(-1)
            if domain.name == "nonnegative" and flat[c.index] > 0:
                sides = (1, -1)

        def fn(*d, point=point):
            full = list(point)
            for i, a in zip(argnums, d):
                full[i] = a
            return spec.f(*full)

        add = lambda tree: jax.tree_util.tree_map(lambda x: np.asarray(x, np.float64)[None], tree)
        q = difference_quotients(fn, add(diff), add(direction), sides=sides)
        value, error = q.best()
        estimate, err = float(value[0, 0]), float(error[0, 0])
        scale = max(tally.p_scale[c.point], abs(estimate) if np.isfinite(estimate) else 0.0)
        settled = np.isfinite(estimate) and err <= BOUNDARY_RTOL * max(scale, 1e-300)
        if np.isfinite(c.yours):
            if settled and abs(c.yours - estimate) <= BOUNDARY_RTOL * scale:
                out.boundary += 1
            else:
                failures.append((c, estimate))
        elif not settled:
            out.no_derivative += 1
        else:
            bad_yours.append(c)
    if failures:
        c, estimate = failures[0]
        text = (
            f"at {len(failures)} entr{'y' if len(failures) == 1 else 'ies'} where autodiff's {spec.kind} is not "
            f"finite, yours differs from the one-sided difference quotient of f by more than "
            f"{BOUNDARY_RTOL:.0e} relative: e.g. point {c.point}, {_label(tally, c)}entry {c.index}: "
            f"yours = {c.yours:.8g}, quotient = {estimate:.8g}"
        )
        out.problems.append(mistake(MistakeKind.OTHER, text, count=len(failures), boundary=True))
        out.boundary_error = max(
            abs(c.yours - e) if np.isfinite(e) else float("inf") for c, e in failures
        )
    if bad_yours:
        c = bad_yours[0]
        text = (
            f"non-finite values (NaN or inf) in {len(bad_yours)} entr{'y' if len(bad_yours) == 1 else 'ies'} "
            f"of your {spec.kind} where f is finite: e.g. point {c.point}, {_label(tally, c)}entry {c.index}: "
            f"yours = {c.yours}, autodiff = {c.autodiff}"
        )
        out.problems.append(mistake(MistakeKind.NON_FINITE, text, count=len(bad_yours)))


def _label(tally, c) -> str:
    label = tally.labels[c.leaf]
    return f"{label} " if label else ""


def _flat(diff: tuple) -> list:
    return [np.asarray(x, np.float64) for x in jax.tree_util.tree_leaves(diff)]


def _unit(diff: tuple, leaf: int, index: int) -> tuple:
    """A direction with the differentiated arguments' structure: 1 at (leaf, index), 0 elsewhere."""
    leaves, treedef = jax.tree_util.tree_flatten(diff)
    out = []
    for k, x in enumerate(leaves):
        d = np.zeros(np.shape(x))
        if k == leaf:
            d.reshape(-1)[index] = 1.0
        out.append(d)
    return jax.tree_util.tree_unflatten(treedef, out)


def _domain_of(pts, argnums, leaf: int, diff: tuple):
    """The domain of result leaf ``leaf`` (None: all of space)."""
    if not pts.domains:
        return None
    k = 0
    for i, a in zip(argnums, diff):
        n = len(jax.tree_util.tree_leaves(a))
        if leaf < k + n:
            return pts.domains[i]
        k += n
    return None


def kinks(spec, pts, tally, size: int) -> _kinks.KinkFindings | None:
    """The kink analysis of the entries past tolerance, when it is plausible and affordable."""
    if spec.kind != "gradient" or tally.overflow:
        return None
    bad = tally.still_bad()
    if not bad or len(tally.candidates) >= tally.n_entries:
        return None  # a formula wrong everywhere is not a matter of kinks
    if 2 * len(bad) * max(pts.per_point_bytes(), 1) > 2**31:
        return None
    return _kinks.analyse(spec.f, spec.argnums, pts, bad, tally.rtol, tally.atol, size)


def kink_text(findings, tally, shapes: list) -> tuple[list[Mistake], str | None]:
    """(mistakes at kinks, note on accepted sub-gradients)."""
    problems, note = [], None
    for g in findings.groups[:1]:
        problems.append(_group_mistake(g, findings.groups, tally, shapes))
    if findings.outside:
        c = findings.outside[0]
        n = len(findings.outside)
        text = (
            f"not differentiable at {n} entr{'y' if n == 1 else 'ies'} where your value is outside the "
            f"sub-differential: e.g. {_where(c, tally, shapes)}: yours = {c.yours:.6g}, one-sided derivatives "
            f"[{c.lo:.6g}, {c.hi:.6g}]"
        )
        problems.append(mistake(MistakeKind.NOT_SUBGRADIENT, text, count=n))
    if findings.accepted:
        c = findings.accepted[0]
        n = len(findings.accepted)
        note = (
            f"non-differentiable at {n} entr{'y' if n == 1 else 'ies'} (e.g. {_where(c, tally, shapes)}: "
            f"one-sided derivatives [{c.lo:.6g}, {c.hi:.6g}], autodiff picked {c.autodiff:.6g}): your value "
            f"{c.yours:.6g} is a valid subgradient"
        )
    return problems, note


def _group_mistake(g, groups: list, tally, shapes: list) -> Mistake:
    leaf = g.coords[0][0]
    label = tally.labels[leaf]
    entries = [_entry(i, shapes[lf]) for lf, i in g.coords]
    shown = ", ".join(map(str, entries[:6])) + (" ..." if len(entries) > 6 else "")
    where = f"point {g.point}, {label + ' ' if label else ''}entries {shown}"
    more = f" (and at {len(groups) - 1} more such groups)" if len(groups) > 1 else ""
    if g.counted:
        what = "tied entries" if g.tied is not None else "entries on one kink"
        text = (
            f"not a subgradient at {what}: the gradient is counted {g.counted} times — at {where}"
            + (f" (all equal to {g.tied:.6g})" if g.tied is not None else "")
            + f" your values add up to {g.counted} x a valid subgradient: route the gradient to one of "
            f"them, or split it{more}"
        )
    else:
        together = "tie" if g.tied is not None else "sit on one kink together"
        text = (
            f"not a subgradient: at {where}, which {together}, each of your values lies between its own "
            f"one-sided derivatives but the vector is no convex combination of the one-sided gradients "
            f"(off by {g.residual:.3g} relative){more}"
        )
    return mistake(
        MistakeKind.NOT_SUBGRADIENT,
        text,
        entries=entries,
        counted=g.counted,
        tied=g.tied is not None,
        groups=len(groups),
    )


def _entry(index: int, shape) -> tuple:
    return tuple(int(i) for i in np.unravel_index(index, shape)) if shape else ()


def _where(c, tally, shapes: list) -> str:
    label = tally.labels[c.leaf]
    return f"point {c.point}, {label + ' ' if label else ''}entry {_entry(c.index, shapes[c.leaf])}"
