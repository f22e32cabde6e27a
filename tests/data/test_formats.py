"""The strict file readers and ``locate``: good files parse to exact values, every bad file names file and line."""

from __future__ import annotations

import re

import numpy as np
import pytest

from jaxml.data import (
    ENV_VAR,
    REQUIRE_ENV_VAR,
    load_double_descent_csv,
    load_labelled_csv,
    load_spam_tsv,
    locate,
)
from jaxml.data._locate import REQUIRED_FILES
from jaxml.errors import DataError


def _write(tmp_path, name, content, *, binary=False):
    path = tmp_path / name
    if binary:
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def _raises(path, line, call, *, match=None):
    """``call(path)`` raises DataError naming the file and (when given) ``line N``; returns the error."""
    with pytest.raises(DataError) as info:
        call(path)
    message = str(info.value)
    assert path.name in message, message
    if line is not None:
        assert re.search(rf"\bline {line}\b", message), message
        assert info.value.line == line
    if match is not None:
        assert re.search(match, message, re.IGNORECASE), message
    return info.value


def _dd_vector(values, per_line=4) -> str:
    """Write a vector the way numpy's str(array) does for the course files: 4 numbers a line, in brackets."""
    chunks = [
        " ".join(f"{v: .8e}" for v in values[i : i + per_line])
        for i in range(0, len(values), per_line)
    ]
    return '"[' + "\n ".join(chunks) + ']"'


def _dd_file(rows, dim, *, y_values=None):
    """(text, x, y) of a double-descent CSV with ``rows`` records of ``dim`` numbers."""
    rng = np.random.default_rng(1)
    x = np.round(rng.standard_normal((rows, dim)), 6)
    y = rng.standard_normal(rows) if y_values is None else np.asarray(y_values, dtype=float)
    lines = ["x,y"] + [f"{_dd_vector(x[i])},{float(y[i])!r}" for i in range(rows)]
    # the vectors were written with 8 significant digits, so read back what float() makes of the text
    x = np.array([[float(f"{v:.8e}") for v in row] for row in x])
    return "\n".join(lines) + "\n", x, y


# --------------------------------------------------------------------------------------------------------------
# labelled CSV
# --------------------------------------------------------------------------------------------------------------


def test_labelled_csv_label_first_exact_values(tmp_path):
    path = _write(
        tmp_path,
        "ds.csv",
        "y,x0,x1\n"
        "0.000000000000000000e+00,6.012660321346644521e-01,1.650910586864833274e-01\n"
        "1.000000000000000000e+00,8.717253403947561319e-01,-5.273606284195629934e-01\n",
    )
    split = load_labelled_csv(path)
    assert split.x.dtype == np.float64 and split.y.dtype == np.float64
    assert split.x.shape == (2, 2) and split.y.shape == (2,)
    # bit for bit what float() parses
    np.testing.assert_array_equal(
        split.x,
        [
            [float("6.012660321346644521e-01"), float("1.650910586864833274e-01")],
            [float("8.717253403947561319e-01"), float("-5.273606284195629934e-01")],
        ],
    )
    np.testing.assert_array_equal(split.y, [0.0, 1.0])


def test_labelled_csv_label_last_int_labels(tmp_path):
    path = _write(
        tmp_path, "nn.csv", "x1,x2,y\n2.994475602166235,0.2184569763239148,1\n2.25,0.79,0\n"
    )
    split = load_labelled_csv(path)
    np.testing.assert_array_equal(split.x, [[2.994475602166235, 0.2184569763239148], [2.25, 0.79]])
    np.testing.assert_array_equal(split.y, [1.0, 0.0])


def test_labelled_csv_crlf_and_no_final_newline(tmp_path):
    path = _write(tmp_path, "crlf.csv", "y,a\r\n1,0.5\r\n0,-2")
    split = load_labelled_csv(path)
    np.testing.assert_array_equal(split.x, [[0.5], [-2.0]])
    np.testing.assert_array_equal(split.y, [1.0, 0.0])


def test_labelled_csv_custom_labels(tmp_path):
    path = _write(tmp_path, "pm.csv", "y,x0\n-1,0.5\n1,0.25\n")
    np.testing.assert_array_equal(load_labelled_csv(path, labels=(-1, 1)).y, [-1.0, 1.0])
    _raises(path, 2, load_labelled_csv, match="not one of")  # default labels are {0, 1}


@pytest.mark.parametrize(
    "name, content, line, match",
    [
        ("empty.csv", "", 1, "empty"),
        ("blank.csv", "\n\n  \n", 1, "empty"),
        ("nolabel.csv", "x0,x1,x2\n0,1,2\n", 1, "no label column 'y'"),
        ("wrongheader.csv", "label,x0,x1\n0,1,2\n", 1, "no label column"),
        ("dupheader.csv", "y,x0,x0\n0,1,2\n", 1, "repeats"),
        ("blankname.csv", "y,,x1\n0,1,2\n", 1, "blank column name"),
        ("headeronly.csv", "y,x0,x1\n", 2, "no data rows"),
        ("nonnumber.csv", "y,x0,x1\n0,1,2\n1,abc,2\n", 3, "not a number"),
        ("emptyfield.csv", "y,x0,x1\n0,1,2\n1,,2\n", 3, "not a number"),
        ("underscore.csv", "y,x0,x1\n0,1_0,2\n", 2, "not a number"),
        ("nan.csv", "y,x0,x1\n0,1,2\n0,1,2\n1,nan,2\n", 4, "NaN"),
        ("inf.csv", "y,x0,x1\n0,-inf,2\n", 2, "infinite"),
        ("overflow.csv", "y,x0,x1\n0,1e999,2\n", 2, "overflow"),
        ("badlabel.csv", "y,x0,x1\n0,1,2\n2,1,2\n", 3, "label '2'"),
        ("halflabel.csv", "y,x0,x1\n0.5,1,2\n", 2, "not one of"),
        ("nanlabel.csv", "y,x0,x1\nNaN,1,2\n", 2, "NaN"),
        ("ragged_short.csv", "y,x0,x1\n0,1,2\n1,2\n", 3, "ragged row: 2 fields"),
        ("ragged_long.csv", "y,x0,x1\n0,1,2\n0,1,2\n1,2,3,4\n", 4, "ragged row: 4 fields"),
        ("blankline.csv", "y,x0,x1\n0,1,2\n\n1,1,2\n", 3, "blank line"),
    ],
)
def test_labelled_csv_rejects(tmp_path, name, content, line, match):
    path = _write(tmp_path, name, content)
    _raises(path, line, load_labelled_csv, match=match)


def test_missing_file_and_directory(tmp_path):
    for loader in (load_labelled_csv, load_spam_tsv, load_double_descent_csv):
        _raises(tmp_path / "nope.csv", None, loader, match="not found")
        (tmp_path / "adir.csv").mkdir(exist_ok=True)
        _raises(tmp_path / "adir.csv", None, loader, match="directory")


def test_non_utf8_names_the_line(tmp_path):
    path = _write(tmp_path, "latin1.csv", b"y,x0\n0,1\n1,2\xe9\n", binary=True)
    _raises(path, 3, load_labelled_csv, match="UTF-8")
    path = _write(tmp_path, "latin1.tsv", b"ham\tok\nspam\tcaf\xe9\n", binary=True)
    _raises(path, 2, load_spam_tsv, match="UTF-8")


# --------------------------------------------------------------------------------------------------------------
# spam TSV
# --------------------------------------------------------------------------------------------------------------


def test_spam_tsv_parses_quotes_unicode_and_empty_messages(tmp_path):
    content = (
        "ham\tOk lar... Joking wif u oni...\r\n"
        "spam\tFree entry  in 2 a wkly comp to win FA Cup final tkts £1000!!\r\n"
        'ham\t"Hi" she said, ""quoted"" \u2026 caf\u00e9 \U0001f600\r\n'  # quoted field: outer quotes go
        "ham\t\r\n"  # an empty message is legitimate
        'spam\tinner "quotes" stay as they are\r\n'
        'ham\t"a quoted message\nover two lines"\r\n'
        "spam\tlast line, no newline"
    )
    path = _write(tmp_path, "spam.tsv", content)
    data = load_spam_tsv(path)
    assert data.messages == [
        "Ok lar... Joking wif u oni...",
        "Free entry  in 2 a wkly comp to win FA Cup final tkts £1000!!",
        'Hi she said, ""quoted"" \u2026 caf\u00e9 \U0001f600',  # csv default quoting, as the starter
        "",
        'inner "quotes" stay as they are',
        "a quoted message\nover two lines",
        "last line, no newline",
    ]
    assert data.y.dtype == np.int64
    np.testing.assert_array_equal(data.y, [0, 1, 0, 0, 1, 0, 1])


@pytest.mark.parametrize(
    "name, content, line, match",
    [
        ("empty.tsv", "", 1, "empty"),
        ("unknown.tsv", "ham\tok\nham\tok\nSPAM\tWIN\n", 3, "unknown label 'SPAM'"),
        ("three.tsv", "ham\tok\nspam\twin\tnow\n", 2, "found 3"),
        ("one.tsv", "ham\tok\nspam win now\n", 2, "found 1"),
        ("blank.tsv", "ham\tok\n\nham\tok\n", 2, "found 0"),
        # a record that spans lines 2-3 is reported at the line where it starts
        ("spans.tsv", 'ham\tok\nham\t"two\nlines"\tx\nham\tok\n', 2, "spans lines 2-3"),
        ("after_multiline.tsv", 'ham\t"two\nlines"\nbad\tx\n', 3, "unknown label 'bad'"),
        ("bom.tsv", "\ufeffham\tok\n", 1, "byte-order mark"),
    ],
)
def test_spam_tsv_rejects(tmp_path, name, content, line, match):
    path = _write(tmp_path, name, content)
    _raises(path, line, load_spam_tsv, match=match)


# --------------------------------------------------------------------------------------------------------------
# double-descent CSV
# --------------------------------------------------------------------------------------------------------------


def test_double_descent_exact_values(tmp_path):
    text, x, y = _dd_file(rows=3, dim=10)
    path = _write(tmp_path, "train3.csv", text)
    split = load_double_descent_csv(path, rows=3, dim=10)
    assert split.x.shape == (3, 10) and split.y.shape == (3,)
    assert split.x.dtype == np.float64 and split.y.dtype == np.float64
    np.testing.assert_array_equal(split.x, x)
    np.testing.assert_array_equal(split.y, y)  # y written as repr: round-trips exactly
    assert load_double_descent_csv(path, dim=10).x.shape == (3, 10)  # rows=None: any count


def test_double_descent_numpy_str_format(tmp_path):
    # exactly numpy's own str(array) output, quoted, as pandas to_csv wrote the course files
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 500))
    y = rng.standard_normal(2)
    text = "x,y\n" + "".join(f'"{np.array2string(x[i])}",{float(y[i])!r}\n' for i in range(2))
    path = _write(tmp_path, "np.csv", text)
    split = load_double_descent_csv(path, rows=2)
    expected = np.array([[float(t) for t in np.array2string(row)[1:-1].split()] for row in x])
    np.testing.assert_array_equal(split.x, expected)
    np.testing.assert_array_equal(split.y, y)


def _dd_bad(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


@pytest.fixture
def dd_text():
    """3 rows of dim 8 with x[i, j] = (i + 1) + (j + 1) / 100, so every number is a unique string.

    Each record spans 2 physical lines (4 numbers a line): row 1 is lines 2-3, row 2 lines 4-5, row 3 lines 6-7;
    x[1, 2] = "2.03000000e+00" sits on line 4 and x[1, 5] = "2.06000000e+00" on line 5.
    """
    x = np.array([[(i + 1) + (j + 1) / 100 for j in range(8)] for i in range(3)])
    y = [0.5, -1.25, 2.0]
    return "x,y\n" + "".join(f"{_dd_vector(x[i])},{float(y[i])!r}\n" for i in range(3))


def test_dd_fixture_layout(tmp_path, dd_text):
    lines = dd_text.split("\n")
    assert (
        "2.03000000e+00" in lines[3]
        and "2.06000000e+00" in lines[4]
        and lines[4].endswith('",-1.25')
    )
    split = load_double_descent_csv(_write(tmp_path, "ok.csv", dd_text), rows=3, dim=8)
    np.testing.assert_array_equal(split.x[1, [2, 5]], [2.03, 2.06])
    np.testing.assert_array_equal(split.y, [0.5, -1.25, 2.0])


@pytest.mark.parametrize(
    "mutate, line, match",
    [
        (lambda t: "", 1, "empty"),
        (lambda t: t.replace("x,y", "x,target", 1), 1, "header"),
        (lambda t: t.replace("x,y", "y,x", 1), 1, "header"),
        (lambda t: "x,y\n", 2, "no data rows"),
        # wrong vector length: row 2 (starts at line 4) loses a number, row 3 (line 6) gains one
        (lambda t: _dd_bad(t, " 2.06000000e+00", ""), 4, r"row 2: x has 7 numbers, expected 8"),
        (lambda t: _dd_bad(t, ']",2.0', ' 1.0]",2.0'), 6, r"row 3: x has 9 numbers, expected 8"),
        # a bad entry is reported on its own physical line
        (
            lambda t: _dd_bad(t, "2.06000000e+00", "2.06x"),
            5,
            r"row 2: an x entry is '2.06x'.*not a number",
        ),
        (lambda t: _dd_bad(t, "2.03000000e+00", "nan"), 4, r"row 2: an x entry is 'nan'.*NaN"),
        (
            lambda t: _dd_bad(t, "3.06000000e+00", "-inf"),
            7,
            r"row 3: an x entry is '-inf'.*infinite",
        ),
        (
            lambda t: _dd_bad(t, "1.02000000e+00", "1_02"),
            2,
            r"row 1: an x entry is '1_02'.*not a number",
        ),
        (lambda t: _dd_bad(t, "1.07000000e+00", "1e999"), 3, r"row 1: an x entry .*overflows"),
        (
            lambda t: _dd_bad(t, "1.01000000e+00", "1.01,"),
            2,
            r"row 1: an x entry is '1.01,'.*not a number",
        ),
        # y: reported on the record's last physical line
        (lambda t: _dd_bad(t, '",-1.25', '",abc'), 5, r"row 2: y is 'abc'.*not a number"),
        (lambda t: _dd_bad(t, '",2.0', '",nan'), 7, r"row 3: y is 'nan'.*NaN"),
        (lambda t: _dd_bad(t, '",0.5', '",'), 3, r"row 1: y is ''.*not a number"),
        # broken record structure: missing bracket / quote, blank line or junk between records
        (lambda t: _dd_bad(t, ']",-1.25', '",-1.25'), 4, r"row 2: malformed record"),
        (lambda t: _dd_bad(t, ']",2.0', "],2.0"), 6, r"row 3: malformed record"),
        (lambda t: t.replace('"[', "[", 1), 2, r"row 1: malformed record"),
        (lambda t: _dd_bad(t, "-1.25\n", "-1.25\n\n"), 6, r"row 3: malformed record"),
        (lambda t: t + "junk\n", 8, r"row 4: malformed record"),
    ],
)
def test_double_descent_rejects(tmp_path, dd_text, mutate, line, match):
    assert load_double_descent_csv(_write(tmp_path, "ok.csv", dd_text), rows=3, dim=8).x.shape == (
        3,
        8,
    )
    path = _write(tmp_path, "bad.csv", mutate(dd_text))
    _raises(path, line, lambda p: load_double_descent_csv(p, dim=8), match=match)


def test_double_descent_wrong_row_count(tmp_path, dd_text):
    path = _write(tmp_path, "train4.csv", dd_text)
    # 3 records ending on line 7: the error points at the last line read
    _raises(
        path,
        7,
        lambda p: load_double_descent_csv(p, rows=4, dim=8),
        match="expected exactly 4 rows, found 3",
    )
    _raises(
        path,
        7,
        lambda p: load_double_descent_csv(p, rows=2, dim=8),
        match="expected exactly 2 rows, found 3",
    )


def test_double_descent_wrong_dim(tmp_path, dd_text):
    path = _write(tmp_path, "dim.csv", dd_text)
    _raises(
        path,
        2,
        lambda p: load_double_descent_csv(p, dim=500),
        match="row 1: x has 8 numbers, expected 500",
    )


def test_double_descent_crlf(tmp_path, dd_text):
    crlf = _write(tmp_path, "crlf.csv", dd_text.replace("\n", "\r\n"))
    plain = _write(tmp_path, "plain.csv", dd_text)
    a = load_double_descent_csv(crlf, dim=8)
    b = load_double_descent_csv(plain, dim=8)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)


# --------------------------------------------------------------------------------------------------------------
# locate
# --------------------------------------------------------------------------------------------------------------


def test_locate_without_dir_is_synthetic(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv(REQUIRE_ENV_VAR, raising=False)
    source = locate()
    assert source.kind == "synthetic"
    assert "SYNTHETIC" in source.describe()
    assert source.logreg_stability()["a"].x.shape == (100, 2)


def test_locate_missing_dir_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(DataError, match="does not exist"):
        locate(tmp_path / "no-such-dir")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "also-missing"))
    with pytest.raises(DataError, match=r"\$JAXML_DATA.*does not exist"):
        locate()
    not_a_dir = _write(tmp_path, "file.txt", "x")
    with pytest.raises(DataError, match="not a directory"):
        locate(not_a_dir)


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_locate_require_real_data_without_dir(monkeypatch, value):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv(REQUIRE_ENV_VAR, value)
    with pytest.raises(DataError, match=f"{REQUIRE_ENV_VAR}=1"):
        locate()


def test_locate_env_var_and_missing_file(tmp_path, monkeypatch):
    monkeypatch.delenv(REQUIRE_ENV_VAR, raising=False)
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    source = locate()
    assert source.kind == "real" and source.root == tmp_path
    (tmp_path / "logreg_stability").mkdir()
    _write(tmp_path / "logreg_stability", "ds1_a.csv", "y,x0,x1\n0,0.1,0.2\n1,0.3,0.4\n")
    with pytest.raises(DataError) as info:
        source.logreg_stability()  # ds1_b.csv is missing
    message = str(info.value)
    assert "ds1_b.csv" in message
    for needed in REQUIRED_FILES["logreg_stability"]:
        assert needed in message
    with pytest.raises(DataError) as info:
        source.double_descent()
    for needed in REQUIRED_FILES["double_descent"]:
        assert needed in str(info.value)


def test_locate_argument_beats_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing"))
    assert locate(tmp_path).root == tmp_path
