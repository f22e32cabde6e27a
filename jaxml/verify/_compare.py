"""Comparing your derivative with autodiff's, entry by entry, one chunk of points at a time.

At each point p and for every entry e of the result pytree::

    err[p, e]   = |yours[p, e] - autodiff[p, e]|
    scale[p]    = max_e |autodiff[p, e]|                    (the derivative's own size at that point)
    pass  iff   err[p, e] <= rtol * scale[p] + atol           for all p, e
    max_rel_error = max_{p,e} err[p, e] / scale[p]

A :class:`Tally` keeps what the verdict and the diagnosis need while the chunks go by: the largest errors, the
smallest ``atol`` that would pass every point seen (so the default ``atol = 1e-14 · max_p scale[p]``, known only at
the end, decides the verdict exactly), the worst entry, the entries past their tolerance (a bounded list, for the
kink analysis), and the first points' values (a bounded sample, for the diagnosis).

Before any value is compared, :func:`structure_mismatch` checks that your result has the pytree structure and
shapes autodiff's has, and names the usual slips: a single array where a pytree was meant, missing or extra keys,
a tuple in swapped order, per-example or transposed arrays.
"""

from __future__ import annotations

import dataclasses
import itertools

import jax
import numpy as np

from ._diagnose import _close, diagnose_shape
from ._mistake import Mistake, MistakeKind, combined, mistake

TINY = np.finfo(np.float64).tiny
SAMPLE_BYTES = 64 * 2**20  # at most this much of the first points' values is kept for the diagnosis
MAX_SAMPLE_POINTS = 1_000_000
MAX_CANDIDATES = 2048  # entries past their tolerance kept for the kink analysis


def leaf_labels(
    paths, arg_names: tuple[str, ...], tuple_argnums: bool, kind: str, plain: bool
) -> list[str]:
    """Human names for the result's leaves: the argument's name, then the pytree path inside it.

    ``arg_names`` are the differentiated arguments' names (in argnums order). A single plain array argument gets
    the empty label (its entries are simply "entry (i, j)").
    """
    labels = []
    for path in paths:
        keys = list(path)
        if kind == "Hessian" and tuple_argnums and len(keys) >= 2:
            a, b = (arg_names[getattr(k, "idx", 0)] for k in keys[:2])
            labels.append(f"({a}, {b})" + jax.tree_util.keystr(tuple(keys[2:])))
        elif tuple_argnums and keys:
            labels.append(
                arg_names[getattr(keys[0], "idx", 0)] + jax.tree_util.keystr(tuple(keys[1:]))
            )
        elif plain:
            labels.append("")
        else:
            labels.append(arg_names[0] + jax.tree_util.keystr(tuple(keys)))
    return labels


def structure_mismatch(
    got, ref, ns: tuple[int, ...], noun: str, labels: list[str]
) -> Mistake | None:
    """None when ``got`` (stacked over points) has autodiff's structure and shapes, else the slip, named."""
    ref_flat = jax.tree_util.tree_flatten_with_path(ref)[0]
    got_flat = jax.tree_util.tree_flatten_with_path(got)[0]
    ref_paths = [jax.tree_util.keystr(p) for p, _ in ref_flat]
    got_paths = [jax.tree_util.keystr(p) for p, _ in got_flat]
    same_structure = jax.tree_util.tree_structure(got) == jax.tree_util.tree_structure(ref)
    if not same_structure:
        return _structure(got, ref, got_flat, ref_flat, got_paths, ref_paths, ns, noun, labels)
    problems = []
    for label, (_, g), (_, r) in zip(labels, got_flat, ref_flat):
        g, r = np.asarray(g), np.asarray(r)
        if g.shape != r.shape:
            problems.append(diagnose_shape(g, r, ns, noun=noun).with_leaf(label))
    if problems and len(ref_flat) > 1:
        swapped = _swapped(got, ref, labels)
        if swapped:
            return swapped
    if not problems and len(ref_flat) > 1:
        return _swapped(got, ref, labels, values_only=True)
    text, first = combined(problems)
    return None if first is None else dataclasses.replace(first, text=text)


def _structure(got, ref, got_flat, ref_flat, got_paths, ref_paths, ns, noun, labels) -> Mistake:
    return mistake(
        MistakeKind.STRUCTURE,
        _structure_text(got_flat, ref_flat, got_paths, ref_paths, labels),
        expected=tuple(ref_paths),
        got=tuple(got_paths),
    )


def _structure_text(got_flat, ref_flat, got_paths, ref_paths, labels) -> str:
    """Different pytree structures: a single array for a pytree, missing / extra keys, a swapped tuple."""
    n_ref, n_got = len(ref_flat), len(got_flat)
    expected = ", ".join(lab or "the array" for lab in labels)
    if n_got == 1 and n_ref > 1 and got_paths == [""]:
        return (
            f"wrong structure: expected {n_ref} arrays (a pytree: {expected}), got a single array"
        )
    missing = [p for p in ref_paths if p not in got_paths]
    extra = [p for p in got_paths if p not in ref_paths]
    if (missing or extra) and len(missing) < n_ref:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("unexpected " + ", ".join(extra))
        return f"wrong structure: {'; '.join(parts)} (expected the leaves {', '.join(ref_paths)})"
    return (
        f"wrong structure: expected {n_ref} arrays ({', '.join(ref_paths) or 'one array'}), got {n_got} "
        f"({', '.join(got_paths) or 'one array'})"
    )


def _swapped(got, ref, labels, values_only: bool = False) -> Mistake | None:
    """A tuple result in another order: the shapes (or, when all shapes agree, the values) match a permutation."""
    if not (
        isinstance(got, (tuple, list))
        and isinstance(ref, (tuple, list))
        and len(got) == len(ref) > 1
    ):
        return None
    k = len(ref)
    if k > 6:
        return None
    g_leaves = [jax.tree_util.tree_leaves(x) for x in got]
    r_leaves = [jax.tree_util.tree_leaves(x) for x in ref]

    def fits(i, j):  # your entry i is the true entry j
        gi, rj = g_leaves[i], r_leaves[j]
        return len(gi) == len(rj) and all(
            np.shape(a) == np.shape(b) and _close(np.asarray(a), np.asarray(b))
            for a, b in zip(gi, rj)
        )

    if values_only and all(fits(i, i) for i in range(k)):
        return None
    for perm in itertools.permutations(range(k)):
        if perm == tuple(range(k)):
            continue
        if all(fits(i, perm[i]) for i in range(k)):
            names = [_top_label(labels, ref, j) for j in range(k)]
            yours = ", ".join(names[perm[i]] for i in range(k))
            text = (
                f"order swapped: your tuple holds ({yours}) where ({', '.join(names)}) was expected; each entry "
                "is right, in the wrong position"
            )
            return mistake(MistakeKind.SWAPPED, text, order=tuple(perm))
    return None


def _top_label(labels, ref, j) -> str:
    """The name of the j-th entry of a tuple result (its first leaf's label, without a pytree path)."""
    start = sum(len(jax.tree_util.tree_leaves(x)) for x in ref[:j])
    label = labels[start] if start < len(labels) else ""
    return label.split("[")[0] or f"entry {j}"


@dataclasses.dataclass
class Candidate:
    """An entry past its (running) tolerance: point, leaf, flat index, values, the point's scale."""

    point: int
    leaf: int
    index: int
    yours: float
    autodiff: float
    scale: float
    err: float
    lo: float | None = None  # one-sided derivatives (filled by the kink analysis)
    hi: float | None = None


@dataclasses.dataclass
class Pending:
    """A non-finite entry (yours or autodiff's, not both the same infinity), judged after the comparison."""

    point: int
    leaf: int
    index: int
    yours: float
    autodiff: float


class Tally:
    """Running comparison over chunks (see the module docstring). Not part of the public API.

    Everything the verdict needs is kept per point (the row's largest error, its excess over the tolerance, its
    worst entry), so that points found to lie outside f's domain can be left out afterwards (:meth:`exclude`) and
    the aggregates recomputed exactly.
    """

    def __init__(
        self,
        labels: list[str],
        n_points: int,
        rtol: float,
        atol: float | None,
        per_point_bytes: int,
    ):
        self.labels = labels
        self.n_points = n_points
        self.rtol = rtol
        self.fixed_atol = atol
        self.max_scale = 0.0
        n, leaves = n_points, len(labels)
        self.p_abs = np.zeros(n)  # per point: max |yours − autodiff|
        self.p_rel = np.zeros(n)  # per point: that / scale
        self.p_need = np.full((n, leaves), -np.inf)  # per point and leaf: max err − rtol·scale
        self.p_bad = np.zeros((n, leaves), bool)  # per point and leaf: past the running tolerance
        self.p_ratio = np.full((n, leaves), -np.inf)  # per point and leaf: worst err / tolerance
        self.p_entry = np.zeros((n, leaves), np.int64)  # ... its flat index
        self.p_values = np.zeros((n, leaves, 2))  # ... yours, autodiff there
        self.p_scale = np.zeros(n)
        self.chunk_starts: list[int] = []
        self.kept = np.ones(n, bool)
        self.candidates: list[Candidate] = []
        self.pending: list[Pending] = []  # non-finite entries, for the classification stage
        self.pending_overflow = 0
        self.overflow = 0  # candidates not kept
        keep = SAMPLE_BYTES // max(per_point_bytes, 1)
        self.sample_points = int(min(n_points, max(keep, 2), MAX_SAMPLE_POINTS))
        self.sample_got: list[list[np.ndarray]] = [[] for _ in labels]
        self.sample_ref: list[list[np.ndarray]] = [[] for _ in labels]
        self.sample_args: list = []
        self.chunks = 0
        self.n_entries = 0  # entries compared (points x entries per point)
        self.scales: list[np.ndarray] = []  # per-point scale of the sampled points

    @property
    def atol(self) -> float:
        return 1e-14 * self.max_scale if self.fixed_atol is None else self.fixed_atol

    def add(self, got_leaves, ref_leaves, offset: int, args=None) -> None:
        """Compare one chunk: lists of (m, ...) float64 arrays per leaf, points offset .. offset + m."""
        m = ref_leaves[0].shape[0] if ref_leaves else 0
        scale = np.zeros(m)
        # the derivative's own scale at each point: its largest finite |autodiff| entry
        for r in ref_leaves:
            magnitude = np.abs(r).reshape(m, -1)
            row = magnitude.max(axis=1, initial=0.0)
            if not np.isfinite(row).all():  # inf or NaN entries do not count
                row = np.where(np.isfinite(magnitude), magnitude, 0.0).max(axis=1, initial=0.0)
            scale = np.maximum(scale, row)
        self.max_scale = max(self.max_scale, float(scale.max(initial=0.0)))
        self.p_scale[offset : offset + m] = scale
        atol = self.atol
        self.chunks += 1
        self.chunk_starts.append(offset)
        for leaf, (got, ref) in enumerate(zip(got_leaves, ref_leaves)):
            self._leaf(leaf, got, ref, scale, atol, offset)
        keep = min(m, self.sample_points - offset)
        if keep > 0:
            self.scales.append(scale[:keep])
            for leaf, (got, ref) in enumerate(zip(got_leaves, ref_leaves)):
                self.sample_got[leaf].append(got[:keep])
                self.sample_ref[leaf].append(ref[:keep])
            if args is not None:
                self.sample_args.append((keep, args))

    def _errors(self, leaf, got, ref, offset) -> np.ndarray:
        """|yours − autodiff| per (point, entry); non-finite entries are set aside as :class:`Pending` (0 here),
        except equal infinities, which agree."""
        m = got.shape[0]
        err = np.subtract(got, ref).reshape(m, -1)
        np.abs(err, out=err)
        if np.isfinite(err).all():
            return err
        odd = ~np.isfinite(err)
        flat_g, flat_r = got.reshape(m, -1), ref.reshape(m, -1)
        odd &= ~(flat_g == flat_r)  # the same infinity on both sides agrees
        err[~np.isfinite(err)] = 0.0
        for p, e in zip(*np.nonzero(odd)):
            if len(self.pending) >= MAX_CANDIDATES:
                self.pending_overflow += 1
                continue
            self.pending.append(
                Pending(offset + int(p), leaf, int(e), float(flat_g[p, e]), float(flat_r[p, e]))
            )
        return err

    def _leaf(self, leaf, got, ref, scale, atol, offset) -> None:
        """Fold one leaf of one chunk into the tally.

        Per point p everything is a monotone function of err[p, e] with the point's own constants (its scale, its
        tolerance), so the largest value over entries is that function of the row's largest error: one pass over
        the entries for the row maxima, then only the rows that matter. The results equal, bit for bit, those of
        evaluating every ratio entry by entry (rounding is monotone, and ties keep the first entry in C order).
        """
        m = got.shape[0]
        self.n_entries += got.size
        if not got.size:
            return
        err = self._errors(leaf, got, ref, offset)
        rows_of = slice(offset, offset + m)
        # the worst entry of each row (dividing by the row's tolerance keeps it)
        picked = err.argmax(axis=1)
        row_max = err[np.arange(m), picked]
        self.p_abs[rows_of] = np.maximum(self.p_abs[rows_of], row_max)
        self.p_rel[rows_of] = np.maximum(self.p_rel[rows_of], row_max / np.maximum(scale, TINY))
        self.p_need[rows_of, leaf] = row_max - self.rtol * scale
        denominator = self.rtol * scale + atol + TINY
        self.p_ratio[rows_of, leaf] = row_max / denominator
        self.p_entry[rows_of, leaf] = picked
        flat_g, flat_r = got.reshape(m, -1), ref.reshape(m, -1)
        self.p_values[rows_of, leaf, 0] = flat_g[np.arange(m), picked]
        self.p_values[rows_of, leaf, 1] = flat_r[np.arange(m), picked]
        threshold = self.rtol * scale + atol
        self.p_bad[rows_of, leaf] = row_max > threshold
        # row by row, in C order: the first MAX_CANDIDATES are kept, the rest counted
        for r in np.flatnonzero(row_max > threshold):
            cols = np.flatnonzero(err[r] > threshold[r])
            room = max(MAX_CANDIDATES - len(self.candidates), 0)
            self.overflow += max(len(cols) - room, 0)
            for e in cols[:room]:
                self.candidates.append(
                    Candidate(
                        point=offset + int(r),
                        leaf=leaf,
                        index=int(e),
                        yours=float(flat_g[r, e]),
                        autodiff=float(flat_r[r, e]),
                        scale=float(scale[r]),
                        err=float(err[r, e]),
                    )
                )

    def exclude(self, points) -> None:
        """Leave ``points`` out of every aggregate (points where f itself is not finite)."""
        for p in points:
            self.kept[p] = False
        gone = {int(p) for p in points}
        self.candidates = [c for c in self.candidates if c.point not in gone]
        self.pending = [c for c in self.pending if c.point not in gone]

    @property
    def skipped(self) -> int:
        return int(np.sum(~self.kept))

    @property
    def max_abs(self) -> float:
        return float(self.p_abs[self.kept].max(initial=0.0))

    @property
    def max_rel(self) -> float:
        return float(self.p_rel[self.kept].max(initial=0.0))

    @property
    def need(self) -> float:
        """The smallest atol that would pass every kept point."""
        return float(self.p_need[self.kept].max(initial=-np.inf))

    @property
    def worst(self) -> tuple | None:
        """(ratio, point, leaf, entry, yours, autodiff) of the entry furthest past its tolerance: chunk by chunk,
        leaf by leaf, the first point among equals (the order the chunks were compared in)."""
        best = None
        for start, stop in itertools.pairwise([*self.chunk_starts, self.n_points]):
            for leaf in range(len(self.labels)):
                ratio = np.where(self.kept[start:stop], self.p_ratio[start:stop, leaf], -np.inf)
                if not ratio.size or ratio.max() == -np.inf:
                    continue
                p = int(np.argmax(ratio))
                if best is None or ratio[p] > best[0]:
                    best = (float(ratio[p]), start + p, leaf)
        if best is None:
            return None
        _, p, leaf = best
        shape = self.sample_ref[leaf][0].shape[1:] if self.sample_ref[leaf] else ()
        e = int(self.p_entry[p, leaf])
        entry = tuple(int(i) for i in np.unravel_index(e, shape)) if shape else ()
        return (
            best[0],
            p,
            leaf,
            entry,
            float(self.p_values[p, leaf, 0]),
            float(self.p_values[p, leaf, 1]),
        )

    def passed(self) -> bool:
        """Every entry within tolerance, with the final atol (err ≤ rtol·scale + atol, exactly so for one chunk),
        and no non-finite entry left to judge."""
        if self.pending or self.pending_overflow:
            return False
        if self.chunks == 1:
            return not bool(self.p_bad[self.kept].any())
        return self.need <= self.atol

    def leaf_bad(self, leaf: int) -> bool:
        """Some entry of this leaf is past the final tolerance."""
        if self.chunks == 1:
            return bool(self.p_bad[self.kept, leaf].any())
        return float(self.p_need[self.kept, leaf].max(initial=-np.inf)) > self.atol

    def without(self, excluded) -> tuple[float, float, tuple | None]:
        """(max abs error, max rel error, worst entry) leaving out the ``excluded`` candidates (entries accepted as
        sub-gradients); computed from the sample when it holds every point, else the worst entry is dropped."""
        if self.sample_points < self.n_points:
            return self.max_abs, self.max_rel, None
        drop = {(c.leaf, c.point, c.index) for c in excluded}
        scale = np.concatenate(self.scales)
        max_abs = max_rel = 0.0
        worst = None
        for leaf in range(len(self.labels)):
            got, ref = self.sample(leaf)
            flat_g, flat_r = got.reshape(got.shape[0], -1), ref.reshape(ref.shape[0], -1)
            err = np.abs(flat_g - flat_r)
            err = np.where(np.isfinite(err) | (flat_g == flat_r), err, -1.0)
            err[np.isnan(err)] = 0.0
            err[~self.kept[: err.shape[0]]] = -1.0
            for lf, p, e in drop:
                if lf == leaf:
                    err[p, e] = -1.0  # never the worst, counts as 0
            if not err.size:
                continue
            max_abs = max(max_abs, float(err.max(initial=0.0)))
            max_rel = max(max_rel, float((err / np.maximum(scale, TINY)[:, None]).max(initial=0.0)))
            ratio = err / (self.rtol * scale[:, None] + self.atol + TINY)
            p, e = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
            if worst is None or ratio[p, e] > worst[0]:
                entry = tuple(int(i) for i in np.unravel_index(e, got.shape[1:]))
                worst = (
                    float(ratio[p, e]),
                    int(p),
                    leaf,
                    entry,
                    float(flat_g[p, e]),
                    float(flat_r[p, e]),
                )
        return max_abs, max_rel, worst

    def still_bad(self) -> list[Candidate]:
        """The kept candidates that are past the final tolerance."""
        atol = self.atol
        return [c for c in self.candidates if c.err > self.rtol * c.scale + atol]

    def sample(self, leaf: int) -> tuple[np.ndarray, np.ndarray]:
        """(yours, autodiff) at the sampled points for one leaf."""
        return np.concatenate(self.sample_got[leaf]), np.concatenate(self.sample_ref[leaf])
