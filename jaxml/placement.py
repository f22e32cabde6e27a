"""Where each computation runs: the device-placement policy.

Two kinds of work, two defaults:

* **sequential** — long chains of tiny dependent steps (gradient ascent on 100×3 data, a perceptron pass,
  the SVM's stochastic steps): each step is a few microseconds of arithmetic, so a GPU's kernel-launch latency
  dominates. They run on the **CPU** even when a GPU is visible.
* **batched** — wide array work (the double-descent grid, kernel blocks, the verifier's thousands of points):
  it runs on the **default backend** (the GPU when there is one).

Not yet measured on a GPU by this project (README, "Running on a GPU"): the split rests on the kernel-launch
argument above, and ``benchmarks/run.py`` checks it against measured times whenever a GPU is visible.

Override with ``--device cpu|gpu|auto`` on the CLI or ``JAXML_DEVICE`` in the environment: ``cpu`` and ``gpu``
put *both* kinds of work on that platform; ``auto`` (the default) applies the policy above.
"""

from __future__ import annotations

import contextlib
import os

import jax

from .errors import UsageError

ENV_VAR = "JAXML_DEVICE"
CHOICES = ("auto", "cpu", "gpu")


def _choice(override: str | None) -> str:
    choice = (override or os.environ.get(ENV_VAR) or "auto").strip().lower()
    if choice not in CHOICES:
        raise UsageError(f"device must be one of {', '.join(CHOICES)}; got {choice!r}")
    return choice


def _platform_devices(platform: str):
    try:
        return jax.devices(platform)
    except RuntimeError:
        return []


def select_device(kind: str, choice: str, devices):
    """The policy itself, a pure function of the visible ``devices`` (testable with fake device lists).

    Args:
      kind: "sequential" (long chains of tiny dependent steps) or "batched" (wide array work).
      choice: "auto", "cpu" or "gpu".
      devices: every visible device, CPUs included (objects with a ``.platform`` attribute).

    Returns:
      auto: the first CPU for sequential work, the first accelerator (else CPU) for batched work;
      cpu / gpu: the first device of that platform for both kinds.
    """
    if kind not in ("sequential", "batched"):
        raise UsageError(f"kind must be 'sequential' or 'batched', got {kind!r}")
    if choice not in CHOICES:
        raise UsageError(f"device must be one of {', '.join(CHOICES)}; got {choice!r}")
    cpus = [d for d in devices if d.platform == "cpu"]
    accelerators = [d for d in devices if d.platform != "cpu"]
    if choice == "gpu":
        gpus = [d for d in accelerators if d.platform in ("gpu", "cuda", "rocm")]
        if not gpus:
            raise UsageError(
                "--device gpu asked for, but JAX sees no GPU (install with pip install '.[cuda]')"
            )
        return gpus[0]
    if choice == "cpu" or kind == "sequential":
        if cpus:
            return cpus[0]
        if choice == "cpu":
            raise UsageError(
                "--device cpu asked for, but JAX sees no CPU device (JAX_PLATFORMS excludes it?)"
            )
    return (accelerators or cpus)[0]


def visible_devices() -> list:
    """Every device JAX can use: the default backend's and the CPUs (even when the default is a GPU)."""
    seen = list(jax.devices())
    for platform in ("cpu",):
        for d in _platform_devices(platform):
            if d not in seen:
                seen.append(d)
    return seen


def device_for(kind: str, override: str | None = None) -> jax.Device:
    """The device for ``kind`` ("sequential" or "batched") under the policy and the override."""
    return select_device(kind, _choice(override), visible_devices())


@contextlib.contextmanager
def placed(kind: str, override: str | None = None):
    """Context manager: run the enclosed JAX work on ``device_for(kind, override)``; yields the device."""
    device = device_for(kind, override)
    with jax.default_device(device):
        yield device


def device_name(device: jax.Device) -> str:
    """A short readable name: 'cpu', 'cuda:0 (NVIDIA H200)'."""
    kind = getattr(device, "device_kind", "")
    if device.platform == "cpu":
        return "cpu"
    return f"{device.platform}:{device.id}" + (f" ({kind})" if kind else "")


def describe_devices() -> str:
    """All devices JAX sees, e.g. 'cpu x1' or 'gpu x1 (NVIDIA H200); cpu x1'."""
    parts = []
    for platform in ("gpu", "tpu", "cpu"):
        devs = _platform_devices(platform)
        if devs:
            kind = getattr(devs[0], "device_kind", "")
            parts.append(
                f"{platform} x{len(devs)}" + (f" ({kind})" if platform != "cpu" and kind else "")
            )
    return "; ".join(parts) or str(jax.devices())
