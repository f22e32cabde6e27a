"""Keep freed memory for reuse: glibc's malloc returns big blocks to the kernel and faults them in again.

A large check allocates and frees the same few big buffers at every chunk (one point of a 4096 × 1024 float64
argument is 32 MiB): the perturbed points, XLA's outputs, the comparisons. glibc serves a block above its mmap
threshold (128 KiB, rising to at most 32 MiB) with a fresh ``mmap`` and unmaps it on ``free``, and gives the top of
its heap back above the trim threshold; the next chunk then page-faults every page in again, each one zeroed by the
kernel. :func:`keep_freed_memory` raises both thresholds to 1 GiB, so freed blocks below that are reused.

In such a check (the 200-point 4096 × 1024 batch-norm check of ``tests/verify/test_memory.py``) the kernel's page
faulting otherwise takes about half the CPU time; keeping freed memory removes nearly all of it and halves the wall
time, for a somewhat higher peak (the measurements are in ``benchmarks/RESULTS.md``, "Freed memory"). The verifier
keeps a chunk's arrays within 32 MiB for the same reason (``jaxml.verify._points.BLOCK_BYTES``): a thread's arena
cannot hold a block over 64 MiB, so glibc maps such a block afresh whatever the threshold. One arena for every
thread (``MALLOC_ARENA_MAX=1``) would keep those too, but it serialises every thread's ``malloc`` and makes a
compilation-bound run (a cold ``jaxml verify``) markedly slower, so it is not set. Small problems (``jaxml
reproduce``) fault little either way; results never depend on it.

The thresholds are process-wide (``mallopt``), so the library never sets them on import: the ``jaxml`` command
calls :func:`keep_freed_memory` first thing, and so do the tests; call it at the top of your own script before
a large check. It also exports them as the environment variables glibc reads at start-up
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``), so the processes this one starts (``jaxml
reproduce``'s experiment workers) keep freed memory too. A setting you made yourself in the environment is left as
it is. On a C library other than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt's parameter numbers (glibc's malloc.h), by the environment variable glibc reads for each
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEEP = 2**30  # blocks below 1 GiB come from the heap, and up to 1 GiB of free heap stays mapped
SETTINGS = {
    "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, KEEP),
    "MALLOC_TRIM_THRESHOLD_": (M_TRIM_THRESHOLD, KEEP),
}


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed blocks in the process and reuse them (see the module docstring).

    Returns:
      True when glibc accepted every setting this call made (or the environment had already made it), False
      where there is no glibc (macOS, Windows, musl).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    accepted = True
    for name, (param, value) in SETTINGS.items():
        if name in os.environ:  # the caller's own choice, which glibc read at start-up
            continue
        accepted = mallopt(param, value) == 1 and accepted
        os.environ[name] = str(value)
    return accepted
