"""Spreading a batch axis over several accelerators with ``jax.sharding`` (never over CPU "devices").

``shard_leading(tree)`` pads the leading axis of every leaf to a multiple of the device count (repeating the last
entry) and places it with a ``NamedSharding`` over a one-axis mesh; jitted code that maps over that axis then runs
partitioned by XLA. The caller slices the result back to the original length. With one device it is a no-op.

Used by the double-descent grid (the n axis), the SVM radius sweep (the radius axis) and the verifier (its points).

Which devices (:func:`batch_devices`): the accelerators (GPU/TPU) of the default backend when there are two or more,
otherwise none — the batch stays on one device. The CPU "devices" that
``XLA_FLAGS=--xla_force_host_platform_device_count=N`` creates are deliberately not used:

* they share the same cores, so splitting a batch over them buys no speed: XLA's CPU thread pool already runs a
  batched computation on every core of one device. Split, the double-descent grid runs several times slower, and
  slower the more fake devices there are (the measurements are in ``benchmarks/RESULTS.md``, "Fake CPU devices");
* with jaxlib 0.10.2 they can deadlock. Its CPU LAPACK kernels (``eigh``, ``cholesky``, ``solve``, ...) cut a
  batch into pieces, queue them on XLA:CPU's intra-op thread pool and block the calling pool thread until they are
  done. N fake devices run their shards at the same time, each inside a pool thread; once every pool thread is
  blocked in such a kernel, nobody is left to run the queued pieces and the program waits forever. The vmapped
  ``eigh`` of the double-descent grid over 2 or 4 fake devices does so every time, its threads parked in
  ``jax::ParallelBatchMap`` → ``BlockingCounter::Wait``.

So fake CPU devices change nothing in jaxml: ``jaxml reproduce`` and ``jaxml verify`` give the results of one
device, whatever ``xla_force_host_platform_device_count`` says. To exercise the sharded code path on a CPU (tests
do), name the devices explicitly with :func:`use_devices` — and keep batched LAPACK calls out of such programs.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence

import jax
import jax.numpy as jnp
import numpy as np

AXIS = "batch"

_OVERRIDE: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "jaxml_batch_devices", default=None
)


def batch_devices() -> list:
    """The devices a batch axis is spread over: every accelerator of the default backend, or one device.

    Inside :func:`use_devices`, the devices named there.
    """
    override = _OVERRIDE.get()
    if override is not None:
        return list(override)
    devices = jax.devices()
    if len(devices) > 1 and all(d.platform != "cpu" for d in devices):
        return list(devices)
    return devices[:1]


@contextlib.contextmanager
def use_devices(devices: Sequence) -> Iterator[list]:
    """Spread batches over exactly ``devices`` inside the ``with`` block (e.g. fake CPU devices, for tests).

    On CPU devices, keep batched LAPACK calls (``vmap`` of ``eigh``/``solve``/``cholesky``) out of the sharded
    programs: with jaxlib 0.10.2 they can deadlock there (see the module docstring).
    """
    devices = list(devices)
    if not devices:
        raise ValueError("use_devices needs at least one device")
    token = _OVERRIDE.set(tuple(devices))
    try:
        yield devices
    finally:
        _OVERRIDE.reset(token)


def shard_leading(tree, devices=None):
    """Pad and place the leading axis of every leaf of ``tree`` across ``devices`` (default :func:`batch_devices`).

    Returns the placed tree; its leading axis may be longer than before (padding repeats the last entry), so
    slice what you compute from it back to the original length. With one device the tree is returned unchanged.
    """
    devices = batch_devices() if devices is None else list(devices)
    if len(devices) < 2:
        return tree
    mesh = jax.sharding.Mesh(np.array(devices), (AXIS,))
    spec = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(AXIS))

    def place(leaf):
        leaf = jnp.asarray(leaf)
        pad = (-leaf.shape[0]) % len(devices)
        if pad:
            leaf = jnp.concatenate([leaf, jnp.repeat(leaf[-1:], pad, axis=0)], axis=0)
        return jax.device_put(leaf, spec)

    return jax.tree_util.tree_map(place, tree)
