"""The files a grading run writes, and the merge of sharded runs.

``DIR/<NAME>/results.json`` (Gradescope's autograder format: ``score``, ``output``, ``tests`` with ``name``,
``score``, ``max_score``, ``status``, ``output``; the grader's own fields under ``extra_data``), ``DIR/<NAME>/output.txt``
(what the submission printed, the first bytes), ``DIR/grades.csv``, ``DIR/summary.md``, ``DIR/summary.png`` and
``DIR/grading.json`` (the run: assignment digest, tasks, shard, students — what ``--merge`` checks).

The tables and the summary are always built from the results.json files' contents, so a merge of shards writes
byte for byte what one run writes. Nothing here holds a timestamp: the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ._check import StudentResult

MANIFEST = "grading.json"

KINDS = {
    "constant_factor": "a constant factor (1/n, 2, ...)",
    "sign": "the sign",
    "transpose": "a transpose",
    "per_example": "per-example gradients not summed or averaged",
    "axis_scale": "a scale per row or column",
    "swapped": "arrays in the wrong order",
    "shape": "a wrong shape",
    "structure": "a wrong structure (tuple, dict)",
    "precision": "float32 precision",
    "zero": "zero where it should not be",
    "varying_factor": "a factor that changes from point to point",
    "not_subgradient": "outside the sub-differential at a kink",
    "non_finite": "NaN or inf",
    "partial": "some entries wrong",
    "other": "no simple pattern",
    "missing": "function missing",
    "raised": "raised an exception",
    "bad_return": "returned something else than arrays",
    "memory": "out of memory",
    "timeout": "over the time limit",
    "crashed": "the interpreter crashed",
    "exited": "exited (sys.exit, os._exit)",
    "load_failed": "could not be loaded",
    "forbidden": "imports a forbidden module",
    "result_limit": "returned too much data",
    "grader_error": "not graded (grader error)",
}


def results_json(student: StudentResult) -> dict:
    """One submission's results.json (Gradescope's format)."""
    return {
        "score": student.score,
        "output": student.output,
        "tests": [
            {
                "name": t.name,
                "score": t.score,
                "max_score": t.max_score,
                "status": "passed" if t.score >= t.max_score else "failed",
                "output": t.output,
                "extra_data": {"result": t.status, "mistakes": list(t.mistakes)},
            }
            for t in student.tasks
        ],
        "extra_data": {"status": student.status},
    }


def _dump(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_student(out: Path, student: StudentResult) -> dict:
    """Write DIR/<NAME>/results.json (and output.txt when it printed something); returns the results dict."""
    folder = out / student.name
    folder.mkdir(parents=True, exist_ok=True)
    data = results_json(student)
    (folder / "results.json").write_text(_dump(data), encoding="utf-8")
    if student.printed:
        (folder / "output.txt").write_bytes(student.printed)
    return data


@dataclass(frozen=True)
class Row:
    """One student's line of the tables, read from a results.json."""

    name: str
    status: str
    total: float
    scores: tuple[float, ...]
    mistakes: tuple[tuple[str, ...], ...]


def row(name: str, data: dict, tasks: list[dict]) -> Row:
    by_name = {t.get("name"): t for t in data.get("tests", [])}
    tests = [by_name.get(t["name"], {}) for t in tasks]
    return Row(
        name=name,
        status=str(data.get("extra_data", {}).get("status", "ok")),
        total=float(data.get("score", 0.0)),
        scores=tuple(float(t.get("score", 0.0)) for t in tests),
        mistakes=tuple(tuple(t.get("extra_data", {}).get("mistakes", [])) for t in tests),
    )


def _num(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def grades_csv(rows: list[Row], tasks: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *(t["name"] for t in tasks), "total", "status"])
    for r in rows:
        writer.writerow([r.name, *(_num(s) for s in r.scores), _num(r.total), r.status])
    return buffer.getvalue()


def _mistake_counts(rows: list[Row], k: int) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for r in rows:
        for kind in r.mistakes[k]:
            counts[kind] = counts.get(kind, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def summary_md(rows: list[Row], manifest: dict) -> str:
    tasks = manifest["tasks"]
    top = sum(t["max_score"] for t in tasks)
    totals = [r.total for r in rows]
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    ran = statuses.get("ok", 0)
    others = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()) if k != "ok")
    lines = [
        f"# Grades: {manifest['assignment']}",
        "",
        f"{len(rows)} submissions; {ran} ran" + (f"; not run: {others}" if others else "") + ".",
        "",
    ]
    if totals:
        stats = (
            f"Total out of {_num(top)}: mean {_num(statistics.fmean(totals))}, median "
            f"{_num(statistics.median(totals))}, min {_num(min(totals))}, max {_num(max(totals))}."
        )
        lines += [
            stats,
            "",
            "| total | students |",
            "|---|---|",
        ]
        lines += [f"| {label} | {count} |" for label, count in _histogram(totals, top)]
    lines += [
        "",
        "## Tasks",
        "",
        "| task | points | full marks | partial | zero | mean |",
        "|---|---|---|---|---|---|",
    ]
    for k, t in enumerate(tasks):
        scores = [r.scores[k] for r in rows]
        full = sum(s >= t["max_score"] for s in scores)
        zero = sum(s <= 0 for s in scores)
        mean = _num(statistics.fmean(scores)) if scores else "-"
        lines.append(
            f"| {t['name']} | {_num(t['max_score'])} | {full} | {len(scores) - full - zero} | {zero} | {mean} |"
        )
    lines += ["", "## Mistakes, per task", "", "| task | mistake | students |", "|---|---|---|"]
    for k, t in enumerate(tasks):
        for kind, count in _mistake_counts(rows, k):
            lines.append(f"| {t['name']} | {kind} ({KINDS.get(kind, kind)}) | {count} |")
    return "\n".join(lines) + "\n"


def _histogram(totals: list[float], top: float, bins: int = 10) -> list[tuple[str, int]]:
    if top <= 0:
        return [(_num(0), len(totals))]
    edges = [top * i / bins for i in range(bins + 1)]
    out = []
    for i in range(bins):
        lo, hi = edges[i], edges[i + 1]
        last = i == bins - 1
        count = sum(lo <= x < hi or (last and x == hi) for x in totals)
        out.append((f"{_num(lo)}–{_num(hi)}", count))
    return out


def summary_png(rows: list[Row], manifest: dict, path: Path) -> None:
    """The score distribution, and per task the count of each named mistake."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    tasks = manifest["tasks"]
    bars = [
        (f"{t['name']}: {kind}", n)
        for k, t in enumerate(tasks)
        for kind, n in _mistake_counts(rows, k)
    ]
    fig = Figure(figsize=(11, max(4.0, 0.3 * len(bars) + 1.5)))
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    top = sum(t["max_score"] for t in tasks)
    left.hist([r.total for r in rows], bins=10, range=(0, top if top > 0 else 1), color="#4c72b0")
    left.set_xlabel("total score")
    left.set_ylabel("students")
    left.set_title(f"{len(rows)} submissions")
    if bars:
        right.barh(range(len(bars)), [n for _, n in bars], color="#dd8452")
        right.set_yticks(range(len(bars)), [label for label, _ in bars], fontsize=8)
        right.invert_yaxis()
    right.set_xlabel("students")
    right.set_title("mistakes per task")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})


def write_tables(out: Path, manifest: dict, rows: list[Row]) -> None:
    rows = sorted(rows, key=lambda r: r.name)
    (out / "grades.csv").write_text(grades_csv(rows, manifest["tasks"]), encoding="utf-8")
    (out / "summary.md").write_text(summary_md(rows, manifest), encoding="utf-8")
    summary_png(rows, manifest, out / "summary.png")
    (out / MANIFEST).write_text(_dump(manifest), encoding="utf-8")


def _read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a grading run's output ({exc})") from None


def merge(dirs: list[str | Path], out: str | Path) -> dict:
    """Merge the outputs of ``jaxml grade --shard I/N`` runs into ``out``; returns the merged manifest.

    The shards must come from the same assignment file (same SHA-256), tasks and feedback level, and cover 1..N
    exactly once. The result is byte for byte what one unsharded run writes.
    """
    dirs, out = [Path(d) for d in dirs], Path(out)
    if any(d.resolve() == out.resolve() for d in dirs):
        raise UsageError("--out must not be one of the directories being merged")
    manifests = [_read_manifest(d) for d in dirs]
    first = manifests[0]
    for d, m in zip(dirs, manifests):
        for field in ("sha256", "tasks", "feedback"):
            if m.get(field) != first.get(field):
                raise UsageError(
                    f"{d}: another assignment or feedback level than {dirs[0]} ({field} differs)"
                )
    n = first["shard"][1]
    shards = sorted(m["shard"][0] for m in manifests)
    if any(m["shard"][1] != n for m in manifests) or shards != list(range(1, n + 1)):
        raise UsageError(
            f"the directories hold shards {shards} of {n}: each of 1..{n} is needed once"
        )
    names = [s for m in manifests for s in m["students"]]
    if len(set(names)) != len(names):
        raise UsageError("a student appears in two shards")
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for d, m in zip(dirs, manifests):
        for name in m["students"]:
            shutil.copytree(d / name, out / name, dirs_exist_ok=True)
            data = json.loads((d / name / "results.json").read_text(encoding="utf-8"))
            rows.append(row(name, data, first["tasks"]))
    manifest = dict(first, shard=[1, 1], students=sorted(names))
    write_tables(out, manifest, rows)
    return manifest
