"""check_vjp: a ``jax.custom_vjp`` / ``custom_jvp`` rule against the VJP of the same function written plainly.

``f`` carries the rule; ``reference`` computes the same primal without it, so ``jax.vjp(reference)`` is autodiff's
answer. At every point (the given arguments and Gaussian perturbations of the differentiated ones, or the caller's
points ``at=``) and for a random cotangent c of the output's shape, the two VJPs are compared entry by entry,
exactly as :func:`check_gradient` compares gradients (relative to the VJP's own size at that point, float64).
Then the rule's structure, on a few points, since a VJP must be the transpose of a linear map:

* the primal: f(x) = reference(x) (at every point: the rule's forward pass gives f's value);
* linear in the cotangent: VJP(a c₁ + b c₂) = a VJP(c₁) + b VJP(c₂) (a rule that squares or normalises its
  cotangent, or adds a constant, breaks this);
* a zero cotangent gives zero;
* the same under ``jax.jit`` and under ``jax.vmap`` (over cotangents) as called eagerly;
* forward and reverse agree where f has a JVP (a ``custom_jvp`` rule, or none): the dot-product test
  ⟨J t, c⟩ = ⟨t, Jᵀ c⟩ for random t and c. A ``custom_vjp`` function has no JVP; the test is then skipped (said).

Points where the reference's output is not finite lie outside f's domain: they are skipped, counted, and the note
says so (``domain=`` keeps the points inside it, see :mod:`._domain`). Where autodiff's VJP is not finite but f is
(a boundary such as x = 0 for √x), your VJP is compared with one-sided difference quotients of ⟨c, f⟩ along each
such entry (:mod:`._boundary`). This module also holds what :func:`check_jvp` shares with :func:`check_vjp`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._bucketed_random import fold_in, prng_key, split_list
from .._compile import checker_jit
from ..errors import UsageError
from . import _boundary
from ._compare import Tally, leaf_labels, structure_mismatch
from ._domain import CONVENTIONS, feasible, tangent
from ._gradient import (
    DEFAULT_RTOL,
    GradientReport,
    _arg_names,
    _candidate_ns,
    _vectors,
    value_mistakes,
)
from ._mistake import Mistake, MistakeKind, combined, mistake
from ._points import Points, as_float64, given_points, perturbation_points
from ._programs import batched
from ._x64 import in_float64

# linear-map identities hold to float64 rounding; a broken rule misses by far more
STRUCTURE_RTOL = 1e-8
STRUCTURE_POINTS = 4
RULE_POINTS = 16  # points of a check_vjp / check_jvp when the caller gives neither points= nor at=


@dataclasses.dataclass(frozen=True, kw_only=True)
class RuleReport(GradientReport):
    """A custom rule's verdict: a :class:`GradientReport` (the rule's products compared entry by entry) plus its
    structural checks.

    Attributes:
      structure: one line per structural check ("linear in the cotangent: ok", ...).
    """

    structure: tuple = ()

    def details(self) -> list[str]:
        said = [f"structure: {'; '.join(self.structure)}"] if self.structure else []
        return said + super().details()


@dataclasses.dataclass(frozen=True, kw_only=True)
class VjpReport(RuleReport):
    """The verdict of :func:`check_vjp`: VJPs compared entry by entry, and the rule's structure
    (``structure``: one line per structural check)."""

    name: str = "VJP"
    compares: str = "your VJP rule vs jax.vjp of the reference"


# ---------------------------------------------------------------------------------------------------------------
# Shared by check_vjp and check_jvp: points, random directions, the comparison at the finite points.


def rule_points(args: tuple, argnums: tuple, points, key, at, domain) -> Points:
    """The points of a rule check: the caller's ``at`` (stacked, one entry per argument), or ``points``
    perturbations of ``args`` (default :data:`RULE_POINTS`), inside ``domain``."""
    if at is not None:
        return given_points(args, tuple(at), domain=domain, argnums=argnums)
    n = RULE_POINTS if points is None else int(points)
    if n < 1:
        raise UsageError(f"points must be >= 1, got {points}")
    return perturbation_points(args, argnums, n, key, domain=domain)


def domains_of(pts: Points, n_args: int) -> tuple:
    """Per argument, its domain (None: all of space)."""
    return tuple(getattr(pts, "domains", ()) or (None,) * n_args)


def normals(key, shapes, n: int, salt: int):
    """Standard-normal draws with the structure of ``shapes``, each leaf stacked n times (NumPy: no XLA program
    is compiled for them; the same key and salt give the same draws)."""
    bits = jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    rng = np.random.default_rng([int(b) for b in np.asarray(bits).ravel()] + [int(salt)])
    leaves, treedef = jax.tree_util.tree_flatten(shapes)
    return jax.tree_util.tree_unflatten(
        treedef,
        [rng.standard_normal((n,) + tuple(getattr(s, "shape", np.shape(s)))) for s in leaves],
    )


def take(tree, rows):
    """The given rows (leading axis) of every leaf, as NumPy arrays."""
    return jax.tree_util.tree_map(lambda x: np.asarray(x)[rows], tree)


def take_args(chunk: tuple, in_axes: tuple, rows) -> tuple:
    """The stacked arguments at ``rows`` (shared arguments as they are)."""
    return tuple(a if ax is None else take(a, rows) for a, ax in zip(chunk, in_axes))


def finite_points(tree, n: int) -> np.ndarray:
    """Per point (leading axis n): every entry of every leaf is finite."""
    ok = np.ones(n, bool)
    for leaf in jax.tree_util.tree_leaves(tree):
        ok &= np.isfinite(np.asarray(leaf, np.float64).reshape(n, -1)).all(axis=1)
    return ok


def structure_points(kept: np.ndarray, got, ref, n: int) -> np.ndarray:
    """Up to :data:`STRUCTURE_POINTS` of the kept points for the structural checks, those where yours and
    autodiff's results are finite first: where a derivative is infinite (√x at 0), 0 · ∞ makes the identities
    of a linear map meaningless."""
    finite = finite_points(got, n) & finite_points(ref, n)
    inside = [p for p in kept if finite[p]]
    rest = [p for p in kept if not finite[p]]
    return np.asarray((inside or rest)[:STRUCTURE_POINTS], dtype=np.int64)


def rel(a, b) -> float:
    """max |a − b| over the pytree, relative to max |b| (absolute when b is 0). Equal non-finite entries agree;
    any other non-finite entry makes it inf."""
    diff = scale = 0.0
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        with np.errstate(invalid="ignore"):
            d = np.where(same, 0.0, np.abs(x - y))
        d = np.where(np.isfinite(d), d, np.inf)
        diff = max(diff, float(np.max(d, initial=0.0)))
        finite = np.abs(y[np.isfinite(y)])
        scale = max(scale, float(np.max(finite, initial=0.0)))
    return diff / scale if scale > 0 else diff


def rows_function(fn: Callable, chunk: tuple, in_axes: tuple, argnums: tuple, rows) -> tuple:
    """``(g, diff, extra)``: ``g(*diff_row, *extra_row) = fn(*args at that row)``, with ``diff`` the
    differentiated arguments and ``extra`` the other varying ones, stacked over ``rows`` (for
    :func:`~._boundary.difference_quotients`)."""
    rows = np.asarray(rows)
    varying = [i for i, ax in enumerate(in_axes) if ax == 0 and i not in argnums]

    def stacked(i):
        if in_axes[i] == 0:
            return take(chunk[i], rows)
        return jax.tree_util.tree_map(
            lambda x: np.broadcast_to(np.asarray(x), (len(rows),) + np.shape(x)), chunk[i]
        )

    diff = tuple(stacked(i) for i in argnums)
    extra = tuple(take(chunk[i], rows) for i in varying)

    def g(*values):
        full = list(chunk)
        for i, v in zip(list(argnums) + varying, values):
            full[i] = v
        return fn(*full)

    return g, diff, extra


@dataclasses.dataclass(frozen=True)
class RuleCheck:
    """What one rule check compares (internal): the names, tolerances and points of check_vjp / check_jvp."""

    noun: str  # "VJP" | "JVP"
    report: type
    name: str
    rtol: float
    atol: float | None
    pts: Points
    argnums: tuple
    names: tuple
    labels: list
    domains: tuple

    def failed(self, diagnosis, points: int | None = None, note=None):
        """A failed report; ``diagnosis`` is a :class:`Mistake` (or a sentence: a non-finite finding)."""
        found = (
            diagnosis
            if isinstance(diagnosis, Mistake)
            else mistake(MistakeKind.NON_FINITE, diagnosis)
        )
        return self.report(
            ok=False,
            points=self.pts.n if points is None else points,
            max_abs_error=float("inf"),
            max_rel_error=float("inf"),
            rtol=self.rtol,
            atol=0.0,
            diagnosis=found.text,
            mistake=found,
            note=note,
            name=self.name,
        )


def skipped_note(skipped: int, n: int) -> str | None:
    if not skipped:
        return None
    return (
        f"{skipped} of {n} points skipped: f is not finite there (outside its domain? pass domain=)"
    )


def rule_verdict(check: RuleCheck, got, ref, kept, estimate, structure, notes=()) -> Any:
    """The verdict at the ``kept`` points (f finite there): structure and shapes, the non-finite entries
    (:func:`~._boundary.settle`), the entry-by-entry comparison, the structural findings and the diagnosis.

    ``got`` / ``ref`` are stacked over all points; ``estimate(entries)`` gives the difference quotients for
    (kept row, leaf, index) entries; ``structure()`` returns (problems, lines)."""
    n_all, m = check.pts.n, len(kept)
    note = "; ".join(x for x in (skipped_note(n_all - m, n_all), *notes) if x) or None
    if m == 0:
        return check.failed(
            f"f is not finite at any of the {n_all} points: nothing to compare (outside its domain? pass "
            "domain=, or points inside it with at=)",
            points=0,
            note=note,
        )
    got, ref = take(got, kept), take(ref, kept)
    ns = _candidate_ns(check.pts.args)
    problem = structure_mismatch(got, ref, ns, check.noun, check.labels)
    if problem:
        return check.failed(problem, points=m, note=note)
    settled = _boundary.settle(
        [np.asarray(x, np.float64) for x in jax.tree_util.tree_leaves(got)],
        [np.asarray(x, np.float64) for x in jax.tree_util.tree_leaves(ref)],
        estimate,
    )
    tally = Tally(check.labels, m, check.rtol, check.atol, 0)
    tally.add(settled.got, settled.ref, 0)
    problems, lines = structure()
    shapes = [np.shape(x)[1:] for x in jax.tree_util.tree_leaves(ref)]
    boundary = settled.problem(check.noun, check.labels, shapes, kept)
    ok = tally.passed() and settled.ok and not problems
    diagnosis = found = None
    if not ok:
        parts = [mistake(MistakeKind.STRUCTURAL_RULE, text) for text in problems]
        values = []
        if not tally.passed():
            chunk = take_args(check.pts.chunk(0, n_all), check.pts.in_axes, kept)
            vectors = _vectors(chunk, check.pts.in_axes, check.names, m)
            values = value_mistakes(tally, ns, check.noun, vectors)
        if boundary:
            values.append(mistake(MistakeKind.OTHER, boundary, boundary=True))
        if tally.pending:  # yours not finite where the reference is
            c = tally.pending[0]
            text = (
                f"non-finite values (NaN or inf) in {len(tally.pending)} entr"
                f"{'y' if len(tally.pending) == 1 else 'ies'} of your {check.noun} where the reference's is "
                f"finite: e.g. point {int(kept[c.point])}, {check.labels[c.leaf] + ' ' if check.labels[c.leaf] else ''}"
                f"entry {c.index}: yours = {c.yours}"
            )
            values.insert(0, mistake(MistakeKind.NON_FINITE, text, count=len(tally.pending)))
        diagnosis, _ = combined(parts + values)
        # the mistake: a named value finding (a factor, a transpose, ...) before a structural one
        named = [v for v in values if v.kind is not MistakeKind.OTHER]
        found = dataclasses.replace((named or parts or values)[0], text=diagnosis)
    note = "; ".join(x for x in (note, settled.note(check.noun)) if x) or None
    worst = {}
    # no worst entry when nothing differs: it would quote an entry set aside above (an infinity as 0)
    if tally.worst is not None and tally.max_abs >= settled.max_abs and tally.max_abs > 0:
        _, p, leaf, entry, y, r = tally.worst
        worst = {
            "worst_index": (int(kept[p]), tally.labels[leaf], entry),
            "worst_yours": y,
            "worst_autodiff": r,
            "worst_point": check.pts.at_point(int(kept[p])),
        }
    return check.report(
        ok=ok,
        points=m,
        # a non-finite value of yours where the reference is finite is infinitely wrong
        max_abs_error=float("inf") if tally.pending else max(tally.max_abs, settled.max_abs),
        max_rel_error=float("inf") if tally.pending else max(tally.max_rel, settled.max_rel),
        rtol=check.rtol,
        atol=tally.atol,
        diagnosis=diagnosis,
        mistake=found,
        note=note,
        structure=tuple(lines),
        name=check.name,
        **worst,
    )


def collect(found_per_point: list) -> tuple[list, list]:
    """(problems, lines) over the structural checks of several points: one sentence per kind of problem (the
    first point that shows it), the lines of the first point."""
    problems, lines = {}, []
    for found, point_lines in found_per_point:
        lines = lines or point_lines
        for text in found:
            problems.setdefault(text.split(":")[0], text)
    return list(problems.values()), lines


def restricted_note(domains: tuple, argnums: tuple) -> str | None:
    """The tangent convention of the differentiated arguments' domains, for the note."""
    said = {
        CONVENTIONS[d.name]
        for i in argnums
        if (d := domains[i]) is not None and d.restricts_directions
    }
    return "; ".join(sorted(said)) or None


# ---------------------------------------------------------------------------------------------------------------
# check_vjp


def _vjp_of(fn: Callable, argnums: tuple, n_args: int, primal: bool = False) -> Callable:
    """``(*args, c) -> cotangents of args[argnums]`` through ``jax.vjp(fn)`` (with ``primal``: also fn's
    output, as the rule's forward pass gives it)."""

    def vjp(*args_and_c):
        args, c = list(args_and_c[:n_args]), args_and_c[n_args]

        def of(*diff):
            full = list(args)
            for i, d in zip(argnums, diff):
                full[i] = d
            return fn(*full)

        out, pullback = jax.vjp(of, *(args[i] for i in argnums))
        return (out, pullback(c)) if primal else pullback(c)

    return vjp


def _structure_checks(
    f, reference, point, argnums, key, jitted=None
) -> tuple[list[str], list[str]]:
    """(problems, lines) of the structural checks at one point (``jitted``: jit of the rule's VJP, built once
    for several points)."""
    out_shape = jax.eval_shape(f, *point)
    c1, c2 = (take(normals(key, out_shape, 1, salt), 0) for salt in (1, 2))
    v = _vjp_of(f, argnums, len(point))
    jitted = checker_jit(v) if jitted is None else jitted
    problems, lines = [], []
    primal = rel(f(*point), reference(*point))
    if primal > STRUCTURE_RTOL:
        problems.append(
            f"the primal outputs differ: f and the reference disagree by {primal:.3g} relative"
        )
    found, v1, v2 = linear_checks(v, jitted, point, c1, c2, "cotangent", lines)
    problems += found
    problems += _transform_checks(v, point, c1, c2, v1, v2, lines, jitted=jitted)
    problems += _dot_product(f, v, point, argnums, c1, key, lines)
    return problems, lines


def linear_checks(v, jitted, point, d1, d2, what: str, lines: list) -> tuple[list, Any, Any]:
    """(problems, v(d1), v(d2)): linear in the direction (a tangent or cotangent) and zero -> zero. ``v`` runs
    eagerly once; the other evaluations use its ``jitted`` twin, one compiled program instead of an eager
    trace of the rule per call."""
    a, b = 0.7, -1.3
    noun, letter = ("VJP", "c") if what == "cotangent" else ("JVP", "t")
    v1, v2 = v(*point, d1), jitted(*point, d2)
    combo = jitted(*point, jax.tree_util.tree_map(lambda x, y: a * x + b * y, d1, d2))
    linear = rel(combo, jax.tree_util.tree_map(lambda x, y: a * x + b * y, v1, v2))
    lines.append(
        f"linear in the {what}: {'ok' if linear <= STRUCTURE_RTOL else f'off by {linear:.2g}'}"
    )
    problems = []
    if linear > STRUCTURE_RTOL:
        kind = "the transpose of a linear map" if noun == "VJP" else "a linear map of the tangent"
        problems.append(
            f"not linear in the {what}: {noun}(a {letter}1 + b {letter}2) differs from a {noun}({letter}1) "
            f"+ b {noun}({letter}2) by {linear:.3g} relative (a {noun} is {kind}: no squares, norms or "
            f"constants of the {what})"
        )
    zero = jitted(*point, jax.tree_util.tree_map(np.zeros_like, d1))
    problems += _zero_check(zero, v1, what, noun, lines)
    return problems, v1, v2


def _zero_check(zero, scale_of, what: str, noun: str, lines: list) -> list[str]:
    """A zero tangent / cotangent must give zero."""
    peak = lambda tree: max(
        (
            float(np.max(np.abs(np.asarray(z)), initial=0.0))
            for z in jax.tree_util.tree_leaves(tree)
        ),
        default=0.0,
    )
    zmax, scale = peak(zero), peak(scale_of)
    ok = zmax <= STRUCTURE_RTOL * max(scale, 1e-300)
    lines.append(f"zero {what} -> zero: {'ok' if ok else 'no'}")
    if ok:
        return []
    text = (
        f"a zero {what} gives a non-zero {noun} (max |{noun}(0)| = {zmax:.3g}): a term that does not "
        f"scale with the {what}"
    )
    return [text]


def _transform_checks(v, point, c1, c2, v1, v2, lines, what="cotangent", jitted=None) -> list[str]:
    """The rule under jax.jit (``jitted``: jit(v) built once for several points) and under jax.vmap over two
    directions, against the eager results v1, v2."""
    problems = []
    jitted = rel((checker_jit(v) if jitted is None else jitted)(*point, c1), v1)
    lines.append(f"same under jit: {'ok' if jitted <= STRUCTURE_RTOL else f'off by {jitted:.2g}'}")
    if jitted > STRUCTURE_RTOL:
        problems.append(
            f"the rule gives another result under jax.jit (off by {jitted:.3g} relative)"
        )
    cs = jax.tree_util.tree_map(lambda x, y: np.stack([x, y]), c1, c2)
    both = jax.vmap(v, in_axes=(None,) * len(point) + (0,))(*point, cs)
    mapped = max(rel(take(both, 0), v1), rel(take(both, 1), v2))
    lines.append(f"same under vmap: {'ok' if mapped <= STRUCTURE_RTOL else f'off by {mapped:.2g}'}")
    if mapped > STRUCTURE_RTOL:
        problems.append(
            f"the rule gives another result under jax.vmap over {what}s (off by {mapped:.3g} relative): "
            "a batching slip in the rule (an axis that assumes no batch dimension)"
        )
    return problems


def inner(a, b) -> float:
    """⟨a, b⟩ over two pytrees of the same structure."""
    return sum(
        float(np.sum(np.asarray(x, np.float64) * np.asarray(y, np.float64)))
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))
    )


def dot_gap(jtc: float, tjc: float, lines: list) -> list[str]:
    """The dot-product test's line and finding from ⟨J t, c⟩ and ⟨t, Jᵀ c⟩."""
    gap = abs(jtc - tjc) / max(abs(jtc), abs(tjc), 1e-300)
    if not np.isfinite(gap):
        gap = 0.0 if jtc == tjc else np.inf
    lines.append(f"dot-product test: {'ok' if gap <= STRUCTURE_RTOL else f'off by {gap:.2g}'}")
    if gap > STRUCTURE_RTOL:
        return [
            f"forward and reverse disagree: <J t, c> = {jtc:.10g} (JVP) but <t, J^T c> = {tjc:.10g} (VJP)"
        ]
    return []


def _dot_product(f, v, point, argnums, c, key, lines) -> list[str]:
    """⟨J t, c⟩ = ⟨t, Jᵀ c⟩ where f has a JVP."""
    t = take(normals(key, tuple(point[i] for i in argnums), 1, 3), 0)

    def of(*diff):
        full = list(point)
        for i, d in zip(argnums, diff):
            full[i] = d
        return f(*full)

    try:
        _, jt = jax.jvp(of, tuple(point[i] for i in argnums), tuple(t))
    except Exception:  # noqa: BLE001 - user code may raise anything
        lines.append("dot-product test: skipped (no JVP: a custom_vjp rule)")
        return []
    return dot_gap(inner(jt, c), inner(t, v(*point, c)), lines)


def rule_order(what: str, f: Callable, rule: Callable) -> tuple[Callable, Callable]:
    """(plain function, rule-carrying function) from ``check_vjp(f, rule)`` / ``check_jvp(f, rule)``.

    Every check takes the function being differentiated first and yours second (``check_gradient(f, grad_f)``).
    The earlier order ``(rule, reference)`` still works for one release, with a DeprecationWarning, where it can
    be told apart: the first argument carries a ``jax.custom_vjp`` / ``custom_jvp`` rule and the second does not.
    """
    custom = (jax.custom_vjp, jax.custom_jvp)
    if isinstance(f, custom) and not isinstance(rule, custom):
        warnings.warn(
            f"{what}(rule, reference, ...) is deprecated: pass the plain function first, as everywhere in "
            f"jaxml.verify: {what}(reference, rule, ...)",
            DeprecationWarning,
            stacklevel=3,
        )
        return rule, f
    return f, rule


def _validate(what: str, f, reference, args, argnums, points) -> tuple:
    if not callable(f) or not callable(reference):
        raise UsageError(f"{what}(f, rule, *args): f and rule must be callables")
    if not args:
        raise UsageError(f"{what} needs example arguments: {what}(f, rule, *args)")
    argnums_t = tuple(argnums) if isinstance(argnums, (tuple, list)) else (int(argnums),)
    if any(not 0 <= i < len(args) for i in argnums_t) or (points is not None and points < 1):
        raise UsageError(
            f"{what}: argnums {argnums} out of range for {len(args)} arguments, or points < 1"
        )
    return argnums_t


@in_float64
def check_vjp(
    f: Callable,
    rule: Callable,
    *args,
    argnums: int | Sequence[int] = 0,
    points: int | None = RULE_POINTS,
    key: jax.Array | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    at: Sequence[Any] | None = None,
    domain: Any = None,
    name: str = "VJP",
) -> VjpReport:
    """Check your custom VJP (or JVP) rule, carried by ``rule``, against ``jax.vjp`` of ``f``, the same function
    written plainly.

    Args:
      f: the function written plainly (autodiff differentiates it); any output pytree.
      rule: the same function carrying your rule (``jax.custom_vjp`` / ``custom_jvp``). The earlier order
        ``check_vjp(rule, f)`` still works, with a DeprecationWarning.
      *args: example arguments; the check runs there and at ``points - 1`` perturbations of ``args[argnums]``.
      argnums: the argument(s) whose cotangents are compared.
      points: how many points, each with its own random cotangent (default 16).
      key: PRNG key (points and cotangents); default ``PRNGKey(0)``: the same points on every run.
      rtol: as in :func:`check_gradient` (default 1e-9, relative to the VJP's size at each point).
      atol: as in :func:`check_gradient`.
      at: instead of perturbations, the caller's points: one entry per argument, stacked on a leading points axis
        (None for an argument shared by all points), as in :func:`check_gradient`.
      domain: where the points lie (see :mod:`jaxml.verify._domain`): "real" (default), "positive",
        "nonnegative", "symmetric", "spd", "simplex" or a callable ``project(x)``; one for all differentiated
        arguments or a tuple with one per argument. On symmetric and simplex domains only the VJP's component
        along the domain's directions is compared.
      name: label for the report.

    Returns:
      A :class:`VjpReport` (``ok``, ``diagnosis``, the worst entry, ``structure``; ``note`` says how many points
      were skipped because f is not finite there, and where one-sided difference quotients were used).
    """
    reference, f = rule_order("check_vjp", f, rule)
    argnums_t = _validate("check_vjp", f, reference, args, argnums, points)
    args = tuple(jax.tree_util.tree_map(as_float64, a) for a in args)
    key = prng_key(0) if key is None else key
    k_points, k_cot, k_structure = split_list(key, 3)
    pts = rule_points(args, argnums_t, points, k_points, at, domain)
    rtol = DEFAULT_RTOL if rtol is None else float(rtol)
    chunk = pts.chunk(0, pts.n)
    cs = normals(k_cot, jax.eval_shape(f, *pts.at_point(0)), pts.n, 0)
    axes = pts.in_axes + (0,)
    ref_out, ref = batched(_vjp_of(reference, argnums_t, len(args), True), axes)(*chunk, cs)
    names = _arg_names(reference, len(args))
    check = _vjp_check(pts, argnums_t, names, ref, rtol, atol, name)
    try:
        got_out, got = batched(_vjp_of(f, argnums_t, len(args), True), axes)(*chunk, cs)
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        text = f"your VJP rule raised {type(exc).__name__}: {exc}"
        return check.failed(mistake(MistakeKind.RAISED, text, error=type(exc).__name__))
    kept = np.flatnonzero(finite_points(ref_out, pts.n))
    domains = check.domains
    if len(argnums_t) == 1:
        got, ref = got[0], ref[0]
    if any(domains[i] is not None for i in argnums_t):  # only the domain's directions count
        which = argnums_t if len(argnums_t) > 1 else argnums_t[0]
        got, ref = tangent(domains, which, got), tangent(domains, which, ref)
    primal = rel(take(got_out, kept), take(ref_out, kept)) if len(kept) else 0.0

    def structure():
        found = [_primal_finding(primal)] if primal > STRUCTURE_RTOL else []
        jitted = checker_jit(
            _vjp_of(f, argnums_t, len(args))
        )  # one program: the points share shapes
        per_point = [
            _structure_checks(
                f,
                reference,
                pts.at_point(int(p)),
                argnums_t,
                fold_in(k_structure, int(p)),
                jitted,
            )
            for p in structure_points(kept, got, ref, pts.n)
        ]
        problems, lines = collect(per_point)
        return found + problems, lines

    estimate = lambda entries: _vjp_quotients(
        reference, pts, chunk, argnums_t, cs, kept, entries, domains
    )
    notes = (restricted_note(domains, argnums_t),)
    return rule_verdict(check, got, ref, kept, estimate, structure, notes)


def _primal_finding(primal: float) -> str:
    return (
        f"the primal outputs differ: f (its rule's forward pass) and the reference disagree by {primal:.3g} "
        "relative"
    )


def _vjp_check(pts, argnums_t, names, ref, rtol, atol, name) -> RuleCheck:
    flat = jax.tree_util.tree_flatten_with_path(ref[0] if len(argnums_t) == 1 else ref)[0]
    plain = len(argnums_t) == 1 and len(flat) == 1
    labels = leaf_labels(
        [p for p, _ in flat], tuple(names[i] for i in argnums_t), len(argnums_t) > 1, "VJP", plain
    )
    return RuleCheck(
        noun="VJP",
        report=VjpReport,
        name=name,
        rtol=rtol,
        atol=atol,
        pts=pts,
        argnums=argnums_t,
        names=names,
        labels=labels,
        domains=domains_of(pts, len(pts.args)),
    )


def _vjp_quotients(
    reference, pts, chunk, argnums_t, cs, kept, entries, domains
) -> _boundary.Quotient:
    """One-sided difference quotients of ⟨c, reference⟩ along each entry's axis (made feasible on a domain)."""
    rows = np.array([kept[p] for p, _, _ in entries])
    g, diff, extra = rows_function(reference, chunk, pts.in_axes, argnums_t, rows)
    directions = jax.tree_util.tree_map(np.zeros_like, diff)
    leaves, treedef = jax.tree_util.tree_flatten(directions)
    for row, (_, leaf, index) in enumerate(entries):
        leaves[leaf].reshape(len(rows), -1)[row, index] = 1.0
    directions = jax.tree_util.tree_unflatten(treedef, leaves)
    restricted = any(domains[i] is not None for i in argnums_t)
    if restricted:
        directions = feasible(domains, argnums_t, diff, tangent(domains, argnums_t, directions))
    c_rows = take(cs, rows)

    def along(*values):  # ⟨c, f⟩: its derivative along an axis is that entry of Jᵀc
        out = g(*values[:-1])
        return sum(
            jnp.vdot(c, o)
            for c, o in zip(jax.tree_util.tree_leaves(values[-1]), jax.tree_util.tree_leaves(out))
        )

    return _boundary.difference_quotients(
        along, diff, directions, extra=extra + (c_rows,), sides=(1,) if restricted else (1, -1)
    )
