"""Bounded waits: a JAX computation jaxml waits on turns into a clear error after a deadline, never silence.

JAX dispatches work asynchronously; converting a result to NumPy or calling ``block_until_ready`` waits without a
limit, so a computation that never finishes (a deadlocked thread pool, a device that stopped answering) would
leave the program silent forever. :func:`block_until_ready` polls ``Array.is_ready()`` instead and raises
:class:`~jaxml.errors.ComputationTimeout` once ``timeout`` seconds have passed.

The default bound comes from ``$JAXML_TIMEOUT`` (seconds; ``0`` or ``off`` disables it) and is
:data:`DEFAULT_TIMEOUT` otherwise: generous, since it exists to end a hang, not to police slow machines.
"""

from __future__ import annotations

import os
import time

import jax

from .errors import ComputationTimeout, UsageError

ENV_VAR = "JAXML_TIMEOUT"
DEFAULT_TIMEOUT = 900.0  # seconds


def default_timeout() -> float | None:
    """The bound from ``$JAXML_TIMEOUT`` (seconds), :data:`DEFAULT_TIMEOUT` when unset, None when disabled."""
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if not value:
        return DEFAULT_TIMEOUT
    if value in ("0", "off", "none", "no"):
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(
            f"{ENV_VAR} must be a number of seconds (or 0/off); got {value!r}"
        ) from None
    if not seconds > 0:
        raise UsageError(f"{ENV_VAR} must be positive (or 0/off to disable); got {value!r}")
    return seconds


def block_until_ready(tree, *, timeout: float | None = -1.0, what: str = "a computation"):
    """Wait until every JAX array in ``tree`` is computed, for at most ``timeout`` seconds; return ``tree``.

    Args:
      tree: a pytree; leaves that are not JAX arrays are ignored.
      timeout: seconds; ``-1`` (default) means :func:`default_timeout`; ``None`` waits without a bound.
      what: named in the error message ("the double-descent grid").

    Raises:
      ComputationTimeout: the arrays were not ready after ``timeout`` seconds. The computation itself cannot be
        cancelled; the caller should report and exit.
    """
    if timeout is not None and timeout < 0:
        timeout = default_timeout()
    arrays = [leaf for leaf in jax.tree_util.tree_leaves(tree) if isinstance(leaf, jax.Array)]
    if timeout is None:
        return jax.block_until_ready(tree)
    start = time.monotonic()
    pause = 1e-4
    while not all(a.is_ready() for a in arrays):
        waited = time.monotonic() - start
        if waited > timeout:
            raise ComputationTimeout(
                f"{what} did not finish within {timeout:g} s. The computation cannot be cancelled, so jaxml "
                f"stops here. If it is merely slow, raise the bound with {ENV_VAR}=SECONDS (or {ENV_VAR}=0 to "
                "wait without one); if XLA_FLAGS sets --xla_force_host_platform_device_count, see "
                "jaxml.sharding for why fake CPU devices are not used"
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
    return tree
