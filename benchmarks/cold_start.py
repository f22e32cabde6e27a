"""Cold start, before and after, side by side in one run (issue #25): ``jaxml verify`` of every built-in derivation,
a one-derivation user file, and (with ``--data``) ``jaxml reproduce``, each a child process with an empty
compilation cache, the two checkouts interleaved round by round so that both see the same machine load.

    python benchmarks/cold_start.py --before /path/to/older/checkout [--rounds 3] [--data DIR]

``--before`` is a checkout of an earlier commit (``git worktree add /tmp/base <commit>``); its ``derivations/``
package is put on the path as ``jaxml_derivations`` for its children. Prints a Markdown table: medians of the
rounds, the ratio before / today, and each child's exit status.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import _timing as timing
from cli_bench import USER_FILE  # README's one-derivation file

ROOT = Path(__file__).resolve().parent.parent


def _env(checkout: Path, packages: Path, cache: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(checkout), str(packages)])
    env.update(
        JAXML_COMPILATION_CACHE=cache,
        OPENBLAS_NUM_THREADS=env.get("OPENBLAS_NUM_THREADS", "1"),
        MPLBACKEND="Agg",
    )
    return env


def _packages(checkout: Path, where: Path) -> Path:
    """A directory holding ``jaxml_derivations`` -> ``checkout/derivations``."""
    where.mkdir(parents=True, exist_ok=True)
    link = where / "jaxml_derivations"
    if not link.exists():
        link.symlink_to(checkout / "derivations", target_is_directory=True)
    return where


def _cold(cmd: list[str], checkout: Path, packages: Path, timeout: float) -> timing.ChildRun:
    with tempfile.TemporaryDirectory(prefix="jaxml-cold-") as cache:
        return timing.run_child(
            cmd, env=_env(checkout, packages, cache), cwd=str(checkout), timeout=timeout
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--before", required=True, type=Path, help="a checkout of the earlier commit"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", help="also time `jaxml reproduce --data DIR` (minutes per run)")
    parser.add_argument(
        "--keep",
        type=Path,
        help="copy each reproduce run's results.json and REPORT.md to KEEP/<side>-<round>/ (for compare_results.py)",
    )
    args = parser.parse_args(argv)
    sides = {"before": args.before.resolve(), "today": ROOT}
    with tempfile.TemporaryDirectory(prefix="jaxml-cold-start-") as tmp:
        tmp = Path(tmp)
        mine = tmp / "mine.py"
        mine.write_text(USER_FILE)
        packages = {name: _packages(path, tmp / name) for name, path in sides.items()}
        py = [sys.executable, "-m", "jaxml.cli"]
        commands = {
            "jaxml verify (all built-ins, 1,000 points)": (py + ["verify"], 900),
            "jaxml verify mine.py (one derivation)": (py + ["verify", str(mine)], 300),
        }
        if args.data:
            out = str(tmp / "out")
            commands["jaxml reproduce --data DIR"] = (
                py + ["reproduce", "--data", args.data, "--out", out, "--quiet"],
                1800,
            )
        runs: dict = {(c, s): [] for c in commands for s in sides}
        for r in range(args.rounds):
            for label, (cmd, timeout) in commands.items():
                for side, path in sides.items() if r % 2 == 0 else reversed(sides.items()):
                    run = _cold(cmd, path, packages[side], timeout)
                    runs[(label, side)].append(run)
                    if args.keep and "reproduce" in label:
                        kept = args.keep / f"{side}-{r + 1}"
                        kept.mkdir(parents=True, exist_ok=True)
                        for name in ("results.json", "REPORT.md"):
                            if (Path(out) / name).exists():
                                shutil.copy(Path(out) / name, kept / name)
                    print(
                        f"round {r + 1}: {label}, {side}: {run.seconds:.2f} s, exit {run.returncode}",
                        file=sys.stderr,
                    )
    print(f"Cold runs (empty compilation cache), medians of {args.rounds} interleaved rounds\n")
    print("| command | before (s) | today (s) | before / today | exits before, today |")
    print("|---|---|---|---|---|")
    for label in commands:
        before = statistics.median(r.seconds for r in runs[(label, "before")])
        today = statistics.median(r.seconds for r in runs[(label, "today")])
        exits = (
            ",".join(str(r.returncode) for r in runs[(label, "before")])
            + "; "
            + ",".join(str(r.returncode) for r in runs[(label, "today")])
        )
        print(f"| {label} | {before:.2f} | {today:.2f} | {before / today:.2f}× | {exits} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
