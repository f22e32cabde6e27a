"""The device-placement policy: sequential loops on the CPU, batched work on the accelerator, user override."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import pytest

from jaxml.errors import UsageError
from jaxml.placement import (
    describe_devices,
    device_for,
    device_name,
    placed,
    select_device,
    visible_devices,
)


@dataclasses.dataclass(frozen=True)
class FakeDevice:
    platform: str
    id: int = 0


GPU, CPU = FakeDevice("gpu"), FakeDevice("cpu")


@pytest.mark.parametrize(
    "kind, choice, devices, expected",
    [
        # a small loop stays on the CPU although a GPU is visible
        (
            "sequential",
            "auto",
            [GPU, CPU],
            CPU,
        ),
        ("batched", "auto", [GPU, CPU], GPU),  # wide work goes to the accelerator
        ("sequential", "auto", [CPU], CPU),
        ("batched", "auto", [CPU], CPU),  # no accelerator: everything on the CPU
        ("batched", "cpu", [GPU, CPU], CPU),  # override: all on the CPU
        ("sequential", "gpu", [GPU, CPU], GPU),  # override: all on the GPU
        ("batched", "auto", [GPU], GPU),
    ],
)
def test_policy(kind, choice, devices, expected):
    assert select_device(kind, choice, devices) == expected


def test_bad_choices_are_clear_errors(monkeypatch):
    with pytest.raises(UsageError, match="no GPU"):
        select_device("batched", "gpu", [CPU])
    with pytest.raises(UsageError, match="must be one of"):
        select_device("batched", "tpu-please", [CPU])
    with pytest.raises(UsageError, match="sequential' or 'batched"):
        select_device("sideways", "auto", [CPU])
    monkeypatch.setenv("JAXML_DEVICE", "quantum")
    with pytest.raises(UsageError, match="must be one of"):
        device_for("batched")


def test_placed_puts_the_computation_on_the_chosen_device():
    # works whatever the platform (also under JAX_PLATFORMS=cuda, where no CPU device is visible)
    with placed("sequential") as device:
        out = jax.jit(lambda x: jnp.cumsum(x))(jnp.arange(5.0))
    assert device == select_device("sequential", "auto", visible_devices())
    assert out.devices() == {device}
    if device.platform == "cpu":
        assert device_name(device) == "cpu"
    assert device.platform in describe_devices()
