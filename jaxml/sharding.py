"""Spreading a batch axis over every visible device with ``jax.sharding`` (no home-made scheduler).

``shard_leading(tree)`` pads the leading axis of every leaf to a multiple of the device count (repeating the last
entry), and places it with a ``NamedSharding`` over a one-axis mesh; jitted code that maps over that axis then runs
partitioned by XLA. The caller slices the result back to the original length. With one device it is a no-op.

Used by the double-descent grid (the n axis), the SVM radius sweep (the radius axis) and the verifier (its points).
Test it on a CPU with ``XLA_FLAGS=--xla_force_host_platform_device_count=4``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

AXIS = "batch"


def device_count() -> int:
    return len(jax.devices())


def shard_leading(tree, devices=None):
    """Pad and place the leading axis of every leaf of ``tree`` across ``devices`` (default: all of them).

    Returns the placed tree; its leading axis may be longer than before (padding repeats the last entry), so
    slice what you compute from it back to the original length.
    """
    devices = jax.devices() if devices is None else list(devices)
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
