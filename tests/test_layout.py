"""The layout rules of CONTRIBUTING.md, checked on the source (AST of the import statements and definitions):

- derivations/, benchmarks/, scripts/ and docs/*.py use only the public API: no import of a module or name starting
  with ``_`` from ``jaxml`` or ``jaxml_derivations`` (tests may import private names);
- the library never imports the hand derivations (``jaxml_derivations``); the application (the ``jaxml`` command and
  the experiments) may, since it passes the hand-derived gradients to the models;
- no function or method in jaxml/, derivations/ or benchmarks/ is longer than 120 lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# outside the library: only the public API
PUBLIC_ONLY = ("derivations", "benchmarks", "scripts")
PUBLIC_ONLY_FILES = ("docs/*.py",)
OUR_PACKAGES = ("jaxml", "jaxml_derivations")

# the application part of jaxml/ (CONTRIBUTING.md, "Library and application"): it may import jaxml_derivations
APPLICATION = ("jaxml/cli.py", "jaxml/reproduce.py", "jaxml/report.py", "jaxml/experiments/")

MAX_FUNCTION_LINES = 120
LENGTH_CHECKED = ("jaxml", "derivations", "benchmarks")


def _python_files(*folders: str, patterns: tuple[str, ...] = ()) -> list[Path]:
    files = [p for folder in folders for p in (ROOT / folder).rglob("*.py")]
    files += [p for pattern in patterns for p in ROOT.glob(pattern)]
    return sorted(set(files))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(tree: ast.Module) -> Iterator[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) for each absolute import statement (``import a.b`` gives ``a.b``, [])."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def _is_private(module: str, names: list[str]) -> bool:
    parts = module.split(".")
    if parts[0] not in OUR_PACKAGES:
        return False
    return any(p.startswith("_") for p in parts[1:]) or any(n.startswith("_") for n in names)


def test_the_public_api_suffices_outside_the_library():
    offenders = [
        f"{_rel(path)}:{line}: {module}" + (f" import {', '.join(names)}" if names else "")
        for path in _python_files(*PUBLIC_ONLY, patterns=PUBLIC_ONLY_FILES)
        for line, module, names in _imports(_tree(path))
        if _is_private(module, names)
    ]
    assert not offenders, (
        "private jaxml imports outside the library (use or expose a public name):\n"
        + "\n".join(offenders)
    )


def test_the_scan_sees_private_imports():
    tree = ast.parse(
        "from jaxml.models._network import fit\nimport jaxml.verify._points\nfrom jaxml.verify import _run\n"
        "from jaxml.models import network\nimport numpy._core\nfrom ._bench import timed\n"
    )
    flagged = [module for _, module, names in _imports(tree) if _is_private(module, names)]
    assert flagged == ["jaxml.models._network", "jaxml.verify._points", "jaxml.verify"]


def _is_application(rel: str) -> bool:
    return any(rel == a or (a.endswith("/") and rel.startswith(a)) for a in APPLICATION)


def test_the_library_never_imports_the_derivations():
    library = [p for p in _python_files("jaxml") if not _is_application(_rel(p))]
    # the scan covers the models
    assert any(_rel(p) == "jaxml/models/_logistic.py" for p in library)
    offenders = [
        f"{_rel(path)}:{line}: {module}"
        for path in library
        for line, module, _ in _imports(_tree(path))
        if module.split(".")[0] == "jaxml_derivations"
    ]
    assert not offenders, (
        "the library imports jaxml_derivations (take a gradient= callable instead):\n"
        + "\n".join(offenders)
    )


def _function_lengths(tree: ast.Module) -> Iterator[tuple[str, int, int]]:
    """(name, first line, number of lines) of every function and method, nested ones included."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.lineno, node.end_lineno - node.lineno + 1


def test_no_function_is_longer_than_120_lines():
    files = _python_files(*LENGTH_CHECKED)
    assert len(files) > 50  # the scan found the tree
    offenders = [
        f"{_rel(path)}:{line}: {name} is {n} lines"
        for path in files
        for name, line, n in _function_lengths(_tree(path))
        if n > MAX_FUNCTION_LINES
    ]
    assert not offenders, (
        f"functions over {MAX_FUNCTION_LINES} lines (split them into named helpers):\n"
        + "\n".join(offenders)
    )
