"""`jaxml grade` as a command: the README's example runs as written; usage errors are one message and exit 2."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest

from jaxml.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Grading a class\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """The section's files written where their first line says, and its command run there (``main`` is the
    ``jaxml`` console script's entry point; in this process, the programs compiled by the other tests serve)."""
    root = tmp_path_factory.mktemp("readme")
    section = _section()
    files = re.findall(r"```python\n# (\S+)\n(.*?)```", section, flags=re.DOTALL)
    assert [name for name, _ in files] == [
        "assignment.py",
        "submissions/ada.py",
        "submissions/ben.py",
    ]
    for name, body in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    (command,) = re.findall(r"```bash\n(.*?)\n```", section, flags=re.DOTALL)
    argv = shlex.split(command)
    assert argv[:2] == ["jaxml", "grade"]
    here = os.getcwd()
    os.chdir(root)
    try:
        status = main(argv[1:])
    finally:
        os.chdir(here)
    return root, status


def test_the_readme_example_runs_as_written(readme_run):
    root, status = readme_run
    assert status == 0
    grades = (root / "grades" / "grades.csv").read_text().splitlines()
    # as the README says
    assert grades == [
        "student,svm_dW,total,status",
        "ada,5,5,ok",
        "ben,0,0,ok",
    ]
    ben = json.loads((root / "grades" / "ben" / "results.json").read_text())["tests"][0]
    assert ben["extra_data"]["mistakes"] == ["constant_factor"]
    (quoted,) = re.findall(r"the feedback\n`(.*?) \.\.\.`", _section(), flags=re.DOTALL)
    assert ben["output"].startswith(quoted.replace("\n", " "))  # the README quotes the start of it


def test_merge_of_one_complete_run_is_that_run(readme_run, tmp_path, capsys):
    root, _ = readme_run
    assert main(["grade", "--merge", str(root / "grades"), "--out", str(tmp_path / "merged")]) == 0
    for f in ("grades.csv", "summary.md", "summary.png"):
        assert (tmp_path / "merged" / f).read_bytes() == (root / "grades" / f).read_bytes()


def _manifest(folder: Path, sha: str, shard: list) -> Path:
    folder.mkdir(parents=True)
    tasks = [{"name": "t", "max_score": 1.0}]
    manifest = {
        "assignment": "a.py",
        "sha256": sha,
        "tasks": tasks,
        "feedback": "diagnosis",
        "shard": shard,
    }
    (folder / "grading.json").write_text(json.dumps(dict(manifest, students=[])))
    return folder


def test_usage_errors_are_one_message_and_exit_2(readme_run, tmp_path, capsys):
    root, _ = readme_run
    bad = tmp_path / "bad.py"
    bad.write_text("from jaxml.grade import task\ntask(\n")
    one, other = (
        _manifest(tmp_path / "one", "a" * 64, [1, 2]),
        _manifest(tmp_path / "other", "b" * 64, [2, 2]),
    )
    lonely = _manifest(tmp_path / "lonely", "a" * 64, [1, 3])
    out = str(tmp_path / "out")
    cases = [
        (
            ["grade", str(bad), str(root / "submissions"), "--out", out],
            "failed to load: SyntaxError",
        ),
        (
            ["grade", str(root / "assignment.py"), str(tmp_path / "nowhere"), "--out", out],
            "not found",
        ),
        (
            ["grade", str(root / "assignment.py"), str(root / "submissions")],
            "--out DIR is required",
        ),
        (
            [
                "grade",
                str(root / "assignment.py"),
                str(root / "submissions"),
                "--out",
                out,
                "--shard",
                "3/2",
            ],
            "I/N",
        ),
        (["grade", str(root / "assignment.py"), "--out", out], "usage"),
        (["grade", "--merge", str(one), str(other), "--out", out], "another assignment"),
        (["grade", "--merge", str(one), str(lonely), "--out", out], "each of 1..2"),
    ]
    for argv, words in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("jaxml grade: error:") and words in err and err.count("\n") == 1, (
            argv,
            err,
        )
