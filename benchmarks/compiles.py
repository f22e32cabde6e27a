"""Count the XLA programs a jaxml command compiles, and what they cost: compilation is a cost to design for.

    python benchmarks/compiles.py reproduce --data DIR [--only NAME ...]   # per experiment
    python benchmarks/compiles.py verify [FILE ...]                        # per derivation
    python benchmarks/compiles.py --top 30 --json out.json reproduce ...
    python benchmarks/compiles.py --sites 20 reproduce --data DIR --only nn    # where eager programs come from

Runs the ``jaxml`` command in this process with the persistent compilation cache off and JAX's monitoring events
(``/jax/core/compile/backend_compile_duration``, ``jaxpr_trace_duration``, ``jaxpr_to_mlir_module_duration``)
recorded, then prints, per stage (one experiment, or one derivation), the number of programs XLA compiled, the
seconds spent compiling them and tracing/lowering them, and the wall time; then the most expensive programs by
name. Programs named after a single primitive (``jit(add)``, ``jit(slice)``) are eager, op-by-op dispatches:
one-shot work that did not need JAX, or code outside the jitted function.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time

COMPILE = "/jax/core/compile/backend_compile_duration"
TRACE = (
    "/jax/core/compile/jaxpr_trace_duration",
    "/jax/core/compile/jaxpr_to_mlir_module_duration",
)


class Recorder:
    """Collects compile events per stage; ``stage`` is switched by the hooks below."""

    def __init__(self):
        self.stage = "start-up"
        self.order: list[str] = []
        self.programs = collections.Counter()
        self.compile_s = collections.defaultdict(float)
        self.trace_s = collections.defaultdict(float)
        self.wall_s = collections.defaultdict(float)
        self.by_name = collections.defaultdict(lambda: [0, 0.0])
        # (stage, project line) -> [eager programs, compile s]
        self.sites = collections.defaultdict(lambda: [0, 0.0])
        self._since = time.perf_counter()

    def switch(self, stage: str) -> None:
        now = time.perf_counter()
        self.wall_s[self.stage] += now - self._since
        self._since = now
        self.stage = stage
        if stage not in self.order:
            self.order.append(stage)

    def __call__(self, event: str, duration: float, **kwargs) -> None:
        if event == COMPILE:
            self.programs[self.stage] += 1
            self.compile_s[self.stage] += duration
            entry = self.by_name[(self.stage, str(kwargs.get("fun_name")))]
            entry[0] += 1
            entry[1] += duration
            if _is_primitive(str(kwargs.get("fun_name"))):
                site = self.sites[(self.stage, _project_line())]
                site[0] += 1
                site[1] += duration
        elif event in TRACE:
            self.trace_s[self.stage] += duration

    def table(self, top: int) -> str:
        stages = ["start-up", *[s for s in self.order if s != "start-up"]]
        lines = [
            f"{'stage':42s} {'programs':>8s} {'compile s':>9s} {'trace+lower s':>13s} {'wall s':>7s}"
        ]
        for s in stages:
            lines.append(
                f"{s[:42]:42s} {self.programs[s]:8d} {self.compile_s[s]:9.2f} {self.trace_s[s]:13.2f} "
                f"{self.wall_s[s]:7.2f}"
            )
        lines.append(
            f"{'total':42s} {sum(self.programs.values()):8d} {sum(self.compile_s.values()):9.2f} "
            f"{sum(self.trace_s.values()):13.2f} {sum(self.wall_s.values()):7.2f}"
        )
        lines += ["", f"most expensive programs (stage, name, count, compile s), top {top}:"]
        ranked = sorted(self.by_name.items(), key=lambda kv: -kv[1][1])[:top]
        lines += [
            f"  {s[:28]:28s} {name[:52]:52s} x{n:<4d} {sec:6.2f}" for (s, name), (n, sec) in ranked
        ]
        eager = sum(n for (_, name), (n, _) in self.by_name.items() if _is_primitive(name))
        lines.append(f"\neager op-by-op programs (jit(<primitive>)): {eager}")
        return "\n".join(lines)

    def sites_table(self, top: int) -> str:
        """The project lines that dispatched the most eager programs (the innermost jaxml/derivations frame)."""
        ranked = sorted(self.sites.items(), key=lambda kv: -kv[1][1])[:top]
        lines = [
            f"where the eager programs were dispatched (stage, line, count, compile s), top {top}:"
        ]
        lines += [
            f"  {s[:24]:24s} {where[:70]:70s} x{n:<4d} {sec:6.2f}"
            for (s, where), (n, sec) in ranked
        ]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "stages": {
                s: {
                    "programs": self.programs[s],
                    "compile_s": self.compile_s[s],
                    "trace_s": self.trace_s[s],
                    "wall_s": self.wall_s[s],
                }
                for s in ["start-up", *self.order]
            },
            "programs": [
                {"stage": s, "name": name, "count": n, "compile_s": sec}
                for (s, name), (n, sec) in sorted(self.by_name.items(), key=lambda kv: -kv[1][1])
            ],
        }


def _is_primitive(name: str) -> bool:
    import jax

    inner = name[4:-1] if name.startswith("jit(") else name
    return inner in _primitive_names(jax)


_PRIMS: set[str] | None = None


def _primitive_names(jax) -> set[str]:
    global _PRIMS
    if _PRIMS is None:
        import jax.numpy as jnp  # noqa: F401
        from jax import lax

        _PRIMS = {n for n in dir(lax) if not n.startswith("_")} | {
            "add",
            "multiply",
            "subtract",
            "true_divide",
            "matmul",
            "slice",
            "dynamic_slice",
            "squeeze",
            "reshape",
            "broadcast_in_dim",
            "convert_element_type",
            "concatenate",
            "transpose",
            "abs",
            "sqrt",
            "exp",
            "log",
            "integer_pow",
            "square",
            "div",
            "sub",
            "_reduce_sum",
            "_reduce_max",
            "_where",
            "scatter",
            "gather",
        }
    return _PRIMS


# the library and the derivations (installed as jaxml_derivations), by module name: a checkout may sit in a
# folder called jaxml, so paths would not tell them from JAX itself
_PROJECT = ("jaxml", "jaxml_derivations")


def _project_line() -> str:
    """``file:line`` of the innermost frame of the calling stack in jaxml or jaxml_derivations."""
    frame = sys._getframe(1)
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module.split(".")[0] in _PROJECT:
            parts = frame.f_code.co_filename.split(os.sep)
            return f"{os.sep.join(parts[-2:])}:{frame.f_lineno}"
        frame = frame.f_back
    return "(outside the project)"


def _hook_stages(recorder: Recorder) -> None:
    """Switch stages at each experiment (jaxml.reproduce) and each derivation (jaxml.verify.run_entry)."""
    from jaxml import verify
    from jaxml.experiments import Progress

    original_log = Progress.log

    def log(self, message):
        if message.startswith("[") and message.rstrip().endswith("..."):
            recorder.switch(
                message.rsplit("(", 1)[-1].split(")")[0]
            )  # "[2/6] §2 Spam ... (spam) ..."
        original_log(self, message)

    Progress.log = log

    original_run_entry = verify.run_entry

    def run_entry(entry, *args, **kwargs):
        recorder.switch(f"verify {entry.name}")
        return original_run_entry(entry, *args, **kwargs)

    verify.run_entry = run_entry


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], add_help=True)
    parser.add_argument(
        "--top", type=int, default=25, help="how many programs to list (default 25)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the counts as JSON")
    parser.add_argument(
        "--sites",
        type=int,
        default=0,
        metavar="N",
        help="also list the N project lines that dispatched most eager programs",
    )
    args, command = parser.parse_known_args(argv)
    if not command:
        parser.error("give a jaxml command, e.g. `reproduce --data DIR` or `verify`")
    os.environ["JAXML_COMPILATION_CACHE"] = "0"  # count what a first run compiles
    os.environ.setdefault("MPLBACKEND", "Agg")
    import jax.monitoring

    recorder = Recorder()
    jax.monitoring.register_event_duration_secs_listener(recorder)
    _hook_stages(recorder)
    from jaxml.cli import main as jaxml_main

    start = time.perf_counter()
    status = jaxml_main(command)
    recorder.switch("end")
    print(
        f"\njaxml {' '.join(command)}: exit {status}, {time.perf_counter() - start:.1f} s in all",
        file=sys.stderr,
    )
    print(recorder.table(args.top), file=sys.stderr)
    if args.sites:
        print("\n" + recorder.sites_table(args.sites), file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(recorder.as_dict(), f, indent=2)
    return status


if __name__ == "__main__":
    sys.exit(main())
