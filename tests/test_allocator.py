"""jaxml.allocator: freed big buffers are reused, not page-faulted in again (checked in child processes: the settings
are process-wide)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from jaxml.allocator import SETTINGS

# A 64 MiB NumPy temporary, made and dropped again and again, as the verifier's perturbed points and comparisons
# are at every chunk of a large check: the page faults of 40 of them, after 5 that let the heap grow to its size.
CHILD = textwrap.dedent(
    """
    import resource, sys
    if sys.argv[1] == "keep":
        from jaxml.allocator import keep_freed_memory
        if not keep_freed_memory():
            sys.exit(print("no glibc"))
    import numpy as np
    x = np.ones(8 * 2**20)
    for _ in range(5):
        y = 2.0 * x
        del y
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(40):
        y = 2.0 * x
        del y
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def _faults(mode: str) -> int:
    # glibc's defaults unless "keep" (the tests' conftest set the variables for every process)
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    if proc.stdout.strip() == "no glibc":
        pytest.skip("the C library is not glibc: keep_freed_memory does nothing here")
    return int(proc.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_kept_memory_is_not_faulted_in_again():
    default, kept = _faults("default"), _faults("keep")
    # glibc's default maps each temporary afresh: at least one fault per temporary (16,384 in 4 KiB pages; fewer
    # where the kernel backs NumPy's big arrays with 2 MiB pages); kept, the heap's pages are reused (0 measured)
    assert default >= 40, default
    assert kept < default / 10, (kept, default)


def test_a_setting_of_the_caller_is_left_alone(monkeypatch):
    """An environment variable the caller set wins: glibc read it at start-up, and it is not overwritten."""
    from jaxml.allocator import keep_freed_memory

    for name in SETTINGS:
        monkeypatch.setenv(name, "7")
    keep_freed_memory()
    assert all(os.environ[name] == "7" for name in SETTINGS)
