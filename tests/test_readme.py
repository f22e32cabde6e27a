"""README.md's examples run as written, and every output shown beside one is what it prints.

The conventions the README follows (and this test reads):

* a ```python block whose first line is ``# NAME.py`` is a file: it is written to NAME.py in the section's folder;
* any other ```python block runs, after the section's earlier blocks, in one fresh process per section (in that
  folder); when a ```text block follows it directly, that is what it prints, exactly;
* a ```bash block's ``jaxml verify`` / ``jaxml list`` lines run in the section's folder (a fresh process each);
  ``pip install``, ``pytest`` and ``jaxml reproduce`` lines are the two commands CI itself runs (the installation
  and the test suite) and the main job (minutes, cold); ``jaxml grade`` is run by tests/grade/test_cli_grade.py.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
NOT_RUN_HERE = ("pip", "pytest", "jaxml reproduce", "jaxml grade", "python3 -m venv", "export")
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def _sections() -> dict[str, list[tuple[str, str]]]:
    """{heading: [(language, body), ...]} for the README's sections that hold code."""
    text = README.read_text(encoding="utf-8")
    parts = re.split(r"\n## ", text)
    out = {}
    for part in parts[1:]:
        heading = part.split("\n", 1)[0].strip()
        blocks = [(m.group(1), m.group(2)) for m in BLOCK.finditer(part)]
        if any(lang in ("python", "bash") for lang, _ in blocks):
            out[heading] = blocks
    return out


SECTIONS = _sections()
RUNNER = """
import contextlib, io, json, sys
blocks = json.loads(sys.argv[1])
namespace = {"__name__": "__main__"}
printed = []
for code in blocks:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, "README.md", "exec"), namespace)
    printed.append(buffer.getvalue())
print(json.dumps(printed))
"""


def _plan(blocks):
    """(files, python blocks, expected outputs by python block, shell lines) of one section."""
    files, code, expected, shell = {}, [], {}, []
    for i, (lang, body) in enumerate(blocks):
        first = body.split("\n", 1)[0]
        if lang == "python" and re.fullmatch(r"# [\w/.-]+\.py", first):
            files[first[2:]] = body
        elif lang == "python":
            code.append(body)
            if i + 1 < len(blocks) and blocks[i + 1][0] == "text":
                expected[len(code) - 1] = blocks[i + 1][1]
        elif lang == "bash":
            for line in body.splitlines():
                command = line.split("#", 1)[0].strip()
                if command and not command.startswith(NOT_RUN_HERE):
                    shell.append(command)
    return files, code, expected, shell


def test_the_readme_has_examples():
    assert len(SECTIONS) >= 3, sorted(SECTIONS)


@pytest.mark.parametrize("heading", sorted(h for h in SECTIONS if h != "Grading a class"))
def test_the_examples_of_a_section_run_as_written(heading, tmp_path):
    files, code, expected, shell = _plan(SECTIONS[heading])
    for name, body in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    if code:
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, json.dumps(code)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        printed = json.loads(proc.stdout.strip().splitlines()[-1])
        for k, text in expected.items():
            assert printed[k].rstrip() == text.rstrip(), (
                f"README section {heading!r}: block {k} prints\n{printed[k]}\nbut the README shows\n{text}"
            )
    for command in shell:
        argv = shlex.split(command)
        assert argv[0] == "jaxml", command
        proc = subprocess.run(
            [sys.executable, "-m", "jaxml.cli", *argv[1:]],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        # `jaxml verify FILE` exits 1 when a check of FILE fails: the README says which of its examples do
        assert proc.returncode in (0, 1), (command, proc.stderr[-3000:])
