"""Sharded computations give the same numbers on 4 (fake CPU) devices as on one.

JAX fixes its device count when it starts, so each check runs in a fresh Python process with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``, and compares with the same computation in this
(single-device) process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest


def run_on_devices(code: str, devices: int = 4) -> dict:
    """Run ``code`` (which prints one JSON line last) in a fresh process with ``devices`` fake CPU devices."""
    env = dict(os.environ)
    # single-threaded Eigen inside each fake device: with 4 devices on 2 cores, XLA CPU's Eigen pool was seen to
    # wedge (a child hung at 1% CPU in one CI run; reported upstream for vmap graphs on small CPU counts)
    env["XLA_FLAGS"] = (f"--xla_force_host_platform_device_count={devices} "
                        "--xla_cpu_multi_thread_eigen=false")
    env["JAX_PLATFORMS"] = "cpu"
    # Four XLA CPU "devices" run their LAPACK calls (eigh) concurrently on a 2-core machine; a multi-threaded
    # OpenBLAS under that contention was seen to stall (a child hung at 1% CPU). One BLAS thread per call avoids it.
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


VERIFIER = """
import json, jax, numpy as np
import jaxml
from jaxml.verify import builtin_entries, run_entry
entry = [e for e in builtin_entries() if e.name == "log_likelihood_grad"][0]
out = run_entry(entry, points=1001, key=jax.random.PRNGKey(3))
rep = out.report
print(json.dumps({"devices": len(jax.devices()), "max_abs": out.max_abs_error, "ok": out.ok,
                  "worst": list(rep.worst_index[2]) + [rep.worst_index[0]], "yours": rep.worst_yours}))
"""


def test_verifier_points_shard_across_devices_with_identical_results():
    if len(jax.devices()) != 1:
        pytest.skip("this process must be the single-device reference")
    multi = run_on_devices(VERIFIER)
    assert multi["devices"] == 4
    namespace: dict = {}
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(textwrap.dedent(VERIFIER), namespace)
    single = json.loads(buf.getvalue().strip().splitlines()[-1])
    assert single["devices"] == 1
    assert multi["ok"] and single["ok"]
    # the same points, the same worst entry, the same values (sharding changes placement, not arithmetic)
    assert multi["worst"] == single["worst"]
    np.testing.assert_allclose(multi["yours"], single["yours"], rtol=1e-14)
    np.testing.assert_allclose(multi["max_abs"], single["max_abs"], rtol=1e-6, atol=1e-16)


GRID = """
import json, jax, numpy as np
import jaxml
from jaxml.data import synthetic
from jaxml.models import double_descent_sweep
dd = synthetic.double_descent(seed=1)
ns = sorted(dd.train)[:5]                       # 5 training sets: not a multiple of 4 devices (padding path)
lams = np.array([0.0, 31.25, 125.0, 500.0])
err = double_descent_sweep([dd.train[n].x[:, :60] for n in ns], [dd.train[n].y for n in ns], lams,
                           dd.validation.x[:, :60], dd.validation.y)
print(json.dumps({"devices": len(jax.devices()), "val_err": np.asarray(err).tolist(),
                  "sharded_over": len(getattr(err, "sharding", None).device_set) if hasattr(err, "sharding") else 1}))
"""

PLACEMENT = """
import json, jax, jax.numpy as jnp
import jaxml
from jaxml.placement import placed
from jaxml.sharding import shard_leading
with placed("sequential") as dev:
    loop = jax.jit(lambda x: jax.lax.fori_loop(0, 100, lambda i, c: c * 0.99 + 1.0, x))(jnp.zeros(3))
batch = shard_leading(jnp.arange(8.0))
print(json.dumps({"devices": len(jax.devices()), "loop_devices": [str(d) for d in loop.devices()],
                  "chosen": str(dev), "batch_devices": len(batch.sharding.device_set)}))
"""


def _in_process(code: str) -> dict:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(textwrap.dedent(code), {})
    return json.loads(buf.getvalue().strip().splitlines()[-1])


def test_double_descent_grid_shards_across_devices_with_identical_results():
    if len(jax.devices()) != 1:
        pytest.skip("this process must be the single-device reference")
    multi, single = run_on_devices(GRID), _in_process(GRID)
    assert multi["devices"] == 4 and single["devices"] == 1
    assert np.asarray(multi["val_err"]).shape == (4, 5)
    np.testing.assert_allclose(multi["val_err"], single["val_err"], rtol=1e-12)


def test_small_sequential_loop_stays_on_one_cpu_while_batches_spread():
    """With 4 devices visible, the policy keeps a sequential loop on cpu:0 and spreads batched work over all 4."""
    out = run_on_devices(PLACEMENT)
    assert out["devices"] == 4
    assert out["loop_devices"] == [out["chosen"]] and out["chosen"].endswith("0")
    assert out["batch_devices"] == 4


SVM_SWEEP = """
import json, jax, numpy as np
import jaxml
from jaxml.data import synthetic
from jaxml.models import build_vocabulary, featurize, fit_kernel_svm
spam = synthetic.spam(seed=2)["train"]
messages, y = spam.messages[:300], spam.y[:300]
x = featurize(messages, build_vocabulary(messages))
fit = fit_kernel_svm(x, y, [0.01, 0.1, 1.0, 10.0, 3.0], key=jax.random.PRNGKey(5), num_steps=1500, chunks=3)
print(json.dumps({"devices": len(jax.devices()), "alpha": np.asarray(fit.alpha).tolist()}))
"""


def test_svm_radius_sweep_shards_across_devices_with_identical_results():
    if len(jax.devices()) != 1:
        pytest.skip("this process must be the single-device reference")
    multi, single = run_on_devices(SVM_SWEEP), _in_process(SVM_SWEEP)
    assert multi["devices"] == 4
    alpha_multi, alpha_single = np.asarray(multi["alpha"]), np.asarray(single["alpha"])
    assert alpha_multi.shape == (5, 300)  # 5 radii on 4 devices: the padding path
    np.testing.assert_allclose(alpha_multi, alpha_single, rtol=1e-12, atol=1e-15)
