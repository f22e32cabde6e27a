"""Fixtures of the grading tests: the assignment file (see students.py for it and for the students' code)."""

from __future__ import annotations

from pathlib import Path

import jaxml_tests_grade_students as students  # loaded by tests/conftest.py
import pytest


@pytest.fixture(scope="module")
def assignment(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("assignment") / "assignment.py"
    path.write_text(students.ASSIGNMENT)
    return path
