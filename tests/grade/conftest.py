"""Fixtures of the grading tests: the assignment file (see students.py for it and for the students' code)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def load_students():
    """tests/grade/students.py by path (pytest runs with --import-mode=importlib: tests/ is not on sys.path)."""
    name = "jaxml_tests_grade_students"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("students.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


load_students()  # before the test modules, which import it by name


@pytest.fixture(scope="module")
def assignment(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("assignment") / "assignment.py"
    path.write_text(load_students().ASSIGNMENT)
    return path
