"""Misbehaving submissions are graded, never fatal: each costs the tasks it affects, with a one-line reason, and
nothing one does changes another's grade.

One grading run (a module fixture: one sandbox pool) of a class where every student misbehaves in one way, beside
right answers (``zed.py`` is graded after ``monkey.py``, which patches NumPy at import). Limits are small so that
the run is quick: 5 s of wall time per submission run, 512 MB of memory.
"""

from __future__ import annotations

from pathlib import Path

# tests/grade/students.py, loaded by conftest.py (which pytest imports first) under this name: with
# --import-mode=importlib, tests/ is not on sys.path
import jaxml_tests_grade_students as _s
import numpy as np
import pytest

from jaxml.grade import grade

RIGHT, SVM_RIGHT, SOFTMAX_RIGHT, AFFINE_RIGHT = (
    _s.RIGHT,
    _s.SVM_RIGHT,
    _s.SOFTMAX_RIGHT,
    _s.AFFINE_RIGHT,
)
results, write_tree = _s.results, _s.write_tree

TIMEOUT = 5.0

CLASS = {
    "syntax.py": RIGHT.replace(
        "def affine_backward(dout, cache):", "def affine_backward(dout, cache)"
    ),
    "signature.py": RIGHT.replace(
        "def softmax_loss_vectorized(W, X, y, reg):", "def softmax_loss_vectorized(W, X):"
    ),
    "raises.py": RIGHT.replace(
        "    num_train = X.shape[0]\n    scores = X.dot(W)\n    correct_class",
        "    raise ValueError('not done yet')\n    correct_class",
        1,
    ),
    "loop.py": RIGHT.replace(
        "def svm_loss_vectorized(W, X, y):\n",
        "def svm_loss_vectorized(W, X, y):\n    while True:\n        pass\n",
        1,
    ),
    "import_loop.py": RIGHT + "\nwhile True:\n    pass\n",
    "memory.py": "import numpy as np\n"
    + "def svm_loss_vectorized(W, X, y):\n    return 0.0, np.ones((1 << 34,))\n"
    + "def softmax_loss_vectorized(W, X, y, reg):\n    hoard = []\n    while True:\n        hoard.append(np.ones(1 << 20))\n"
    + AFFINE_RIGHT,
    "exits.py": RIGHT + "\nimport sys\nsys.exit('done')\n",
    "os_exit.py": "import os\nprint('bye')\nos._exit(3)\n" + RIGHT,
    "exit_in_call.py": RIGHT.replace(
        "    x, w, b = cache\n", "    x, w, b = cache\n    import sys\n    sys.exit(0)\n"
    ),
    "printer.py": RIGHT
    + "\nimport os\nfor _ in range(10_000):\n    print('x' * 9_999)\nos.write(1, b'y' * (20 << 20))\n",
    "segfault.py": RIGHT.replace(
        "    x, w, b = cache\n", "    x, w, b = cache\n    import ctypes\n    ctypes.string_at(0)\n"
    ),
    "bad_return.py": RIGHT.replace("return loss, dW\n", "return loss, object()\n", 1),
    "no_return.py": RIGHT.replace("    return dx, dw, db\n", ""),
    "huge_return.py": RIGHT.replace("return loss, dW\n", "return loss, np.ones(10_000_000)\n", 1),
    "killer.py": RIGHT + "\nimport os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
    "empty.py": "# I did not finish\n",
    "monkey.py": "import numpy as np\nnp.dot = lambda a, b: 0\nnp.sum = lambda *a, **k: 0\nnp.maximum = None\n",
    "zed.py": RIGHT,
}

TASKS = ("svm_dW", "softmax_dW", "affine_backward")


@pytest.fixture(scope="module")
def graded(tmp_path_factory, assignment):
    subs = write_tree(tmp_path_factory.mktemp("class") / "submissions", CLASS)
    out = tmp_path_factory.mktemp("out")
    run = grade(assignment, subs, out, jobs=2, timeout=TIMEOUT, memory_mb=512)
    return out, run


def _result(out: Path, name: str, task: str) -> tuple:
    t = results(out, name)["by_task"][task]
    return t["score"], t["extra_data"]["result"]


def _row(out: Path, name: str) -> list[str]:
    for line in (out / "grades.csv").read_text().splitlines():
        if line.startswith(name + ","):
            return line.split(",")[1:]
    raise AssertionError(name)


def test_every_submission_is_graded_and_the_batch_goes_on(graded):
    out, run = graded
    assert run.not_graded == []
    assert len((out / "grades.csv").read_text().splitlines()) == 1 + len(CLASS)
    assert _row(out, "monkey") == ["0", "0", "0", "0", "ok"]
    # after monkey.py patched NumPy in its own process
    assert _row(out, "zed") == [
        "5",
        "4",
        "3",
        "12",
        "ok",
    ]


def test_a_submission_that_does_not_load_scores_zero_everywhere_with_one_reason(graded):
    out, _ = graded
    cases = {
        "syntax": ("load_failed", "SyntaxError"),
        "import_loop": ("timeout", f"{TIMEOUT:g} s"),
        "exits": ("load_failed", "sys.exit('done')"),
        "os_exit": ("exited", "status 3"),
        "killer": ("crashed", "sandbox"),
    }
    for name, (status, words) in cases.items():
        data = results(out, name)
        assert _row(out, name)[-2:] == ["0", status], name
        assert words in data["output"] and "\n" not in data["output"], (name, data["output"])
        for task in TASKS:
            assert _result(out, name, task) == (0, status), (name, task)
    assert (out / "os_exit" / "output.txt").read_bytes() == b"bye\n"


def test_a_failing_function_costs_its_own_task_only(graded):
    out, _ = graded
    cases = {
        "signature": ("softmax_dW", "raised", "raised TypeError"),
        "raises": ("svm_dW", "raised", "ValueError: not done yet (raises.py, line"),
        "loop": ("svm_dW", "timeout", "time limit"),
        "exit_in_call": ("affine_backward", "exited", "sys.exit(0)"),
        "segfault": ("affine_backward", "crashed", "SIGSEGV"),
        "bad_return": ("svm_dW", "bad_return", "object"),
        "huge_return": ("svm_dW", "result_limit", "MB of results"),
        "no_return": ("affine_backward", "bad_return", "returned None"),
    }
    for name, (task, status, words) in cases.items():
        data = results(out, name)
        assert data["by_task"][task]["extra_data"] == {"result": status, "mistakes": [status]}, name
        assert words in data["by_task"][task]["output"], (name, data["by_task"][task]["output"])
        others = [t for t in TASKS if t != task]
        assert [_result(out, name, t)[1] for t in others] == ["passed", "passed"], name
        assert _row(out, name)[-1] == "ok"


def test_memory_blow_ups_are_stopped_by_the_limit(graded):
    out, _ = graded
    for task in ("svm_dW", "softmax_dW"):
        t = results(out, "memory")["by_task"][task]
        assert t["extra_data"]["result"] == "memory" and "512 MB" in t["output"], t["output"]
    assert _result(out, "memory", "affine_backward") == (3, "passed")


def test_a_flood_of_prints_is_capped_and_costs_nothing(graded):
    out, _ = graded
    assert _row(out, "printer") == ["5", "4", "3", "12", "ok"]
    printed = (out / "printer" / "output.txt").read_bytes()
    assert len(printed) == 64 << 10 and set(printed) == {ord("x"), ord("\n")}
    assert "only the first 65536" in results(out, "printer")["output"]


def test_missing_functions(graded):
    out, _ = graded
    for task in TASKS:
        assert _result(out, "empty", task) == (0, "missing")
    assert (
        "no function named svm_loss_vectorized"
        in results(out, "empty")["by_task"]["svm_dW"]["output"]
    )


def test_the_grader_process_is_unaffected(graded):
    # monkey.py replaced np.dot / np.sum in its own process; here they are NumPy's
    assert np.dot(np.ones(2), np.ones(2)) == 2.0 and np.sum(np.ones(3)) == 3.0
