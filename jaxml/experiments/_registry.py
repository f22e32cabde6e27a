"""The experiment registry: each write-up problem registers one ``run(ctx) -> ExperimentOutput``.

An experiment is a plain function of a :class:`Context` (data, PRNG key, output folder, progress) that returns
the numbers for results.json, the rows of the report (ours beside the write-up's), the figures it saved and
free-form notes. ``jaxml reproduce`` runs them in registration order.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax


@dataclasses.dataclass
class Row:
    """One line of the report's comparison table.

    Attributes:
      quantity: what is measured ("test accuracy", "theta at t = 10,000").
      ours: our number, formatted.
      writeup: the write-up's number as it prints it, or "" where the write-up gives none.
      verdict: "reproduced", "differs", "erratum", "not reproducible", "new" (no write-up number), ...
      evidence: one line of why (tolerance met, what differs and why).
    """

    quantity: str
    ours: str
    writeup: str = ""
    verdict: str = ""
    evidence: str = ""


@dataclasses.dataclass
class ExperimentOutput:
    """What an experiment hands back.

    Attributes:
      results: top-level results.json keys this experiment owns (e.g. {"double_descent": {...}, "map": {...}}),
        each a JSON-able dict of plain numbers, lists and strings.
      rows: the comparison table for REPORT.md.
      figures: file names (inside the output folder) of the PNGs it saved, embedded in the report in order.
      notes: markdown paragraphs for the report (explanations, errata, caveats).
      device: the device the experiment's main computation ran on (filled by the runner if empty).
    """

    results: dict[str, Any]
    rows: list[Row] = dataclasses.field(default_factory=list)
    figures: list[str] = dataclasses.field(default_factory=list)
    notes: str = ""
    device: str = ""


class Progress:
    """Progress on stderr for anything a user waits on; silent when ``quiet``.

    ``progress.log(msg)`` prints one line; ``progress.bar(total, desc)`` returns a tqdm bar (a no-op bar when
    quiet) to be updated between jitted chunks.
    """

    def __init__(self, quiet: bool = False, stream=None):
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream

    def log(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def bar(self, total: int, desc: str = ""):
        from tqdm.auto import tqdm

        return tqdm(
            total=total, desc=desc, disable=self.quiet, file=self.stream, leave=False, unit="it"
        )


@dataclasses.dataclass
class Context:
    """Everything an experiment may use.

    Attributes:
      data: the :class:`jaxml.data.DataSource` (real files or synthetic stand-ins; ``data.kind`` says which).
      key: a PRNG key for this experiment alone (split it, never reuse it).
      out_dir: where figures go.
      progress: progress reporting (stderr).
      device_override: the ``--device`` choice ("auto", "cpu", "gpu"), None for the placement policy's own.
    """

    data: Any
    key: jax.Array
    out_dir: Path
    progress: Progress
    device_override: str | None = None


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A registered experiment. ``cost``: its rough cold run time in seconds on a 2-core CPU; worker processes start
    the costliest first (the numbers do not depend on the order)."""

    name: str
    title: str
    section: str
    run: Callable[[Context], ExperimentOutput]
    cost: float = 10.0


_REGISTRY: dict[str, Experiment] = {}


def register(name: str, *, title: str, section: str, cost: float = 10.0) -> Callable:
    """Decorator registering ``run(ctx) -> ExperimentOutput`` under ``name`` (used by ``--only``).

    Args:
      name: short name, e.g. "logreg_stability".
      title: heading in the report.
      section: the write-up section it reproduces, e.g. "§1".
      cost: rough cold run time in seconds (2-core CPU): worker processes start the costliest experiments first,
        so the longest one does not start last.
    """

    def wrap(run):
        if name in _REGISTRY:
            raise ValueError(f"experiment {name!r} registered twice")
        _REGISTRY[name] = Experiment(name=name, title=title, section=section, run=run, cost=cost)
        return run

    return wrap


def registered() -> dict[str, Experiment]:
    """All registered experiments, in registration order."""
    return dict(_REGISTRY)
