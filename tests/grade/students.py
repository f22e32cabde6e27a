"""Real assignments and real students' code for the grading tests (CS231n-style, written as students write it).

The assignment has three tasks: a multiclass SVM's dW (``svm_loss_vectorized(W, X, y)``, autodiff forbidden), a
softmax classifier's dW with L2 regularisation (``softmax_loss_vectorized(W, X, y, reg)``, reg a Python float) and
an affine layer's backward pass (``affine_backward(dout, cache) -> dx, dw, db``, graded through ``call``, one third
of the points per array). Shapes are small and every run uses few points: the suite's cost is the sandbox and the
checks, not the arithmetic.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

ASSIGNMENT = textwrap.dedent(
    """
    import jax
    import jax.numpy as jnp
    from jaxml.grade import task

    N, D, C = 8, 5, 3


    def svm_loss(W, X, y):
        n = X.shape[0]
        scores = X @ W
        margins = jnp.maximum(0.0, scores - scores[jnp.arange(n), y][:, None] + 1.0)
        return jnp.sum(margins.at[jnp.arange(n), y].set(0.0)) / n


    def softmax_loss(W, X, y, reg):
        log_p = jax.nn.log_softmax(X @ W, axis=1)
        return -jnp.mean(log_p[jnp.arange(X.shape[0]), y]) + reg * jnp.sum(W * W)


    def svm_args(key):
        kw, kx, ky = jax.random.split(key, 3)
        return 0.1 * jax.random.normal(kw, (D, C)), jax.random.normal(kx, (N, D)), jax.random.randint(ky, (N,), 0, C)


    def softmax_args(key):
        return (*svm_args(key), 0.05)


    def affine_loss(x, w, b, dout):
        return jnp.sum(dout * (x.reshape(x.shape[0], -1) @ w + b))


    def affine_args(key):
        k = jax.random.split(key, 4)
        return (jax.random.normal(k[0], (4, 2, 3)), jax.random.normal(k[1], (6, 5)),
                jax.random.normal(k[2], (5,)), jax.random.normal(k[3], (4, 5)))


    task("svm_dW", function="svm_loss_vectorized", of=svm_loss, argnums=0, example=svm_args,
         output=lambda out: out[1], max_score=5, forbid=("jax", "torch", "autograd"))
    task("softmax_dW", function="softmax_loss_vectorized", of=softmax_loss, example=softmax_args,
         output=lambda out: out[1], max_score=4)
    task("affine_backward", function="affine_backward", of=affine_loss, argnums=(0, 1, 2),
         example=affine_args, call=lambda fn, x, w, b, dout: fn(dout, (x, w, b)), max_score=3)
    """
)

SVM_RIGHT = """
def svm_loss_vectorized(W, X, y):
    num_train = X.shape[0]
    scores = X.dot(W)
    correct_class_scores = scores[np.arange(num_train), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct_class_scores + 1)
    margins[np.arange(num_train), y] = 0
    loss = np.sum(margins) / num_train
    binary = margins
    binary[margins > 0] = 1
    binary[np.arange(num_train), y] = -np.sum(binary, axis=1)
    dW = X.T.dot(binary) / num_train
    return loss, dW
"""

SOFTMAX_RIGHT = """
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
"""

AFFINE_RIGHT = """
def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
"""

RIGHT = "import numpy as np\n" + SVM_RIGHT + SOFTMAX_RIGHT + AFFINE_RIGHT


def notebook(*cells: str) -> str:
    """An .ipynb file (nbformat 4) with these code cells and a markdown cell before them."""
    nb_cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Assignment 1\n"]}]
    for source in cells:
        lines = textwrap.dedent(source).strip("\n").splitlines(keepends=True)
        nb_cells.append(
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": lines,
            }
        )
    return json.dumps(
        {"cells": nb_cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1
    )


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root``; returns root."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def results(out: Path, name: str) -> dict:
    """A student's results.json, with its tests also reachable by task name under "by_task"."""
    data = json.loads((out / name / "results.json").read_text())
    data["by_task"] = {t["name"]: t for t in data["tests"]}
    return data
