"""The CS229 PS2 file formats, read strictly.

Three formats (see the data's MANIFEST.md):

* **labelled CSV** (``logreg_stability/ds1_{a,b}.csv``, ``perceptron/{train,test}.csv``, ``simple_nn/train.csv``)::

      y,x0,x1                      header; the label column is found by NAME (first here, last in simple_nn)
      0.000000000000000000e+00,6.01e-01,1.65e-01

* **spam TSV** (``spam/spam_{train,val,test}.tsv``): ``ham|spam<TAB>message``, no header, UTF-8, read with
  ``csv.reader(f, delimiter='\\t')`` and its default quoting (a message that starts with ``"`` may span
  several physical lines), exactly as the course starter does.

* **double-descent CSV** (``double_descent/trainN.csv``, ``validation.csv``)::

      x,y
      "[ 1.11527124e+00 -6.70351748e-02 -1.69492448e+00 -1.63947678e+00
        4.69995984e-01 ...                                   (numpy's str(array), ~115 physical lines)
       -9.36505370e-01]",-0.30248391058996567                (y: a float repr)

Every reader returns NumPy float64 arrays (int64 for spam labels) and never drops or coerces a row: any
defect raises one :class:`jaxml.errors.DataError` naming the file and, where it applies, the 1-based
physical line. Numbers are exactly what Python's ``float`` parses (correctly rounded), so results reproduce
the course's bit for bit.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import numpy as np

from ..errors import DataError
from ._types import Split, TextSplit

# A plain decimal or scientific number, as the course files write them (no underscores, no hex, no words:
# ``float`` would accept "1_0" or "infinity", the file formats do not).
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


# --------------------------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------------------------


def _read_text(path) -> tuple[Path, str]:
    """Read a whole file as UTF-8 text, or raise DataError (missing, a directory, empty, not UTF-8)."""
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", path=path)
    if path.is_dir():
        raise DataError("is a directory, not a data file", path=path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read file: {e.strerror or e}", path=path) from None
    if not raw.strip():
        raise DataError("file is empty", path=path, line=1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1  # physical line of the first bad byte
        bad = raw[e.start : e.start + 4]
        raise DataError(
            f"not valid UTF-8 text (bytes {bad!r}: {e.reason})", path=path, line=line
        ) from None
    if text.startswith("\ufeff"):
        raise DataError(
            "file starts with a byte-order mark (U+FEFF); save it as plain UTF-8", path=path, line=1
        )
    return path, text


def _parse_number(field: str, *, path: Path, line: int, what: str) -> float:
    """``float(field)`` for a finite, plainly written number, else DataError naming ``what`` and the line."""
    s = field.strip()
    if _NON_FINITE.fullmatch(s):
        raise DataError(
            f"{what} is {s!r}: NaN and infinite values are not allowed", path=path, line=line
        )
    if not _NUMBER.fullmatch(s):
        raise DataError(f"{what} is {field!r}, which is not a number", path=path, line=line)
    value = float(s)
    if not math.isfinite(value):  # e.g. 1e999 overflows to inf
        raise DataError(f"{what} is {s!r}, which overflows to {value}", path=path, line=line)
    return value


def _physical_lines(text: str) -> list[str]:
    """Split on ``\\n`` (accepting ``\\r\\n``); a final newline does not make an extra empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln.removesuffix("\r") for ln in lines]


# --------------------------------------------------------------------------------------------------------------
# labelled CSV: header + numeric rows, label column by name
# --------------------------------------------------------------------------------------------------------------


def load_labelled_csv(path, *, label: str = "y", labels=(0.0, 1.0)) -> Split:
    """Read a CSV of numbers with a header, splitting off the label column by its name.

    Format: a header of unique column names (``y,x0,x1`` or ``x1,x2,y``), then one row per example with
    exactly one number per column. Labels may be written as floats (``0.000e+00``) or ints (``0``).

    Args:
      path: the CSV file.
      label: the name of the label column.
      labels: the allowed label values; any other label is an error. ``None`` allows any finite number.

    Returns:
      Split(x, y): x (n, d) float64, the other columns in file order; y (n,) float64.

    Raises:
      DataError: missing/empty/non-UTF-8 file, a header without ``label`` or with blank or repeated names,
        a blank or ragged row, a field that is not a finite number, or a label outside ``labels``
        (the message names the file and the physical line).
    """
    path, text = _read_text(path)
    lines = _physical_lines(text)
    header = [name.strip() for name in lines[0].split(",")]
    if any(name == "" for name in header):
        raise DataError(f"header {lines[0]!r} has a blank column name", path=path, line=1)
    if len(set(header)) != len(header):
        raise DataError(f"header {lines[0]!r} repeats a column name", path=path, line=1)
    if label not in header:
        raise DataError(
            f"header {lines[0]!r} has no label column {label!r} (columns: {', '.join(header)})",
            path=path,
            line=1,
        )
    if len(header) < 2:
        raise DataError(
            f"header {lines[0]!r} has no feature columns besides {label!r}", path=path, line=1
        )
    if len(lines) < 2:
        raise DataError("header but no data rows", path=path, line=2)
    k = header.index(label)
    allowed = None if labels is None else {float(v) for v in labels}

    rows = np.empty((len(lines) - 1, len(header)), dtype=np.float64)
    for i, row in enumerate(lines[1:]):
        line = i + 2
        if row.strip() == "":
            raise DataError(
                "blank line (every row must hold one number per column)", path=path, line=line
            )
        fields = row.split(",")
        if len(fields) != len(header):
            raise DataError(
                f"ragged row: {len(fields)} fields where the header has {len(header)} ({', '.join(header)})",
                path=path,
                line=line,
            )
        for j, field in enumerate(fields):
            rows[i, j] = _parse_number(field, path=path, line=line, what=f"column {header[j]!r}")
        if allowed is not None and rows[i, k] not in allowed:
            raise DataError(
                f"label {fields[k].strip()!r} in column {label!r} is not one of {sorted(allowed)}",
                path=path,
                line=line,
            )
    x = np.ascontiguousarray(np.delete(rows, k, axis=1))  # the other columns, in file order
    y = rows[:, k].copy()
    return Split(x=x, y=y)


# --------------------------------------------------------------------------------------------------------------
# spam TSV
# --------------------------------------------------------------------------------------------------------------

_SPAM_LABELS = {"ham": 0, "spam": 1}


def load_spam_tsv(path) -> TextSplit:
    """Read an SMS spam split: ``ham|spam<TAB>message`` per record, no header.

    Parsed as the course starter parses it: ``csv.reader(f, delimiter='\\t')`` on the UTF-8 text opened with
    ``newline=''``, default quoting. A message that starts with ``"`` is a quoted field (it loses its outer
    quotes, ``""`` becomes ``"``, and it may span physical lines); the course's files then give 4457 / 557 / 558
    messages. An empty message is allowed (it occurs in SMS data).

    Returns:
      TextSplit(messages, y): messages a list of n str; y (n,) int64 with 1 = spam, 0 = ham.

    Raises:
      DataError: missing/empty/non-UTF-8 file, a record without exactly 2 fields, or a label other than
        ``ham``/``spam`` (names the file and the physical line where the record starts).
    """
    path, text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    messages: list[str] = []
    y: list[int] = []
    end = 0  # physical line where the previous record ended
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise DataError(f"malformed TSV record: {e}", path=path, line=reader.line_num) from None
        end = reader.line_num
        where = "" if end == start else f" (record spans lines {start}-{end})"
        if len(record) != 2:
            raise DataError(
                f"expected 2 tab-separated fields (label, message), found {len(record)}{where}",
                path=path,
                line=start,
            )
        tag, message = record
        if tag not in _SPAM_LABELS:
            raise DataError(
                f"unknown label {tag!r}: expected 'ham' or 'spam'{where}", path=path, line=start
            )
        messages.append(message)
        y.append(_SPAM_LABELS[tag])
    return TextSplit(messages=messages, y=np.asarray(y, dtype=np.int64))


# --------------------------------------------------------------------------------------------------------------
# double-descent CSV: quoted numpy vectors
# --------------------------------------------------------------------------------------------------------------

# One record: "[ numbers ]",y<newline>. The vector may not contain ']' or '"'; y runs to the end of the line.
_DD_RECORD = re.compile(r'"\[([^\]"]*)\]",([^\n]*)\n')


def load_double_descent_csv(path, *, rows: int | None = None, dim: int = 500) -> Split:
    """Read a double-descent file: header ``x,y``; x a quoted numpy ``str(array)`` of ``dim`` numbers, y a float.

    Each record looks like ``"[ 1.1e+00 -6.7e-02 ...\\n ... -9.3e-01]",-0.3024839105899657`` and spans about
    115 physical lines (4 numbers a line), so physical lines are not rows.

    Fast path (the 13 course files, ~60 MB, load in well under a second each): the record structure is
    checked with one anchored regex match per record, then all numbers are converted at once with NumPy
    (``np.array(tokens).astype(float64)``, correctly rounded like ``float``) — no per-number Python work.

    Args:
      path: the CSV file.
      rows: if given, the exact number of rows the file must hold (trainN.csv holds N).
      dim: the length every x vector must have.

    Returns:
      Split(x, y): x (n, dim) float64, y (n,) float64.

    Raises:
      DataError: missing/empty/non-UTF-8 file, a wrong header, a malformed record, a vector of the wrong
        length, a value that is not a finite number, or a row count other than ``rows`` (names the file,
        the row and the physical line).
    """
    path, text = _read_text(path)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"
    nl = text.find("\n")
    header = text[:nl]
    if header.strip() != "x,y":
        raise DataError(f"header is {header!r}, expected 'x,y'", path=path, line=1)

    # Walk the records with anchored matches: any gap or garbage between records is an error at its line.
    pos, line = nl + 1, 2
    starts: list[int] = []  # physical line where each record starts
    vectors: list[str] = []
    ys: list[str] = []
    match = _DD_RECORD.match
    while pos < len(text):
        m = match(text, pos)
        if m is None:
            raise DataError(
                f"row {len(starts) + 1}: malformed record starting {text[pos : pos + 40]!r} "
                '(expected "[ numbers ]",y)',
                path=path,
                line=line,
            )
        starts.append(line)
        vectors.append(m.group(1))
        ys.append(m.group(2))
        line += text.count("\n", pos, m.end())
        pos = m.end()
    n = len(starts)
    if n == 0:
        raise DataError("header but no data rows", path=path, line=2)
    if rows is not None and n != rows:
        raise DataError(f"expected exactly {rows} rows, found {n}", path=path, line=line - 1)

    # Tokenise every vector (split on whitespace) and check each has dim entries.
    tokens: list[str] = []
    for i, vec in enumerate(vectors):
        toks = vec.split()
        if len(toks) != dim:
            raise DataError(
                f"row {i + 1}: x has {len(toks)} numbers, expected {dim}", path=path, line=starts[i]
            )
        tokens.extend(toks)

    # Bulk conversion. On failure, find the offending token (slow path, only when the file is bad).
    try:
        flat = np.array(tokens).astype(np.float64)
    except ValueError:
        flat = None
    bad = None if flat is None else np.flatnonzero(~np.isfinite(flat))
    # NumPy's parser also takes "1_0" (as float does); the format does not, so look for "_" too.
    if flat is None or bad.size or any("_" in vec for vec in vectors):
        _raise_first_bad_token(path, vectors, starts)
    x = flat.reshape(n, dim)

    y = np.empty(n, dtype=np.float64)
    for i, field in enumerate(ys):
        y[i] = _parse_number(
            field, path=path, line=starts[i] + vectors[i].count("\n"), what=f"row {i + 1}: y"
        )
    return Split(x=x, y=y)


def _raise_first_bad_token(path: Path, vectors: list[str], starts: list[int]):
    """Locate the first token of the x column that is not a finite number and raise DataError at its line."""
    for i, vec in enumerate(vectors):
        for m in re.finditer(r"\S+", vec):
            line = starts[i] + vec.count("\n", 0, m.start())
            _parse_number(m.group(), path=path, line=line, what=f"row {i + 1}: an x entry")
    raise DataError("x column holds a value that is not a finite number", path=path)  # not reached
