"""Bounded memory: a 4096 x 1024 float32 batch-norm dx check at 200 points stays under 4 GiB (issue #13)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import jax
import jax.monitoring
import jax.numpy as jnp
import pytest

from jaxml.verify import check_gradient
from jaxml.verify._points import chunk_size, default_points

CHILD = textwrap.dedent(
    """
    import jax.numpy as jnp
    import numpy as np
    from jaxml.verify import check_gradient

    def loss(x, gamma, beta, dy):  # Σ dy ⊙ BN(x): its gradient in x is the batch-norm backward pass
        mu = jnp.mean(x, axis=0)
        v = jnp.mean((x - mu) ** 2, axis=0)
        return jnp.sum(dy * (gamma * (x - mu) / jnp.sqrt(v + 1e-5) + beta))

    def dx(x, gamma, beta, dy):  # (γ/√(v+ε))/m ⊙ (m dy − Σ dy − x̂ ⊙ Σ dy ⊙ x̂)
        m = x.shape[0]
        mu = jnp.mean(x, axis=0)
        inv = 1.0 / jnp.sqrt(jnp.mean((x - mu) ** 2, axis=0) + 1e-5)
        x_hat = (x - mu) * inv
        return (gamma * inv) / m * (m * dy - dy.sum(0) - x_hat * (dy * x_hat).sum(0))

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4096, 1024)).astype(np.float32)
    gamma, beta = rng.normal(size=1024).astype(np.float32), rng.normal(size=1024).astype(np.float32)
    dy = rng.normal(size=(4096, 1024)).astype(np.float32)
    report = check_gradient(loss, dx, x, gamma, beta, dy, points=200)
    # This process's own peak RSS. Not getrusage's ru_maxrss: Linux keeps the high-water mark of the process we
    # were forked from (pytest, several GiB after the experiments' tests) across exec.
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) * 1024
    print(report.ok, report.points, report.max_rel_error, peak)
    """
)


@pytest.mark.slow
def test_large_batchnorm_check_stays_within_4_gib():
    # the child inherits the tests' allocator settings (tests/conftest.py: freed memory kept, as in the `jaxml`
    # command): 18.5 s alone, 1.2 GB peak; 35.0 s and 0.94 GB with glibc's defaults
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], check=False, capture_output=True, text=True, timeout=1200
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ok, points, rel, peak = proc.stdout.split()
    assert ok == "True" and int(points) == 200 and float(rel) < 1e-12
    assert int(peak) < 4 * 2**30, f"peak RSS {int(peak) / 2**30:.2f} GiB"


def test_chunks_fit_the_budget():
    per_point = 4096 * 1024 * 8 * 2  # a float64 argument and its gradient
    size = chunk_size(per_point, 200, budget=2**30)
    assert 1 <= size < 200 and size * per_point * 6 <= 2**30
    assert chunk_size(80, 1000) == 1000  # small problems: one chunk, as before
    # a chunk's arrays stay within 32 MiB (BLOCK_BYTES) where they can: one 4096 x 1024 float64 point per chunk
    one_point = 4096 * 1024 * 8
    assert chunk_size(per_point, 200, budget=2**30, largest_bytes=one_point) == 1
    assert chunk_size(80, 1000, largest_bytes=8) == 1000
    assert chunk_size(2**20, 1000, largest_bytes=2**20) == 32  # 1 MiB per point: 32 per chunk
    # never fewer than one point
    assert chunk_size(2 * one_point, 9, largest_bytes=2 * one_point) == 1


def test_default_points_follow_the_cost():
    assert default_points(3, 1000) == 1000
    assert default_points(4096 * 1024, 1000) == 64
    assert default_points(10**9, 16) == 8  # never fewer than 8


def test_chunks_share_one_program_per_check():
    """Every chunk has the same (padded) shapes, so your derivative is traced and compiled once per check, not once
    per chunk (the 4096 x 1024 check above compiled 105 programs when it was; 6 now)."""
    traced, active = [], [True]

    def listener(event, duration, **kwargs):
        if active[0] and event == "/jax/core/compile/jaxpr_trace_duration":
            traced.append(kwargs.get("fun_name"))

    jax.monitoring.register_event_duration_secs_listener(listener)

    def loss_sin2(x):
        return jnp.sum(jnp.sin(x) ** 2)

    def hand_grad_sin2(x):
        return 2 * jnp.sin(x) * jnp.cos(x)

    x = jnp.linspace(0.0, 1.0, 64)
    per_point = 2 * x.size * 8  # the argument and its gradient, float64
    try:
        report = check_gradient(
            loss_sin2, hand_grad_sin2, x, points=40, max_memory=per_point * 6 * 2
        )
    finally:
        active[0] = False
    assert report.ok and report.points == 40
    assert chunk_size(per_point, 40, budget=per_point * 6 * 2) == 2  # 20 chunks
    assert traced.count("hand_grad_sin2") == 1
