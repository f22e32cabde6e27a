"""Child processes in the tests: each one bounded, so a hang is a test failure showing the child's output.

Loaded by ``tests/conftest.py`` under the name ``jaxml_tests_children`` (pytest runs with ``--import-mode=importlib``:
tests/ is not on ``sys.path``); test modules ``import jaxml_tests_children``.
"""

from __future__ import annotations

import subprocess

import pytest


def run_bounded(
    command: list[str], *, timeout: float, env: dict | None = None, cwd=None, note: str = ""
) -> subprocess.CompletedProcess:
    """``subprocess.run(command)`` with its output captured as text; a test failure (with the tail of the child's
    stderr, and ``note``) when it is still running after ``timeout`` seconds."""
    try:
        return subprocess.run(
            command,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{command} still running after {timeout} s{note}\n{exc.stderr or ''}"[-4000:])
