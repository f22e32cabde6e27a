"""What a default ``check_gradient`` costs, today vs the baseline before issue #22's third round, side by side.

    python benchmarks/verify_cost.py                       # 3 rounds, baseline checkout at /tmp/base
    python benchmarks/verify_cost.py --rounds 2 --base DIR
    python benchmarks/verify_cost.py --today /tmp/head     # "today" from a snapshot, not this tree:
        # git archive HEAD | tar -x -C /tmp/head; git rev-parse --short HEAD > /tmp/head/REVISION
    python benchmarks/verify_cost.py --child NAME --mode default     # one measurement (what the parent runs)

Target (issue #22): the cost of a default check (16 points, no audit) stays within 1.5x of the baseline's; ``audit``
and the shrinking may cost more, and this says how much.

Every measurement is a fresh child process (``python benchmarks/verify_cost.py --child NAME --mode MODE``), with
``PYTHONPATH=BASE`` for the baseline and nothing for today's tree (or ``PYTHONPATH=TODAY`` with ``--today``: a
snapshot of a commit, when the working tree is being edited). The child imports jax and ``jaxml.verify``
(timed: **import**), builds the check's arguments, runs one JAX operation (the backend is up), then calls the check:

* **cold**: the first call in the process (everything it needs compiles, JAX's first-use costs included);
* **warm**: the median of the next 3 calls of the same check (a check builds its programs per call, so the user's
  programs compile again; what is warm is JAX itself and the verifier's own programs).

Compilations are counted with ``jax.monitoring`` (``/jax/core/compile/backend_compile_duration`` events: one per
XLA program compiled, eager single operations included) with their total seconds.

The children run one at a time, alternating within each round and check: baseline, today (and today's extra modes)
— so both see the same machine load; the order is reversed every other round. The table gives per check the median
over rounds; the headline is the median over checks of today/baseline. Modes:

* ``default``: ``check_gradient(f, g, *args, argnums=...)`` — 16 points, no audit;
* ``audit``: the same with ``audit=True`` (today only);
* ``noshrink`` (failing checks, today only): the default check with the counterexample stage switched off in the
  child (``check_gradient(..., shrink=False)``), to isolate what shrinking costs.

The checks: the smooth, correct real-code cases of tests/verify/real_code.py that need no new option, and a few
from tests/verify/test_gradient.py (copied below); the failing ones: real bugs of real_code.py and a × n slip.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PASSING = [
    "batchnorm_kratzert",
    "batchnorm_alt_cs182",
    "affine_cs182",
    "softmax_fabien102",
    "softmax_idotc",
    "multinomial_grad_shenmbsw",
    "logistic_reg_edicoweb",
    "logistic_dask_glm",
    "poisson_dask_glm",
    "tg_mse",
    "tg_pytree",
    "tg_two_argnums",
]
FAILING = [
    "mlp_bias_mean_kvfrans",
    "batchnorm_no_gamma_knet",
    "logistic_reg_length_osmanbaskaya",
    "svm_reg_jingtinghuang",
    "tg_mse_sum_for_mean",
]
WARM_REPEATS = 3


# ----------------------------------------------------------------------------------------------------------------
# The checks (built in the child)


def _load_real_code():
    name = "jaxml_tests_real_code"
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "verify" / "real_code.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _test_gradient_check(name: str):
    """Checks of tests/verify/test_gradient.py (its mse problem: N, D = 30, 4; key PRNGKey(0))."""
    import jax
    import jax.numpy as jnp

    N, D = 30, 4
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
    theta, x, y = (
        jax.random.normal(k1, (D,)),
        jax.random.normal(k2, (N, D)),
        jax.random.normal(k3, (N,)),
    )
    mse = lambda t, x, y: jnp.mean((x @ t - y) ** 2)
    mse_grad = lambda t, x, y: 2.0 * x.T @ (x @ t - y) / y.shape[0]
    # test_right_gradient_passes_at_float64_precision (at the default 16 points)
    if name == "tg_mse":
        return mse, mse_grad, (theta, x, y), 0
    if name == "tg_mse_sum_for_mean":  # test_scale_and_sign_slips_are_named: × n
        return mse, (lambda t, x, y: N * mse_grad(t, x, y)), (theta, x, y), 0
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    params = {"w": jax.random.normal(k1, (3,)), "b": jnp.array(0.3)}
    xp = jax.random.normal(k2, (N, 3))
    if name == "tg_pytree":  # test_pytree_parameters_and_tuple_argnums, first check
        f = lambda p, x: jnp.mean(jnp.tanh(x @ p["w"] + p["b"]))

        def grad(p, x):
            s = 1.0 - jnp.tanh(x @ p["w"] + p["b"]) ** 2
            return {"w": x.T @ s / N, "b": jnp.mean(s)}

        return f, grad, (params, xp), 0
    if name == "tg_two_argnums":  # the same test, gradient with respect to two arguments at once
        g2 = lambda w, x: jnp.sum(jnp.sin(x @ w))
        both = lambda w, x: (x.T @ jnp.cos(x @ w), jnp.cos(x @ w)[:, None] * w[None, :])
        return g2, both, (params["w"], xp), (0, 1)
    raise KeyError(name)


def _build(name: str):
    if name.startswith("tg_"):
        return _test_gradient_check(name)
    p = _load_real_code().problem(name)
    assert not p.options and p.check == "gradient", name  # expressible by the baseline as it is
    return p.f, p.grad, p.args, p.argnums


def child(name: str, mode: str) -> None:
    """One measurement; prints one JSON line."""
    t0 = time.perf_counter()
    import jax
    import jax.numpy as jnp

    import jaxml
    from jaxml import verify

    import_s = time.perf_counter() - t0
    events: dict[str, list] = {}

    def listen(event, seconds, **_):
        events.setdefault(event, []).append(seconds)

    jax.monitoring.register_event_duration_secs_listener(listen)
    f, g, args, argnums = _build(name)
    jnp.zeros(3).sum().block_until_ready()  # the backend is up
    options = {"audit": {"audit": True}, "noshrink": {"shrink": False}}.get(mode, {})

    def compiles() -> tuple[int, float]:
        d = events.get("/jax/core/compile/backend_compile_duration", [])
        return len(d), sum(d)

    def call():
        start = time.perf_counter()
        report = verify.check_gradient(f, g, *args, argnums=argnums, **options)
        return report, time.perf_counter() - start

    events.clear()
    report, cold = call()
    cold_compiles = compiles()
    trace = sum(events.get("/jax/core/compile/jaxpr_trace_duration", []))
    lower = sum(events.get("/jax/core/compile/jaxpr_to_mlir_module_duration", []))
    warm, warm_compiles = [], []
    for _ in range(WARM_REPEATS):
        events.clear()
        warm.append(call()[1])
        warm_compiles.append(compiles())
    out = {
        "name": name,
        "mode": mode,
        "jaxml": str(Path(jaxml.__file__).parent),
        "ok": bool(report.ok),
        "points": report.points,
        "import_s": import_s,
        "cold_s": cold,
        "cold_compiles": cold_compiles[0],
        "cold_compile_s": cold_compiles[1],
        "cold_trace_s": trace,
        "cold_lower_s": lower,
        "warm_s": statistics.median(warm),
        "warm_compiles": statistics.median(c[0] for c in warm_compiles),
        "warm_compile_s": statistics.median(c[1] for c in warm_compiles),
        "audit_s": getattr(report, "audit_seconds", None),
        "counterexample": getattr(report, "counterexample", None) is not None,
    }
    print(json.dumps(out), flush=True)


# ----------------------------------------------------------------------------------------------------------------
# The parent


def _snapshot(d: str) -> str:
    """A snapshot made with ``git archive REV | tar -x -C DIR; echo REV > DIR/REVISION``."""
    path = Path(d) / "REVISION"
    return (path.read_text().strip() if path.exists() else "?") + ", a snapshot"


def _run(name: str, mode: str, base: str | None) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONPATH" and not k.startswith("JAX_COMPILATION")
    }
    if base:
        env["PYTHONPATH"] = base
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, "--mode", mode],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"child {name} {mode} (base={base}) failed:\n{out.stderr[-3000:]}")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row["process_s"] = time.perf_counter() - start
    return row


def _med(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help="child mode: the check to measure")
    parser.add_argument("--mode", default="default", choices=["default", "audit", "noshrink"])
    parser.add_argument("--base", default="/tmp/base", help="checkout of the baseline (e7df9a9)")
    parser.add_argument(
        "--today", default=None, help="a snapshot to measure as today (default: this checkout)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["default", "audit", "fail"], nargs="*", default=None)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.mode)
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _timing import machine_info

    info = machine_info()
    parts = args.only or ["default", "audit", "fail"]
    rev = lambda d: (
        subprocess.run(
            ["git", "-C", d, "rev-parse", "--short", "HEAD"],
            check=False,
            capture_output=True,
            text=True,
        ).stdout.strip()
        or _snapshot(d)
    )
    today = (
        f"{rev(args.today)} ({args.today})" if args.today else f"{rev(str(ROOT))} + working tree"
    )
    load_start = os.getloadavg()
    started = time.perf_counter()
    res: dict[tuple, list] = {}  # (name, side) -> rows; side: base | new | audit | noshrink
    for r in range(args.rounds):
        jobs = []
        if "default" in parts or "audit" in parts:
            for name in PASSING:
                pair = [(name, "default", "base"), (name, "default", "new")]
                jobs.append(pair if r % 2 == 0 else pair[::-1])
                if "audit" in parts:
                    jobs[-1].append((name, "audit", "audit"))
        if "fail" in parts:
            for name in FAILING:
                trio = [
                    (name, "default", "base"),
                    (name, "default", "new"),
                    (name, "noshrink", "noshrink"),
                ]
                jobs.append(trio if r % 2 == 0 else trio[::-1])
        for group in jobs:
            for name, mode, side in group:
                row = _run(name, mode, args.base if side == "base" else args.today)
                res.setdefault((name, side), []).append(row)
                print(
                    f"round {r} {name:34s} {side:9s} cold {row['cold_s']:6.2f} warm {row['warm_s']:6.2f} "
                    f"import {row['import_s']:5.2f} compiles {row['cold_compiles']:3d}/{row['warm_compiles']:5.1f} "
                    f"ok {row['ok']}",
                    file=sys.stderr,
                    flush=True,
                )
    elapsed = time.perf_counter() - started
    print(
        f"# Cost of a default check_gradient: today vs the baseline, side by side\n\n"
        f"- date {info['date']}; {info['nproc']} cores, {info['cpu']}, {info['memory']}; jax {info['jax']}, "
        f"numpy {info['numpy']}, Python {info['python']}\n"
        f"- load average (1, 5, 15 min) at the start {' '.join(f'{v:.2f}' for v in load_start)}, at the end "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} (a shared machine: other processes ran meanwhile)\n"
        f"- today: {today}; baseline: {rev(args.base)} ({args.base}); {args.rounds} rounds, "
        f"one fresh child process per measurement, alternating; {elapsed / 60:.1f} min in all\n"
        f"- cold: the first check in a fresh process (after imports and one JAX operation); warm: median of the "
        f"next {WARM_REPEATS} calls; per check the median over rounds; compiles: XLA programs compiled in one "
        f"call (cold / warm)\n"
    )
    if "default" in parts or "audit" in parts:
        _table_default(res, "audit" in parts)
    if "fail" in parts:
        _table_fail(res)


def _ratio_line(label: str, num: list[float], den: list[float]) -> str:
    ratios = [a / b for a, b in zip(num, den)]
    return (
        f"| {label} | {statistics.median(den):.3f} | {statistics.median(num):.3f} | "
        f"{statistics.median(ratios):.2f}x (range {min(ratios):.2f}–{max(ratios):.2f}) |"
    )


def _table_default(res: dict, audit: bool) -> None:
    print("## Default check (16 points, no audit), passing checks\n")
    head = "| check | ok | baseline cold (s) | today cold (s) | ratio | baseline warm (s) | today warm (s) | ratio | compiles cold base/today | compiles warm base/today |"
    if audit:
        head += " today audit=True warm (s) | audit cold (s) | audit stage (ms) |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    cols: dict[str, list[float]] = {k: [] for k in ("bc", "nc", "bw", "nw", "aw", "ac", "bi", "ni")}
    for name in PASSING:
        b, n = res[(name, "base")], res[(name, "new")]
        vals = {
            "bc": _med(b, "cold_s"),
            "nc": _med(n, "cold_s"),
            "bw": _med(b, "warm_s"),
            "nw": _med(n, "warm_s"),
            "bi": _med(b, "import_s"),
            "ni": _med(n, "import_s"),
        }
        line = (
            f"| {name} | {n[0]['ok']} | {vals['bc']:.3f} | {vals['nc']:.3f} | {vals['nc'] / vals['bc']:.2f} | "
            f"{vals['bw']:.3f} | {vals['nw']:.3f} | {vals['nw'] / vals['bw']:.2f} | "
            f"{_med(b, 'cold_compiles'):.0f} / {_med(n, 'cold_compiles'):.0f} | "
            f"{_med(b, 'warm_compiles'):.0f} / {_med(n, 'warm_compiles'):.0f} |"
        )
        if audit:
            a = res[(name, "audit")]
            vals["aw"], vals["ac"] = _med(a, "warm_s"), _med(a, "cold_s")
            line += f" {vals['aw']:.3f} | {vals['ac']:.3f} | {1e3 * _med(a, 'audit_s'):.2f} |"
        for k, v in vals.items():
            cols[k].append(v)
        print(line)
    print(
        "\n| summary over the checks | baseline median (s) | today median (s) | today / baseline, median of the per-check ratios |"
    )
    print("|---|---|---|---|")
    print(_ratio_line("default check, cold", cols["nc"], cols["bc"]))
    print(_ratio_line("default check, warm", cols["nw"], cols["bw"]))
    print(_ratio_line("import jax + jaxml.verify", cols["ni"], cols["bi"]))
    if audit:
        print(_ratio_line("audit=True vs today's default, warm", cols["aw"], cols["nw"]))
        print(_ratio_line("audit=True vs today's default, cold", cols["ac"], cols["nc"]))
    cold = statistics.median(a / b for a, b in zip(cols["nc"], cols["bc"]))
    warm = statistics.median(a / b for a, b in zip(cols["nw"], cols["bw"]))
    print(
        f"\nTarget (issue #22): today / baseline ≤ 1.5 — cold {cold:.2f}x: {'met' if cold <= 1.5 else '**not met**'}; "
        f"warm {warm:.2f}x: {'met' if warm <= 1.5 else '**not met**'}.\n"
    )


def _table_fail(res: dict) -> None:
    print("## Failing checks: the diagnosis and the counterexample (shrinking)\n")
    head = (
        "| check | baseline cold (s) | today cold (s) | today, no shrinking, cold (s) | baseline warm (s) | "
        "today warm (s) | today, no shrinking, warm (s) | compiles cold base/today/no-shrink | counterexample |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    cols: dict[str, list[float]] = {k: [] for k in ("bc", "nc", "sc", "bw", "nw", "sw")}
    for name in FAILING:
        b, n, s = res[(name, "base")], res[(name, "new")], res[(name, "noshrink")]
        vals = {
            "bc": _med(b, "cold_s"),
            "nc": _med(n, "cold_s"),
            "sc": _med(s, "cold_s"),
            "bw": _med(b, "warm_s"),
            "nw": _med(n, "warm_s"),
            "sw": _med(s, "warm_s"),
        }
        for k, v in vals.items():
            cols[k].append(v)
        print(
            f"| {name} | {vals['bc']:.3f} | {vals['nc']:.3f} | {vals['sc']:.3f} | {vals['bw']:.3f} | "
            f"{vals['nw']:.3f} | {vals['sw']:.3f} | {_med(b, 'cold_compiles'):.0f} / {_med(n, 'cold_compiles'):.0f} / "
            f"{_med(s, 'cold_compiles'):.0f} | {n[0]['counterexample']} |"
        )
    print(
        "\n| summary over the failing checks | reference median (s) | today median (s) | ratio, median of per-check ratios |"
    )
    print("|---|---|---|---|")
    print(_ratio_line("FAIL with shrinking vs baseline, cold", cols["nc"], cols["bc"]))
    print(_ratio_line("FAIL with shrinking vs baseline, warm", cols["nw"], cols["bw"]))
    print(_ratio_line("FAIL with vs without shrinking (today), cold", cols["nc"], cols["sc"]))
    print(_ratio_line("FAIL with vs without shrinking (today), warm", cols["nw"], cols["sw"]))
    print(_ratio_line("FAIL without shrinking (today) vs baseline, cold", cols["sc"], cols["bc"]))
    print()


if __name__ == "__main__":
    main()
