"""Importing jaxml has no side effects on JAX's global state (checked in fresh processes)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import os
environment = dict(os.environ)  # no process setting either (jaxml.allocator exports its settings when called)
import jax
before = {name: getattr(jax.config, name) for name in ("jax_enable_x64", "jax_default_device",
                                                       "jax_compilation_cache_dir")}
import {module}
after = {name: getattr(jax.config, name) for name in before}
assert after == before, (before, after)
assert not jax.config.jax_enable_x64
assert dict(os.environ) == environment
print("ok")
"""


@pytest.mark.parametrize("module", ["jaxml", "jaxml.verify", "jaxml.experiments", "jaxml.cli"])
def test_import_changes_no_global_jax_setting(module):
    proc = subprocess.run(
        [sys.executable, "-c", CHECK.replace("{module}", module)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_import_leaves_heavy_dependencies_for_later():
    """`import jaxml` costs little more than `import jax`: optax, SciPy and Matplotlib load where they are used
    (measured import times are in benchmarks/RESULTS.md, not asserted here)."""
    code = (
        "import sys, jaxml; "
        "print(sorted(m for m in ('optax', 'scipy', 'matplotlib', 'sklearn') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
