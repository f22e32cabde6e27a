"""Declaring tasks and preparing them: the assignment file, the points, and the calls recorded through ``call``."""

from __future__ import annotations

import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.errors import UsageError
from jaxml.grade import Task, load_assignment, task
from jaxml.grade._task import prepare


def affine_loss(x, w, b, dout):
    return jnp.sum(dout * (x.reshape(x.shape[0], -1) @ w + b))


def affine_args(key):
    k = jax.random.split(key, 4)
    return (
        jax.random.normal(k[0], (3, 2, 2)),
        jax.random.normal(k[1], (4, 2)),
        jax.random.normal(k[2], (2,)),
        jax.random.normal(k[3], (3, 2)),
    )


def softmax_loss(W, X, y, reg):
    log_p = jax.nn.log_softmax(X @ W, axis=1)
    return -jnp.mean(log_p[jnp.arange(X.shape[0]), y]) + reg * jnp.sum(W * W)


def softmax_args(key):
    k1, k2, k3 = jax.random.split(key, 3)
    return (
        jax.random.normal(k1, (3, 2)),
        jax.random.normal(k2, (5, 3)),
        jax.random.randint(k3, (5,), 0, 2),
        0.1,
    )


def test_call_is_recorded_and_sent_as_plain_arrays():
    t = task(
        "affine",
        function="affine_backward",
        of=affine_loss,
        argnums=(0, 1, 2),
        example=affine_args,
        call=lambda fn, x, w, b, dout: fn(dout, (x, w, b)),
        points=3,
    )
    prep = prepare(t)
    (args, kwargs), x0 = prep.calls[0], prep.args0[0]
    assert kwargs == {} and len(args) == 2 and isinstance(args[1], tuple) and len(args[1]) == 3
    assert (
        np.array_equal(args[1][0], x0)
        and args[0].shape == (3, 2)
        and args[1][0].dtype == np.float64
    )
    assert prep.labels == ("x", "w", "b") and len(prep.leaf_losses) == 3
    # each leaf's loss is the loss's gradient with respect to that leaf alone
    x, w, b, dout = prep.args0
    assert np.allclose(jax.grad(prep.leaf_losses[2])(b, x, w, b, dout), np.sum(dout, axis=0))


def test_labels_and_python_scalars_keep_their_types_and_the_points_their_seed():
    t = task(
        "softmax",
        function="softmax_loss_vectorized",
        of=softmax_loss,
        example=softmax_args,
        points=4,
    )
    a, b = prepare(t), prepare(t)
    args = a.calls[1][0]
    assert type(args[3]) is float and args[2].dtype.kind == "i" and args[1].dtype == np.float64
    assert a.varying == (0, 1, 2) and a.at[3] is None  # reg is the same at every point: shared
    assert a.keys == b.keys and len(set(a.keys)) == 4
    other = prepare(
        task("softmax2", function="f", of=softmax_loss, example=softmax_args, points=4, seed=1)
    )
    assert not set(other.keys) & set(a.keys)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda fn, *a: fn(*a)[1], "unchanged"),
        (lambda fn, *a: (fn(*a), fn(*a)), "exactly once"),
        (lambda fn, *a: None, "exactly once"),
        (lambda fn, *a: fn(object()), "cannot send"),
    ],
)
def test_call_must_call_fn_once_and_return_its_result(call, words):
    t = Task(name="bad", function="f", of=softmax_loss, example=softmax_args, call=call, points=2)
    with pytest.raises(UsageError, match=words):
        prepare(t)


def test_assignment_files(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(
        textwrap.dedent(
            """
            import jax.numpy as jnp
            from jaxml.grade import task
            f = lambda x: jnp.sum(x ** 2)
            task("one", function="f1", of=f, example=lambda key: (jnp.ones(2),), points=1, max_score=2)
            task("two", function="f2", of=f, example=lambda key: (jnp.ones(2),), points=1)
            """
        )
    )
    loaded = load_assignment(good)
    assert [t.name for t in loaded.tasks] == ["one", "two"] and loaded.tasks[0].max_score == 2.0
    assert len(loaded.sha256) == 64
    (tmp_path / "empty.py").write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("import jaxml.grade\nraise RuntimeError('oops')\n")
    (tmp_path / "twice.py").write_text(good.read_text().replace('"two"', '"one"'))
    for name, words in [
        ("empty.py", "declares no task"),
        ("broken.py", "RuntimeError: oops"),
        ("twice.py", "declared twice"),
        ("missing.py", "not found"),
    ]:
        with pytest.raises(UsageError, match=words):
            load_assignment(tmp_path / name)
    with pytest.raises(UsageError, match="identifier"):
        task("x", function="not a name", of=len, example=len)
