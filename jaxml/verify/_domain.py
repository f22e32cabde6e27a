"""Domains: where a check's points may lie, and which directions count there.

Many functions are defined on part of space only: √x for x ≥ 0, log det Σ for symmetric positive-definite Σ, an
entropy on the probability simplex. A check that perturbs such an argument with plain Gaussian noise leaves the
domain (NaN on both sides, or a non-symmetric "covariance"); ``domain=`` keeps every point inside it:

==============  ==========================================================  ============================
domain          a point near x                                              directions compared
==============  ==========================================================  ============================
"real"          x + ξ ⊙ (0.5 |x| + 0.1)  (the default)                      all
"positive"      x ⊙ exp(0.5 ξ)                                              all
"nonnegative"   |x + ξ ⊙ (0.5 |x| + 0.1)|                                   all
"symmetric"     x + sym(ξ) ⊙ (0.5 |x| + 0.1)                                 symmetric: sym(v)
"spd"           A x Aᵀ with A = I + 0.3 ξ / √k  (stays positive-definite)   symmetric: sym(v)
"simplex"       softmax(log x + 0.5 ξ) along the last axis                  sum zero: v − mean(v)
project         project(x + ξ ⊙ (0.5 |x| + 0.1)), your callable             all
==============  ==========================================================  ============================

sym(v) = (v + vᵀ)/2 over the last two axes. On a symmetric argument only symmetric directions exist, so only the
symmetric part of a gradient means anything: Σ⁻¹ and a triangular autodiff gradient of a Cholesky-based log det
are the same derivative there. On the simplex, a gradient is defined up to adding a constant to every entry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from ..errors import UsageError

NAMES = ("real", "positive", "nonnegative", "symmetric", "spd", "simplex")
# the tangent convention each domain compares on, in words (for notes)
CONVENTIONS = {
    "symmetric": "only the symmetric part (G + Gᵀ)/2 counts on symmetric matrices",
    "spd": "only the symmetric part (G + Gᵀ)/2 counts on symmetric matrices",
    "simplex": "on the simplex a gradient is defined up to a constant added to every entry",
}


def _sym(v: np.ndarray) -> np.ndarray:
    return 0.5 * (v + np.swapaxes(v, -1, -2))


def _spread(x: np.ndarray) -> np.ndarray:
    # a relative spread of 0.5 plus an absolute 0.1, so zeros move too (as for "real")
    return 0.5 * np.abs(x) + 0.1


@dataclasses.dataclass(frozen=True)
class Domain:
    """One argument's domain: a name from :data:`NAMES`, or ``"project"`` with the caller's ``project``."""

    name: str
    project: Callable | None = None

    def perturb(self, x: np.ndarray, xi: np.ndarray) -> np.ndarray:
        """A point of the domain near ``x``, from standard-normal noise ``xi`` of x's shape (float64, NumPy)."""
        if self.name == "positive":
            return np.where(x > 0, x, 0.1) * np.exp(0.5 * xi)
        if self.name == "nonnegative":
            return np.abs(x + xi * _spread(x))
        if self.name == "symmetric":
            return _sym(x + _sym(xi) * _spread(x))
        if self.name == "spd":
            k = x.shape[-1]
            a = np.eye(k) + 0.3 * xi / np.sqrt(k)
            return _sym(a @ x @ np.swapaxes(a, -1, -2))
        if self.name == "simplex":
            with np.errstate(divide="ignore"):
                z = np.log(x) + 0.5 * xi
            z = np.exp(z - np.max(z, axis=-1, keepdims=True))
            return z / np.sum(z, axis=-1, keepdims=True)
        if self.name == "project":
            return np.asarray(self.project(x + xi * _spread(x)), np.float64)
        return x + xi * _spread(x)

    def tangent(self, v: np.ndarray) -> np.ndarray:
        """``v`` projected onto the directions that stay in the domain (the identity where all do)."""
        if self.name in ("symmetric", "spd"):
            return _sym(v)
        if self.name == "simplex":
            return v - np.mean(v, axis=-1, keepdims=True)
        return v

    @property
    def restricts_directions(self) -> bool:
        return self.name in CONVENTIONS

    def feasible(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """A direction like ``v`` along which x + h·v stays in the domain for small h > 0."""
        if self.name == "nonnegative":
            return np.where(x <= 0, np.abs(v), v)
        return self.tangent(v)

    def violation(self, x: np.ndarray) -> str | None:
        """Why ``x`` (one point's array) lies outside the domain, or None."""
        x = np.asarray(x, np.float64)
        if self.name == "positive" and not np.all(x > 0):
            return f"{int(np.sum(~(x > 0)))} entries are not > 0"
        if self.name == "nonnegative" and not np.all(x >= 0):
            return f"{int(np.sum(~(x >= 0)))} entries are negative"
        if self.name in ("symmetric", "spd"):
            if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
                return f"shape {x.shape} is not a square matrix"
            if not np.allclose(x, np.swapaxes(x, -1, -2), rtol=1e-12, atol=0.0):
                return "the matrix is not symmetric"
            if self.name == "spd" and not np.all(np.linalg.eigvalsh(x) > 0):
                return "the matrix is not positive-definite"
        sums_to_one = np.allclose(np.sum(x, axis=-1), 1.0, rtol=0, atol=1e-9)
        if self.name == "simplex" and (not np.all(x >= 0) or not sums_to_one):
            return "the entries are not >= 0 summing to 1 along the last axis"
        return None


def _one(domain: Any) -> Domain | None:
    if domain is None or (isinstance(domain, str) and domain == "real"):
        return None
    if isinstance(domain, Domain):
        return domain
    if isinstance(domain, str):
        if domain not in NAMES:
            raise UsageError(
                f"unknown domain {domain!r}: use one of {', '.join(NAMES)} or a callable project(x)"
            )
        return Domain(domain)
    if callable(domain):
        return Domain("project", domain)
    raise UsageError(
        f"domain must be a name ({', '.join(NAMES)}), a callable, or None; got {domain!r}"
    )


def resolve(domain: Any, n_args: int, argnums: tuple) -> tuple:
    """One :class:`Domain` (or None for "real") per argument.

    ``domain`` is one domain for every differentiated argument (a name, a callable ``project(x)``, or None), or a
    tuple / list with one entry per argument.
    """
    if isinstance(domain, (tuple, list)):
        if len(domain) != n_args:
            raise UsageError(
                f"domain= has {len(domain)} entries; give one per argument ({n_args}) or one for all"
            )
        return tuple(_one(d) for d in domain)
    one = _one(domain)
    return tuple(one if i in argnums else None for i in range(n_args))


def check_inside(domains: tuple, args: tuple, where: str = "the example") -> None:
    """Raise :class:`UsageError` when an argument of ``args`` (one point) lies outside its domain."""
    for i, (d, a) in enumerate(zip(domains, args)):
        if d is None or d.name == "project":
            continue
        for leaf in jax.tree_util.tree_leaves(a):
            problem = d.violation(np.asarray(leaf))
            if problem:
                raise UsageError(f"argument {i} of {where} is outside domain {d.name!r}: {problem}")


def result_domains(domains: tuple, argnums, args: tuple) -> list:
    """The domain of each leaf of a gradient (the leaves of ``args[argnums]``, in jax.grad's order)."""
    order = argnums if isinstance(argnums, tuple) else (argnums,)
    out = []
    for i in order:
        out += [domains[i]] * len(jax.tree_util.tree_leaves(args[i]))
    return out


def tangent_leaves(leaves: list, domains: list) -> list:
    """Each stacked leaf (points first) projected onto its domain's directions."""
    return [leaf if d is None else d.tangent(leaf) for leaf, d in zip(leaves, domains)]


def tangent(domains: tuple, argnums, tree):
    """``tree`` (values for ``args[argnums]``: one pytree, or a tuple of them for tuple argnums) projected onto the
    domains' directions, e.g. a tangent for a JVP on a symmetric argument made symmetric."""
    order = argnums if isinstance(argnums, tuple) else (argnums,)
    parts = tree if isinstance(argnums, tuple) else (tree,)
    out = []
    for i, part in zip(order, parts):
        d = domains[i]
        out.append(
            part
            if d is None
            else jax.tree_util.tree_map(lambda v, d=d: d.tangent(np.asarray(v, np.float64)), part)
        )
    return tuple(out) if isinstance(argnums, tuple) else out[0]


def feasible(domains: tuple, argnums, x, v):
    """``v`` (for ``args[argnums]``) made feasible at ``x``: x + h·v stays in the domains for small h > 0."""
    order = argnums if isinstance(argnums, tuple) else (argnums,)
    xs = x if isinstance(argnums, tuple) else (x,)
    vs = v if isinstance(argnums, tuple) else (v,)
    out = []
    for i, xi, vi in zip(order, xs, vs):
        d = domains[i]
        out.append(
            vi
            if d is None
            else jax.tree_util.tree_map(
                lambda a, b, d=d: d.feasible(np.asarray(a, np.float64), np.asarray(b, np.float64)),
                xi,
                vi,
            )
        )
    return tuple(out) if isinstance(argnums, tuple) else out[0]
