"""Sparse feature sets for SMS messages (write-up §2(e), issue #14): what a practitioner would try on top of the
course's word counts.

A feature matrix here is a :class:`TermMatrix`: the non-zeros of an (n, V) matrix in NumPy, row-major sorted
(row, then column), duplicates summed — the COO form that ``jaxml.models.sparse_logistic.from_coo`` takes. The
SMS matrices are 97–99% zeros (about 11 words, or 50 character 3-grams, per message), so nothing here builds a
dense (n, V) array; all of it is one-shot host work (NumPy, no compiled program).

Terms (give one to :func:`jaxml.models.text.build_vocabulary` as ``analyzer=``):

* :func:`word_ngrams` — consecutive pairs of tokens, "free entry" (bigrams);
* :func:`char_ngrams` — character n-grams of the lowercased message with a space at both ends, so that they
  see word boundaries and punctuation ("£10", "!!", "www").

Transforms, each x ↦ x' entry by entry or row by row: :func:`binary` (1{x > 0}), :func:`log_counts`
(log(1 + x)), :func:`l2_rows` (x_i / ‖x_i‖₂); :func:`hstack` joins feature sets side by side; :func:`indicators`
are seven message-level numbers (length, digits, a long number, a currency sign, a URL, capitals, "!").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..errors import UsageError
from ._deprecation import positional_settings
from ._text import Vocabulary, _check_messages, encode, tokenize


class TermMatrix(NamedTuple):
    """The non-zeros of an (n, V) feature matrix: x[row[t], col[t]] = val[t] (NumPy, host memory).

    Attributes:
      row: (nnz,) int32, non-decreasing.
      col: (nnz,) int32, increasing within a row.
      val: (nnz,) float64, no explicit zeros.
      shape: (n, V).
    """

    row: np.ndarray
    col: np.ndarray
    val: np.ndarray
    shape: tuple[int, int]


def _matrix(row, col, val, shape) -> TermMatrix:
    """Sorted row-major, duplicates summed, zeros dropped."""
    n, v = int(shape[0]), int(shape[1])
    key = np.asarray(row, np.int64) * v + np.asarray(col, np.int64)
    uniq, inverse = np.unique(key, return_inverse=True)
    total = np.zeros(uniq.size, np.float64)
    np.add.at(total, inverse, np.asarray(val, np.float64))  # Σ of duplicates
    keep = total != 0
    uniq, total = uniq[keep], total[keep]
    return TermMatrix(
        row=(uniq // max(v, 1)).astype(np.int32),
        col=(uniq % max(v, 1)).astype(np.int32),
        val=total,
        shape=(n, v),
    )


def term_counts(messages: Sequence[str], vocab: Vocabulary) -> TermMatrix:
    """Counts of the vocabulary's terms: x_ik = #{terms of message i equal to term k} (unknown terms dropped).

    Args:
      messages: list of n str.
      vocab: from :func:`jaxml.models.text.build_vocabulary` (words, bigrams or character n-grams).

    Returns:
      (n, V) :class:`TermMatrix`.
    """
    e = encode(messages, vocab)
    return _matrix(e.row, e.ids, np.ones(e.ids.size), (e.n, e.vocab_size))


def from_dense(x) -> TermMatrix:
    """The non-zeros of a dense matrix.

    Args:
      x: (n, V) array (NumPy or JAX).

    Returns:
      (n, V) :class:`TermMatrix`, values in float64.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise UsageError(f"from_dense: x must be (n, V), got shape {x.shape}")
    row, col = np.nonzero(x)  # row-major
    return TermMatrix(row.astype(np.int32), col.astype(np.int32), x[row, col], x.shape)


def to_dense(m: TermMatrix) -> np.ndarray:
    """The dense matrix (small matrices and tests only).

    Args:
      m: an (n, V) :class:`TermMatrix`.

    Returns:
      (n, V) NumPy float64 array.
    """
    x = np.zeros(m.shape)
    x[m.row, m.col] = m.val
    return x


def binary(m: TermMatrix) -> TermMatrix:
    """Presence: x'_ik = 1{x_ik > 0}.

    Args:
      m: an (n, V) :class:`TermMatrix`.

    Returns:
      (n, V) :class:`TermMatrix` of 0/1 values.
    """
    return m._replace(val=(m.val > 0).astype(np.float64))


def log_counts(m: TermMatrix) -> TermMatrix:
    """Damped counts: x'_ik = log(1 + x_ik) (``np.log1p``, exact for small x).

    Args:
      m: an (n, V) :class:`TermMatrix` of counts.

    Returns:
      (n, V) :class:`TermMatrix`.
    """
    return m._replace(val=np.log1p(m.val))


def l2_rows(m: TermMatrix) -> TermMatrix:
    """Rows scaled to unit length: x'_i = x_i / ‖x_i‖₂ (an all-zero row has no entries and stays zero).

    Args:
      m: an (n, V) :class:`TermMatrix`.

    Returns:
      (n, V) :class:`TermMatrix`.
    """
    sq = np.bincount(m.row, weights=m.val**2, minlength=m.shape[0])  # ‖x_i‖²
    return m._replace(val=m.val / np.sqrt(sq[m.row]))


def hstack(*ms: TermMatrix) -> TermMatrix:
    """[x¹ x² …]: the feature sets side by side (same messages), columns of x^j offset by V¹ + … + V^{j−1}.

    Args:
      *ms: :class:`TermMatrix` feature sets (n, V^j) over the same n messages.

    Returns:
      (n, V¹ + … + V^J) :class:`TermMatrix`.
    """
    if not ms or len({m.shape[0] for m in ms}) != 1:
        raise UsageError(
            f"hstack: needs feature sets over the same n messages, got {[m.shape for m in ms]}"
        )
    offsets = np.cumsum([0] + [m.shape[1] for m in ms])
    row = np.concatenate([m.row for m in ms])
    col = np.concatenate([m.col + np.int32(off) for m, off in zip(ms, offsets)])
    val = np.concatenate([m.val for m in ms])
    order = np.lexsort((col, row))  # row-major again
    return TermMatrix(
        row[order], col[order].astype(np.int32), val[order], (ms[0].shape[0], int(offsets[-1]))
    )


def document_frequency(m: TermMatrix) -> np.ndarray:
    """df_k = #{i : x_ik ≠ 0}: in how many messages each term occurs.

    Args:
      m: an (n, V) :class:`TermMatrix`.

    Returns:
      (V,) NumPy int array.
    """
    return np.bincount(m.col, minlength=m.shape[1])


# ---- terms ----


@positional_settings("text", ("message", "n"))
def word_ngrams(message: str, *, n: int = 2, sep: str | None = None) -> list[str]:
    """The n-grams of a message's tokens, joined by a space: "free entry" for n = 2.

    Tokens are ``message.lower().split(sep)`` (:func:`jaxml.models.text.tokenize`); a message of T tokens has
    T − n + 1 n-grams (none when T < n). Give it to ``build_vocabulary(..., analyzer=...)``, with
    ``functools.partial`` for other settings.

    Args:
      message: one message.
      n: the n-gram length (≥ 1); default 2 (bigrams).
      sep: the tokeniser's separator; default None: runs of whitespace (the assignment's tokens: ``" "``).

    Returns:
      The list of n-grams, in order, repeats kept.
    """
    if not isinstance(n, int) or n < 1:
        raise UsageError(f"word_ngrams: n must be a positive int, got {n!r}")
    t = tokenize(message, sep=sep)
    return [" ".join(t[k : k + n]) for k in range(len(t) - n + 1)]


@positional_settings("text", ("message", "n"))
def char_ngrams(message: str, *, n: int = 3) -> list[str]:
    """The character n-grams of ``" " + message.lower() + " "`` (spaces mark the word boundaries at both ends).

    A message of L characters has L + 3 − n of them: "Win £1" -> " wi", "win", "in ", "n £", " £1", "£1 ".

    Args:
      message: one message.
      n: the n-gram length (≥ 1); default 3.

    Returns:
      The list of n-grams, in order, repeats kept.
    """
    if not isinstance(message, str):
        raise UsageError(f"message must be str, got {type(message).__name__}")
    if not isinstance(n, int) or n < 1:
        raise UsageError(f"char_ngrams: n must be a positive int, got {n!r}")
    s = f" {message.lower()} "
    return [s[k : k + n] for k in range(len(s) - n + 1)]


# ---- message-level numbers ----

_LONG_NUMBER = re.compile(r"\d{5,}")  # phone numbers and short codes: 5 or more digits in a row
_CURRENCY = re.compile(r"[£$€]|\d+p\b|\bppm\b", re.IGNORECASE)  # a currency sign, "150p", "ppm"
_URL = re.compile(r"www\.|https?:|\.com\b|\.co\.uk\b|\.net\b", re.IGNORECASE)

INDICATORS = (
    "length / 160",  # characters, in SMS units (160 characters)
    "digits / 10",  # number of digit characters
    "long number",  # 1{a run of >= 5 digits}
    "currency",  # 1{£, $, €, "<digits>p" or "ppm"}
    "url",  # 1{www., http(s):, .com, .co.uk, .net}
    "capitals",  # fraction of the letters that are upper case
    "exclamation",  # 1{"!" in the message}
)


def _indicator_row(m: str) -> list[float]:
    letters = [c for c in m if c.isalpha()]
    return [
        len(m) / 160.0,
        sum(c.isdigit() for c in m) / 10.0,
        float(bool(_LONG_NUMBER.search(m))),
        float(bool(_CURRENCY.search(m))),
        float(bool(_URL.search(m))),
        sum(c.isupper() for c in letters) / max(len(letters), 1),
        float("!" in m),
    ]


def indicators(messages: Sequence[str]) -> TermMatrix:
    """Seven numbers per message, from the raw text (case kept), named in :data:`INDICATORS`.

    length / 160, digits / 10, 1{≥ 5 digits in a row}, 1{currency}, 1{URL}, fraction of capitals, 1{"!"}.
    All are O(1) for an SMS, like the 0/1 word features they are stacked with.

    Args:
      messages: list of n str.

    Returns:
      (n, 7) :class:`TermMatrix`.
    """
    messages = _check_messages(messages)
    x = np.array([_indicator_row(m) for m in messages], dtype=np.float64).reshape(
        len(messages), len(INDICATORS)
    )
    return from_dense(x)
