"""XLA:CPU options that make cold runs faster, and what each would move: the data for a maintainers' decision.

    python benchmarks/compile_options.py                         # cold `jaxml verify` under each option
    python benchmarks/compile_options.py --repeats 3 --options default legacy_emitters
    python benchmarks/compile_options.py --reproduce spam --data DIR   # also one experiment, cold, per option

Issue #11 asks for a cold `jaxml verify` within 10 s on two cores, and for results that do not move. jaxml's own
defaults keep every number bit for bit; the options below trade that away for compile time. For each one, this
script runs the command in a child process with an empty compilation cache (cold, as on a first run), the option
added to ``XLA_FLAGS``, and prints:

- the wall and CPU seconds (medians over ``--repeats``; the options alternate run by run, in a rotated order, so
  every option sees the same machine load), and the ratio to the default's wall time;
- how many numbers of the output moved against the default's output, and the largest relative move
  (``jaxml verify --json`` every field but ``seconds``; for ``--reproduce``, results.json as
  ``compare_results.py`` compares it, timings skipped).

No option is applied anywhere in jaxml: this only measures them. The flags are jaxlib 0.10.2's; a jaxlib that does
not know one stops at start-up, and the row says so.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

import _timing as timing
import cli_bench
from _bench import Ctx
from compare_results import SKIP, _walk

ROOT = Path(__file__).resolve().parent.parent
SHOWN = 8  # moved numbers listed under the table, per option

# name -> (XLA flags added to the caller's XLA_FLAGS, what the option does)
OPTIONS = {
    "default": ("", "jaxml's settings: nothing added"),
    "legacy_emitters": (
        "--xla_cpu_use_fusion_emitters=false",
        "XLA:CPU's elemental IR emitters instead of the MLIR fusion emitters (no MLIR context per compilation)",
    ),
    "opt_level_1": (
        "--xla_backend_optimization_level=1",
        "LLVM -O1 instead of -O2 for the generated code",
    ),
    "opt_level_0": ("--xla_backend_optimization_level=0", "LLVM -O0"),
    "fast_compile_preset": (
        "--xla_cpu_opt_preset=FAST_COMPILE",
        "XLA:CPU's preset for compile speed over run speed",
    ),
    "legacy_emitters_O0": (
        "--xla_cpu_use_fusion_emitters=false --xla_backend_optimization_level=0",
        "both of the cheapest: the legacy emitters and LLVM -O0",
    ),
    "no_ynn_fusions": (
        "--xla_cpu_experimental_ynn_fusion_type=",
        "reductions and element-wise fusions by XLA's own emitters instead of the YNNPACK library",
    ),
}


def child_env(cache_dir: str, flags: str) -> dict:
    """The environment of the CLI benchmarks (``cli_bench.child_env``: this checkout first on the path, one BLAS
    thread, the compilation cache in ``cache_dir``), with ``flags`` after the caller's own XLA_FLAGS."""
    ctx = Ctx(data=None, data_dir=None, quick=False, repeats=1, log=lambda _: None)
    env = cli_bench.child_env(ctx, cache_dir)
    env["XLA_FLAGS"] = " ".join(f for f in (env.get("XLA_FLAGS", ""), flags) if f)
    return env


def _numbers(payload) -> dict[str, object]:
    """Every leaf of a JSON payload by its path, wall-clock fields left out."""
    return {path: value for path, value in _walk(payload) if not SKIP.search(path)}


def moved(reference, other) -> list[tuple[str, object, object]]:
    """The leaves that differ: (path, reference value, other value), in path order."""
    a, b = _numbers(reference), _numbers(other)
    out = []
    for path in sorted(a.keys() | b.keys()):
        x, y = a.get(path), b.get(path)
        if x == y or (
            isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)
        ):
            continue
        out.append((path, x, y))
    return out


def named(path: str, payload) -> str:
    """``/outcomes[3]/max_rel_error`` as ``/outcomes[dL_dv]/max_rel_error``: list items by their "name" field."""
    out, node = "", payload
    for part in re.findall(r"/[^/\[]*|\[\d+\]", path):
        if part.startswith("["):
            i = int(part[1:-1])
            node = node[i] if isinstance(node, list) and i < len(node) else None
            name = node.get("name") if isinstance(node, dict) else None
            out += f"[{name}]" if name else part
        else:
            node = node.get(part[1:]) if isinstance(node, dict) else None
            out += part
    return out


def largest_moves(changes) -> tuple[float, float]:
    """(largest absolute, largest relative) difference among numeric changes; inf when a non-number changed."""
    absolute = relative = 0.0
    for _, x, y in changes:
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y)):
            absolute = max(absolute, abs(x - y))
            relative = max(relative, abs(x - y) / max(abs(x), abs(y)))
        else:
            absolute = relative = math.inf
    return absolute, relative


def verify_run(flags: str, points: int | None) -> tuple[timing.ChildRun, object]:
    cmd = [sys.executable, "-m", "jaxml.cli", "verify", "--json"]
    cmd += [] if points is None else ["--points", str(points)]
    with tempfile.TemporaryDirectory(prefix="jaxml-xla-") as cache:
        run = timing.run_child(cmd, env=child_env(cache, flags), cwd=str(ROOT), timeout=900)
    try:
        payload = json.loads(run.stdout)
    except json.JSONDecodeError:
        payload = None
    return run, payload


def reproduce_run(flags: str, only: list[str], data: str | None) -> tuple[timing.ChildRun, object]:
    with (
        tempfile.TemporaryDirectory(prefix="jaxml-xla-") as cache,
        tempfile.TemporaryDirectory() as out,
    ):
        cmd = [sys.executable, "-m", "jaxml.cli", "reproduce", "--out", out, "--only", *only]
        cmd += ["--data", data] if data else []
        run = timing.run_child(cmd, env=child_env(cache, flags), cwd=str(ROOT), timeout=1800)
        path = Path(out) / "results.json"
        payload = json.loads(path.read_text()) if path.exists() else None
    return run, payload


def measure(name: str, names: list[str], repeats: int, run_one) -> list[dict]:
    """Every option ``repeats`` times, in a rotated order each round; one summary row per option."""
    runs: dict[str, list] = {n: [] for n in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for option in order:
            run, payload = run_one(OPTIONS[option][0])
            state = "ok" if payload is not None else f"failed (exit {run.returncode})"
            print(
                f"  {name} {option:20s} round {r + 1}: {run.seconds:6.1f} s wall, "
                f"{run.cpu_seconds:6.1f} s CPU, {state}",
                file=sys.stderr,
                flush=True,
            )
            if payload is None:
                print(
                    "    " + run.stderr.strip().splitlines()[-1][:200] if run.stderr else "",
                    file=sys.stderr,
                )
            runs[option].append((run, payload))
    reference = next((p for _, p in runs.get("default", []) if p is not None), None)
    rows = []
    for option in names:
        done = [(run, p) for run, p in runs[option] if p is not None]
        row = {"option": option, "flags": OPTIONS[option][0] or "–", "ran": len(done)}
        if done:
            row["wall_s"] = statistics.median(run.seconds for run, _ in done)
            row["cpu_s"] = statistics.median(run.cpu_seconds for run, _ in done)
            # the option's own runs must agree with each other, or "moved" would mean nothing
            row["deterministic"] = all(not moved(done[0][1], p) for _, p in done[1:])
            if reference is not None:
                row["changes"] = [
                    (named(path, reference), x, y) for path, x, y in moved(reference, done[0][1])
                ]
        rows.append(row)
    return rows


def table(title: str, rows: list[dict]) -> str:
    base = next((r["wall_s"] for r in rows if r["option"] == "default" and "wall_s" in r), None)
    lines = [
        f"\n{title}\n",
        "| option | XLA flags | wall s | CPU s | wall vs default | numbers moved | largest move: absolute, relative |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "wall_s" not in r:
            lines.append(f"| {r['option']} | `{r['flags']}` | did not run | | | | |")
            continue
        ratio = f"{r['wall_s'] / base:.2f}×" if base else "–"
        changes = r.get("changes")
        note = "" if r.get("deterministic", True) else " (its own runs disagree)"
        if changes is None:
            count, move = "–", "–"
        else:
            absolute, relative = largest_moves(changes)
            count = str(len(changes))
            move = (
                "0"
                if not changes
                else (
                    "a non-number changed"
                    if math.isinf(absolute)
                    else f"{absolute:.1e}, {relative:.1e}"
                )
            )
        lines.append(
            f"| {r['option']} | `{r['flags']}` | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {ratio} | {count}{note} "
            f"| {move} |"
        )

    def numeric(change) -> bool:
        return math.isfinite(largest_moves([change])[0])

    listing = []
    for r in rows:
        # changes that are not numbers (a verdict, a diagnosis) first: they matter most
        changes = sorted(r.get("changes") or [], key=numeric)
        listing += [f"{r['option']}: {path}: {x!r} -> {y!r}" for path, x, y in changes[:SHOWN]]
        if len(changes) > SHOWN:
            listing.append(f"{r['option']}: … and {len(changes) - SHOWN} more")
    if listing:
        lines += ["", "```", *listing, "```"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--options", nargs="+", choices=list(OPTIONS), default=list(OPTIONS))
    parser.add_argument("--repeats", type=int, default=2, help="runs per option (default 2)")
    parser.add_argument(
        "--points", type=int, default=None, help="jaxml verify --points (default: its own)"
    )
    parser.add_argument(
        "--reproduce", nargs="+", metavar="NAME", help="also `jaxml reproduce --only NAME ...`"
    )
    parser.add_argument(
        "--data", default=os.environ.get("JAXML_DATA"), help="data folder for --reproduce"
    )
    parser.add_argument("--no-verify", action="store_true", help="only the --reproduce measurement")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    names = ["default"] + [o for o in args.options if o != "default"]
    info = timing.machine_info()
    print(
        f"# XLA:CPU options, cold runs ({info.get('date', '')}, {info.get('nproc', '?')} CPUs, "
        f"{info.get('cpu', timing.cpu_model())})"
    )
    for option in names:
        print(f"- `{option}`: {OPTIONS[option][1]}")
    if not args.no_verify:
        rows = measure("verify", names, args.repeats, lambda flags: verify_run(flags, args.points))
        points = "its default points" if args.points is None else f"{args.points} points"
        print(table(f"`jaxml verify --json` ({points}), cold, median of {args.repeats}:", rows))
    if args.reproduce:
        rows = measure(
            "reproduce",
            names,
            args.repeats,
            lambda flags: reproduce_run(flags, args.reproduce, args.data),
        )
        what = " ".join(args.reproduce)
        print(
            table(
                f"`jaxml reproduce --only {what}` ({'real data' if args.data else 'synthetic'}), cold, "
                f"median of {args.repeats}:",
                rows,
            )
        )
    print(
        "\nmoved: leaves of the output that differ from the default run's (wall-clock fields left out)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
