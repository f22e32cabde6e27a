"""``jaxml verify`` and ``jaxml reproduce`` as child processes: start-up, imports, compilation, data loading,
figures and the report all included, each run cold (the CLI's persistent compilation cache in a fresh, empty
directory: a first run on a machine) and warm (again on the filled cache: every later run), with its own peak RSS
and the XLA programs it compiled, counted in the child and in its worker processes (``_count_compiles.py``).

The verify group also times a user's one-derivation file (``jaxml verify mine.py``, README's example) cold and
warm, and the start-up cost of ``import jaxml`` over ``import jax`` (child processes, interleaved, medians).

The reproduce benchmark sets the child's wall time beside the NumPy peers of the experiments' computations, run in
this process at the sizes the cold run's results.json records, between the cold and the warm run (side by side,
one machine load): the §1–§4 peers summed are the issue's yardstick (reproduce cold no slower than them); the §5
peers are a separate, informational line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import _timing as timing
from _bench import Ctx, Row, Term

ROOT = Path(__file__).resolve().parent.parent
# runs a jaxml command as python -m jaxml.cli does, counting its compiles
COUNTER = Path(__file__).resolve().parent / "_count_compiles.py"
HEADLINE = (
    "§1",
    "§2",
    "§3",
    "§4",
)  # issue #11: reproduce cold no slower than the NumPy peers of §1–§4 alone


def child_env(ctx: Ctx, cache_dir: str) -> dict:
    """The child's environment: this checkout first on the path, the same BLAS threading as this process, the
    device the benchmark uses, and the CLI's persistent compilation cache in ``cache_dir``.

    The CLI keeps its cache in ``$JAXML_COMPILATION_CACHE`` (default ``~/.cache/jaxml/xla``, which may be warm from
    earlier runs): a fresh directory makes the first run honestly cold and leaves the user's cache alone. JAX's own
    variables name the same directory, for a CLI that sets no cache itself.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    if ctx.blas_threads:
        env["OPENBLAS_NUM_THREADS"] = str(ctx.blas_threads)
    if ctx.device is not None:
        env["JAXML_DEVICE"] = "cpu" if ctx.device.platform == "cpu" else "auto"
    env.update(
        JAXML_COMPILATION_CACHE=cache_dir,
        JAX_COMPILATION_CACHE_DIR=cache_dir,
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
        JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
    )
    return env


def _mib(run: timing.ChildRun) -> str:
    return f"{run.max_rss_bytes / 2**20:.0f} MiB"


def run_jaxml(args: list[str], env: dict, timeout: float) -> timing.ChildRun:
    """``jaxml ARGS`` as a child process (``run_child``: wall time, own peak RSS) through ``_count_compiles.py``,
    which behaves as ``python -m jaxml.cli ARGS`` and writes the XLA programs compiled in the child and its worker
    processes to a JSON file: returned as the run's ``compiles`` (None when the child wrote none)."""
    with tempfile.TemporaryDirectory(prefix="jaxml-compiles-") as tmp:
        counts = Path(tmp) / "compiles.json"
        run = timing.run_child(
            [sys.executable, str(COUNTER), *args],
            env={**env, "JAXML_COUNT_COMPILES": str(counts)},
            cwd=str(ROOT),
            timeout=timeout,
        )
        compiles = json.loads(counts.read_text()) if counts.is_file() else None
    return dataclasses.replace(run, compiles=compiles)


def compiles_text(run: timing.ChildRun) -> str:
    """The XLA programs of a run, for its row: compiled (XLA seconds), read back from the persistent cache, and
    the seconds of tracing and lowering, over the main process and its workers; never a partial sum as a total."""
    c = run.compiles
    if c is None:
        return "compile counts: none written (the child ended before its exit handlers)"
    where = "1 process" if c["processes"] == 1 else f"main + {c['processes'] - 1} workers"
    if not c["complete"]:
        return (
            f"compile counts INCOMPLETE: {c['workers_counted']} of {c['workers_started']} worker processes "
            f"reported ({', '.join(c['worker_start_methods'])}); {c['programs']} programs in {where} only, "
            "not the total"
        )
    text = (
        f"{c['compiled']} XLA programs compiled in {c['compile_s']:.2f} s"
        if c["compiled"]
        else "no XLA program compiled"
    )
    if c["cache_hits"]:
        text += f", {c['cache_hits']} read from the cache in {c['cache_read_s']:.2f} s"
    return text + f"; trace+lower {c['trace_s']:.2f} s ({where})"


def cold_and_warm(
    ctx: Ctx,
    make_args: Callable[[str], list[str]],
    between: Callable[[], object] | None = None,
    timeout: float = 1800,
) -> tuple[timing.ChildRun, object, timing.ChildRun | None]:
    """Run ``jaxml make_args(tag)`` cold, then ``between()``, then warm on the cache the cold run filled.

    The warm run is skipped when the cold one failed. Returns (cold run, what ``between`` returned, warm run),
    each with its ``compiles`` (:func:`run_jaxml`).
    """
    with tempfile.TemporaryDirectory(prefix="jaxml-bench-cache-") as cache:
        env = child_env(ctx, cache)
        cold = run_jaxml(make_args("cold"), env, timeout)
        middle = between() if between is not None else None
        warm = None
        if cold.returncode == 0:
            warm = run_jaxml(make_args("warm"), env, timeout)
    return cold, middle, warm


# What the compile counts of a warm run mean, for the notes (checked with JAX 0.10: its backend_compile event times
# compile_or_get_cached, so a program read back from the persistent cache fires it too; _count_compiles.py tells
# the two apart by the cache_hits event that precedes a hit).
WARM_COUNTS = (
    "a program read back from the persistent cache still fires JAX's backend_compile event (JAX "
    "0.10): counted apart as 'read from the cache', not as compiled; tracing and lowering are paid either way "
    "(the cache key is the lowered module)"
)


# ----------------------------------------------------------------------------------------------------------------
# jaxml verify
# ----------------------------------------------------------------------------------------------------------------


def bench_verify(ctx: Ctx) -> list[Row]:
    """The verify group of ``run.py``: ``import jaxml`` over ``import jax``, a user's one-derivation file, and all
    built-in derivations, each as child processes."""
    return bench_import(ctx) + bench_verify_user_file(ctx) + bench_verify_builtin(ctx)


def _verify_summary(run: timing.ChildRun) -> str:
    line = next((ln for ln in run.stdout.splitlines()[::-1] if " as expected" in ln), None)
    return (line or (run.stdout + run.stderr)[-200:]).strip()


def bench_verify_builtin(ctx: Ctx) -> list[Row]:
    """All built-in derivations at 1,000 points (100 with --quick), cold and warm (target: < 10 s cold)."""
    points = 100 if ctx.quick else 1000
    args = ["verify", "--points", str(points)]
    ctx.log(f"  jaxml verify --points {points} (child process), cold then warm ...")
    cold, _, warm = cold_and_warm(ctx, lambda _: args, timeout=900)
    return _verify_rows(
        ctx,
        cold,
        warm,
        f"all built-in derivations, {points:,} points each",
        target=10.0,
    )


# README's example of a user's file ("Declare derivations for `jaxml verify`"): one gradient, 3 parameters, 50 rows
USER_FILE = """\
import jax, jax.numpy as jnp
from jaxml.verify import derivation

def loss(theta, x, y):
    return jnp.mean((x @ theta - y) ** 2)

@derivation(of=loss, example=lambda key: (jnp.zeros(3), jax.random.normal(key, (50, 3)), jnp.ones(50)))
def my_grad(theta, x, y):
    return 2 * x.T @ (x @ theta - y) / y.shape[0]
"""


def bench_verify_user_file(ctx: Ctx) -> list[Row]:
    """``jaxml verify mine.py`` on README's one-derivation file at the default points, cold and warm (target:
    ≤ 2.5 s cold): what a user waits for on a first check."""
    with tempfile.TemporaryDirectory(prefix="jaxml-bench-user-") as tmp:
        mine = Path(tmp) / "mine.py"
        mine.write_text(USER_FILE)
        ctx.log(
            "  jaxml verify mine.py (README's one-derivation file; child process), cold then warm ..."
        )
        cold, _, warm = cold_and_warm(ctx, lambda _: ["verify", str(mine)], timeout=300)
    return _verify_rows(
        ctx,
        cold,
        warm,
        "a one-derivation user file `jaxml verify mine.py` (README's example, default points)",
        target=2.5,
    )


def _verify_rows(ctx: Ctx, cold, warm, what: str, target: float) -> list[Row]:
    rows = [
        Row(
            "jaxml verify",
            f"{what}, cold: compilation cache empty (child process: start-up, import and compile included)",
            jax_s=cold.seconds,
            agreement=f"exit {cold.returncode}: {_verify_summary(cold)}; {compiles_text(cold)}",
            target=f"≤ {target:g} s",
            met=(cold.seconds <= target and cold.returncode == 0) if ctx.full else None,
            note=f"cold: the first run on a machine; peak RSS {_mib(cold)}",
        )
    ]
    if warm is not None:
        rows.append(
            Row(
                "jaxml verify",
                f"the same ({what.split(',')[0].split(' (')[0]}), warm: the CLI's persistent compilation cache "
                "filled by the cold run",
                jax_s=warm.seconds,
                agreement=f"exit {warm.returncode}; {compiles_text(warm)}",
                note=f"warm: every run after the first; peak RSS {_mib(warm)}; {WARM_COUNTS}",
            )
        )
    return rows


# ----------------------------------------------------------------------------------------------------------------
# import jaxml vs import jax
# ----------------------------------------------------------------------------------------------------------------


def bench_import(ctx: Ctx) -> list[Row]:
    """``python -c "import jax"`` and ``python -c "import jaxml"`` as child processes, interleaved (the same
    machine load for both), medians (target: jaxml ≤ 0.15 s over jax)."""
    repeats = 3 if ctx.quick else 7
    ctx.log(
        f"  python -c 'import jax' / 'import jaxml' (child processes), {repeats} each, interleaved ..."
    )
    with tempfile.TemporaryDirectory(prefix="jaxml-bench-cache-") as cache:
        env = child_env(ctx, cache)
        runs: dict[str, list[timing.ChildRun]] = {"jax": [], "jaxml": []}
        for _ in range(repeats):
            for module, done in runs.items():
                cmd = [sys.executable, "-c", f"import {module}"]
                done.append(timing.run_child(cmd, env=env, cwd=str(ROOT), timeout=120))
    failed = [
        f"import {m}: exit {r.returncode}" for m, rs in runs.items() for r in rs if r.returncode
    ]
    med = {m: statistics.median(r.seconds for r in rs) for m, rs in runs.items()}
    extra = med["jaxml"] - med["jax"]
    ctx.log(f"  import jax {med['jax']:.2f} s, import jaxml {med['jaxml']:.2f} s (+{extra:.2f} s)")
    each = "; ".join(
        f"import {m}: " + ", ".join(f"{r.seconds:.2f}" for r in rs) + f" s, peak RSS {_mib(rs[-1])}"
        for m, rs in runs.items()
    )
    return [
        Row(
            "import jaxml",
            f'`python -c "import jaxml"` vs `python -c "import jax"`: child processes, {repeats} of each, '
            "interleaved, medians (JAX column: import jaxml)",
            jax_s=med["jaxml"],
            agreement=(
                f"import jax {med['jax']:.2f} s; import jaxml {extra:+.2f} s over it"
                + (f"; FAILED: {', '.join(failed)}" if failed else "")
            ),
            target="≤ +0.15 s over import jax",
            met=(extra <= 0.15 and not failed) if ctx.full else None,
            note=f"every run (s): {each}",
        )
    ]


# ----------------------------------------------------------------------------------------------------------------
# jaxml reproduce
# ----------------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Measured:
    """A :class:`Term` and its seconds."""

    term: Term
    seconds: float


def run_terms(ctx: Ctx, results: dict, term_makers: list[Callable]) -> list[Measured]:
    """Build every section's terms from ``results`` (inputs prepared untimed), then run each once, timed."""
    terms = [t for make in term_makers for t in make(ctx, results)]
    out = []
    for term in terms:
        _, seconds = timing.timed(term.fn)
        ctx.log(f"    NumPy peer {term.section} {term.experiment}: {term.what}: {seconds:.2f} s")
        out.append(Measured(term, seconds))
    return out


def _reproduce_args(ctx: Ctx, tmp: str) -> Callable[[str], list[str]]:
    def make(tag: str) -> list[str]:
        cmd = [
            "reproduce",
            "--out",
            str(Path(tmp) / tag),
            "--quiet",
            "--seed",
            str(ctx.seed),
        ]
        return cmd + (["--data", ctx.data_dir] if ctx.data_dir else [])

    return make


def bench_reproduce(ctx: Ctx, term_makers: list[Callable]) -> tuple[list[Row], str]:
    """Cold ``jaxml reproduce``, the NumPy peers at its sizes, warm ``jaxml reproduce``; rows and the detail table."""
    with tempfile.TemporaryDirectory(prefix="jaxml-bench-") as tmp:
        results: dict = {}

        def peers_between():
            path = Path(tmp) / "cold" / "results.json"
            if path.is_file():
                results.update(json.loads(path.read_text()))
            ctx.log("  NumPy peers at the sizes of the cold run's results.json ...")
            return run_terms(ctx, results, term_makers) if results else []

        ctx.log("  jaxml reproduce (child process): cold, then the NumPy peers, then warm ...")
        cold, measured, warm = cold_and_warm(ctx, _reproduce_args(ctx, tmp), between=peers_between)
        ctx.log("  jaxml reproduce --quick-checks (child process): cold ...")
        with tempfile.TemporaryDirectory(prefix="jaxml-bench-cache-") as cache:
            quick = run_jaxml(
                _reproduce_args(ctx, tmp)("quick") + ["--quick-checks"], child_env(ctx, cache), 1800
            )
    ctx.log(
        f"  reproduce cold {cold.seconds:.1f} s (exit {cold.returncode}, {_mib(cold)})"
        + (f", warm {warm.seconds:.1f} s ({_mib(warm)})" if warm else "")
        + f", --quick-checks cold {quick.seconds:.1f} s (exit {quick.returncode})"
    )
    if cold.returncode != 0:
        ctx.log(cold.stderr[-3000:])
    rows = reproduce_rows(ctx, cold, warm, measured, results)
    peers_14 = _sum(measured, HEADLINE) or None
    rows.insert(
        2 if warm is not None else 1,
        Row(
            "jaxml reproduce --quick-checks",
            "the same, cold, with the verifier checks compiled for compile speed (their max errors then differ "
            "in the last digits that REPORT.md prints, which issue #25 forbids by default)",
            jax_s=quick.seconds,
            numpy_s=peers_14,
            agreement=f"exit {quick.returncode}; {compiles_text(quick)}",
            note="informational: the opt-in of `jaxml reproduce --quick-checks`",
        ),
    )
    return rows, reproduce_detail(cold, warm, measured, results)


def _sum(measured: list[Measured], sections) -> float:
    return sum(m.seconds for m in measured if m.term.section in sections)


def _experiments_wall(measured: list[Measured], results: dict, sections) -> float | None:
    """The cold run's own wall time (results.json timings_s) of the experiments with terms in ``sections``."""
    timings = results.get("timings_s", {})
    names = {m.term.experiment for m in measured if m.term.section in sections}
    walls = [timings[n] for n in names if isinstance(timings.get(n), (int, float))]
    return sum(walls) if walls else None


def reproduce_rows(ctx: Ctx, cold, warm, measured: list[Measured], results: dict) -> list[Row]:
    """The table's rows: cold and warm against the §1–§4 peers (the target), then two informational lines: the
    §1–§4 experiments' own wall time against the same peers, and the nn experiment against its §5 peers."""
    peers_14, peers_5 = _sum(measured, HEADLINE) or None, _sum(measured, ("§5",)) or None
    ok = cold.returncode == 0
    judged = ctx.full and peers_14 is not None and ok
    rows = [
        Row(
            "jaxml reproduce",
            "all experiments end to end, cold: compilation cache empty (child process: start-up, "
            "data loading, compile, verification, figures, report) vs the NumPy peers of §1–§4 summed at the "
            "experiments' sizes (detail below)",
            jax_s=cold.seconds,
            numpy_s=peers_14,
            agreement=f"exit {cold.returncode}"
            + ("" if ok else f" ({results.get('errors', '')})")
            + f"; {compiles_text(cold)}",
            target="ratio ≥ 1× (no slower than the §1–§4 peers)",
            met=(peers_14 / cold.seconds >= 1) if judged else None,
            note=f"cold: the first run on a machine; peak RSS {_mib(cold)}",
        )
    ]
    if warm is not None:
        rows.append(
            Row(
                "jaxml reproduce",
                "the same, warm: the CLI's persistent compilation cache filled by the cold run",
                jax_s=warm.seconds,
                numpy_s=peers_14,
                agreement=f"exit {warm.returncode}; {compiles_text(warm)}",
                note=f"warm: every run after the first; peak RSS {_mib(warm)}; {WARM_COUNTS}",
            )
        )
    wall_14 = _experiments_wall(measured, results, HEADLINE)
    if wall_14 is not None and peers_14 is not None:
        rows.append(
            Row(
                "jaxml reproduce",
                "informational: the §1–§4 experiments alone in the cold run (their "
                "results.json timings_s: no start-up, no verifier) vs the same peers",
                jax_s=wall_14,
                numpy_s=peers_14,
            )
        )
    wall_5 = _experiments_wall(measured, results, ("§5",))
    if wall_5 is not None and peers_5 is not None:
        rows.append(
            Row(
                "jaxml reproduce",
                "informational, not in the target: the nn experiment in the cold run (its "
                "timings_s: training, verifier checks, batch-norm network) vs its §5 peers (training only)",
                jax_s=wall_5,
                numpy_s=peers_5,
            )
        )
    return rows


def reproduce_detail(cold, warm, measured: list[Measured], results: dict) -> str:
    """The markdown section listing every summed term beside the experiments' own wall times."""
    timings = {k: v for k, v in results.get("timings_s", {}).items() if isinstance(v, (int, float))}
    lines = [
        (
            "| section | experiment | JAX wall (s, cold run's results.json timings_s) | NumPy peer: what is run "
            "| NumPy (s) |"
        ),
        "|---|---|---|---|---|",
    ]
    for exp in list(timings) + sorted({m.term.experiment for m in measured} - set(timings)):
        terms = [m for m in measured if m.term.experiment == exp]
        if not terms:
            lines.append(f"| | {exp} | {timings[exp]:.1f} | no NumPy peer: not summed | – |")
        for k, m in enumerate(terms):
            wall = f"{timings[exp]:.1f}" if k == 0 and exp in timings else ""
            lines.append(
                f"| {m.term.section} | {exp if k == 0 else ''} | {wall} | {m.term.what} | {m.seconds:.2f} |"
            )
    lines.append(f"| | **§1–§4 peers** | | | **{_sum(measured, HEADLINE):.1f}** |")
    lines.append(f"| | §5 peers (informational) | | | {_sum(measured, ('§5',)):.1f} |")
    lines.append(
        f"| | **`jaxml reproduce`, whole child process** | **{cold.seconds:.1f}** cold"
        + (f", {warm.seconds:.1f} warm" if warm else "")
        + f" (experiments alone {sum(timings.values()):.1f}) | | |"
    )
    return (
        "\n\n### `jaxml reproduce`: what is summed\n\n"
        f"Peak RSS of the `jaxml reproduce` child process: **{_mib(cold)}** cold"
        + (f", {_mib(warm)} warm" if warm else "")
        + " (`os.wait4` ru_maxrss). XLA programs (`_count_compiles.py`, summed over the main process and its "
        f"spawned experiment workers): cold {compiles_text(cold)}"
        + (f"; warm {compiles_text(warm)}" if warm else "")
        + ". Order of the runs: cold child, "
        "the NumPy peers below (in this process), warm child. Each peer runs once, at the size the cold run's "
        "results.json records (step counts, seeds, λ, b grids). Not summed (no NumPy peer; they count only on the "
        "JAX side): data loading and text features, the LP separability checks, Newton, L-BFGS and closed-form "
        "checks, the scikit-learn cross-check, the derivation verifier, the batch-norm network, figures and the "
        "report.\n\n" + "\n".join(lines)
    )
