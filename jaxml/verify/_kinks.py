"""Kinks: where f is not differentiable, a hand-written gradient is right when it is a (Clarke) sub-gradient.

At ReLU's 0, at a hinge's margin 1, at a tie in a max-pool window, autodiff returns one element of the
sub-differential (``jnp.maximum`` splits a tie, 0.5 · each side; ``jax.nn.relu`` takes 0; ``jnp.max`` splits a tie
of k equally); a hand-written gradient may take another and be just as right. The sub-differential is the convex
hull of the gradients f has on the pieces that meet at x:

    ∂f(x) = conv { lim ∇f(x + δ u) : δ → 0⁺, over directions u }.

Whether your vector g lies in it is decided for the **vector**, not one coordinate at a time: at a tie of k entries
in one max-pool window each entry of "the full upstream gradient to every tied entry" lies between its own
one-sided partials, yet the vector is k times a sub-gradient (along the direction that moves the tied entries
together, ⟨g, v⟩ = k · f′(x; v)). So, at each point with entries that disagree with autodiff:

1. For each such entry j, autodiff just off the kink on each side, ∇f(x ± δ_j e_j) (δ_j = 1e-8 · max(1, |x_j|)):
   entry j's one-sided partials [d⁻, d⁺], and the entries i whose partials move when x_j crosses (by more than
   1e-6 of the gradient's scale: smooth coupling moves them by O(δ) only). Entries that move together form a
   *group*; the entries they pull in are examined the same way.
2. A group of one entry (a ReLU zero, |x| at 0, a hinge with one active feature): accepted when your value lies in
   [min(d⁻, d⁺), max(d⁻, d⁺)]; a plain mismatch when d⁻ = d⁺ (no kink there).
3. A group of several entries (a tie, a hinge margin shared by several weights): the pieces' gradients are sampled
   — the one-sided rows above and ∇f(x + δ u) for random directions u on the group — and your values on the
   group must be a convex combination of them (a small linear program; above :data:`MAX_GROUP` entries, the
   necessary test ⟨g, v⟩ ∈ [minₖ ⟨pₖ, v⟩, maxₖ ⟨pₖ, v⟩] along random v instead).

Values within ``rtol · scale + atol + KINK_SLACK · scale`` count as inside: the one-sided gradients are measured
δ away from the kink, exact for piecewise-linear kinks and O(δ) off otherwise.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import numpy as np

from ._programs import batched_derivative

STEP = 1e-8
KINK_RTOL = 1e-6
KINK_SLACK = 1e-7
MAX_EVALUATIONS = 4096  # gradients evaluated per check for the kink analysis
MAX_GROUP = (
    256  # entries of one group tested by the convex-hull program; larger groups use directions
)
EXTRA_DIRECTIONS = 8  # random directions per group, besides two per member
MAX_DIRECTIONS = 64


@dataclasses.dataclass
class GroupFailure:
    """Entries of one point that sit on one kink together, where your vector is not a sub-gradient."""

    point: int
    coords: list  # (leaf, flat index) per member
    yours: np.ndarray
    residual: float  # distance (max-norm, relative to the scale) from the convex hull
    counted: int | None  # k when your vector is k × a sub-gradient
    tied: float | None  # the common argument value when the members are tied, else None


@dataclasses.dataclass
class KinkFindings:
    accepted: list  # candidates accepted as (part of) a sub-gradient
    outside: list  # single kinks with your value outside [d⁻, d⁺]
    smooth: list  # no kink there (or not examined): plain mismatches
    groups: list  # GroupFailure s


def _copy(x):
    """A NumPy copy: float arrays in float64, integer ones (labels) as they are."""
    a = np.asarray(x)
    return np.array(a, np.float64) if np.issubdtype(a.dtype, np.floating) else np.array(a)


class _Layout:
    """The differentiated arguments of one point as one flat vector of coordinates (leaf by leaf)."""

    def __init__(self, point: tuple, argnums: tuple):
        self.point = point
        self.argnums = argnums
        self.owner = []  # per leaf: (argument, leaf within it)
        flat = []
        for i in argnums:
            for j, leaf in enumerate(jax.tree_util.tree_leaves(point[i])):
                self.owner.append((i, j))
                flat.append(np.asarray(leaf, np.float64).reshape(-1))
        self.sizes = [x.size for x in flat]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.x = np.concatenate(flat) if flat else np.zeros(0)

    def coord(self, leaf: int, index: int) -> int:
        return int(self.offsets[leaf] + index)

    def split(self, g: int) -> tuple[int, int]:
        leaf = int(np.searchsorted(self.offsets, g, side="right") - 1)
        return leaf, int(g - self.offsets[leaf])

    def moved(self, delta: np.ndarray) -> tuple:
        """The point's arguments with the differentiated coordinates moved by ``delta``."""
        out = [jax.tree_util.tree_map(_copy, a) for a in self.point]
        for i in self.argnums:
            leaves, treedef = jax.tree_util.tree_flatten(out[i])
            for j in range(len(leaves)):
                leaf = self.owner.index((i, j))
                start, size = self.offsets[leaf], self.sizes[leaf]
                leaves[j] = (leaves[j].reshape(-1) + delta[start : start + size]).reshape(
                    np.shape(leaves[j])
                )
            out[i] = jax.tree_util.tree_unflatten(treedef, leaves)
        return tuple(out)

    def step(self, g: int) -> float:
        return STEP * max(1.0, abs(float(self.x[g])))


class _Gradients:
    """autodiff's gradient at many rows (argument tuples), batched through one compiled program."""

    def __init__(self, f, argnums, pts, batch: int):
        argnums_t = argnums if isinstance(argnums, tuple) else (argnums,)
        self.axes = tuple(
            0 if (ax == 0 or i in argnums_t) else None for i, ax in enumerate(pts.in_axes)
        )
        self.shared = pts.chunk(0, 1)
        self.program = batched_derivative(f, argnums, "gradient", self.axes)
        self.batch = batch if self.axes == pts.in_axes else None
        self.evaluated = 0

    def __call__(self, rows: list) -> np.ndarray:
        """(len(rows), coordinates) float64: each row's gradient, flat."""
        self.evaluated += len(rows)
        size = self.batch or 2 ** math.ceil(math.log2(max(len(rows), 1)))
        out = []
        for start in range(0, len(rows), size):
            group = rows[start : start + size]
            group = group + [group[-1]] * (size - len(group))
            stacked = tuple(
                self.shared[k]
                if ax is None
                else jax.tree_util.tree_map(lambda *xs: np.stack(xs), *[g[k] for g in group])
                for k, ax in enumerate(self.axes)
            )
            leaves = jax.tree_util.tree_leaves(self.program(*stacked))
            flat = np.concatenate(
                [np.asarray(x, np.float64).reshape(size, -1) for x in leaves], axis=1
            )
            out.append(flat[: min(size, len(rows) - start)])
        return np.concatenate(out)


@dataclasses.dataclass
class _Point:
    """The kink analysis of one point."""

    p: int
    layout: _Layout
    cands: dict  # coordinate -> Candidate
    scale: float
    tol: float  # the acceptance tolerance there (absolute)
    base: np.ndarray | None = None  # autodiff at the point
    sides: dict = dataclasses.field(default_factory=dict)  # coordinate -> (∇f(x − δe), ∇f(x + δe))
    edges: dict = dataclasses.field(default_factory=dict)  # coordinate -> coupled coordinates


def analyse(f, argnums, pts, candidates, rtol: float, atol: float, batch: int) -> KinkFindings:
    """Classify the entries past tolerance (``candidates``) at kinks; see the module docstring."""
    argnums_t = argnums if isinstance(argnums, tuple) else (argnums,)
    by_point: dict = {}
    for c in candidates:
        by_point.setdefault(c.point, []).append(c)
    grads = _Gradients(f, argnums, pts, batch)
    points, budget, unexamined = [], MAX_EVALUATIONS, []
    for p in sorted(by_point):
        cost = 1 + 2 * len(by_point[p])
        if cost > budget:
            unexamined += by_point[p]
            continue
        budget -= cost
        layout = _Layout(pts.at_point(p), argnums_t)
        scale = by_point[p][0].scale
        cands = {layout.coord(c.leaf, c.index): c for c in by_point[p]}
        tol = rtol * scale + atol + KINK_SLACK * scale
        points.append(_Point(p, layout, cands, scale, tol))
    _one_sided(grads, points, {id(pt): list(pt.cands) for pt in points})
    # second round: the entries the first round pulled in, within the budget
    extra = {id(pt): sorted(set().union(*pt.edges.values()) - set(pt.sides)) for pt in points}
    room = max(MAX_EVALUATIONS - grads.evaluated, 0) // 2
    for pt in points:
        extra[id(pt)], room = extra[id(pt)][:room], room - len(extra[id(pt)][:room])
    _one_sided(grads, points, extra)
    findings = KinkFindings([], [], list(unexamined), [])
    _judge(grads, points, findings)
    return findings


def _one_sided(grads: _Gradients, points: list, coords: dict) -> None:
    """Fill ``sides`` and ``edges`` of each point for ``coords[id(point)]`` (and its ``base`` if missing)."""
    rows, where = [], []
    for pt in points:
        if pt.base is None:
            rows.append(pt.layout.moved(np.zeros_like(pt.layout.x)))
            where.append((pt, None, 0))
        for g in coords.get(id(pt), []):
            for sign in (-1.0, 1.0):
                delta = np.zeros_like(pt.layout.x)
                delta[g] = sign * pt.layout.step(g)
                rows.append(pt.layout.moved(delta))
                where.append((pt, g, sign))
    if not rows:
        return
    values = grads(rows)
    for (pt, g, sign), row in zip(where, values):
        if g is None:
            pt.base = row
        else:
            lo, hi = pt.sides.get(g, (None, None))
            pt.sides[g] = (row, hi) if sign < 0 else (lo, row)
    for pt in points:
        threshold = KINK_RTOL * pt.scale + pt.tol
        for g in coords.get(id(pt), []):
            minus, plus = pt.sides[g]
            moved = np.maximum(np.abs(minus - pt.base), np.abs(plus - pt.base)) > threshold
            moved[g] = False
            pt.edges[g] = {int(i) for i in np.flatnonzero(moved)}


def _groups(pt: _Point) -> list[list[int]]:
    """Connected groups of coupled coordinates that hold at least one candidate."""
    parent = {}

    def find(a):
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for g, others in pt.edges.items():
        for i in others:
            if i in pt.sides:
                parent[find(g)] = find(i)
        find(g)
    groups: dict = {}
    for g in pt.sides:
        groups.setdefault(find(g), []).append(g)
    return [sorted(m) for m in groups.values() if any(g in pt.cands for g in m)]


def _judge(grads: _Gradients, points: list, findings: KinkFindings) -> None:
    directions, rows = [], []
    for pt in points:
        for members in _groups(pt):
            if len(members) == 1:
                _single(pt, members[0], findings)
                continue
            extra = min(2 * len(members) + EXTRA_DIRECTIONS, MAX_DIRECTIONS)
            rng = np.random.default_rng([pt.p, len(members)])
            for _ in range(extra):
                delta = np.zeros_like(pt.layout.x)
                for g in members:
                    delta[g] = rng.standard_normal() * pt.layout.step(g)
                rows.append(pt.layout.moved(delta))
            directions.append((pt, members, extra))
    sampled = grads(rows) if rows else np.zeros((0, 0))
    at = 0
    for pt, members, extra in directions:
        pieces = [pt.sides[g][s] for g in members for s in (0, 1)] + list(sampled[at : at + extra])
        at += extra
        _group(pt, members, np.array(pieces)[:, members], findings)


def _single(pt: _Point, g: int, findings: KinkFindings) -> None:
    c = pt.cands[g]
    minus, plus = pt.sides[g]
    c.lo, c.hi = float(min(minus[g], plus[g])) + 0.0, float(max(minus[g], plus[g])) + 0.0
    if c.hi - c.lo <= KINK_RTOL * c.scale + pt.tol:
        findings.smooth.append(c)
    elif c.lo - pt.tol <= c.yours <= c.hi + pt.tol:
        findings.accepted.append(c)
    else:
        findings.outside.append(c)


def _yours(pt: _Point, members: list) -> np.ndarray:
    """Your values on the group: the candidates' own, autodiff's elsewhere (there yours agreed with it)."""
    return np.array([pt.cands[g].yours if g in pt.cands else pt.base[g] for g in members])


def _group(pt: _Point, members: list, pieces: np.ndarray, findings: KinkFindings) -> None:
    yours = _yours(pt, members)
    scale = max(pt.scale, np.finfo(np.float64).tiny)
    residual = _distance(yours / scale, pieces / scale)
    mine = [pt.cands[g] for g in members if g in pt.cands]
    for c in mine:  # each entry's range over the pieces, for the report
        column = pieces[:, members.index(pt.layout.coord(c.leaf, c.index))]
        c.lo, c.hi = float(column.min()) + 0.0, float(column.max()) + 0.0
    if residual * scale <= pt.tol:
        findings.accepted += mine
        return
    base = pt.base[members]
    counted = None
    if abs(np.sum(base)) > 1e-12 * scale:
        k = float(np.sum(yours) / np.sum(base))
        whole = round(k) >= 2 and abs(k - round(k)) <= 1e-6 * k
        if whole and _distance(yours / (k * scale), pieces / scale) * scale <= pt.tol:
            counted = round(k)
    values = pt.layout.x[members]
    tied = float(values[0]) if np.all(values == values[0]) else None
    coords = [pt.layout.split(g) for g in members]
    findings.groups.append(GroupFailure(pt.p, coords, yours, residual, counted, tied))


def _distance(g: np.ndarray, pieces: np.ndarray) -> float:
    """max-norm distance from g to the convex hull of the rows of ``pieces`` (a linear program), or, for large
    groups, the largest excess of ⟨g, v⟩ over the pieces' range along random directions v (a lower bound)."""
    r, k = pieces.shape
    if k > MAX_GROUP:
        v = np.random.default_rng(k).standard_normal((64, k))
        v /= np.abs(v).sum(axis=1, keepdims=True)
        along, spans = v @ g, pieces @ v.T
        excess = np.maximum(along - spans.max(axis=0), spans.min(axis=0) - along)
        return float(max(excess.max(), 0.0))
    from scipy.optimize import linprog  # imported where used: scipy is slow to import

    # variables (λ_1..λ_r, t): minimise t with |piecesᵀ λ − g| ≤ t, λ ≥ 0, Σ λ = 1
    cost = np.zeros(r + 1)
    cost[-1] = 1.0
    ones = np.ones((k, 1))
    a_ub = np.block([[pieces.T, -ones], [-pieces.T, -ones]])
    b_ub = np.concatenate([g, -g])
    a_eq = np.concatenate([np.ones(r), [0.0]])[None, :]
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], method="highs")
    return float(result.x[-1]) if result.success else float("inf")
