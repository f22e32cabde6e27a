"""Text to features (write-up §2(a), and the §2(e) feature study of issue #14).

Tokens are ``message.lower().split(sep)`` and the vocabulary is every token in at least ``min_count`` training
messages (:func:`build_vocabulary`); :func:`featurize` gives the dense (n, V) count matrix. The defaults
(``sep=None``: runs of whitespace; ``min_count=1``) suit any text; the assignment's rule is
``build_vocabulary(messages, min_count=5, sep=" ")`` (1,722 words on the course's training split). For the
feature study, :func:`term_counts` gives sparse matrices (:class:`TermMatrix`) over any vocabulary — words, word
bigrams (:func:`word_ngrams`) or character n-grams (:func:`char_ngrams`) — which :func:`binary`,
:func:`log_counts`, :func:`l2_rows` transform and :func:`hstack` joins, and :func:`indicators` adds message-level
numbers (length, digits, currency, URL, ...).
"""

from ._text import (
    Encoded,
    Vocabulary,
    build_vocabulary,
    count_features,
    encode,
    featurize,
    tfidf_features,
    tokenize,
)
from ._text_features import (
    INDICATORS,
    TermMatrix,
    binary,
    char_ngrams,
    document_frequency,
    from_dense,
    hstack,
    indicators,
    l2_rows,
    log_counts,
    term_counts,
    to_dense,
    word_ngrams,
)

__all__ = [
    "INDICATORS",
    "Encoded",
    "TermMatrix",
    "Vocabulary",
    "binary",
    "build_vocabulary",
    "char_ngrams",
    "count_features",
    "document_frequency",
    "encode",
    "featurize",
    "from_dense",
    "hstack",
    "indicators",
    "l2_rows",
    "log_counts",
    "term_counts",
    "tfidf_features",
    "to_dense",
    "tokenize",
    "word_ngrams",
]
