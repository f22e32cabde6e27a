"""``jaxml grade`` on a class of NumPy submissions, beside the serial way hidden-test graders run.

Writes, in a temporary directory, an assignment of 3 tasks in the CS231n style (a multiclass SVM's dW, a softmax
classifier's dW, an affine layer's backward pass ``affine_backward(dout, cache) -> dx, dw, db``) and ``--students``
NumPy submissions drawn from a seed: the ways students write them (vectorised, with loops, modifying their inputs
in place) and the mistakes they make (a missing 1/N, a missing factor 2 on the regularisation, a transpose, the mean
for the sum, an exception, a missing function, the wrong return value). Then times

* ``jaxml grade`` as a child process, cold (an empty compilation cache) and warm (the same cache again);
* the baseline: one fresh Python process per submission and task, one after another, each loading the submission
  and comparing its gradient with a NumPy reference gradient embedded in the test (what nbgrader or Otter hidden
  tests do), at the same number of points.

and prints the ratio baseline / jaxml (issue #24's target: >= 5x, and jaxml <= 60 s). Run from the repository root:
``python benchmarks/grade_bench.py [--students 200] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ASSIGNMENT = """
import jax
import jax.numpy as jnp
from jaxml.grade import task

N, D, C = 16, 10, 4


def svm_loss(W, X, y, reg):
    scores = X @ W
    correct = scores[jnp.arange(X.shape[0]), y]
    margins = jnp.maximum(0.0, scores - correct[:, None] + 1.0)
    margins = margins.at[jnp.arange(X.shape[0]), y].set(0.0)
    return jnp.sum(margins) / X.shape[0] + reg * jnp.sum(W * W)


def softmax_loss(W, X, y, reg):
    log_p = jax.nn.log_softmax(X @ W, axis=1)
    return -jnp.mean(log_p[jnp.arange(X.shape[0]), y]) + reg * jnp.sum(W * W)


def linear_args(key):
    kw, kx, ky = jax.random.split(key, 3)
    W = 0.1 * jax.random.normal(kw, (D, C))
    return W, jax.random.normal(kx, (N, D)), jax.random.randint(ky, (N,), 0, C), 0.1


def affine_loss(x, w, b, dout):
    return jnp.sum(dout * (x.reshape(x.shape[0], -1) @ w + b))


def affine_args(key):
    k = jax.random.split(key, 4)
    return (jax.random.normal(k[0], (5, 2, 3)), jax.random.normal(k[1], (6, 4)),
            jax.random.normal(k[2], (4,)), jax.random.normal(k[3], (5, 4)))


task("svm_dW", function="svm_loss_vectorized", of=svm_loss, example=linear_args,
     output=lambda out: out[1], max_score=5)
task("softmax_dW", function="softmax_loss_vectorized", of=softmax_loss, example=linear_args,
     output=lambda out: out[1], max_score=5)
task("affine_backward", function="affine_backward", of=affine_loss, argnums=(0, 1, 2), example=affine_args,
     call=lambda fn, x, w, b, dout: fn(dout, (x, w, b)), max_score=3)
"""

SVM = {
    "vectorised": """
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct_class_scores = scores[np.arange(num_train), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct_class_scores + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train + reg * np.sum(W * W)
    binary = margins
    binary[margins > 0] = 1
    binary[np.arange(num_train), y] = -np.sum(binary, axis=1)
    dW = X.T.dot(binary) / num_train + 2 * reg * W
    return loss, dW
""",
    "mask": """
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[range(N), y][:, None] + 1)
    m[range(N), y] = 0
    loss = m.sum() / N + reg * (W ** 2).sum()
    mask = (m > 0).astype(float)
    mask[range(N), y] = -mask.sum(1)
    return loss, X.T @ mask / N + 2 * reg * W
""",
    "loops": """
def svm_loss_vectorized(W, X, y, reg):
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
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return loss, dW
""",
    "in place": """
def svm_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    scores -= scores[np.arange(n), y][:, None] - 1
    scores[np.arange(n), y] = 0
    np.maximum(scores, 0, out=scores)
    loss = scores.sum() / n + reg * np.sum(W * W)
    scores[scores > 0] = 1
    scores[np.arange(n), y] = -scores.sum(axis=1)
    X /= n  # modifies the caller's X
    W *= 2 * reg
    return loss, X.T.dot(scores) + W
""",
    "BUG missing 1/N": """
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    margins = np.maximum(0, scores - scores[np.arange(num_train), y][:, np.newaxis] + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train + reg * np.sum(W * W)
    mask = (margins > 0).astype(float)
    mask[np.arange(num_train), y] = -mask.sum(axis=1)
    dW = X.T.dot(mask) + 2 * reg * W * num_train
    return loss, dW
""",
    "BUG reg without 2": """
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[range(N), y][:, None] + 1)
    m[range(N), y] = 0
    mask = (m > 0) * 1.0
    mask[range(N), y] = -mask.sum(1)
    return m.sum() / N + reg * np.sum(W * W), X.T @ mask / N + reg * W
""",
    "BUG returns dW only": """
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    s = X @ W
    m = np.maximum(0, s - s[range(N), y][:, None] + 1)
    m[range(N), y] = 0
    mask = (m > 0) * 1.0
    mask[range(N), y] = -mask.sum(1)
    return X.T @ mask / N + 2 * reg * W
""",
    "BUG index error": """
def svm_loss_vectorized(W, X, y, reg):
    scores = X.dot(W)
    correct = scores[y]
    margins = np.maximum(0, scores - correct + 1)
    return margins.sum(), X.T.dot(margins)
""",
}

SOFTMAX = {
    "stable": """
def softmax_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(num_train), y])) / num_train + reg * np.sum(W * W)
    dscores = probs
    dscores[np.arange(num_train), y] -= 1
    dW = X.T.dot(dscores) / num_train + 2 * reg * W
    return loss, dW
""",
    "one-hot": """
def softmax_loss_vectorized(W, X, y, reg):
    N, C = X.shape[0], W.shape[1]
    f = X @ W
    f = f - f.max(axis=1, keepdims=True)
    p = np.exp(f) / np.exp(f).sum(axis=1, keepdims=True)
    onehot = np.eye(C)[y]
    loss = -np.mean(np.log((p * onehot).sum(axis=1))) + reg * np.sum(W * W)
    return loss, X.T @ (p - onehot) / N + 2 * reg * W
""",
    "loops": """
def softmax_loss_vectorized(W, X, y, reg):
    loss, dW = 0.0, np.zeros_like(W)
    num_train, num_classes = X.shape[0], W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(p[y[i]])
        for j in range(num_classes):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    return loss / num_train + reg * np.sum(W * W), dW / num_train + 2 * reg * W
""",
    "BUG missing 1/N": """
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    f = X.dot(W)
    f -= f.max(axis=1)[:, None]
    p = np.exp(f)
    p /= p.sum(axis=1)[:, None]
    loss = -np.log(p[range(N), y]).mean() + reg * np.sum(W * W)
    p[range(N), y] -= 1
    return loss, X.T.dot(p) + 2 * reg * W * N
""",
    "BUG reg without 2": """
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    f = X.dot(W)
    f -= f.max(axis=1)[:, None]
    p = np.exp(f)
    p /= p.sum(axis=1)[:, None]
    loss = -np.log(p[range(N), y]).mean() + reg * np.sum(W * W)
    p[range(N), y] -= 1
    return loss, X.T.dot(p) / N + reg * W
""",
    "BUG sign": """
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    f = X.dot(W)
    p = np.exp(f - f.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[range(N), y] -= 1
    return 0.0, -(X.T.dot(p) / N + 2 * reg * W)
""",
}

AFFINE = {
    "textbook": """
def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
""",
    "reshape first": """
def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    x_row = x.reshape(N, -1)
    dx = np.reshape(dout @ w.T, x.shape)
    dw = x_row.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
""",
    "BUG db mean": """
def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.dot(dout, w.T).reshape(x.shape)
    dw = np.dot(x.reshape(x.shape[0], -1).T, dout)
    db = np.mean(dout, axis=0)
    return dx, dw, db
""",
    "BUG dw transposed": """
def affine_backward(dout, cache):
    x, w, b = cache
    x2 = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), dout.T @ x2, dout.sum(0)
""",
    "BUG dx not reshaped": """
def affine_backward(dout, cache):
    x, w, b = cache
    return dout.dot(w.T), x.reshape(x.shape[0], -1).T.dot(dout), np.sum(dout, axis=0)
""",
    "BUG missing": "",
}

# what a class looks like: mostly right, the usual mistakes (weights per variant, in the order above)
WEIGHTS = {
    "svm": [30, 20, 10, 5, 15, 10, 5, 5],
    "softmax": [35, 20, 10, 15, 15, 5],
    "affine": [45, 20, 15, 10, 5, 5],
}


# Appended to each submission for the worst case of `jaxml grade`'s reuse of verdicts (students whose answers are
# the same bytes are compared once): every array returned is scaled by 1 + k 2^-50, a student-specific change of the
# last bits that leaves every answer as right or as wrong as it was, so no two students' answers are identical.
DISTINCT = """
def _scaled(out, scale):
    if isinstance(out, tuple):
        return tuple(_scaled(o, scale) for o in out)
    return np.asarray(out) * scale


for _name in ("svm_loss_vectorized", "softmax_loss_vectorized", "affine_backward"):
    if _name in globals():
        globals()[_name] = (lambda f: lambda *a: _scaled(f(*a), 1.0 + {k} * 2.0**-50))(globals()[_name])
"""


def write_class(folder: Path, students: int, seed: int, distinct: bool = False) -> Path:
    """The assignment file and ``students`` submissions (NAME.py), drawn from ``seed``; returns the folder of the
    submissions. ``distinct``: no two students return the same bytes (see DISTINCT)."""
    rng = random.Random(seed)
    (folder / "assignment.py").write_text(ASSIGNMENT)
    subs = folder / ("distinct" if distinct else "submissions")
    subs.mkdir()
    for i in range(students):
        parts = ["import numpy as np\n", f"# student {i:03d}\n"]
        for key, variants in (("svm", SVM), ("softmax", SOFTMAX), ("affine", AFFINE)):
            parts.append(rng.choices(list(variants.values()), WEIGHTS[key])[0])
        if distinct:
            parts.append(DISTINCT.replace("{k}", str(i + 1)))
        (subs / f"student{i:03d}.py").write_text("".join(parts))
    return subs


HIDDEN_TEST = """
import sys
import numpy as np

FUNCTION = {"svm": "svm_loss_vectorized", "softmax": "softmax_loss_vectorized", "affine": "affine_backward"}


def reference(task, args):  # the reference gradient, embedded in the test (it leaks when students see it)
    if task == "affine":
        x, w, b, dout = args
        return (dout @ w.T).reshape(x.shape), x.reshape(len(x), -1).T @ dout, dout.sum(0)
    W, X, y, reg = args
    n = len(y)
    s = X @ W
    if task == "svm":
        m = (s - s[range(n), y][:, None] + 1 > 0).astype(float)
        m[range(n), y] = 0
        m[range(n), y] = -m.sum(1)
        return X.T @ m / n + 2 * reg * W
    p = np.exp(s - s.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[range(n), y] -= 1
    return X.T @ p / n + 2 * reg * W


def main(path, task, points):
    ns = {}
    try:
        exec(compile(open(path).read(), path, "exec"), ns)
        rng = np.random.default_rng(0)
        ok = True
        for _ in range(points):
            if task == "affine":
                args = (rng.normal(size=(5, 2, 3)), rng.normal(size=(6, 4)), rng.normal(size=4), rng.normal(size=(5, 4)))
                got = ns[FUNCTION[task]](args[3], tuple(a.copy() for a in args[:3]))
                ok &= all(np.allclose(g, r) for g, r in zip(got, reference(task, args)))
            else:
                args = (0.1 * rng.normal(size=(10, 4)), rng.normal(size=(16, 10)), rng.integers(0, 4, 16), 0.1)
                got = ns[FUNCTION[task]](args[0].copy(), args[1].copy(), args[2].copy(), args[3])[1]
                ok &= bool(np.allclose(got, reference(task, args)))
    except Exception:
        ok = False
    print("pass" if ok else "fail")


main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
"""


def baseline(folder: Path, points: int) -> tuple[float, int]:
    """Seconds for one fresh process per submission and task, one after another; and how many passed."""
    test = folder / "hidden_test.py"
    test.write_text(HIDDEN_TEST)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    passed = 0
    start = time.perf_counter()
    for sub in sorted((folder / "submissions").iterdir()):
        for task in ("svm", "softmax", "affine"):
            run = subprocess.run(
                [sys.executable, str(test), str(sub), task, str(points)],
                check=False,
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
            )
            passed += run.stdout.strip() == "pass"
    return time.perf_counter() - start, passed


def jaxml_grade(folder: Path, subs: Path, out: str, cache: str, jobs: int) -> tuple[float, str]:
    """Seconds for ``jaxml grade`` in a child process, and what it printed."""
    env = dict(os.environ, JAXML_COMPILATION_CACHE=cache, OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "jaxml.cli", "grade", str(folder / "assignment.py")]
    command += [str(subs), "--out", out, "--jobs", str(jobs)]
    start = time.perf_counter()
    run = subprocess.run(command, check=True, timeout=600, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, run.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        folder = Path(tmp)
        subs = write_class(folder, args.students, args.seed)
        distinct = write_class(folder, args.students, args.seed, distinct=True)
        cache = str(folder / "xla-cache")
        cold, said = jaxml_grade(folder, subs, str(folder / "out-cold"), cache, args.jobs)
        warm, _ = jaxml_grade(folder, subs, str(folder / "out-warm"), cache, args.jobs)
        worst, said_worst = jaxml_grade(
            folder, distinct, str(folder / "out-distinct"), cache, args.jobs
        )
        same = (folder / "out-cold" / "grades.csv").read_bytes() == (
            folder / "out-distinct" / "grades.csv"
        ).read_bytes()
        serial, passed = baseline(folder, points=8)
        lines = (folder / "out-warm" / "grades.csv").read_text().splitlines()[1:]
        full = sum(line.split(",")[-1] == "ok" and line.split(",")[-2] == "13" for line in lines)
    n = args.students * 3
    print(
        f"{args.students} NumPy submissions x 3 tasks, 8 points each, {os.cpu_count()} cores, --jobs {args.jobs}"
    )
    print(f"  jaxml grade, cold (empty compilation cache): {cold:7.1f} s   [{said}]")
    print(f"  jaxml grade, warm:                           {warm:7.1f} s")
    print(f"  jaxml grade, warm, no two answers alike:     {worst:7.1f} s   [{said_worst}]")
    print(f"  serial hidden tests (a process per submission and task, {n} runs): {serial:7.1f} s")
    print(
        f"  ratio serial / jaxml: {serial / cold:.1f}x cold, {serial / warm:.1f}x warm, {serial / worst:.1f}x with "
        "no two answers alike (target >= 5x, <= 60 s)"
    )
    print(f"  students with full marks: {full}; hidden tests passed: {passed} of {n}")
    print(f"  the no-two-alike class got the same grades.csv: {same}")


if __name__ == "__main__":
    main()
