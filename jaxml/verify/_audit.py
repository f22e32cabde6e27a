"""Audit: would the check have caught the usual slips? A PASS at points that cannot tell right from wrong means
nothing, and no other checker says so.

After a check passes, the standard slips are applied to **your own** gradient at the same points, and each is
compared with autodiff at the same tolerance, as the check compared yours (the values are already computed: the
audit costs NumPy arithmetic, no compiled program):

* × n and × 1/n for every axis length n of the arguments (the batch size among them; n = 1 included);
* × 2 and × ½ (d/dx x² = 2x), and the sign;
* each square matrix leaf of a gradient transposed (a Hessian is symmetric: its transpose is no slip);
* each leaf zeroed (a term forgotten).

(A per-example gradient left unsummed has another shape, which the structure comparison always catches.) Every
slip that would still PASS is a **blind spot**, listed with its reason: "a missing 1/n would pass: n = 1 in your
example (axis 0 of x has length 1)"; "a transposed W would pass: your example W is square and symmetric". A good
example has none.
"""

from __future__ import annotations

import jax
import numpy as np

from ._compare import Tally
from ._evaluate import arg_names


def _factor_name(c: float) -> str:
    return {2.0: "× 2", 0.5: "× ½", -1.0: "a sign flip"}.get(c, "")


class Auditor:
    """Collects, chunk by chunk, how each slip of your gradient compares (an observer of ``_evaluate``)."""

    def __init__(self, spec, pts):
        self.spec, self.pts = spec, pts
        self.names = arg_names(spec.f, len(pts.args))
        self.lengths = _axis_lengths(pts, self.names)  # {n: "axis 0 of x", ...}
        self.slips: list = []  # (description, kind, parameter, transform)
        self.tallies: list[Tally] = []
        self.leaf_max: list[float] = []  # per result leaf: max |autodiff|
        self.leaf_asym: list[float] = []  # per result leaf: max |yours − yoursᵀ| (square leaves)
        self.arg_symmetric: list[
            bool
        ] = []  # per result leaf: its argument is symmetric at every point

    def _build(self, labels: list, shapes: list) -> None:
        for n in sorted(self.lengths):
            self.slips.append((f"× {n}", "factor", n, lambda g, n=n: g * n))
            if n != 1:
                self.slips.append((f"× 1/{n}", "factor", 1.0 / n, lambda g, n=n: g / n))
        for c in (2.0, 0.5, -1.0):
            self.slips.append((_factor_name(c), "factor", c, lambda g, c=c: g * c))
        for leaf, shape in enumerate(shapes):
            # a Hessian is symmetric by nature: its transpose is no slip
            square = len(shape) >= 2 and shape[-1] == shape[-2]
            if square and self.spec.kind == "gradient":
                self.slips.append(("transpose", "transpose", leaf, None))
            self.slips.append(("zero", "zero", leaf, None))
        per_point = self.pts.per_point_bytes()
        self.tallies = [
            Tally(labels, self.pts.n, self.spec.rtol, self.spec.atol, per_point) for _ in self.slips
        ]
        for t in self.tallies:  # the audit needs verdicts, not samples
            t.sample_points = 0
        self.leaf_max = [0.0] * len(shapes)
        self.leaf_asym = [0.0] * len(shapes)
        self.arg_symmetric = [True] * len(shapes)

    def observe(self, got_leaves: list, ref_leaves: list, start: int, chunk: tuple) -> None:
        """Fold one chunk (your and autodiff's leaves, (m, ...) float64) into every slip's tally."""
        m = ref_leaves[0].shape[0] if ref_leaves else 0
        if not self.slips:
            self._build(
                [f"leaf {i}" for i in range(len(ref_leaves))], [r.shape[1:] for r in ref_leaves]
            )
        got_leaves = [g[:m] for g in got_leaves]
        for leaf, (g, r) in enumerate(zip(got_leaves, ref_leaves)):
            finite = np.where(np.isfinite(r), np.abs(r), 0.0)
            self.leaf_max[leaf] = max(self.leaf_max[leaf], float(finite.max(initial=0.0)))
            if g.ndim >= 3 and g.shape[-1] == g.shape[-2]:
                asym = np.abs(g - np.swapaxes(g, -1, -2))
                self.leaf_asym[leaf] = max(self.leaf_asym[leaf], float(asym.max(initial=0.0)))
        self._arguments_symmetric(chunk, m)
        for (_, kind, param, transform), tally in zip(self.slips, self.tallies):
            slipped = list(got_leaves)
            if kind == "factor":
                slipped = [transform(g) for g in slipped]
            elif kind == "transpose":
                slipped[param] = np.swapaxes(slipped[param], -1, -2)
            else:
                slipped[param] = np.zeros_like(slipped[param])
            tally.add(slipped, ref_leaves, start)

    def _arguments_symmetric(self, chunk: tuple, m: int) -> None:
        """Whether each result leaf's argument leaf is symmetric at the chunk's points."""
        leaves = []
        for i in self.spec.argnums_t:
            for x in jax.tree_util.tree_leaves(chunk[i]):
                leaves.append(np.asarray(x, np.float64))
        for leaf, x in enumerate(leaves[: len(self.arg_symmetric)]):
            if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
                self.arg_symmetric[leaf] = False
                continue
            x = x[:m] if self.pts.in_axes[self._arg_of(leaf)] == 0 else x
            self.arg_symmetric[leaf] &= bool(np.array_equal(x, np.swapaxes(x, -1, -2)))

    def _arg_of(self, leaf: int) -> int:
        k = 0
        for i in self.spec.argnums_t:
            k += len(jax.tree_util.tree_leaves(self.pts.args[i]))
            if leaf < k:
                return i
        return self.spec.argnums_t[-1]

    def blind_spots(self, evaluation) -> tuple:
        """The slips that would still PASS, each with its reason."""
        labels = evaluation.labels
        out = []
        for (desc, kind, param, _), tally in zip(self.slips, self.tallies):
            if not tally.passed():
                continue
            out.append(self._reason(desc, kind, param, labels, tally))
        return tuple(out)

    def _reason(self, desc, kind, param, labels, tally) -> str:
        everywhere_zero = max(self.leaf_max, default=0.0) == 0.0
        if kind == "factor":
            what = {
                "× 2": "an extra factor 2",
                "× ½": "a missing factor 2",
                "a sign flip": "a sign flip",
            }.get(desc)
            if what is None:
                n = param if param >= 1 else round(1 / param)
                what = f"a missing 1/n (× {n})" if param >= 1 else f"an extra 1/n (× 1/{n})"
                if n == 1:
                    return (
                        f"{what} would pass: n = 1 in your example ({self.lengths[1]} has length 1)"
                    )
            if everywhere_zero:
                return f"{what} would pass: your gradient is zero at every point checked"
            return (
                f"{what} would pass: the tolerance (rtol {tally.rtol:.0e}) is too loose to see it"
            )
        name = labels[param] or self.names[self._arg_of(param)]
        if kind == "transpose":
            domain = self.pts.domains[self._arg_of(param)] if self.pts.domains else None
            if domain is not None and domain.restricts_directions:
                return (
                    f"a transposed {name} would pass: on domain {domain.name!r} only symmetric directions exist, "
                    "so a gradient and its transpose are the same derivative there (no slip to catch)"
                )
            if self.arg_symmetric[param]:
                return (
                    f"a transposed {name} would pass: your example {name} is square and symmetric "
                    "(use a non-symmetric one, or a non-square one)"
                )
            if self.leaf_asym[param] <= tally.rtol * self.leaf_max[param] + tally.atol:
                return f"a transposed {name} would pass: the gradient w.r.t. {name} is symmetric at every point"
            return f"a transposed {name} would pass: the directions compared on its domain are symmetric"
        if self.leaf_max[param] == 0.0:
            return f"a forgotten {name} (zero) would pass: the gradient w.r.t. {name} is zero at every point"
        return f"a forgotten {name} (zero) would pass: the tolerance (rtol {tally.rtol:.0e}) is too loose"


def _axis_lengths(pts, names) -> dict:
    """{axis length: where it occurs} over every array argument's per-point axes (1 included)."""
    out = {}
    for i, (a, ax) in enumerate(zip(pts.args, pts.in_axes)):
        for path, leaf in jax.tree_util.tree_flatten_with_path(a)[0]:
            shape = np.shape(leaf)
            for k, n in enumerate(shape):
                out.setdefault(int(n), f"axis {k} of {names[i]}{jax.tree_util.keystr(path)}")
    return out
