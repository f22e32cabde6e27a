"""Real hand-written gradients (tests/verify/real_code.py): bugs caught and correct code passed, by three checkers.

    python benchmarks/verify_real_code.py                      # the table: today's jaxml, the baseline, finite differences
    python benchmarks/verify_real_code.py --base /tmp/base     # where the baseline checkout is (default /tmp/base)
    python benchmarks/verify_real_code.py --today /tmp/head    # "today" from a snapshot, not this tree:
        # git archive HEAD | tar -x -C /tmp/head; git rev-parse --short HEAD > /tmp/head/REVISION
    python benchmarks/verify_real_code.py --emit               # one JSON line per case, with whatever `jaxml` imports

Over every case of ``CASES`` (real code as its authors shipped it, each with its expected verdict):

(a) today's ``jaxml.verify``: ``real_code.check(name)``, the case's own options (``domain=``, ``dtype=None``,
    ``check_jvp``);
(b) the baseline, the same script run as a child process under ``PYTHONPATH=BASE`` (the verifier before issue #22's
    third round): a case that needs a feature the baseline does not have (``domain=``, ``dtype=``, ``check_jvp``)
    counts as "cannot express" and is listed; for those, the line below the table also says what the baseline
    answers when the check is written without the missing option (``check_gradient`` in float64 on the whole space;
    the JVP rule as the gradient of Σ f), for information only;
(c) ``real_code.finite_difference_check``: central differences along one random direction (``PRNGKey(0)``), what
    ``jax.test_util.check_grads`` does, in float64.

A bug is caught when the check FAILS; a correct case is passed when it PASSES (a FAIL there is a false alarm).
Today's and the baseline's children run one after the other, never at once (the machine has 2 shared cores).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_real_code():
    """tests/verify/real_code.py of this checkout, by path (it imports only jax and numpy)."""
    name = "jaxml_tests_real_code"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "tests" / "verify" / "real_code.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _missing(p, verify) -> list[str]:
    """The features this case needs that the importable jaxml.verify lacks."""
    params = inspect.signature(verify.check_gradient).parameters
    missing = [f"{k}=" for k in (p.options or {}) if k not in params]
    if p.check == "jvp" and not hasattr(verify, "check_jvp"):
        missing.append("check_jvp")
    return missing


def _verdict(report) -> dict:
    found = getattr(report, "mistake", None)
    return {
        "passed": bool(report.ok),
        "kind": None if found is None else str(getattr(found.kind, "value", found.kind)),
        "diagnosis": " ".join(str(report.diagnosis or report.note or "").split())[:240],
    }


def emit() -> None:
    """One JSON line per case, with the jaxml.verify that ``import jaxml`` finds (this tree, or PYTHONPATH's)."""
    import jax

    import jaxml
    from jaxml import verify

    rc = load_real_code()
    print(json.dumps({"jaxml": str(Path(jaxml.__file__).parent)}), flush=True)
    for case in rc.CASES:
        p = rc.problem(case.name)
        missing = _missing(p, verify)
        row = {"case": case.name, "missing": missing}
        start = time.perf_counter()
        try:
            if not missing:
                row.update(_verdict(rc.check(case.name)))
            else:  # informational: the check written without the missing features
                f, g = rc.as_gradient_pair(p)
                options = {k: v for k, v in (p.options or {}).items() if f"{k}=" not in missing}
                row["dropped"] = _verdict(
                    verify.check_gradient(f, g, *p.args, argnums=p.argnums, **options)
                )
        except Exception as exc:  # noqa: BLE001 - a checker that crashes on a case: recorded as such
            row["error"] = f"{type(exc).__name__}: {exc}"[:240]
        row["seconds"] = round(time.perf_counter() - start, 2)
        print(json.dumps(row), flush=True)
    key = jax.random.PRNGKey(0)
    for case in rc.CASES:
        p = rc.problem(case.name)
        f, g = rc.as_gradient_pair(p)
        start = time.perf_counter()
        passed = rc.finite_difference_check(f, g, p.args, p.argnums, key)
        print(
            json.dumps(
                {
                    "fd": case.name,
                    "passed": passed,
                    "seconds": round(time.perf_counter() - start, 2),
                }
            ),
            flush=True,
        )


def _child(pythonpath: str | None) -> tuple[dict, dict, dict, float]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--emit"],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"child (PYTHONPATH={pythonpath}) failed:\n{out.stderr[-3000:]}")
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    where = next(line["jaxml"] for line in lines if "jaxml" in line)
    rows = {line["case"]: line for line in lines if "case" in line}
    fd = {line["fd"]: line for line in lines if "fd" in line}
    return {"jaxml": where}, rows, fd, seconds


def _cell(row: dict, expected: str) -> str:
    if "error" in row:
        return "error"
    if row.get("missing"):
        return "cannot express"
    ok = row["passed"]
    if expected == "FAIL":
        return "caught" if not ok else "**missed**"
    return "pass" if ok else "**false alarm**"


def _count(cells: list[str], expected: list[str], want: str) -> str:
    sel = [c for c, e in zip(cells, expected) if e == want]
    good = sum(c in ("caught", "pass") for c in sel)
    cannot = sum(c == "cannot express" for c in sel)
    return f"{good} / {len(sel)}" + (f" ({cannot} cannot express)" if cannot else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emit", action="store_true", help="child mode: JSON lines")
    parser.add_argument("--base", default="/tmp/base", help="checkout of the baseline (e7df9a9)")
    parser.add_argument(
        "--today", default=None, help="a snapshot to measure as today (default: this checkout)"
    )
    args = parser.parse_args()
    if args.emit:
        emit()
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _timing import machine_info

    info = machine_info()
    rc = load_real_code()
    base_rev = subprocess.run(
        ["git", "-C", args.base, "rev-parse", "--short", "HEAD"],
        check=False,
        capture_output=True,
        text=True,
    ).stdout.strip()
    today_rev = subprocess.run(
        ["git", "-C", args.today or str(ROOT), "rev-parse", "--short", "HEAD"],
        check=False,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if args.today and (Path(args.today) / "REVISION").exists():
        today_rev = (Path(args.today) / "REVISION").read_text().strip()
    started = time.perf_counter()
    today_where, today, fd, t_today = _child(args.today)
    where, base, _, t_base = _child(args.base)
    elapsed = time.perf_counter() - started
    expected = [c.expected_verdict for c in rc.CASES]
    cols = {
        "today": [_cell(today[c.name], c.expected_verdict) for c in rc.CASES],
        "base": [_cell(base[c.name], c.expected_verdict) for c in rc.CASES],
        "fd": [
            ("caught" if not fd[c.name]["passed"] else "**missed**")
            if c.expected_verdict == "FAIL"
            else ("pass" if fd[c.name]["passed"] else "**false alarm**")
            for c in rc.CASES
        ],
    }
    print(
        f"# Real hand-written gradients ({len(rc.CASES)} cases of tests/verify/real_code.py): "
        f"{sum(e == 'FAIL' for e in expected)} real bugs, {sum(e == 'PASS' for e in expected)} correct\n"
    )
    print(
        f"- date {info['date']}; {info['nproc']} cores, {info['cpu']}; load average at the end "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}; jax {info['jax']}, numpy {info['numpy']}"
    )
    print(
        f"- today: {today_rev + ', a snapshot (' + today_where['jaxml'] + ')' if args.today else today_rev + ' + working tree (' + str(ROOT) + ')'}; baseline: {base_rev} ({where['jaxml']}); "
        f"children {t_today:.0f} s and {t_base:.0f} s, {elapsed:.0f} s in all\n"
    )
    print(
        "| case | expected | jaxml today | named | baseline (before #22) | finite differences (1 direction) |"
    )
    print("|---|---|---|---|---|---|")
    for i, c in enumerate(rc.CASES):
        row = today[c.name]
        named = row.get("kind") or ""
        if c.kind not in (None, "none") and not row.get("passed", True):
            named = f"{named} ({'as expected' if named == c.kind else 'expected ' + c.kind})"
        print(
            f"| {c.name} | {c.expected_verdict} | {cols['today'][i]} ({row['seconds']:.1f} s) | {named} | "
            f"{cols['base'][i]} | {cols['fd'][i]} |"
        )
    print(
        f"| **real bugs caught** | | {_count(cols['today'], expected, 'FAIL')} | | "
        f"{_count(cols['base'], expected, 'FAIL')} | {_count(cols['fd'], expected, 'FAIL')} |"
    )
    print(
        f"| **correct cases passed** | | {_count(cols['today'], expected, 'PASS')} | | "
        f"{_count(cols['base'], expected, 'PASS')} | {_count(cols['fd'], expected, 'PASS')} |"
    )
    cannot = [c for c in rc.CASES if base[c.name].get("missing")]
    if cannot:
        print(
            "\nCannot express with the baseline (the feature it lacks; what it answers without it):\n"
        )
        for c in cannot:
            row = base[c.name]
            d = row.get("dropped")
            said = (
                "error: " + row["error"]
                if "error" in row
                else ("PASS" if d["passed"] else "FAIL")
                + (f', "{d["diagnosis"][:120]}"' if d["diagnosis"] else "")
            )
            print(
                f"- {c.name} ({c.expected_verdict} expected): needs {', '.join(row['missing'])}; "
                f"written without it: {said}"
            )
    wrong = [
        (c.name, today[c.name].get("error") or today[c.name]["diagnosis"])
        for i, c in enumerate(rc.CASES)
        if cols["today"][i] not in ("caught", "pass")
    ]
    if wrong:
        print("\nToday's jaxml, not as expected:\n")
        for name, why in wrong:
            print(f"- {name}: {why}")


if __name__ == "__main__":
    main()
