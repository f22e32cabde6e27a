"""Tokens, vocabulary and count features (write-up §2(a)), and the sparse feature sets of the §2(e) study (issue
#14), on hand cases, the synthetic corpus and the real data."""

from __future__ import annotations

import functools
import warnings
from collections import Counter

import jax
import numpy as np
import pytest

from jaxml.data import DataSource, locate
from jaxml.errors import UsageError
from jaxml.models import text
from jaxml.models.text import (
    build_vocabulary,
    count_features,
    encode,
    featurize,
    tfidf_features,
    tokenize,
)

# the assignment's rule (starter get_words / create_dictionary): split on single spaces, words in >= 5 messages;
# the library's defaults are sep=None (runs of whitespace) and min_count=1
COURSE = {"min_count": 5, "sep": " "}


def _reference_counts(messages, words, sep=" "):
    """A plain-Python count matrix, for comparison only."""
    index = {w: k for k, w in enumerate(words)}
    x = np.zeros((len(messages), len(words)))
    for i, m in enumerate(messages):
        for t in m.lower().split(sep):
            if t in index:
                x[i, index[t]] += 1
    return x


# ------------------------------------------------------------------ tokens


def test_tokenize_lowercases_and_splits_on_single_spaces():
    # the assignment's rule: two spaces -> an empty token
    assert tokenize("Free  PRIZE! call", sep=" ") == ["free", "", "prize!", "call"]
    assert tokenize(" lead and trail ", sep=" ") == ["", "lead", "and", "trail", ""]
    # the empty message is one empty token, as str.split(' ') gives
    assert tokenize("", sep=" ") == [""]


def test_tokenize_split_whitespace_makes_no_empty_tokens():
    assert tokenize("Free  PRIZE!\tcall ", sep=None) == ["free", "prize!", "call"]
    assert tokenize("", sep=None) == []
    # the library's default: runs of whitespace
    assert tokenize("Free  PRIZE!\tcall ") == ["free", "prize!", "call"] and tokenize("") == []


def test_tokenize_keeps_quotes_and_odd_characters():
    assert tokenize('"Hi" café 😀 £1000 &lt;#&gt;') == ['"hi"', "café", "😀", "£1000", "&lt;#&gt;"]


@pytest.mark.parametrize("bad", [None, 3, b"bytes", ["a"]])
def test_tokenize_rejects_non_strings(bad):
    with pytest.raises(UsageError, match="must be str"):
        tokenize(bad)


def test_tokenize_rejects_empty_separator():
    with pytest.raises(UsageError, match="sep"):
        tokenize("a b", sep="")


# ------------------------------------------------------------------ vocabulary


def test_vocabulary_counts_messages_not_occurrences():
    # "spam" occurs 6 times but in 2 messages; "ok" once in each of 3 messages
    msgs = ["spam spam spam ok", "spam spam spam ok", "ok", "x"]
    vocab = build_vocabulary(msgs, min_count=3)
    assert vocab.words == ("ok",)
    assert build_vocabulary(msgs, min_count=2).words == ("ok", "spam")
    assert build_vocabulary(msgs, min_count=1).index == {"ok": 0, "spam": 1, "x": 2}  # sorted ids


def test_vocabulary_with_double_spaces_keeps_the_empty_token():
    msgs = ["a  b"] * 5 + ["a b"]
    assert build_vocabulary(msgs, sep=" ").words == ("", "a", "b")
    assert build_vocabulary(msgs, sep=None).words == ("a", "b")
    # the library's defaults: runs of whitespace, every token kept (min_count = 1)
    assert build_vocabulary(msgs).words == ("a", "b")
    assert build_vocabulary(msgs + ["once"]).words == ("a", "b", "once")


@pytest.mark.parametrize("bad", ["one string", None, [1, 2], ["ok", None]])
def test_vocabulary_rejects_non_string_messages(bad):
    with pytest.raises(UsageError):
        build_vocabulary(bad)


@pytest.mark.parametrize("min_count", [0, -1, 2.5, True])
def test_vocabulary_rejects_bad_min_count(min_count):
    with pytest.raises(UsageError, match="min_count"):
        build_vocabulary(["a"], min_count=min_count)


# ------------------------------------------------------------------ features


def test_count_features_by_hand():
    vocab = build_vocabulary(["win a prize", "win now", "a prize"], min_count=2)  # a, prize, win
    x = np.asarray(featurize(["Win WIN prize!", "", "a a a unknown prize"], vocab))
    np.testing.assert_array_equal(x, [[0, 0, 2], [0, 0, 0], [3, 1, 0]])  # "prize!" is not "prize"
    enc = encode(["Win WIN prize!"], vocab)
    np.testing.assert_array_equal(enc.row, [0, 0])
    np.testing.assert_array_equal(enc.ids, [2, 2])


def test_count_features_match_a_python_reference_on_synthetic_messages():
    data = DataSource(None).spam()
    msgs = data["train"].messages
    vocab = build_vocabulary(msgs, **COURSE)
    x = np.asarray(featurize(data["val"].messages, vocab))
    np.testing.assert_array_equal(x, _reference_counts(data["val"].messages, vocab.words))
    assert x.dtype == np.float64  # the default float dtype: the tests enable x64, as the CLI does


def test_features_follow_the_callers_precision_without_warnings():
    vocab = build_vocabulary(["a b", "a c"] * 5)
    with warnings.catch_warnings(), jax.enable_x64(False):
        warnings.simplefilter("error")  # no "float64 requested but not available"
        x = featurize(["a a b", "c"], vocab)
        t = tfidf_features(x, np.array([10, 5, 5]), 10)
        assert x.dtype == t.dtype == np.float32
        np.testing.assert_array_equal(np.asarray(x), [[2, 1, 0], [0, 0, 1]])


def test_count_features_all_unknown_and_no_messages():
    vocab = build_vocabulary(["a b"] * 5)
    assert np.asarray(featurize(["zzz", "yyy"], vocab)).sum() == 0
    assert featurize([], vocab).shape == (0, 2)


def test_count_features_large_vocabulary_from_token_ids():
    # 50,000 words: the (row, id) pairs are O(tokens); the dense matrix is one scatter-add
    rng = np.random.default_rng(0)
    words = [f"w{k}" for k in range(50_000)]
    msgs = [" ".join(rng.choice(words, size=20)) for _ in range(300)]
    # every word in >= 5 "messages"
    vocab = build_vocabulary(msgs + [" ".join(words)] * 5, **COURSE)
    assert len(vocab) == 50_000
    enc = encode(msgs, vocab)
    assert enc.ids.shape == (300 * 20,) and enc.vocab_size == 50_000
    x = np.asarray(count_features(enc, dtype=np.float32))
    assert x.shape == (300, 50_000)
    np.testing.assert_array_equal(x.sum(axis=1), 20)
    np.testing.assert_array_equal(x[:20], _reference_counts(msgs[:20], vocab.words))


def test_encode_rejects_wrong_types():
    with pytest.raises(UsageError, match="Vocabulary"):
        encode(["a"], {"a": 0})
    with pytest.raises(UsageError, match="Encoded"):
        count_features(np.zeros((2, 2)))


def test_tfidf_rows_have_unit_norm_and_match_scikit_learn():
    sklearn = pytest.importorskip(
        "sklearn.feature_extraction.text", reason="scikit-learn is a test extra"
    )
    data = DataSource(None).spam()
    vocab = build_vocabulary(data["train"].messages, **COURSE)
    x = np.asarray(featurize(data["train"].messages, vocab))
    df = (x > 0).sum(axis=0)
    t = np.asarray(tfidf_features(x, df, x.shape[0]))
    norms = np.linalg.norm(t, axis=1)
    assert np.allclose(norms[x.sum(1) > 0], 1.0) and np.all(norms[x.sum(1) == 0] == 0)
    ref = sklearn.TfidfTransformer(norm="l2", smooth_idf=True).fit_transform(x).toarray()
    np.testing.assert_allclose(t, ref, rtol=1e-12, atol=1e-15)


def test_tfidf_rejects_mismatched_shapes():
    with pytest.raises(UsageError, match="df"):
        tfidf_features(np.ones((3, 4)), np.ones(5), 3)


# ------------------------------------------------------------------ corpora


def test_synthetic_corpus_split_rules_differ_by_the_empty_token():
    data = DataSource(None).spam()
    msgs = data["train"].messages
    # only spaces separate words here
    assert not any(c in m for m in msgs for c in "\t\n\r\x0b\x0c")
    space, ws = build_vocabulary(msgs, **COURSE), build_vocabulary(msgs, min_count=5, sep=None)
    assert set(space.words) - set(ws.words) == {""}
    assert set(ws.words) <= set(space.words)
    df = Counter(w for m in msgs for w in set(tokenize(m, sep=" ")))
    assert all(df[w] >= 5 for w in space.words)
    assert all(df[w] < 5 for w in df if w not in space.index)


# ------------------------------------------------------------------ the §2(e) feature sets (issue #14)


def test_ngrams_by_hand():
    assert text.char_ngrams("Win £1") == [" wi", "win", "in ", "n £", " £1", "£1 "]
    assert text.char_ngrams("ab", n=5) == []  # " ab " is shorter than 5
    # the assignment's tokens: the empty token between two spaces is a token
    assert text.word_ngrams("Free  entry now", sep=" ") == ["free ", " entry", "entry now"]
    # the default: runs of whitespace
    assert text.word_ngrams("Free  entry now") == ["free entry", "entry now"]
    assert text.word_ngrams("Free entry now", n=3) == ["free entry now"]
    assert text.word_ngrams("one") == []
    with pytest.raises(UsageError, match="n must"):
        text.char_ngrams("a", n=0)


def test_positional_n_is_deprecated():
    with pytest.warns(DeprecationWarning, match=r"text.word_ngrams\(message, n=n\)"):
        assert text.word_ngrams("Free entry now", 3) == ["free entry now"]
    with pytest.warns(DeprecationWarning, match=r"text.char_ngrams\(message, n=n\)"):
        assert text.char_ngrams("ab", 4) == [" ab "]


def test_vocabulary_over_other_terms_and_max_fraction():
    msgs = ["free entry", "free entry now", "free call"] + ["call me"] * 2
    bigrams = build_vocabulary(msgs, min_count=2, analyzer=text.word_ngrams)
    assert bigrams.words == ("call me", "free entry")
    # "free" and "call" are in 3 of the 5 messages: dropped at 50%, kept at 60%
    assert build_vocabulary(msgs, min_count=1, max_fraction=0.5).words == ("entry", "me", "now")
    assert build_vocabulary(msgs, min_count=1, max_fraction=0.6).words == (
        "call",
        "entry",
        "free",
        "me",
        "now",
    )
    x = text.to_dense(text.term_counts(["free entry free entry", "call me"], bigrams))
    # "entry free" is not a bigram of the vocabulary
    np.testing.assert_array_equal(x, [[0, 2], [1, 0]])
    with pytest.raises(UsageError, match="max_fraction"):
        build_vocabulary(msgs, max_fraction=0.0)
    with pytest.raises(UsageError, match="analyzer"):
        build_vocabulary(msgs, analyzer="char")


def test_term_counts_equal_the_dense_counts_on_the_synthetic_corpus():
    data = DataSource(None).spam()
    vocab = build_vocabulary(data["train"].messages)
    m = text.term_counts(data["val"].messages, vocab)
    np.testing.assert_array_equal(
        text.to_dense(m), np.asarray(featurize(data["val"].messages, vocab))
    )
    order = np.lexsort((m.col, m.row))
    np.testing.assert_array_equal(order, np.arange(m.row.size))  # row-major, as from_coo expects
    np.testing.assert_array_equal(text.document_frequency(m), (text.to_dense(m) > 0).sum(axis=0))


def test_transforms_and_hstack_by_hand():
    x = np.array([[2.0, 0.0, 1.0], [0.0, 0.0, 0.0], [0.0, 3.0, 4.0]])
    m = text.from_dense(x)
    np.testing.assert_array_equal(text.to_dense(text.binary(m)), x > 0)
    np.testing.assert_allclose(text.to_dense(text.log_counts(m)), np.log1p(x))
    l2 = text.to_dense(text.l2_rows(m))
    np.testing.assert_allclose(l2, [[2 / 5**0.5, 0, 1 / 5**0.5], [0, 0, 0], [0, 0.6, 0.8]])
    both = text.hstack(m, text.binary(m))
    assert both.shape == (3, 6)
    np.testing.assert_array_equal(text.to_dense(both), np.hstack([x, x > 0]))
    np.testing.assert_array_equal(np.lexsort((both.col, both.row)), np.arange(both.row.size))
    with pytest.raises(UsageError, match="same n"):
        text.hstack(m, text.from_dense(np.ones((2, 2))))


def test_indicators_by_hand():
    msgs = ["WIN £100 now! txt 80082 www.win.co.uk", "ok see you", ""]
    x = text.to_dense(text.indicators(msgs))
    assert x.shape == (3, len(text.INDICATORS))
    m0 = msgs[0]
    letters = [c for c in m0 if c.isalpha()]
    expected = [
        len(m0) / 160,
        sum(c.isdigit() for c in m0) / 10,
        1,
        1,
        1,
        sum(map(str.isupper, letters)) / len(letters),
        1,
    ]
    np.testing.assert_allclose(x[0], expected)
    np.testing.assert_allclose(x[1], [10 / 160, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(x[2], 0)  # the empty message: no entries at all
    currency = text.to_dense(text.indicators(["150p per msg", "costs 3p"]))[:, 3]
    assert currency.tolist() == [1, 1]


@pytest.mark.real_data
def test_real_ngram_vocabularies(data_dir):
    msgs = locate(data_dir).spam()["train"].messages
    char3 = build_vocabulary(msgs, min_count=5, analyzer=text.char_ngrams, max_fraction=0.1)
    m = text.term_counts(msgs, char3)
    df = text.document_frequency(m)
    assert df.min() >= 5 and df.max() <= 0.1 * len(msgs)
    bigrams = build_vocabulary(
        msgs, min_count=5, analyzer=functools.partial(text.word_ngrams, n=2, sep=" ")
    )
    assert all(len(w.split(" ")) == 2 for w in bigrams.words)
    assert len(char3) == 5163 and len(bigrams) == 1624  # the study's V: 5,163 and 3,346 - 1,722


@pytest.mark.real_data
def test_real_vocabulary_sizes(data_dir):
    msgs = locate(data_dir).spam()["train"].messages
    space, ws = build_vocabulary(msgs, **COURSE), build_vocabulary(msgs, min_count=5, sep=None)
    assert len(space) == 1722  # write-up §2(a): "The vocabulary size ... is 1,722 words"
    assert len(ws) == 1721  # split() instead of split(' '): the empty token is the only difference
    assert set(space.words) - set(ws.words) == {""}
    x = np.asarray(featurize(msgs, space))
    np.testing.assert_array_equal(x, _reference_counts(msgs, space.words))
