"""The ``jaxml`` command: ``jaxml reproduce`` and ``jaxml verify``.

Exit status: 0 success; 1 a check failed (verify) or an experiment crashed (reproduce); 2 a usage, data or load
error — reported as one message, never a traceback; 3 a stage (one experiment, one derivation) overran its time
bound (``--timeout`` / ``$JAXML_TIMEOUT``): nothing the command starts can block forever.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ._watchdog import expire, stage
from .errors import ComputationTimeout, JaxmlError

DESCRIPTION = """\
jaxml - the CS229 PS2 models in JAX, and a verifier for hand-derived gradients and closed forms.

commands:
  reproduce   run every experiment of the write-up; write results.json, REPORT.md and figures
  verify      check hand-derived gradients / closed forms against autodiff (built-in ones, or your files)
  list        list the registered experiments
  grade       grade a class's hand-derived gradients (NumPy or JAX submissions, run in sandboxes)
"""

VERIFY_EPILOG = """\
A file declares derivations with decorators, e.g.

    import jax, jax.numpy as jnp
    from jaxml.verify import derivation

    def loss(theta, x, y):
        return jnp.mean((x @ theta - y) ** 2)

    def example(key):
        kx, ky, kt = jax.random.split(key, 3)
        return jax.random.normal(kt, (3,)), jax.random.normal(kx, (20, 3)), jax.random.normal(ky, (20,))

    @derivation(of=loss, example=example)
    def my_grad(theta, x, y):
        return 2 * x.T @ (x @ theta - y) / len(y)

exit status: 0 all pass (errata marked expected_failure=True must fail), 1 a check failed, 2 usage/load error.
"""


def _timeout_option(parser, unit: str) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"stop with exit status 3 if one {unit} runs longer than this (default: $JAXML_TIMEOUT, "
        "else 900; 0 disables the bound)",
    )


def _stage_timeout(args) -> float | None:
    """The per-stage bound: --timeout, else $JAXML_TIMEOUT, else the default; None when 0."""
    from .timeouts import default_timeout

    if args.timeout is None:
        return default_timeout()
    if args.timeout < 0:
        raise JaxmlError(f"--timeout must be >= 0 seconds, got {args.timeout:g}")
    return None if args.timeout == 0 else float(args.timeout)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jaxml", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", metavar="{reproduce,verify,list,grade}")

    r = sub.add_parser(
        "reproduce",
        help="run the write-up's experiments",
        description="Run the registered experiments and write OUT/results.json, OUT/REPORT.md "
        "and OUT/*.png. Without --data or $JAXML_DATA the built-in synthetic stand-ins "
        "are used, and every output says so.",
    )
    r.add_argument(
        "--data", metavar="DIR", help="the cs229-ps2 data directory (default: $JAXML_DATA)"
    )
    r.add_argument(
        "--out",
        metavar="DIR",
        default="jaxml-results",
        help="output directory (default: %(default)s)",
    )
    r.add_argument(
        "--only", metavar="NAME", nargs="+", help="run only these experiments (see `jaxml list`)"
    )
    r.add_argument(
        "--seed", type=int, default=0, help="seed for every random choice (default: %(default)s)"
    )
    r.add_argument(
        "--device",
        choices=("auto", "cpu", "gpu"),
        default=None,
        help="placement: auto (default; small sequential loops on the CPU, batched work on the "
        "accelerator), cpu, or gpu (everything there); also $JAXML_DEVICE",
    )
    r.add_argument("--quiet", action="store_true", help="no progress output")
    r.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="experiments run at the same time, each in its own process (default: one per core, at most "
        "4, on a CPU; 1 with a GPU). The numbers do not depend on it",
    )
    r.add_argument(
        "--quick-checks",
        action="store_true",
        help="compile the verifier checks inside the experiments for compile speed, as `jaxml verify` does "
        "(also $JAXML_QUICK_CHECKS=1): faster cold, and the checks' max errors (rounding measures) then "
        "differ in their last digits from a default run; verdicts and every other number are unchanged",
    )
    _timeout_option(r, "experiment")

    v = sub.add_parser(
        "verify",
        help="check derivations against autodiff",
        description="With no FILE, check every built-in derivation of the write-up (derivations/, installed as jaxml_derivations). "
        "With FILEs, import them and check the derivations they declare.",
        epilog=VERIFY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument(
        "files", nargs="*", metavar="FILE", help="Python files declaring @derivation entries"
    )
    v.add_argument(
        "--points",
        type=int,
        default=None,
        help="points per derivation (default: 1000, fewer for very large examples; the table says)",
    )
    v.add_argument(
        "--seed", type=int, default=0, help="seed of the random points (default: %(default)s)"
    )
    v.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="threads checking derivations side by side (default: 2 on a multi-core machine; results "
        "do not depend on it)",
    )
    v.add_argument("--json", action="store_true", help="print JSON instead of a table")
    v.add_argument(
        "--audit",
        action="store_true",
        help="after each pass, list the standard slips (x n, x 1/n, x 2, sign, transpose, a zeroed leaf) "
        "that would still pass at the same points: the check's blind spots",
    )
    _timeout_option(v, "derivation")

    sub.add_parser("list", help="list the registered experiments")
    _grade_parser(sub)
    return p


def _verify(args) -> int:
    from . import _bucketed_random as draws
    from . import verify
    from ._compile import quick_compilation

    if args.points is not None and args.points < 1:
        raise JaxmlError(f"--points must be >= 1, got {args.points}")
    if args.jobs is not None and args.jobs < 1:
        raise JaxmlError(f"--jobs must be >= 1, got {args.jobs}")
    if args.files:
        entries = [e for f in args.files for e in verify.load_file(f)]
    else:
        entries = verify.builtin_entries()
    seconds = _stage_timeout(args)
    # checks run once: their programs are compiled for compile speed (jaxml/_compile.py)
    with quick_compilation():
        outcomes = verify.run_entries(
            entries,
            points=args.points,
            key=draws.prng_key(args.seed),
            jobs=args.jobs,
            guard=lambda e: stage(f"checking {e.name}", seconds, command="jaxml verify"),
            audit=args.audit,
        )
    failed = [o for o in outcomes if not o.as_expected]
    expected = [o for o in outcomes if o.expected_failure and o.as_expected]
    if args.json:
        print(json.dumps({"ok": not failed, "outcomes": [o.as_dict() for o in outcomes]}, indent=2))
    else:
        print(verify.format_table(outcomes))
        print()
        summary = f"{len(outcomes) - len(failed)} of {len(outcomes)} as expected"
        if expected:
            summary += (
                f" ({len(expected)} expected failure{'s' if len(expected) != 1 else ''}: "
                "as-written formulas that the verifier correctly rejects)"
            )
        if failed:
            summary += f"; {len(failed)} FAILED: " + ", ".join(o.name for o in failed)
        print(summary)
    return 1 if failed else 0


def _reproduce(args) -> int:
    from . import data as data_mod
    from . import reproduce
    from ._compile import QUICK_CHECKS_ENV
    from .experiments import Progress

    source = data_mod.locate(args.data, seed=args.seed)
    progress = Progress(quiet=args.quiet)
    progress.log(f"jaxml reproduce: data = {source.describe()}; output = {args.out}")
    jobs = reproduce.default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        raise JaxmlError(f"--jobs must be >= 1, got {jobs}")
    if args.quick_checks:
        # read by jaxml._compile.quick_checks, in this process and the workers it starts
        os.environ[QUICK_CHECKS_ENV] = "1"
    results = reproduce.run(
        source,
        Path(args.out),
        only=args.only,
        seed=args.seed,
        progress=progress,
        device=args.device,
        timeout=_stage_timeout(args),
        jobs=jobs,
    )
    out = Path(args.out)
    print(f"wrote {out / 'results.json'} and {out / 'REPORT.md'}")
    if source.kind == "synthetic":
        print(
            "NOTE: these results come from SYNTHETIC stand-in data, not the course's files "
            "(pass --data DIR or set JAXML_DATA)."
        )
    if results.get("errors"):
        print("experiments that failed: " + ", ".join(results["errors"]), file=sys.stderr)
        return 1
    return 0


GRADE_EPILOG = """\
An assignment file declares tasks, e.g.

    import jax, jax.numpy as jnp
    from jaxml.grade import task

    def svm_loss(W, X, y, reg): ...                  # the reference is the loss, in JAX
    def make_args(key): ...                          # example(key) -> the loss's arguments

    task("svm_dW", function="svm_loss_vectorized", of=svm_loss, argnums=0, example=make_args,
         output=lambda out: out[1], max_score=5, forbid=("jax", "torch"))

Submissions: SUBMISSIONS/NAME.py, NAME.ipynb or NAME/ (one per student), only read. Output: DIR/<NAME>/results.json
(Gradescope's format), DIR/grades.csv, DIR/summary.md, DIR/summary.png.
exit status: 0 every submission graded (whatever the scores), 1 some could not be graded, 2 usage error.
"""


def _grade_parser(sub) -> None:
    g = sub.add_parser(
        "grade",
        help="grade a class's hand-derived gradients",
        description="Run every submission in a sandbox process (time, memory, CPU and output limits) and "
        "compare the gradients it returns with autodiff's gradient of the assignment's loss.",
        epilog=GRADE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("assignment", nargs="?", metavar="ASSIGNMENT.py", help="the assignment file")
    g.add_argument(
        "submissions", nargs="?", metavar="SUBMISSIONS", help="the submissions directory"
    )
    g.add_argument("--out", metavar="DIR", help="output directory (required)")
    g.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="submissions run at once (default: cores)",
    )
    g.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="wall time for one submission's run: loading it and calling its functions (default: %(default)s)",
    )
    g.add_argument(
        "--memory",
        type=int,
        default=2048,
        metavar="MB",
        help="memory limit per submission (default: %(default)s)",
    )
    g.add_argument(
        "--feedback",
        choices=("diagnosis", "full", "score"),
        default="diagnosis",
        help="diagnosis (default): verdicts and named mistakes, never a value of the reference gradient; "
        "full: also the worst entry's values; score: scores only",
    )
    g.add_argument(
        "--shard", metavar="I/N", default="1/1", help="grade the I-th of N slices of the class"
    )
    g.add_argument(
        "--merge", nargs="+", metavar="DIR", help="merge the output directories of --shard runs"
    )


def _grade(args) -> int:
    from . import grade

    if not args.out:
        raise JaxmlError("--out DIR is required")
    if args.merge:
        if args.assignment or args.submissions:
            raise JaxmlError(
                "--merge takes output directories only: jaxml grade --merge DIR1 DIR2 ... --out DIR"
            )
        grade.merge(args.merge, args.out)
        print(f"merged {len(args.merge)} runs into {args.out}")
        return 0
    if not args.assignment or not args.submissions:
        raise JaxmlError("usage: jaxml grade ASSIGNMENT.py SUBMISSIONS/ --out DIR")
    try:
        i, n = (int(x) for x in args.shard.split("/"))
    except ValueError:
        raise JaxmlError(f"--shard must be I/N (e.g. 1/4), got {args.shard!r}") from None
    graded = grade.grade(
        args.assignment,
        args.submissions,
        args.out,
        jobs=args.jobs,
        timeout=args.timeout,
        memory_mb=args.memory,
        feedback=args.feedback,
        shard=(i, n),
    )
    failed = graded.not_graded
    print(
        f"graded {len(graded.students) - len(failed)} of {len(graded.students)} submissions "
        f"({graded.compared} distinct answers compared); see {args.out}"
    )
    if failed:
        print("not graded (grader errors): " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def _list(_args) -> int:
    from . import experiments

    for name, exp in experiments.registered().items():
        print(f"{name:20s} {exp.section:8s} {exp.title}")
    return 0


CACHE_ENV_VAR = "JAXML_COMPILATION_CACHE"


def compilation_cache_dir() -> str | None:
    """Where the CLI keeps JAX's persistent compilation cache, or None when ``JAXML_COMPILATION_CACHE=0``.

    ``JAXML_COMPILATION_CACHE`` may also name the directory; the default is ``$XDG_CACHE_HOME/jaxml/xla``
    (``~/.cache/jaxml/xla``). Compiled XLA programs are reused across runs, so a second ``jaxml verify`` or
    ``jaxml reproduce`` skips most compilation; results are unchanged.
    """
    value = os.environ.get(CACHE_ENV_VAR, "").strip()
    if value.lower() in ("0", "false", "no", "off"):
        return None
    if value and value.lower() not in ("1", "true", "yes", "on"):
        return value
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxml", "xla")


def _enable_compilation_cache() -> None:
    import jax

    path = compilation_cache_dir()
    if path is None:
        return
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:  # a read-only home: run without the cache rather than fail
        return
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def main(argv=None) -> int:
    """Entry point of the ``jaxml`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        from ._compile import quick_process
        from ._float64 import enable_float64
        from .allocator import keep_freed_memory

        if args.command == "verify":
            quick_process()  # a process of checks that run once: compiled for compile speed (jaxml/_compile.py)
        keep_freed_memory()  # before XLA starts its threads: big buffers are reused, not faulted in again

        enable_float64()  # the write-up's numbers are float64 numbers: on before anything is traced
        _enable_compilation_cache()

        commands = {"verify": _verify, "reproduce": _reproduce, "list": _list, "grade": _grade}
        return commands[args.command](args)
    except ComputationTimeout as exc:  # the stuck computation would block a normal exit
        expire(f"jaxml {args.command}: error: {exc}")
    except JaxmlError as exc:
        print(f"jaxml {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
