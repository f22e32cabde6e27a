"""jaxml against NumPy (and scikit-learn) on the write-up's experiments: one command, one markdown table.

    python benchmarks/run.py --data DIR [--quick] [--out benchmarks/RESULTS.md] [--only NAME ...]

Every benchmark runs the jaxml model and its NumPy peer (``numpy_peers.py``: the same algorithm, written as well as
NumPy allows) side by side in this process on the same data, and scikit-learn where it has a counterpart. Timings
are medians of ``--repeats`` runs (default 5; JAX and NumPy interleaved so both see the same machine load); JAX is
timed after a warm-up call, whose excess over the median is reported as its compile time. ``jaxml verify`` and
``jaxml reproduce`` run as child processes, cold and warm, with their peak RSS; reproduce is set beside the NumPy
peers of §1–§4 at the sizes it ran. ``--quick`` shrinks the step counts and repeats (targets are then not judged).

The benchmarks live in one module per write-up section (``sec1_logistic.py`` ... ``sec56_network.py``), the child
processes in ``cli_bench.py``, the GPU section in ``gpu_bench.py``; every setting that mirrors an experiment comes
from that experiment's ``CONFIG`` or from the results.json of the run being compared.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling modules (benchmarks/ is a folder of scripts)
sys.path.insert(1, str(HERE.parent))  # this checkout's jaxml, before an installed one

import _timing as timing
import cli_bench
import gpu_bench
import sec1_logistic
import sec2_spam
import sec3_perceptron
import sec4_map
import sec56_network
from _bench import Ctx, Row, markdown_table

SECTIONS = (sec1_logistic, sec2_spam, sec3_perceptron, sec4_map, sec56_network)
BENCHES = [b for s in SECTIONS for b in s.BENCHES] + [("verify", cli_bench.bench_verify)]
TERM_MAKERS = [s.reproduce_terms for s in SECTIONS]


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help="the cs229-ps2 data directory (default $JAXML_DATA)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats, smaller step counts (targets not judged)",
    )
    p.add_argument(
        "--out",
        default=str(HERE / "RESULTS.md"),
        help="markdown output (default benchmarks/RESULTS.md)",
    )
    p.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        choices=[n for n, _ in BENCHES] + ["reproduce"],
        help="run only these benchmarks",
    )
    p.add_argument(
        "--repeats", type=int, default=None, help="timed repeats per benchmark (default 5; quick 3)"
    )
    p.add_argument("--seed", type=int, default=0, help="the `jaxml reproduce --seed` (default 0)")
    p.add_argument(
        "--no-reproduce",
        action="store_true",
        help="skip the end-to-end `jaxml reproduce` benchmark",
    )
    p.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="OpenBLAS threads for NumPy, SciPy and jaxlib's LAPACK calls, here and in the child "
        "processes (default 1; 0 = the libraries' default). On a busy 2-core machine a 2-thread "
        "OpenBLAS stalls whenever a helper thread is descheduled: the same 13 eigh of 500×500 "
        "took 0.4-8.7 s with 2 threads and 0.22-0.23 s with 1, in JAX and NumPy alike.",
    )
    return p.parse_args(argv)


def _blas_limiter(threads: int | None):
    if not threads:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        _log("threadpoolctl not installed: BLAS threads not limited in this process")
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def main(argv=None) -> int:
    args = parse_args(argv)
    import jax
    import jax.numpy as jnp

    import jaxml
    from jaxml.data import locate

    jaxml.enable_float64()  # the experiments' numbers are float64 numbers, as the CLI computes them
    source = locate(args.data or os.environ.get("JAXML_DATA") or None)
    ctx = Ctx(
        data=source,
        data_dir=str(source.root) if source.root else None,
        quick=args.quick,
        repeats=args.repeats or (3 if args.quick else 5),
        log=_log,
        seed=args.seed,
        blas_threads=args.blas_threads or None,
    )
    jax.block_until_ready(
        jnp.linalg.eigh(jnp.eye(2))
    )  # load jaxlib's LAPACK before the BLAS pools are limited
    with _blas_limiter(ctx.blas_threads):
        text = run(args, ctx)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)
    _log(f"wrote {args.out}")
    return 0


def _run_one(name: str, fn, ctx: Ctx) -> list[Row]:
    _log(f"[{name}] ...")
    start = time.perf_counter()
    try:
        rows = fn(ctx)
    except Exception as exc:  # noqa: BLE001  (a benchmark that breaks is reported in the table)
        import traceback

        traceback.print_exc()
        rows = [Row(name, f"FAILED: {type(exc).__name__}: {exc}")]
    _log(f"[{name}] {time.perf_counter() - start:.1f} s")
    return rows


def run(args, ctx: Ctx) -> str:
    """Every selected benchmark, the reproduce benchmark, the GPU section: the whole markdown text."""
    info = timing.machine_info()
    info["blas_threads"] = str(ctx.blas_threads or "library default")
    _log(
        f"benchmarks: data {ctx.data.describe()}; {'quick' if args.quick else 'full'} run, {ctx.repeats} repeats"
    )
    _log("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    start = time.perf_counter()
    selected = [(n, f) for n, f in BENCHES if not args.only or n in args.only]
    rows: list[Row] = []
    for name, fn in selected:
        rows += _run_one(name, fn, ctx)
    detail = ""
    if not args.no_reproduce and (not args.only or "reproduce" in args.only):
        _log("[reproduce] ...")
        r_rows, detail = cli_bench.bench_reproduce(ctx, TERM_MAKERS)
        rows += r_rows
    gpu = gpu_bench.gpu_section(ctx, selected)
    notes = [f"- {r.benchmark} — {r.what}: {r.note}" for r in rows if r.note]
    head = header(args, ctx, info, time.perf_counter() - start)
    return head + "\n" + markdown_table(rows) + "\n\n" + "\n".join(notes) + detail + "\n\n" + gpu


def header(args, ctx: Ctx, info: dict, elapsed: float) -> str:
    """The results' header: date, run, machine and load, versions, BLAS threading, data, how to read the table."""
    load_end = " ".join(f"{v:.2f}" for v in os.getloadavg())
    run_kind = "--quick (reduced sizes, targets not judged)" if args.quick else "full"
    return "\n".join(
        [
            "# jaxml benchmarks: JAX vs NumPy vs scikit-learn",
            "",
            f"- date: {info['date']}; run: {run_kind}, {ctx.repeats} repeats (medians), {elapsed / 60:.1f} min in all",
            (
                f"- machine: {info['nproc']} cores, {info['cpu']}, {info.get('memory', '?')} RAM; load average at start "
                f"{info.get('loadavg', '?')}, at the end {load_end} (1, 5, 15 min; other processes may have run meanwhile)"
            ),
            (
                f"- Python {info['python']}, jax {info['jax']} (jaxlib {info['jaxlib']}), numpy {info['numpy']}, "
                f"scipy {info['scipy']}, scikit-learn {info['sklearn']}, optax {info['optax']}"
            ),
            (
                f"- BLAS: {info['blas']}; OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']}; limited to "
                f"{info['blas_threads']} thread(s) for NumPy, SciPy and jaxlib's LAPACK, here and in the child processes "
                "(--blas-threads); XLA's own thread pool left at its default"
            ),
            f"- data: {ctx.data.describe()}; `jaxml reproduce --seed {ctx.seed}`",
            (
                "- JAX on the CPU, float64 except the batch-norm rows (float32); JAX timed after a warm-up call, "
                "'JAX compile' = first call − median. Ratio = NumPy median / JAX median (> 1: JAX faster)."
            ),
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
