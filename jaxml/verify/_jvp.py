"""check_jvp: a ``jax.custom_jvp`` rule against the JVP of the same function written plainly.

``f`` carries the rule; ``reference`` computes the same primal without it, so ``jax.jvp(reference)`` is autodiff's
answer. At every point (the given arguments and Gaussian perturbations of the differentiated ones, or the caller's
points ``at=``) and for a random tangent t per point, J·t from your rule and from autodiff are compared entry by
entry, as :func:`check_vjp` compares VJPs (relative to the JVP's own size at that point, float64, rtol 1e-9).
On a domain (``domain=``) the tangents are the domain's directions: symmetric on symmetric and SPD matrices,
summing to zero along the last axis on the simplex, and pointing inside at a boundary of "nonnegative".

Then the rule's structure, on a few points, since a JVP is a linear map of the tangent:

* the primal: the rule's primal output and f(x) equal reference(x) (the first at every point);
* linear in the tangent: JVP(a t₁ + b t₂) = a JVP(t₁) + b JVP(t₂);
* a zero tangent gives zero;
* the same under ``jax.jit`` and under ``jax.vmap`` (over tangents) as called eagerly;
* forward and reverse agree: the dot-product test ⟨J t, c⟩ = ⟨t, Jᵀ c⟩, with Jᵀ c from ``jax.vjp(f)``, which
  JAX derives by transposing the rule's linear part. Where JAX cannot transpose it (a rule not linear in the
  tangent), that is a finding.

Points where the reference's output is not finite are skipped and counted (outside f's domain); where autodiff's
JVP is not finite but f is (x = 0 for √x), J·t is compared with a one-sided difference quotient along t
(:mod:`._boundary`, tolerance 1e-4 relative); the note says where.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from .._bucketed_random import prng_key, split_list
from .._compile import checker_jit
from . import _boundary
from ._compare import leaf_labels
from ._domain import feasible, tangent
from ._gradient import DEFAULT_RTOL, _arg_names
from ._mistake import MistakeKind, mistake
from ._points import as_float64
from ._programs import batched
from ._vjp import (
    STRUCTURE_RTOL,
    RuleCheck,
    RuleReport,
    _transform_checks,
    _validate,
    collect,
    domains_of,
    dot_gap,
    finite_points,
    inner,
    linear_checks,
    normals,
    rel,
    rows_function,
    rule_order,
    rule_points,
    rule_verdict,
    structure_points,
    take,
)
from ._x64 import in_float64


@dataclasses.dataclass(frozen=True, kw_only=True)
class JvpReport(RuleReport):
    """The verdict of :func:`check_jvp`: J·t compared entry by entry, and the rule's structure
    (``structure``: one line per structural check)."""

    name: str = "JVP"
    compares: str = "your JVP rule vs jax.jvp of the reference"


def _jvp_of(fn: Callable, argnums: tuple, n_args: int, primal: bool = True) -> Callable:
    """``(*args, *tangents) -> (fn's output, J·t)`` through ``jax.jvp(fn)`` (J·t alone without ``primal``)."""

    def jvp(*values):
        args, ts = list(values[:n_args]), values[n_args:]

        def of(*diff):
            full = list(args)
            for i, d in zip(argnums, diff):
                full[i] = d
            return fn(*full)

        out, jt = jax.jvp(of, tuple(args[i] for i in argnums), tuple(ts))
        return (out, jt) if primal else jt

    return jvp


def _tangents(
    pts, chunk: tuple, argnums: tuple, domains: tuple, key, salt: int, rows=None
) -> tuple:
    """A standard-normal tangent per point (or per point of ``rows``) for each differentiated argument
    (stacked), made one of the domain's directions and, at its boundary, one that points inside."""
    n = pts.n if rows is None else len(rows)
    ts = normals(key, tuple(pts.args[i] for i in argnums), n, salt)
    if any(domains[i] is not None for i in argnums):
        x = tuple(
            chunk[i] if pts.in_axes[i] is None or rows is None else take(chunk[i], rows)
            for i in argnums
        )
        ts = feasible(domains, argnums, x, tangent(domains, argnums, ts))
    return tuple(ts)


def _jvp_structure(f, reference, point, argnums, t1, t2, c, v, jitted) -> tuple[list, list]:
    """(problems, lines) of the structural checks at one point, tangents t1, t2 and output cotangent c."""
    problems, lines = [], []
    primal = rel(f(*point), reference(*point))
    if primal > STRUCTURE_RTOL:
        problems.append(
            f"the primal outputs differ: f and the reference disagree by {primal:.3g} relative"
        )
    found, j1, j2 = linear_checks(v, jitted, point, t1, t2, "tangent", lines)
    problems += found
    problems += _transform_checks(v, point, t1, t2, j1, j2, lines, what="tangent", jitted=jitted)

    def of(*diff):
        full = list(point)
        for i, d in zip(argnums, diff):
            full[i] = d
        return f(*full)

    try:
        _, pullback = jax.vjp(of, *(point[i] for i in argnums))
        jtc = pullback(c)
    except Exception as exc:  # noqa: BLE001 - JAX's transposition of the rule may raise anything
        lines.append("dot-product test: no (JAX cannot transpose the rule)")
        raised = type(exc).__name__ + (f": {str(exc)[:120]}" if str(exc) else "")
        text = (
            f"reverse mode fails: JAX cannot transpose your rule's tangent output ({raised}); jax.grad and "
            "jax.vjp of f need it to be linear in the tangents (no products of tangents, no "
            "tangent-dependent branches)"
        )
        return problems + [text], lines
    return problems + dot_gap(inner(j1, c), inner(t1, jtc), lines), lines


@in_float64
def check_jvp(
    f: Callable,
    rule: Callable,
    *args,
    argnums: int | Sequence[int] = 0,
    points: int | None = None,
    key: jax.Array | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    at: Sequence[Any] | None = None,
    domain: Any = None,
    name: str = "JVP",
) -> JvpReport:
    """Check your custom JVP rule, carried by ``rule``, against ``jax.jvp`` of ``f``, the same function written
    plainly.

    Args:
      f: the function written plainly (autodiff differentiates it); any output pytree.
      rule: the same function carrying your rule (``jax.custom_jvp``). The earlier order ``check_jvp(rule, f)``
        still works, with a DeprecationWarning.
      *args: example arguments; the check runs there and at ``points - 1`` perturbations of ``args[argnums]``.
      argnums: the argument(s) the tangents move.
      points: how many points, each with its own random tangent (default 16).
      key: PRNG key (points, tangents and the structural checks); default ``PRNGKey(0)``: the same points on
        every run.
      rtol: as in :func:`check_gradient` (default 1e-9, relative to the JVP's size at each point).
      atol: as in :func:`check_gradient`.
      at: instead of perturbations, the caller's points: one entry per argument, stacked on a leading points axis
        (None for an argument shared by all points), as in :func:`check_gradient`.
      domain: where the points lie and which tangents count (see :mod:`jaxml.verify._domain`): "real"
        (default), "positive", "nonnegative", "symmetric", "spd", "simplex" or a callable ``project(x)``; one for
        all differentiated arguments or a tuple with one per argument.
      name: label for the report.

    Returns:
      A :class:`JvpReport` (``ok``, ``diagnosis``, the worst entry, ``structure``; ``note`` says how many points
      were skipped because f is not finite there, and where one-sided difference quotients were used).

    Example:
      >>> @jax.custom_jvp
      ... def f(x):
      ...     return x / (1 + jnp.sqrt(x))
      >>> f.defjvps(lambda t, ans, x: ((jnp.sqrt(x) + 2) / (2 * (jnp.sqrt(x) + 1) ** 2)) * t)
      >>> check_jvp(lambda x: x / (1 + jnp.sqrt(x)), f, jnp.array([0.0, 1.0, 4.0]), domain="nonnegative").ok
      True
    """
    reference, f = rule_order("check_jvp", f, rule)
    argnums_t = _validate("check_jvp", f, reference, args, argnums, points)
    args = tuple(jax.tree_util.tree_map(as_float64, a) for a in args)
    key = prng_key(0) if key is None else key
    k_points, k_tan, k_structure = split_list(key, 3)
    pts = rule_points(args, argnums_t, points, k_points, at, domain)
    chunk = pts.chunk(0, pts.n)
    domains = domains_of(pts, len(args))
    ts = _tangents(pts, chunk, argnums_t, domains, k_tan, 0)
    axes = pts.in_axes + (0,) * len(argnums_t)
    ref_out, ref = batched(_jvp_of(reference, argnums_t, len(args)), axes)(*chunk, *ts)
    check = _jvp_check(reference, pts, argnums_t, ref, domains, rtol, atol, name)
    try:
        got_out, got = batched(_jvp_of(f, argnums_t, len(args)), axes)(*chunk, *ts)
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        text = f"your JVP rule raised {type(exc).__name__}: {exc}"
        return check.failed(mistake(MistakeKind.RAISED, text, error=type(exc).__name__))
    kept = np.flatnonzero(finite_points(ref_out, pts.n))
    primal = rel(take(got_out, kept), take(ref_out, kept)) if len(kept) else 0.0

    def structure():
        found = []
        if primal > STRUCTURE_RTOL:
            found.append(
                f"the primal outputs differ: your rule's primal output and the reference disagree by "
                f"{primal:.3g} relative (the rule must return f(x) as its primal)"
            )
        chosen = structure_points(kept, got, ref, pts.n)
        t2 = _tangents(pts, chunk, argnums_t, domains, k_structure, 1, rows=chosen)
        cs = normals(k_structure, jax.eval_shape(f, *pts.at_point(0)), len(chosen), 2)
        jv = _jvp_of(f, argnums_t, len(args), primal=False)
        v = lambda *values: jv(*values[:-1], *values[-1])  # the tangents as one (last) argument
        jitted = checker_jit(v)  # one program for every point: the points share shapes
        per_point = [
            _jvp_structure(
                f,
                reference,
                pts.at_point(int(p)),
                argnums_t,
                take(ts, int(p)),
                take(t2, j),
                take(cs, j),
                v,
                jitted,
            )
            for j, p in enumerate(chosen)
        ]
        problems, lines = collect(per_point)
        return found + problems, lines

    restricted = any(domains[i] is not None for i in argnums_t)
    offsets = np.cumsum([0] + [int(np.size(x)) // pts.n for x in jax.tree_util.tree_leaves(ref)])

    def estimate(entries):
        return _jvp_quotients(
            reference, pts, chunk, argnums_t, ts, kept, entries, restricted, offsets
        )

    return rule_verdict(check, got, ref, kept, estimate, structure)


def _jvp_check(reference, pts, argnums_t, ref, domains, rtol, atol, name) -> RuleCheck:
    names = _arg_names(reference, len(pts.args))
    flat = jax.tree_util.tree_flatten_with_path(ref)[0]
    labels = leaf_labels([p for p, _ in flat], ("output",), False, "JVP", len(flat) == 1)
    return RuleCheck(
        noun="JVP",
        report=JvpReport,
        name=name,
        rtol=DEFAULT_RTOL if rtol is None else float(rtol),
        atol=atol,
        pts=pts,
        argnums=argnums_t,
        names=names,
        labels=labels,
        domains=domains,
    )


def _jvp_quotients(reference, pts, chunk, argnums_t, ts, kept, entries, restricted, offsets):
    """One-sided difference quotients of the reference along each point's tangent, one row per entry."""
    needed = sorted({p for p, _, _ in entries})
    rows = np.asarray(kept)[needed]
    g, diff, extra = rows_function(reference, chunk, pts.in_axes, argnums_t, rows)
    q = _boundary.difference_quotients(
        g, diff, take(ts, rows), extra=extra, sides=(1,) if restricted else (1, -1)
    )
    where = {p: i for i, p in enumerate(needed)}
    r = np.array([where[p] for p, _, _ in entries])
    c = np.array([offsets[leaf] + e for _, leaf, e in entries])
    return _boundary.Quotient(
        q.values[:, r, c][..., None], q.errors[:, r, c][..., None], q.sides, q.steps
    )
