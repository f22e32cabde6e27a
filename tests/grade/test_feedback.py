"""Feedback names the mistake and never reveals the answer: no value of the reference gradient appears in the
default (``diagnosis``) feedback, whatever the mistake; ``full`` feedback shows them (so the search below can find
a leak); mistakes are counted by kind.
"""

from __future__ import annotations

import json
import re
import textwrap

import jax
import numpy as np
import pytest

from jaxml.grade import grade, load_assignment
from jaxml.grade._feedback import kind_from_diagnosis, public_text
from jaxml.grade._task import prepare

ASSIGNMENT = textwrap.dedent(
    """
    import jax
    import jax.numpy as jnp
    from jaxml.grade import task


    def relu_loss(x, w):
        return jnp.sum(w * jax.nn.relu(x))


    def relu_args(key):  # exact zeros in x: kinks of the ReLU
        k1, k2, k3 = jax.random.split(key, 3)
        x = jnp.where(jax.random.bernoulli(k1, 0.5, (6,)), jax.random.normal(k2, (6,)), 0.0)
        return x, 0.5 + jax.random.uniform(k3, (6,))


    def quad_loss(W, X):
        return 0.5 * jnp.sum((X @ W) ** 2)


    def quad_args(key):
        k1, k2 = jax.random.split(key)
        return jax.random.normal(k1, (4, 3)), jax.random.normal(k2, (7, 4))


    task("relu", function="relu_grad", of=relu_loss, example=relu_args)
    for name in ("per_column", "varying", "float32", "one_entry", "sum_for_mean"):
        task(name, function=name, of=quad_loss, example=quad_args)
    """
)

# one mistake per task, each of a kind whose sentence carries numbers
STUDENT = textwrap.dedent(
    """
    import numpy as np

    def relu_grad(x, w):
        return np.where(x > 0, w, np.where(x < 0, 0.0, 2.0))  # 2 at the kinks: outside [0, w]

    def _g(W, X):
        return X.T @ (X @ W)

    def per_column(W, X):
        return _g(W, X) * np.array([1.5, 2.5, 3.5])

    def varying(W, X):
        return _g(W, X) * (1.0 + X[0, 0] ** 2)

    def float32(W, X):
        X32, W32 = X.astype(np.float32), W.astype(np.float32)
        return (X32.T @ (X32 @ W32)).astype(np.float64)

    def one_entry(W, X):
        g = _g(W, X)
        g[0, 1] += 0.5
        return g

    def sum_for_mean(W, X):
        return _g(W, X) * X.shape[0]
    """
)

# at the kinks, half the right-hand derivative: inside [0, w], a valid subgradient
SUBGRADIENT = textwrap.dedent(
    """
    import numpy as np

    def relu_grad(x, w):
        return np.where(x > 0, w, np.where(x < 0, 0.0, 0.5 * w))
    """
)

EXPECTED_KINDS = {
    "relu": "not_subgradient",
    "per_column": "axis_scale",
    "varying": "varying_factor",
    "float32": "precision",
    "one_entry": "partial",
    "sum_for_mean": "constant_factor",
}

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("leak")
    (root / "assignment.py").write_text(ASSIGNMENT)
    (root / "subs").mkdir()
    (root / "subs" / "sam.py").write_text(STUDENT)
    (root / "subs" / "val.py").write_text(SUBGRADIENT)
    outputs = {}
    for mode in ("diagnosis", "full"):
        grade(root / "assignment.py", root / "subs", root / mode, feedback=mode, timeout=60)
        outputs[mode] = json.loads((root / mode / "sam" / "results.json").read_text())
    return root, outputs


def _reference_values(root) -> np.ndarray:
    """Every non-integer entry of autodiff's gradient at every point of every task, and the one-sided derivatives
    at the ReLU's kinks (w). Integers such as 0 are left out: they cannot be told apart from the counts and shapes
    that feedback may show."""
    values = []
    with jax.enable_x64(True):
        for t in load_assignment(root / "assignment.py").tasks:
            prep = prepare(t)
            n = len(prep.keys)
            for p in range(n):
                args = tuple(
                    a if at is None else jax.tree_util.tree_map(lambda x, p=p: x[p], at)
                    for a, at in zip(prep.args0, prep.at)
                )
                g = np.asarray(jax.grad(t.of, argnums=t.argnums)(*args)).ravel()
                values.append(g)
                if t.name == "relu":
                    values.append(np.asarray(args[1]).ravel())
    values = np.concatenate(values)
    return values[np.abs(values - np.round(values)) > 1e-6]


def _leaks(text: str, reference: np.ndarray) -> list[str]:
    found = []
    for token in NUMBER.findall(text):
        x = float(token)
        if np.any(np.abs(reference - x) <= 1e-4 * np.abs(reference)):
            found.append(token)
    return found


def test_each_mistake_is_named_and_counted(runs):
    _, outputs = runs
    for test in outputs["diagnosis"]["tests"]:
        assert test["score"] == 0 and test["output"].startswith("wrong: "), test
        assert test["extra_data"]["mistakes"] == [EXPECTED_KINDS[test["name"]]], (
            test["name"],
            test["output"],
        )


def test_diagnosis_feedback_never_shows_a_value_of_the_reference(runs):
    root, outputs = runs
    reference = _reference_values(root)
    assert reference.size > 100
    texts = [outputs["diagnosis"]["output"]] + [t["output"] for t in outputs["diagnosis"]["tests"]]
    assert not [(text, _leaks(text, reference)) for text in texts if _leaks(text, reference)]
    # the same search finds them in the full feedback, which shows autodiff's worst entry and the kinks' intervals
    full = [t["output"] for t in outputs["full"]["tests"]]
    assert sum(bool(_leaks(text, reference)) for text in full) == len(full)


def test_a_valid_subgradient_at_a_kink_earns_full_marks(runs):
    root, _ = runs
    relu = json.loads((root / "diagnosis" / "val" / "results.json").read_text())["tests"][0]
    assert relu["name"] == "relu" and relu["score"] == relu["max_score"] == 1
    assert "valid subgradient" in relu["output"]


def test_public_text_keeps_integers_and_drops_the_rest():
    text = (
        "constant factor n = 50: missing 1/n = 1/50; e.g. point 3, entry (1, 2): yours = 2, one-sided derivatives "
        "[0, 0.7312]; the factor changes (from 1.25 to 3.5e+00); autodiff = -0.8797; worst -1.5e-07, inf"
    )
    cleaned = public_text(text)
    assert NUMBER.findall(cleaned) == ["50", "1", "1", "50", "3", "1", "2", "2"]
    assert "[…]" in cleaned and "autodiff …" in cleaned


@pytest.mark.parametrize(
    "sentence, kind",
    [
        ("your gradient raised ValueError: x", "raised"),
        ("wrong structure: expected 3 arrays", "structure"),
        ("order swapped: your tuple holds (w, x)", "swapped"),
        (
            "wrong shape: expected (3,), got (8, 3) - per-example gradients (an extra axis 0 of length 8)",
            "per_example",
        ),
        (
            "wrong shape: expected (3, 4), got (4, 3) - your result is the transpose of the true gradient",
            "transpose",
        ),
        ("wrong shape: expected (3,), got (4,)", "shape"),
        ("sign flip: your gradient is the negative of the true one", "sign"),
        ("constant factor n = 50: you differentiated the sum", "constant_factor"),
        ("a scale per column: column j of your gradient is s_j x the true one", "axis_scale"),
        ("agrees to float32 precision, not float64", "precision"),
        ("no simple pattern (not a constant factor, sign, transpose or sum/mean slip)", "other"),
    ],
)
def test_the_fallback_classifier(sentence, kind):
    assert kind_from_diagnosis(sentence) == kind


def test_mistakes_are_counted_from_the_structured_mistake_when_the_report_has_one():
    from types import SimpleNamespace

    from jaxml.grade._feedback import mistake_kind

    structured = SimpleNamespace(
        diagnosis="sign flip: ...", mistake=SimpleNamespace(kind="constant_factor")
    )
    assert mistake_kind(structured) == "constant_factor"  # the field wins over the sentence
    assert (
        mistake_kind(SimpleNamespace(diagnosis="sign flip: your gradient is the negative"))
        == "sign"
    )
