"""``ruff check`` and ``ruff format --check`` are clean on the whole tree (CONTRIBUTING.md, "Style"), with the
configuration of pyproject.toml and the ruff version the ``test`` extra pins."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    if importlib.util.find_spec("ruff") is None:
        pytest.fail("ruff is not installed: pip install -e '.[test]' (it pins the version CI uses)")
    try:
        return subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"ruff {' '.join(args)} did not finish in 120 s:\n{exc.stdout or ''}{exc.stderr or ''}"
        )


@pytest.mark.parametrize(
    "args", [("check", "."), ("format", "--check", ".")], ids=["check", "format"]
)
def test_ruff_is_clean(args):
    proc = _ruff(*args)
    assert proc.returncode == 0, (
        f"`ruff {' '.join(args)}` exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"
    )
