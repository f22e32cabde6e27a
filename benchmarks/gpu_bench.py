"""The GPU section: the same benchmarks with JAX on ``jax.devices("gpu")[0]`` (the NumPy columns: the CPU medians),
``jaxml verify`` with jaxml's placement on the GPU, and the batch-norm backward at 4096 × 1024 float32 against the
memory-bandwidth floor. Without a GPU the section says "not measured".
"""

from __future__ import annotations

import _timing as timing
import cli_bench
import sec56_network
from _bench import Ctx, Row, markdown_table

NOMINAL_BANDWIDTH = {  # bytes/s, vendor figures for the HBM of common data-centre GPUs
    "H200": 4.8e12,
    "H100": 3.35e12,
    "A100": 2.0e12,
    "V100": 0.9e12,
    "L4": 0.3e12,
    "A10": 0.6e12,
}
BN_SHAPE = (4096, 1024)


def measured_bandwidth(device) -> float:
    """Copy bandwidth (bytes/s): read + write of 256 MiB of float32, median of 11."""
    import jax
    import jax.numpy as jnp

    n = 2**28 // 4
    with jax.default_device(device):
        a = jnp.ones((n,), jnp.float32)
        f = jax.jit(lambda a: a * 1.0001)
        jax.block_until_ready(f(a))
        t = timing.time_one(lambda: f(a), repeats=11)
    return 2 * a.nbytes / t.median


def _first_gpu():
    import jax

    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        return None
    return gpus[0] if gpus else None


def _floor_lines(rows: list[Row], device) -> list[str]:
    """Each batch-norm row against the floor: read x and dy, write dx, each m × d float32 once."""
    m, d = BN_SHAPE
    bytes_moved = 3 * m * d * 4
    bw = measured_bandwidth(device)
    nominal = next((v for k, v in NOMINAL_BANDWIDTH.items() if k in str(device.device_kind)), None)
    lines = []
    for r in rows:
        floor = bytes_moved / bw
        text = (
            f"- {r.what}: {r.jax_s * 1e3:.3f} ms; memory-bandwidth floor ({bytes_moved / 2**20:.0f} MiB: read x "
            f"and dy, write dx, each m×d float32 once) at the measured copy bandwidth {bw / 1e9:.0f} GB/s: "
            f"{floor * 1e3:.3f} ms → {r.jax_s / floor:.1f}× the floor"
        )
        if nominal:
            text += f"; at the nominal {nominal / 1e12:.2f} TB/s: {r.jax_s / (bytes_moved / nominal):.1f}× the floor"
        lines.append(text)
    return lines


def gpu_section(ctx: Ctx, benches, device=None) -> str:
    """The section's markdown. ``benches``: [(name, fn)] run again with JAX on the GPU (``device``: a test hook)."""
    device = device or _first_gpu()
    if device is None:
        return "## GPU\n\nnot measured: no GPU available in this run (`jax.devices('gpu')` is empty).\n"
    ctx.device = device
    ctx.log(f"GPU section on {device.device_kind}")
    rows = []
    try:
        for name, fn in benches:
            if name in ("verify", "batchnorm"):
                continue
            try:
                rows += fn(ctx)
            except Exception as exc:  # noqa: BLE001  (a benchmark that breaks is reported in the table)
                rows.append(Row(name, f"FAILED on GPU: {type(exc).__name__}: {exc}"))
        rows += cli_bench.bench_verify(ctx)
        bn = sec56_network.bench_batchnorm(ctx, *BN_SHAPE)
        lines = [
            f"## GPU: {device.device_kind} ({device.platform}:{device.id})",
            "",
            "Same benchmarks, JAX on the GPU (NumPy columns: the CPU medians above).",
            "",
            markdown_table(rows + bn),
            "",
            *_floor_lines(bn, device),
        ]
    finally:
        ctx.device = None
    return "\n".join(lines) + "\n"
