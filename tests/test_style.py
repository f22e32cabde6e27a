"""``ruff check`` and ``ruff format --check`` are clean on the whole tree (CONTRIBUTING.md, "Style"), with the
configuration of pyproject.toml and the ruff version the ``test`` extra pins, in a git checkout and in an unpacked
archive of it after ``pip install .``."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    if importlib.util.find_spec("ruff") is None:
        pytest.fail("ruff is not installed: pip install -e '.[test]' (it pins the version CI uses)")
    try:
        return subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=cwd,
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


# What `pip install .` leaves in the tree (build/lib/ holds a copy of the sources), and what a venv or a build
# leaves: unsorted imports and an unformatted line, so that ruff reports them if it looks there.
LEFT_BEHIND = ("build/lib/jaxml/x.py", "dist/x.py", ".venv/lib/x.py", "jaxml.egg-info/x.py")
DIRTY = "import sys\nimport os\nx=1\n"


def _archive_like_copy(dest: Path) -> None:
    """The files of this checkout, as they are now (committed or not, never ignored), without .git."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        listed = None
    if listed is None or listed.returncode != 0 or not (ROOT / ".git").exists():
        pytest.skip(
            "not a git checkout: test_ruff_is_clean above already runs ruff outside git here"
        )
    for name in listed.stdout.decode().split("\0"):
        # a tracked file deleted in the working tree is not copied
        if name and (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)


def _findings(proc: subprocess.CompletedProcess) -> set[str]:
    return {line for line in proc.stdout.splitlines() if ":" in line}


@pytest.mark.parametrize(
    "args", [("check", "."), ("format", "--check", ".")], ids=["check", "format"]
)
def test_ruff_ignores_build_outputs_outside_git(tmp_path, args):
    # Outside git, ruff reads no .gitignore: pyproject's extend-exclude must keep it out of build/ and the rest,
    # so that `pip install '.[test]' && pytest` in an unpacked archive finds what the checkout finds.
    _archive_like_copy(tmp_path)
    assert (tmp_path / "pyproject.toml").is_file() and not (tmp_path / ".git").exists()
    for name in LEFT_BEHIND:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(DIRTY)
    checked = _ruff("check", "--no-cache", "--show-files", ".", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "tests/test_style.py" in checked.stdout  # the listing is of this tree
    assert not [f for f in checked.stdout.splitlines() if f.endswith("/x.py")], checked.stdout
    options = ("--no-cache", "--output-format", "concise")
    outside = _ruff(*args[:-1], *options, ".", cwd=tmp_path)
    # the same verdict as in the checkout (test_ruff_is_clean asserts that one is clean): nothing from build/
    inside = _ruff(*args[:-1], *options, ".")
    assert (outside.returncode, _findings(outside)) == (inside.returncode, _findings(inside)), (
        f"ruff {' '.join(args)} outside git:\n{outside.stdout}{outside.stderr}\nin the checkout:\n{inside.stdout}"
    )
    assert outside.returncode == 0, (
        f"`ruff {' '.join(args)}` in the copy:\n{outside.stdout}{outside.stderr}"
    )
