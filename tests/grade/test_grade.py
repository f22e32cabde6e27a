"""`jaxml grade` on a well-behaved class: NumPy and JAX, .py, .ipynb and folders, right answers, the usual mistakes,
partial credit, feedback levels, determinism, and a shard / merge round trip.

One grading run of the class (a module fixture: one sandbox pool) serves most tests; the determinism and shard tests
run it again.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

# tests/grade/students.py, loaded by conftest.py (which pytest imports first) under this name: with
# --import-mode=importlib, tests/ is not on sys.path
import jaxml_tests_grade_students as _s
import pytest

from jaxml.grade import grade, merge

AFFINE_RIGHT, RIGHT, SOFTMAX_RIGHT, SVM_RIGHT = (
    _s.AFFINE_RIGHT,
    _s.RIGHT,
    _s.SOFTMAX_RIGHT,
    _s.SVM_RIGHT,
)
notebook, results, write_tree = _s.notebook, _s.results, _s.write_tree

CLASS = {
    # right everywhere, CS231n's vectorised code
    "alice.py": RIGHT,
    # the 1/N missing in the SVM's dW; 2·reg·W written reg·W; db averaged instead of summed
    "bob.py": """import numpy as np

def svm_loss_vectorized(W, X, y):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(num_train), y][:, np.newaxis]
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train
    mask = (margins > 0).astype(float)
    mask[np.arange(num_train), y] = -mask.sum(axis=1)
    dW = X.T.dot(mask)
    return loss, dW

def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    f = X @ W
    f -= f.max(axis=1)[:, None]
    p = np.exp(f); p /= p.sum(axis=1)[:, None]
    loss = -np.log(p[range(N), y]).mean() + reg * np.sum(W * W)
    p[range(N), y] -= 1
    dW = X.T @ p / N + reg * W
    return loss, dW

def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(x.reshape(x.shape[0], -1).T, dout)
    db = np.mean(dout, axis=0)
    return dx, dw, db
""",
    # a notebook: magics, a cell that fails (the data set is not there), loops, dx not reshaped back
    "carol.ipynb": notebook(
        """
        %matplotlib inline
        %load_ext autoreload
        !pip install numpy
        import numpy as np
        """,
        """
        X_train = np.load('cs231n/datasets/cifar10.npy')
        """,
        """
        def svm_loss_vectorized(W, X, y):
            dW = np.zeros(W.shape)
            num_classes, num_train = W.shape[1], X.shape[0]
            loss = 0.0
            for i in range(num_train):
                scores = X[i].dot(W)
                for j in range(num_classes):
                    if j == y[i]:
                        continue
                    margin = scores[j] - scores[y[i]] + 1
                    if margin > 0:
                        loss += margin
                        dW[:, j] += X[i]
                        dW[:, y[i]] -= X[i]
            return loss / num_train, dW / num_train
        """,
        SOFTMAX_RIGHT,
        """
        def affine_backward(dout, cache):
            x, w, b = cache
            return dout.dot(w.T), x.reshape(x.shape[0], -1).T.dot(dout), np.sum(dout, axis=0)
        """,
    ),
    # a folder: a helper module imported by the main file; code that modifies its inputs in place
    "dave/layers.py": "import numpy as np\n" + AFFINE_RIGHT,
    "dave/classifiers.py": """import numpy as np
from layers import affine_backward

def svm_loss_vectorized(W, X, y):
    n = X.shape[0]
    scores = X.dot(W)
    scores -= scores[np.arange(n), y][:, None] - 1
    scores[np.arange(n), y] = 0
    np.maximum(scores, 0, out=scores)
    loss = scores.sum() / n
    scores[scores > 0] = 1
    scores[np.arange(n), y] = -scores.sum(axis=1)
    X /= n  # in place: the caller's X is changed
    return loss, X.T.dot(scores)
"""
    + SOFTMAX_RIGHT.replace("scores -= np.max", "W *= 1.0\n    scores -= np.max"),
    # JAX: autodiff where it is forbidden, hand-written jnp elsewhere; returns JAX arrays
    "erin.py": """import jax
import jax.numpy as jnp

def svm_loss_vectorized(W, X, y):
    def loss(W):
        s = X @ W
        m = jnp.maximum(0, s - s[jnp.arange(X.shape[0]), y][:, None] + 1)
        return jnp.sum(m.at[jnp.arange(X.shape[0]), y].set(0)) / X.shape[0]
    return loss(W), jax.grad(loss)(W)

@jax.jit
def softmax_loss_vectorized(W, X, y, reg):
    p = jax.nn.softmax(X @ W, axis=1)
    onehot = jax.nn.one_hot(y, W.shape[1], dtype=p.dtype)
    loss = -jnp.mean(jnp.log(jnp.sum(p * onehot, axis=1))) + reg * jnp.sum(W * W)
    return loss, X.T @ (p - onehot) / X.shape[0] + 2 * reg * W

@jax.jit
def affine_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, jnp.sum(dout, axis=0)
""",
    # a sign slip, a misspelt function name, and half of the affine layer wrong
    "frank.py": """import numpy as np
"""
    + SVM_RIGHT.replace("dW = X.T.dot(binary) / num_train", "dW = -X.T.dot(binary) / num_train")
    + SOFTMAX_RIGHT.replace("def softmax_loss_vectorized", "def softmax_loss_vectorised")
    + """
def affine_backward(dout, cache):
    x, w, b = cache
    x2 = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), dout.T @ x2, dout.mean(0)
""",
    # lists for tuples (accepted), the gradient alone where (loss, dW) was asked for, and a check that the
    # arguments arrive as the loss's: int labels, a Python float, fresh writeable float64 arrays
    "gina.py": """import numpy as np

def svm_loss_vectorized(W, X, y):
    n = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[range(n), y][:, None] + 1)
    m[range(n), y] = 0
    mask = (m > 0) * 1.0
    mask[range(n), y] = -mask.sum(1)
    return X.T @ mask / n
"""
    + SOFTMAX_RIGHT.replace(
        "    num_train = X.shape[0]\n",
        "    assert type(reg) is float and y.dtype.kind == 'i' and X.dtype == np.float64\n"
        "    assert X.flags.writeable and W.flags.writeable\n"
        "    num_train = X.shape[0]\n",
        1,
    )
    + AFFINE_RIGHT.replace("return dx, dw, db", "return [dx, dw, db]"),
}


def _snapshot(folder: Path) -> list:
    return sorted(
        (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    )


def _read_only(folder: Path) -> None:
    for p in [*folder.rglob("*"), folder]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _writable(folder: Path) -> None:
    for p in [folder, *folder.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, assignment):
    """The class, read-only, graded once: (submissions folder, output folder, Graded, snapshot before)."""
    subs = write_tree(tmp_path_factory.mktemp("class") / "submissions", CLASS)
    before = _snapshot(subs)
    _read_only(subs)
    out = tmp_path_factory.mktemp("out")
    try:
        run = grade(assignment, subs, out, jobs=2, timeout=60)
    finally:
        _writable(subs)
    return subs, out, run, before


def _scores(out: Path) -> dict:
    lines = (out / "grades.csv").read_text().splitlines()
    header = lines[0].split(",")
    return {line.split(",")[0]: dict(zip(header[1:], line.split(",")[1:])) for line in lines[1:]}


def test_grades_csv_has_a_row_per_student_and_a_column_per_task(graded):
    _, out, run, _ = graded
    lines = (out / "grades.csv").read_text().splitlines()
    assert lines[0] == "student,svm_dW,softmax_dW,affine_backward,total,status"
    assert [line.split(",")[0] for line in lines[1:]] == [
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "gina",
    ]
    assert run.not_graded == []


def test_right_answers_get_full_marks_numpy_notebook_folder_and_jax(graded):
    _, out, _, _ = graded
    scores = _scores(out)
    assert scores["alice"] == {
        "svm_dW": "5",
        "softmax_dW": "4",
        "affine_backward": "3",
        "total": "12",
        "status": "ok",
    }
    # dave modifies X in place and imports his own module from his folder
    assert scores["dave"]["total"] == "12"
    # erin's JAX: the hand-written softmax and affine layer are right; jax.grad is forbidden for the SVM
    assert (scores["erin"]["softmax_dW"], scores["erin"]["affine_backward"]) == ("4", "3")
    assert results(out, "erin")["by_task"]["svm_dW"]["extra_data"] == {
        "result": "forbidden",
        "mistakes": ["forbidden"],
    }
    # carol's notebook: loops, magics dropped, the failing data-loading cell skipped and reported
    carol = results(out, "carol")
    assert (carol["by_task"]["svm_dW"]["score"], carol["by_task"]["softmax_dW"]["score"]) == (5, 4)
    assert "cell 2" in carol["output"] and "FileNotFoundError" in carol["output"]


def test_the_usual_mistakes_are_named(graded):
    _, out, _, _ = graded
    bob = results(out, "bob")["by_task"]
    # the missing 1/N
    assert bob["svm_dW"]["extra_data"] == {
        "result": "wrong",
        "mistakes": ["constant_factor"],
    }
    assert bob["svm_dW"]["output"].startswith("wrong: ") and "1/n" in bob["svm_dW"]["output"]
    assert bob["softmax_dW"]["score"] == 0
    frank = results(out, "frank")["by_task"]
    assert frank["svm_dW"]["extra_data"]["mistakes"] == ["sign"]
    assert frank["softmax_dW"]["extra_data"]["result"] == "missing"
    assert "did you mean softmax_loss_vectorised" in frank["softmax_dW"]["output"]


def test_partial_credit_per_array_of_a_tuple_gradient(graded):
    _, out, _, _ = graded
    bob = results(out, "bob")["by_task"]["affine_backward"]  # db averaged: dx, dw right
    assert (bob["score"], bob["status"], bob["extra_data"]["result"]) == (2.0, "failed", "partial")
    lines = bob["output"].splitlines()
    assert lines[:2] == ["x: correct", "w: correct"] and lines[2].startswith("b: wrong:")
    assert bob["extra_data"]["mistakes"] == ["constant_factor"]
    # dw transposed, db averaged: dx right
    frank = results(out, "frank")["by_task"]["affine_backward"]
    assert frank["score"] == 1.0 and frank["extra_data"]["mistakes"] == [
        "transpose",
        "constant_factor",
    ]
    # dx of shape (4, 6) for x of shape (4, 2, 3)
    carol = results(out, "carol")["by_task"]["affine_backward"]
    assert carol["score"] == 2.0 and carol["extra_data"]["mistakes"] == ["shape"]


def test_arguments_arrive_as_the_loss_has_them_and_return_forms(graded):
    _, out, _, _ = graded
    gina = results(out, "gina")["by_task"]
    assert gina["softmax_dW"]["score"] == 4  # the asserts on y, reg, X passed
    assert gina["affine_backward"]["score"] == 3  # a list is read as the tuple
    # dW alone where (loss, dW) was asked: output=out[1] takes dW's row 1, a wrong shape
    assert gina["svm_dW"]["extra_data"]["mistakes"] == ["shape"]


def test_the_submissions_directory_is_only_read(graded):
    subs, _, _, before = graded
    assert _snapshot(subs) == before
    assert not list(subs.rglob("__pycache__"))


def test_results_json_is_gradescope_format(graded):
    _, out, _, _ = graded
    data = results(out, "bob")
    assert set(data) - {"by_task"} == {"score", "output", "tests", "extra_data"}
    assert data["score"] == sum(t["score"] for t in data["tests"]) == 2.0
    for test in data["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "extra_data"}
        assert test["status"] in ("passed", "failed")
    assert [t["max_score"] for t in data["tests"]] == [5, 4, 3]


def test_summary_counts_each_named_mistake_per_task(graded):
    _, out, _, _ = graded
    summary = (out / "summary.md").read_text()
    assert "7 submissions; 7 ran." in summary
    assert "| svm_dW | constant_factor (a constant factor (1/n, 2, ...)) | 1 |" in summary
    assert "| affine_backward | constant_factor (a constant factor (1/n, 2, ...)) | 2 |" in summary
    assert (out / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_second_run_in_shards_is_byte_identical_and_merges_into_the_single_run(
    graded, tmp_path, assignment
):
    subs, out, _, _ = graded
    parts = [tmp_path / "shard1", tmp_path / "shard2"]
    for i, part in enumerate(parts, start=1):
        grade(assignment, subs, part, jobs=1 + i % 2, timeout=60, shard=(i, 2))
    assert sorted(p.name for p in parts[0].iterdir() if p.is_dir()) == [
        "alice",
        "carol",
        "erin",
        "gina",
    ]
    for part in parts:  # other sandboxes, another number of jobs: the same bytes
        for student in (p.name for p in part.iterdir() if p.is_dir()):
            assert (part / student / "results.json").read_bytes() == (
                out / student / "results.json"
            ).read_bytes()
    merged = tmp_path / "merged"
    merge(parts, merged)
    for f in ("grades.csv", "summary.md", "summary.png", "grading.json"):
        assert (merged / f).read_bytes() == (out / f).read_bytes(), f
    for student in ("alice", "bob", "carol", "dave", "erin", "frank", "gina"):
        assert (merged / student / "results.json").read_bytes() == (
            out / student / "results.json"
        ).read_bytes()


def test_feedback_levels(graded, tmp_path, assignment):
    subs, out, _, _ = graded
    only = tmp_path / "only_bob"
    write_tree(only, {"bob.py": (subs / "bob.py").read_text()})
    full, scores = tmp_path / "full", tmp_path / "scores"
    grade(assignment, only, full, feedback="full", timeout=60)
    grade(assignment, only, scores, feedback="score", timeout=60)
    diagnosis = results(out, "bob")["by_task"]["svm_dW"]
    detailed = results(full, "bob")["by_task"]["svm_dW"]
    bare = results(scores, "bob")["by_task"]["svm_dW"]
    assert "autodiff =" in detailed["output"] and "autodiff =" not in diagnosis["output"]
    assert bare["output"] == "" and bare["score"] == diagnosis["score"] == detailed["score"] == 0
    assert os.path.getsize(out / "bob" / "results.json") > 0
