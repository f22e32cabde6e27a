"""Compare two runs number by number: the check that a refactor or a speed-up moved no result.

    python benchmarks/compare_results.py OLD/results.json NEW/results.json [--rtol 0]
    python benchmarks/compare_results.py OLD/REPORT.md NEW/REPORT.md

For results.json: prints every path whose value differs (a number beyond ``--rtol``, a string, a missing or extra
key), skipping wall-clock measurements (keys naming seconds or timings). For REPORT.md: a line diff after masking
durations ("12.3 s", "0.31 ms") and the generation date. Exit status 0 when nothing differs, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys

# wall-clock measurements and run metadata: they change from run to run by nature
SKIP = re.compile(r"(^|/)(timings_s|seconds|[a-z_]*_seconds[a-z_]*|seconds_[a-z_]+)(/|$)")


def _walk(obj, path=""):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(obj, list):
        yield f"{path}#len", len(obj)
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]")
    else:
        yield path, obj


def _same(a, b, rtol: float) -> bool:
    if (
        isinstance(a, bool)
        or isinstance(b, bool)
        or not isinstance(a, (int, float))
        or not isinstance(b, (int, float))
    ):
        return a == b
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))


def differences(old: dict, new: dict, *, rtol: float = 0.0) -> list[str]:
    """Human-readable lines, one per differing path (timings skipped)."""
    flat_old = {p: v for p, v in _walk(old) if not SKIP.search(p)}
    flat_new = {p: v for p, v in _walk(new) if not SKIP.search(p)}
    lines = []
    for path in sorted(flat_old.keys() | flat_new.keys()):
        if path not in flat_new:
            lines.append(f"missing  {path} (was {flat_old[path]!r})")
        elif path not in flat_old:
            lines.append(f"new      {path} = {flat_new[path]!r}")
        elif not _same(flat_old[path], flat_new[path], rtol):
            lines.append(f"changed  {path}: {flat_old[path]!r} -> {flat_new[path]!r}")
    return lines


# durations and the generation stamp: they change from run to run by nature
_REPORT_MASKS = (
    (re.compile(r"\d[\d,]*(\.\d+)?(e[-+]?\d+)? ?(s|ms|µs|us|min)\b"), "<time>"),
    (re.compile(r"generated \d{4}-\d\d-\d\d \d\d:\d\d"), "generated <date>"),
)


def report_differences(old: str, new: str) -> list[str]:
    """Lines of a unified diff of two REPORT.md texts after masking durations and the date."""
    import difflib

    def masked(text: str) -> list[str]:
        for pattern, replacement in _REPORT_MASKS:
            text = pattern.sub(replacement, text)
        return text.splitlines()

    diff = difflib.unified_diff(masked(old), masked(new), "old", "new", lineterm="", n=0)
    return [line for line in diff if not line.startswith(("---", "+++"))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument(
        "--rtol", type=float, default=0.0, help="relative tolerance for numbers (default: exact)"
    )
    parser.add_argument("--only", nargs="*", help="compare only these top-level keys")
    args = parser.parse_args(argv)
    if args.old.endswith(".md"):
        with open(args.old) as f_old, open(args.new) as f_new:
            lines = report_differences(f_old.read(), f_new.read())
        print("\n".join(lines) if lines else "no differences (durations and date masked)")
        return 1 if lines else 0
    with open(args.old) as f:
        old = json.load(f)
    with open(args.new) as f:
        new = json.load(f)
    if args.only:
        old = {k: old.get(k) for k in args.only}
        new = {k: new.get(k) for k in args.only}
    lines = differences(old, new, rtol=args.rtol)
    print("\n".join(lines) if lines else "no differences (timings skipped)")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
