"""Seeded synthetic stand-ins for the CS229 PS2 data, one generator per problem, same shapes as the real files.

They let every experiment, test and CI job run without the course data; ``DataSource.kind == "synthetic"``
marks results made from them. Each generator takes a keyword-only ``seed`` and draws from
``np.random.default_rng(seed)`` only, so one seed gives the same data on every machine.

What each mimics (real file -> stand-in):

* ``logreg_stability``  ``ds1_a.csv`` / ``ds1_b.csv``: 100 points in [0, 1]^2 each, labels {0, 1} by the side of
  the line x0 + x1 = 1. "b" is strictly linearly separable with a gap (|x0 + x1 - 1| >= 0.03), so unregularised
  logistic regression diverges on it; "a" has label noise near the line and is provably NOT separable.
* ``spam``  ``spam_{train,val,test}.tsv``: an SMS-like corpus of 4457 / 557 / 558 messages, ~14% spam, ham and
  spam vocabularies overlapping, with double spaces, punctuation, uppercase, a little non-ASCII and a few empty
  messages; naive Bayes separates it well (> 90%).
* ``perceptron``  ``perceptron/{train,test}.csv``: 200 points each on two concentric rings, as the staff's
  gen_ds5.py: label 1 has radius |N(0, 1)| (the inner disc), label 0 radius N(4, 1) (the outer ring), angle uniform.
* ``simple_nn``  ``simple_nn/train.csv``: 448 points in [0, 4]^2; label 0 (102 points) inside the triangle
  x1 > 0.7, x2 > 0.7, x1 + x2 < 3.4, label 1 (346 points) outside it, none within 0.1 of the three lines.
  Exactly three lines separate the classes; no single line does.
* ``double_descent``  ``double_descent/train{200..800}.csv``, ``validation.csv``: d = 500,
  theta ~ N(0, I/d), x ~ N(0, I), y = x . theta + 0.5 eps with eps ~ N(0, 1); train[n] is the first n rows of
  train[800] (nested, like the real files) and the validation set has 600 rows.
"""

from __future__ import annotations

import numpy as np

from ._types import DoubleDescentData, Split, TextSplit

DOUBLE_DESCENT_SIZES = tuple(range(200, 801, 50))


# --------------------------------------------------------------------------------------------------------------
# logistic-regression stability (ds1_a / ds1_b)
# --------------------------------------------------------------------------------------------------------------


def _uniform_with_gap(rng, n: int, gap: float) -> np.ndarray:
    """n points uniform on [0, 1]^2 with |x0 + x1 - 1| >= gap (rejection sampling). Returns (n, 2)."""
    out = np.empty((0, 2))
    while len(out) < n:
        x = rng.uniform(0.0, 1.0, size=(2 * n, 2))
        out = np.concatenate([out, x[np.abs(x.sum(1) - 1.0) >= gap]])
    return out[:n]


def separable_2d(rng: np.random.Generator, n: int = 100, gap: float = 0.05) -> Split:
    """n points uniform on [0, 1]^2 with |x0 + x1 - 1| >= gap, labelled y = 1[x0 + x1 > 1]: strictly separable by
    the line x0 + x1 = 1 with margin gap/√2. Draws from ``rng`` (a NumPy Generator).

    Returns:
      Split with x (n, 2) float64 and y (n,) float64 in {0, 1}.
    """
    x = _uniform_with_gap(rng, n, gap)
    return Split(x=x, y=(x.sum(1) > 1.0).astype(np.float64))


def logreg_stability(*, seed: int = 0) -> dict[str, Split]:
    """Stand-ins for ds1_a.csv (not separable) and ds1_b.csv (separable), 100 points each.

    Both: x uniform on [0, 1]^2 (no intercept column), y = 1[x0 + x1 > 1] in {0., 1.}.

    * "b": points kept only where |x0 + x1 - 1| >= 0.03, so the line x0 + x1 = 1 separates with a margin.
    * "a": labels drawn with noise, P(y = 1 | x) = sigmoid((x0 + x1 - 1) / 0.04), plus one planted noisy
      quartet across the line: class-0 points c + 0.03 n +- 0.05 t and class-1 points c +- 0.06 n
      (c on the line, n its unit normal, t its direction). The class-1 segment passes through the midpoint
      of the class-0 segment, so their convex hulls meet and no line separates "a".

    Returns:
      {"a": Split, "b": Split}, each with x (100, 2) float64 and y (100,) float64.
    """
    rng = np.random.default_rng(seed)
    n = 100

    # b: separable with a gap around x0 + x1 = 1.
    xb, yb = separable_2d(rng, n, gap=0.03)

    # a: noisy labels near the line ...
    xa = rng.uniform(0.0, 1.0, size=(n - 4, 2))
    p1 = 1.0 / (1.0 + np.exp(-(xa.sum(1) - 1.0) / 0.04))  # sigmoid((x0 + x1 - 1) / 0.04)
    ya = (rng.uniform(size=n - 4) < p1).astype(np.float64)
    # ... plus the planted crossing quartet, which guarantees non-separability.
    u = rng.uniform(0.3, 0.7)
    c = np.array([u, 1.0 - u])  # on the line x0 + x1 = 1
    normal = np.array([1.0, 1.0]) / np.sqrt(2.0)  # towards the y = 1 side
    along = np.array([1.0, -1.0]) / np.sqrt(2.0)
    quartet = np.stack(
        [
            c + 0.03 * normal + 0.05 * along,
            c + 0.03 * normal - 0.05 * along,
            c + 0.06 * normal,
            c - 0.06 * normal,
        ]
    )
    xa = np.concatenate([xa, quartet])
    ya = np.concatenate([ya, [0.0, 0.0, 1.0, 1.0]])
    order = rng.permutation(n)
    return {"a": Split(x=xa[order], y=ya[order]), "b": Split(x=xb, y=yb)}


# --------------------------------------------------------------------------------------------------------------
# spam
# --------------------------------------------------------------------------------------------------------------

# Words both classes use, and words typical of each (the overlap is deliberate: "call", "now", "free", "txt").
_SHARED = (  # noqa: SIM905  (a word list reads best as text)
    "i you u the to a and is in it me my for your of have on are that be can now call get will at with "
    "this so we just do not what no know how when text today"
).split()
_HAM = (  # noqa: SIM905
    "ok lol home later going sorry love dinner tonight gonna lor haha da meet sleep work good yeah come back "
    "wat time dont miss class bus hey dear im ill see babe night morning free txt"
).split()
_SPAM = (  # noqa: SIM905
    "free win prize claim cash urgent mobile reply stop offer award guaranteed ringtone winner selected "
    "txt service customer £1000 £250 08712402050 87066 www.winbig.co.uk voucher nokia video chat call now"
).split()
_PUNCT = ("", "", "", ".", "!", "?", "...", ",", "!!", ":)")


def _sms(rng, words: tuple, *, spam: bool) -> str:
    """One message: shared and class words, with the typing quirks of SMS (case, punctuation, spacing)."""
    u = rng.random(4)  # empty?, length, spacing, decoration
    if not spam and u[0] < 0.004:
        return ""  # SMS data has empty messages
    length = int(8 + u[1] * 18) if spam else int(2 + u[1] * 14)
    # per word: class word?, which word, case, punctuation?, which punctuation
    r = rng.random((length, 5))
    out = []
    for from_class, pick, case, punct, which in r:
        vocab = words if from_class < (0.35 if spam else 0.3) else _SHARED
        w = vocab[int(pick * len(vocab))]
        if case < (0.15 if spam else 0.05):
            w = w.upper()
        elif case < 0.25:
            w = w.capitalize()
        if punct < 0.2:
            w += _PUNCT[int(which * len(_PUNCT))]
        out.append(w)
    msg = ("  " if u[2] < 0.05 else " ").join(out)  # some double spaces, as in the real corpus
    if u[3] < 0.02:
        msg = f'"{msg}" she said'  # quotes inside a message
    elif u[3] < 0.04:
        msg += " \u2026 caf\u00e9 \U0001f600"  # a little non-ASCII
    return msg


def spam(*, seed: int = 0) -> dict[str, TextSplit]:
    """Stand-in SMS corpus: {"train", "val", "test"} of 4457 / 557 / 558 messages, ~14% spam (y = 1).

    Each message mixes words shared by both classes with class-typical words (spam: "free", "prize", "claim",
    "£1000", phone numbers; ham: "ok", "lol", "home", "sorry"; some in both lists), with random capitalisation,
    trailing punctuation, occasional double spaces, quotes, non-ASCII characters and a few empty messages.

    Returns:
      {"train", "val", "test"} -> TextSplit(messages: list of str, y: (n,) int64).
    """
    rng = np.random.default_rng(seed)
    out = {}
    for name, n in (("train", 4457), ("val", 557), ("test", 558)):
        y = (rng.uniform(size=n) < 0.14).astype(np.int64)
        messages = [_sms(rng, _SPAM if label else _HAM, spam=bool(label)) for label in y]
        out[name] = TextSplit(messages=messages, y=y)
    return out


# --------------------------------------------------------------------------------------------------------------
# perceptron rings
# --------------------------------------------------------------------------------------------------------------


def _rings(rng, n: int) -> Split:
    y = (rng.uniform(size=n) < 0.5).astype(np.float64)
    radius = np.where(y == 1.0, np.abs(rng.standard_normal(n)), 4.0 + rng.standard_normal(n))
    angle = rng.uniform(0.0, 2.0 * np.pi, size=n)
    x = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return Split(x=x, y=y)


def perceptron(*, seed: int = 0) -> dict[str, Split]:
    """Two concentric rings, 200 points per split, as the staff's gen_ds5.py.

    y ~ Bernoulli(1/2); radius r = |N(0, 1)| for y = 1 (inside) and r ~ N(4, 1) for y = 0 (outside);
    angle ~ U[0, 2 pi); x = r (cos angle, sin angle). Not linearly separable; a kernel perceptron (RBF) learns it.

    Returns:
      {"train", "test"} -> Split with x (200, 2) float64 and y (200,) float64 in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    return {"train": _rings(rng, 200), "test": _rings(rng, 200)}


# --------------------------------------------------------------------------------------------------------------
# simple_nn: a triangle
# --------------------------------------------------------------------------------------------------------------

# The triangle {x : A x < b}: x1 > 0.7, x2 > 0.7, x1 + x2 < 3.4 (rows of A are unit normals).
_TRI_A = np.array([[-1.0, 0.0], [0.0, -1.0], [1.0 / np.sqrt(2.0), 1.0 / np.sqrt(2.0)]])
_TRI_B = np.array([-0.7, -0.7, 3.4 / np.sqrt(2.0)])


def simple_nn(*, seed: int = 0) -> Split:
    """448 points in [0, 4]^2 that exactly three lines separate: y = 0 inside a triangle, y = 1 outside.

    The triangle is x1 > 0.7, x2 > 0.7, x1 + x2 < 3.4 (like the real file's class-0 region); signed distances
    s = A x - b to its three sides. Class 0 (102 points) has max(s) <= -0.1, class 1 (346 points) max(s) >= 0.1,
    so a margin of 0.1 surrounds every line. Class 1 surrounds the triangle, so no single line separates.

    Returns:
      Split with x (448, 2) float64 and y (448,) float64 in {0, 1} (integer-valued, as in the real file).
    """
    rng = np.random.default_rng(seed)
    n0, n1, margin = 102, 346, 0.1
    inside, outside = np.empty((0, 2)), np.empty((0, 2))
    while len(inside) < n0 or len(outside) < n1:
        x = rng.uniform(0.0, 4.0, size=(1000, 2))
        s = (x @ _TRI_A.T - _TRI_B).max(axis=1)  # > 0 outside, < 0 inside
        inside = np.concatenate([inside, x[s <= -margin]])
        outside = np.concatenate([outside, x[s >= margin]])
    x = np.concatenate([inside[:n0], outside[:n1]])
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    order = rng.permutation(n0 + n1)
    return Split(x=x[order], y=y[order])


# --------------------------------------------------------------------------------------------------------------
# double descent
# --------------------------------------------------------------------------------------------------------------


def double_descent(*, seed: int = 0) -> DoubleDescentData:
    """Linear-Gaussian regression data as the course's generator, d = 500.

    theta ~ N(0, I/d); rows x ~ N(0, I_d); y = x . theta + 0.5 eps, eps ~ N(0, 1). Training sets are nested:
    train[n] is the first n rows of train[800] for n = 200, 250, ..., 800; validation has 600 fresh rows.

    Returns:
      DoubleDescentData(train={n: Split(x (n, 500), y (n,))}, validation=Split(x (600, 500), y (600,))).
    """
    rng = np.random.default_rng(seed)
    d, n_train, n_val = 500, 800, 600
    theta = rng.standard_normal(d) / np.sqrt(d)  # theta ~ N(0, I/d)
    x = rng.standard_normal((n_train + n_val, d))
    y = x @ theta + 0.5 * rng.standard_normal(n_train + n_val)  # y = X theta + 0.5 eps
    train = {n: Split(x=x[:n].copy(), y=y[:n].copy()) for n in DOUBLE_DESCENT_SIZES}
    validation = Split(x=x[n_train:].copy(), y=y[n_train:].copy())
    return DoubleDescentData(train=train, validation=validation)
