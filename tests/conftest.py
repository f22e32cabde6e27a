"""Shared fixtures: fresh PRNG keys and the real data directory.

Real-data tests use the ``data_dir`` fixture. Without ``JAXML_DATA`` they skip (saying why); with
``JAXML_REQUIRE_REAL_DATA=1`` (set by CI) a missing data directory is a test failure, never a skip.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import jax
import pytest

import jaxml  # noqa: F401  (turns on float64)

# The CLI keeps a persistent XLA compilation cache in ~/.cache; tests that call the CLI stay hermetic without it.
os.environ.setdefault("JAXML_COMPILATION_CACHE", "0")

_counter = itertools.count()


@pytest.fixture
def key():
    """A fresh PRNG key per test (different for every test that asks, deterministic across runs)."""
    return jax.random.PRNGKey(next(_counter))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    from jaxml.data import ENV_VAR, require_real_data

    value = os.environ.get(ENV_VAR, "")
    if not value:
        message = f"real-data test needs {ENV_VAR} (the cs229-ps2 data directory)"
        if require_real_data():
            pytest.fail(message + " and JAXML_REQUIRE_REAL_DATA=1 forbids skipping")
        pytest.skip(message)
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"{ENV_VAR}={value} is not a directory")
    return path
