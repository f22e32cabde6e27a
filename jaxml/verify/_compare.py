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


def structure_mismatch(got, ref, ns: tuple[int, ...], noun: str, labels: list[str]) -> str | None:
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
            problems.append((f"{label}: " if label else "") + diagnose_shape(g, r, ns, noun=noun))
    if problems and len(ref_flat) > 1:
        swapped = _swapped(got, ref, labels)
        if swapped:
            return swapped
    if not problems and len(ref_flat) > 1:
        return _swapped(got, ref, labels, values_only=True)
    return "; ".join(problems) or None


def _structure(got, ref, got_flat, ref_flat, got_paths, ref_paths, ns, noun, labels) -> str:
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


def _swapped(got, ref, labels, values_only: bool = False) -> str | None:
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
            return (
                f"order swapped: your tuple holds ({yours}) where ({', '.join(names)}) was expected; each entry "
                "is right, in the wrong position"
            )
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


class Tally:
    """Running comparison over chunks (see the module docstring). Not part of the public API."""

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
        self.need = -np.inf  # smallest atol that would pass every point seen
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.worst: tuple | None = None  # (ratio, point, leaf, entry, yours, autodiff)
        self.candidates: list[Candidate] = []
        self.overflow = 0  # candidates not kept
        keep = SAMPLE_BYTES // max(per_point_bytes, 1)
        self.sample_points = int(min(n_points, max(keep, 2), MAX_SAMPLE_POINTS))
        self.sample_got: list[list[np.ndarray]] = [[] for _ in labels]
        self.sample_ref: list[list[np.ndarray]] = [[] for _ in labels]
        self.sample_args: list = []
        self.chunks = 0
        self.n_entries = 0  # entries compared (points x entries per point)
        self.leaf_need = [-np.inf] * len(labels)
        self.leaf_any = [False] * len(labels)
        self.scales: list[np.ndarray] = []  # per-point scale of the sampled points
        self.any_bad = (
            False  # some entry past the running tolerance (exact when there is one chunk)
        )

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
        atol = self.atol
        self.chunks += 1
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
        err = np.subtract(got, ref).reshape(m, -1)
        np.abs(err, out=err)
        if not np.isfinite(err).all():
            err[~np.isfinite(err)] = np.inf  # NaN counts as infinitely wrong
        row_max = err.max(axis=1)
        self.max_abs = max(self.max_abs, float(row_max.max()))
        self.max_rel = max(self.max_rel, float((row_max / np.maximum(scale, TINY)).max()))
        need = float(np.max(row_max - self.rtol * scale))
        self.need = max(self.need, need)
        self.leaf_need[leaf] = max(self.leaf_need[leaf], need)
        # worst = the entry furthest past its own tolerance (first in C order among equals)
        denominator = self.rtol * scale + atol + TINY
        row_ratio = row_max / denominator
        p = int(np.argmax(row_ratio))
        if self.worst is None or row_ratio[p] > self.worst[0]:
            e = int(np.argmax(err[p] / denominator[p]))
            self.worst = (
                float(row_ratio[p]),
                offset + p,
                leaf,
                tuple(int(i) for i in np.unravel_index(e, got.shape[1:])),
                float(got.reshape(m, -1)[p, e]),
                float(ref.reshape(m, -1)[p, e]),
            )
        threshold = self.rtol * scale + atol
        rows = np.flatnonzero(row_max > threshold)
        self.any_bad |= bool(len(rows))
        self.leaf_any[leaf] |= bool(len(rows))
        flat_g, flat_r = got.reshape(m, -1), ref.reshape(m, -1)
        # row by row, in C order: the first MAX_CANDIDATES are kept, the rest counted
        for r in rows:
            cols = np.flatnonzero(err[r] > threshold[r])
            room = max(MAX_CANDIDATES - len(self.candidates), 0)
            self.overflow += max(len(cols) - room, 0)
            for e in cols[:room]:
                self._keep(int(r), int(e), offset, leaf, flat_g, flat_r, err, scale)

    def _keep(self, p, e, offset, leaf, flat_g, flat_r, err, scale) -> None:
        self.candidates.append(
            Candidate(
                point=offset + p,
                leaf=leaf,
                index=e,
                yours=float(flat_g[p, e]),
                autodiff=float(flat_r[p, e]),
                scale=float(scale[p]),
                err=float(err[p, e]),
            )
        )

    def passed(self) -> bool:
        """Every entry within tolerance, with the final atol (err ≤ rtol·scale + atol, exactly so for one chunk)."""
        if self.chunks == 1:
            return not self.any_bad
        return self.need <= self.atol

    def leaf_bad(self, leaf: int) -> bool:
        """Some entry of this leaf is past the final tolerance."""
        return self.leaf_any[leaf] if self.chunks == 1 else self.leaf_need[leaf] > self.atol

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
            err = np.where(np.isfinite(err), err, np.inf)
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
