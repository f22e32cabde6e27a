"""Fake CPU devices never hang jaxml and never change its numbers; the sharded code path works on named devices.

JAX fixes its device count when it starts, so each check runs in a fresh Python process with
``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (and nothing else: no thread-count workarounds), under a
timeout that fails the test loudly, and compares with the same computation in this single-device process.

Why fake CPU devices are not used for batches, and the jaxlib 0.10.2 deadlock they caused (the vmapped ``eigh`` of
the double-descent grid over 2 or 4 devices, every time), is in ``jaxml/sharding.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

CHILD_TIMEOUT = (
    240  # seconds: a child this late is hung (each takes well under a minute on 2 cores)
)


def run_on_devices(
    code: str, devices: int, *, args: tuple[str, ...] = (), timeout: int = CHILD_TIMEOUT
) -> dict:
    """Run ``code`` (which prints one JSON line last) in a fresh process with ``devices`` fake CPU devices."""
    env = dict(os.environ)
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(
            f"a child with {devices} fake CPU devices did not finish within {timeout} s (hung?); "
            f"stderr tail:\n{stderr[-2000:]}"
        )
    assert proc.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


def in_process(code: str, *args: str) -> dict:
    buf = io.StringIO()
    argv = sys.argv
    sys.argv = ["-c", *args]
    try:
        with contextlib.redirect_stdout(buf):
            exec(textwrap.dedent(code), {"__name__": "__main__"})  # noqa: S102 - this file's own workload
    finally:
        sys.argv = argv
    return json.loads(buf.getvalue().strip().splitlines()[-1])


# The three computations that spread a batch over devices when there are several accelerators: the
# double-descent grid (full size: d = 500, 13 training sets, the configuration that hung), the SVM radius sweep
# and the verifier's points.
WORKLOAD = """
import json, sys, contextlib
import jax, numpy as np
jax.config.update("jax_enable_x64", True)
from jaxml import sharding
from jaxml.data import synthetic
from jaxml.models import kernel_svm, ridge, text
from jaxml.verify import load_package, run_entry

explicit = sys.argv[-1] == "explicit"   # spread over every (fake) device by name: the sharded code path
scope = sharding.use_devices(jax.devices()) if explicit else contextlib.nullcontext()
out = {"devices": len(jax.devices())}
spread = []  # how many devices each shard_leading call spread its batch over
_batch_devices = sharding.batch_devices
sharding.batch_devices = lambda: spread.append(len(_batch_devices())) or _batch_devices()
with scope:
    out["batch_devices"] = len(sharding.batch_devices())
    if not explicit:  # a vmapped eigh must not be sharded over CPU devices (see jaxml/sharding.py)
        dd = synthetic.double_descent(seed=1)
        ns = sorted(dd.train)
        lams = np.array([0.0, 31.25, 62.5, 125.0, 250.0, 500.0])
        err = ridge.double_descent_sweep([dd.train[n].x for n in ns], [dd.train[n].y for n in ns],
                                         dd.validation.x, dd.validation.y, lams=lams)
        out["val_err"] = np.asarray(err).tolist()
    spam = synthetic.spam(seed=2)["train"]
    messages, y = spam.messages[:300], spam.y[:300]
    x = text.featurize(messages, text.build_vocabulary(messages, min_count=5, sep=" "))
    fit = kernel_svm.fit(x, y, radius=[0.01, 0.1, 1.0, 10.0, 3.0], lam=1 / (64 * 300), key=jax.random.PRNGKey(5),
                         num_steps=1500, chunks=3)
    out["alpha"] = np.asarray(fit.alpha).tolist()
    out["svm_spread_over"] = max(spread)
    entry = [e for e in load_package("jaxml_derivations") if e.name == "log_likelihood_grad"][0]
    o = run_entry(entry, points=1001, key=jax.random.PRNGKey(3))
    out.update(verify_ok=o.as_expected, verify_max_abs=o.max_abs_error, verify_worst=list(o.report.worst_index[2]),
               verify_yours=o.report.worst_yours)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def single_device() -> dict:
    if len(jax.devices()) != 1:
        pytest.skip("this process must be the single-device reference")
    return in_process(WORKLOAD, "default")


def _assert_same(multi: dict, single: dict) -> None:
    if "val_err" in multi:
        # issue #11: rtol 1e-9
        np.testing.assert_allclose(multi["val_err"], single["val_err"], rtol=1e-9)
    np.testing.assert_array_equal(multi["alpha"], single["alpha"])  # issue #11: the SVM sweep equal
    assert multi["verify_ok"] and single["verify_ok"]
    assert multi["verify_worst"] == single["verify_worst"]
    assert multi["verify_yours"] == single["verify_yours"]
    np.testing.assert_allclose(
        multi["verify_max_abs"], single["verify_max_abs"], rtol=1e-6, atol=1e-16
    )


@pytest.mark.slow
@pytest.mark.parametrize("devices", [2, 4, 8])
def test_fake_cpu_devices_finish_with_single_device_results(devices, single_device):
    """More fake devices than cores: no hang, the results of one device (fake CPU devices are not used)."""
    multi = run_on_devices(WORKLOAD, devices, args=("default",))
    assert (
        multi["devices"] == devices
        and multi["batch_devices"] == 1
        and multi["svm_spread_over"] == 1
    )
    _assert_same(multi, single_device)


@pytest.mark.slow
def test_sharded_path_on_named_devices_gives_identical_results(single_device):
    """The sharded code path itself (padding, NamedSharding, slicing back) over 4 named fake devices."""
    multi = run_on_devices(WORKLOAD, 4, args=("explicit",))
    assert multi["devices"] == 4 and multi["batch_devices"] == 4
    # the 5 radii padded to 8 rows over 4 devices, sliced back to 5
    assert multi["svm_spread_over"] == 4
    assert np.shape(multi["alpha"]) == (5, 300)
    _assert_same(multi, single_device)


PLACEMENT = """
import json, jax, jax.numpy as jnp
from jaxml import sharding
from jaxml.placement import placed
with placed("sequential") as dev:
    loop = jax.jit(lambda x: jax.lax.fori_loop(0, 100, lambda i, c: c * 0.99 + 1.0, x))(jnp.zeros(3))
default = sharding.shard_leading(jnp.arange(8.0))
with sharding.use_devices(jax.devices()):
    named = sharding.shard_leading(jnp.arange(8.0))
print(json.dumps({"devices": len(jax.devices()), "loop_devices": [str(d) for d in loop.devices()],
                  "chosen": str(dev), "default_batch_devices": len(getattr(default, "sharding").device_set),
                  "named_batch_devices": len(named.sharding.device_set)}))
"""


def test_sequential_loop_on_one_cpu_and_batches_stay_on_one_fake_device():
    out = run_on_devices(PLACEMENT, 4)
    assert out["devices"] == 4
    assert out["loop_devices"] == [out["chosen"]] and out["chosen"].endswith("0")
    # fake CPU devices share the cores: no sharding by default
    assert out["default_batch_devices"] == 1
    # ... unless the devices are named (tests of the sharded path)
    assert out["named_batch_devices"] == 4


REPRODUCE = """
import json, sys
from jaxml.cli import main
status = main(["reproduce", "--data", sys.argv[1], "--only", "double_descent", "--out", sys.argv[2], "--quiet"])
print(json.dumps({"status": status}))
"""


@pytest.mark.real_data
@pytest.mark.slow
def test_reproduce_double_descent_with_four_fake_devices(data_dir, tmp_path):
    """Issue #11's hanging command: `jaxml reproduce --only double_descent` with 4 fake devices on 2 cores."""
    out = run_on_devices(REPRODUCE, 4, args=(str(data_dir), str(tmp_path)))
    assert out["status"] == 0
    results = json.loads((tmp_path / "results.json").read_text())
    from jaxml.data import locate
    from jaxml.models import ridge

    dd = locate(data_dir).double_descent()
    n_list = sorted(dd.train)
    lams = np.asarray(results["double_descent"]["scales"]) * results["double_descent"]["lambda_opt"]
    expected = ridge.double_descent_sweep(
        [dd.train[n].x for n in n_list],
        [dd.train[n].y for n in n_list],
        dd.validation.x,
        dd.validation.y,
        lams=lams,
    )
    np.testing.assert_allclose(
        results["double_descent"]["val_err"], np.asarray(expected), rtol=1e-9
    )
