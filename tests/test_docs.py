"""The API reference builds with warnings as errors, and documents every public name of the library."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the library's public modules and the page that documents each
PAGES = {
    "jaxml.verify": "api/verify",
    "jaxml.testing": "api/testing",
    "jaxml.errors": "api/errors",
    "jaxml.data": "api/data",
}
FAMILIES = [
    line.split()[3]
    for line in (ROOT / "jaxml/models/__init__.py").read_text().splitlines()
    if line.startswith("from . import")
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if shutil.which("mkdocs") is None and importlib.util.find_spec("mkdocs") is None:
        pytest.fail("mkdocs is not installed: pip install '.[test]' installs it")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def _public(module: types.ModuleType) -> set[str]:
    """The names a user imports from ``module`` (its ``__all__``, or its public attributes), less sub-modules: a
    namespace such as ``jaxml.testing.draws`` or ``jaxml.data.synthetic`` has a section of its own."""
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    return {
        n
        for n in names
        if not isinstance(getattr(module, n), types.ModuleType) and n != "annotations"
    }


def _documented(site: Path, page: str) -> set[str]:
    html = (site / page / "index.html").read_text()
    return set(re.findall(r'id="([A-Za-z_][\w.]*)"', html))


def test_the_docs_build_with_warnings_as_errors(site):
    assert (site / "index.html").is_file()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_public_name_is_documented(site, name):
    module = importlib.import_module(name)
    ids = _documented(site, PAGES[name])
    missing = sorted(n for n in _public(module) if f"{name}.{n}" not in ids)
    assert not missing, f"{name}: public names missing from docs/{PAGES[name]}.md: {missing}"


def test_every_model_family_is_documented(site):
    ids = _documented(site, "api/models")
    missing = []
    for family in FAMILIES:
        module = importlib.import_module(f"jaxml.models.{family}")
        missing += [
            f"{family}.{n}" for n in _public(module) if f"jaxml.models.{family}.{n}" not in ids
        ]
    assert not missing, f"public model names missing from docs/api/models.md: {missing}"
