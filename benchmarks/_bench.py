"""What every benchmark module shares: the run's context, one row of the table, the markdown table, and timing
the JAX side beside its NumPy (and scikit-learn) peers.

benchmarks/ is a folder of scripts, not a package: ``run.py`` runs with this folder first on ``sys.path``, so the
modules import each other by their plain names (``import _bench``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import _timing as timing
import numpy as np


@dataclasses.dataclass
class Ctx:
    """One benchmark run.

    Attributes:
      data: the :class:`jaxml.data.DataSource` (real files or the synthetic stand-ins).
      data_dir: its folder (None for the stand-ins), passed on to the child processes.
      quick: smaller step counts and fewer repeats (targets are then not judged).
      repeats: timed repeats per benchmark.
      log: ``log(message)`` (stderr).
      seed: the ``jaxml reproduce --seed`` whose sizes and random streams the NumPy sums replay.
      device: a jax.Device for the JAX side (the GPU section), or None for jaxml's placement policy.
      blas_threads: OpenBLAS threads for NumPy, SciPy and jaxlib's LAPACK (None: the libraries' default).
      numpy_times: NumPy medians by benchmark name, reused when the JAX side runs again on another device.
      cache: prepared inputs shared by several benchmarks (features, distance matrices), by name.
    """

    data: object
    data_dir: str | None
    quick: bool
    repeats: int
    log: Callable[[str], None]
    seed: int = 0
    device: object = None
    blas_threads: int | None = 1
    numpy_times: dict = dataclasses.field(default_factory=dict)
    cache: dict = dataclasses.field(default_factory=dict)

    @property
    def full(self) -> bool:
        return not self.quick

    def once(self, name: str, make: Callable[[], object]):
        """``make()`` on first use, then the cached value."""
        if name not in self.cache:
            self.cache[name] = make()
        return self.cache[name]

    def placed(self, kind: str):
        """The device the JAX side runs on: ``self.device`` when set, else jaxml's policy for ``kind``."""
        import jax

        from jaxml.placement import placed

        return jax.default_device(self.device) if self.device is not None else placed(kind)

    def timed_pair(
        self,
        name: str,
        jax_fn,
        numpy_fn,
        *,
        kind: str,
        sklearn_fn=None,
        sklearn_repeats=None,
        repeats=None,
    ) -> dict:
        """Time ``jax_fn`` (placed for ``kind``) beside its peers; on a second device reuse the NumPy times.

        Returns:
          {"jax": Timing, "numpy": Timing | None, "sklearn": Timing | None} (see ``_timing.time_pair``).
        """
        repeats = self.repeats if repeats is None else repeats
        reuse = self.device is not None and name in self.numpy_times

        def jax_call():
            with self.placed(kind):
                return jax_fn()

        t = timing.time_pair(
            jax_call,
            None if reuse else numpy_fn,
            repeats=repeats,
            sklearn_fn=None if reuse else sklearn_fn,
            sklearn_repeats=sklearn_repeats,
        )
        if reuse:
            t["numpy"], t["sklearn"] = self.numpy_times[name]
        else:
            self.numpy_times[name] = (t["numpy"], t["sklearn"])
        return t


@dataclasses.dataclass
class Row:
    """One line of the results table. Times in seconds (medians); None where not applicable."""

    benchmark: str
    what: str
    jax_s: float | None = None
    jax_compile_s: float | None = None
    numpy_s: float | None = None
    sklearn_s: float | None = None
    agreement: str = ""
    target: str = ""
    met: bool | None = None  # None: no target, or not judged (quick mode)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """NumPy median / JAX median (> 1: JAX faster)."""
        if self.jax_s and self.numpy_s:
            return self.numpy_s / self.jax_s
        return None


def row(name: str, what: str, t: dict, **kw) -> Row:
    """A :class:`Row` from the timings of :meth:`Ctx.timed_pair`."""
    j, n, s = t.get("jax"), t.get("numpy"), t.get("sklearn")
    return Row(
        name,
        what,
        jax_s=j.median if j else None,
        jax_compile_s=j.compile if j else None,
        numpy_s=n.median if n else None,
        sklearn_s=s.median if s else None,
        **kw,
    )


@dataclasses.dataclass(frozen=True)
class Term:
    """One NumPy peer run at the size an experiment of ``jaxml reproduce`` ran it (a term of the NumPy sum).

    Attributes:
      section: the write-up section ("§1" ... "§6"): the headline sum takes §1–§4.
      experiment: the experiment's name in results.json.
      what: what the term computes, with its sizes.
      fn: runs it.
    """

    section: str
    experiment: str
    what: str
    fn: Callable[[], object]


def fmt_s(v: float | None) -> str:
    """Seconds with 3 significant digits."""
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 1:
        return f"{v:.2f}"
    if v >= 0.01:
        return f"{v:.3f}"
    return f"{v:.2e}"


def fmt_ratio(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:.1f}×" if v >= 1 else f"{v:.2f}×"


def _met(r: Row) -> str:
    if not r.target:
        return ""
    if r.met is None:
        return "not judged"
    return "**yes**" if r.met else "**no**"


def markdown_table(rows: list[Row]) -> str:
    """The results table: one line per :class:`Row`."""
    head = (
        "| benchmark | what | JAX (median s) | JAX compile (s) | NumPy (median s) | ratio NumPy/JAX | "
        "sklearn (s) | agreement | target | met? |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        cells = [
            r.benchmark,
            r.what,
            fmt_s(r.jax_s),
            fmt_s(r.jax_compile_s),
            fmt_s(r.numpy_s),
            fmt_ratio(r.ratio),
            fmt_s(r.sklearn_s),
            r.agreement,
            r.target,
            _met(r),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def maxabs(a, b) -> float:
    """max |a − b|."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def rel(a, b) -> float:
    """max |a − b| / max |b|."""
    b = np.asarray(b, dtype=np.float64)
    return maxabs(a, b) / max(float(np.max(np.abs(b))), np.finfo(np.float64).tiny)


def accuracy(pred, y) -> float:
    return float(np.mean(np.asarray(pred) == np.asarray(y)))


def sklearn_available() -> bool:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return False
    return True
