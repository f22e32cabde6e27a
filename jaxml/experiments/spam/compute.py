"""§2 spam classification, the numbers: vocabulary, naive Bayes, the RBF-kernel SVM sweep, and the §2(e) feature
study (``features.py``). No figures, no Markdown.

Steps (write-up §2(a)–(e), the course starter's protocol):

* (a) tokens = ``message.lower().split(" ")``; vocabulary = tokens in >= 5 training messages.
* (b), (c) multinomial naive Bayes with Laplace smoothing; the words with the largest log(φ_{k|1}/φ_{k|0}).
* (d) the course's RBF-kernel SVM (averaged stochastic sub-gradient, T = 10 M, λ = 1/(64 M)) on binarised
  counts; radius chosen on validation from [0.01, 0.1, 1, 10]. Stochastic: run over several seeds (all radii of a
  seed in one scan sharing the sampled indices); also replayed with the starter's own random stream.
* (e) logistic regression on feature sets × learning rates, chosen on validation (``features.py``).

The SVM sweep (one core) and the feature study (another) are independent: the study runs in a worker thread while
the sweep runs, each in its own compiled programs (XLA releases the interpreter while it computes).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import time
from collections.abc import Callable

import numpy as np

from ...models import kernel_svm, naive_bayes, text
from ...placement import device_name, placed
from . import features as feature_study
from .config import CONFIG, Config


@dataclasses.dataclass(frozen=True)
class Vocabularies:
    """§2(a): the vocabulary under the assignment's rule (split(' ')) and under split()."""

    words: tuple[str, ...]
    size: int
    size_split_whitespace: int
    only_split_space: tuple[str, ...]
    only_split_whitespace: tuple[str, ...]
    messages_with_empty_token: int


@dataclasses.dataclass(frozen=True)
class NaiveBayesResult:
    """§2(b), (c): test accuracy and the most indicative tokens (word, log φ_{k|1}/φ_{k|0}), largest first."""

    test_correct: int
    test_accuracy: float
    top_tokens: tuple[tuple[str, float], ...]


@dataclasses.dataclass(frozen=True)
class SvmResult:
    """§2(d): accuracies (seeds × radii), the chosen radius, and the starter-stream replay."""

    radii: tuple[float, ...]
    val_accuracy: np.ndarray  # (seeds, R)
    test_accuracy: np.ndarray  # (seeds, R)
    best_index: int
    starter_test_accuracy: float
    num_steps: int
    lam: float
    sweep_seconds: float


@dataclasses.dataclass(frozen=True)
class SpamResult:
    """Everything §2 computes; ``results_json`` turns it into the results.json section."""

    dtype: str
    n_messages: dict
    test_messages: tuple[str, ...]
    test_labels: np.ndarray
    vocab: Vocabularies
    nb: NaiveBayesResult
    svm: SvmResult
    logreg: feature_study.FeatureStudy
    seconds: dict
    devices: str


def _pct(a: float) -> str:
    return f"{100 * a:.2f}%"


def vocabularies(
    messages: list[str], config: Config = CONFIG
) -> tuple[text.Vocabulary, Vocabularies]:
    """§2(a): the assignment's vocabulary and how it differs from splitting on runs of whitespace."""
    vocab = text.build_vocabulary(messages, min_count=config.min_count, sep=" ")
    vocab_ws = text.build_vocabulary(messages, min_count=config.min_count, sep=None)
    return vocab, Vocabularies(
        words=vocab.words,
        size=len(vocab),
        size_split_whitespace=len(vocab_ws),
        only_split_space=tuple(sorted(set(vocab.words) - set(vocab_ws.words))),
        only_split_whitespace=tuple(sorted(set(vocab_ws.words) - set(vocab.words))),
        messages_with_empty_token=sum(1 for m in messages if "" in text.tokenize(m, sep=" ")),
    )


def naive_bayes_result(x: dict, y: dict, words, config: Config = CONFIG) -> NaiveBayesResult:
    """§2(b), (c): multinomial naive Bayes with Laplace smoothing on the word counts."""
    model = naive_bayes.fit(x["train"], y["train"])
    correct = int(np.sum(np.asarray(naive_bayes.predict(model, x["test"])) == y["test"]))
    top = naive_bayes.indicative_tokens(model, words, k=config.top_k_figure)
    return NaiveBayesResult(correct, correct / len(y["test"]), tuple(top))


def _starter_streams(m: int, count: int, seed: int) -> list[np.ndarray]:
    """The starter's sampled indices: after np.random.seed(123), each fit draws i = int(rand() * M) T = 10 M times
    (the 4 validation fits in radius order, then the test fit)."""
    rng = np.random.RandomState(seed)  # the legacy global generator's stream, without touching it
    return [(rng.random_sample(10 * m) * m).astype(np.int64) for _ in range(count)]


def _accuracies(fit, x, y) -> np.ndarray:
    return np.mean(np.asarray(kernel_svm.predict(fit, x)) == y[None], axis=1)  # one per radius


def svm_result(x: dict, y: dict, key, config: Config, progress, device) -> tuple[SvmResult, str]:
    """§2(d): the radius sweep over ``config.svm_seeds`` seeds, and the starter-stream replay."""
    m, radii = x["train"].shape[0], list(config.radii)
    lam = 1.0 / (config.svm_c * m)  # the course's regulariser λ = 1/(64 M)
    # one stream per seed, all drawn by one compiled program
    streams = kernel_svm.sample_indices(m, key=key, fits=config.svm_seeds)
    start = time.perf_counter()
    with placed("sequential", device) as seq_device:
        bar = (
            progress.bar(config.svm_seeds * 10 * m, "SVM fits (4 radii per scan)")
            if progress
            else None
        )
        done = [0]

        def tick(steps_done, total):
            if bar is not None:
                bar.update(steps_done - done[0])
            done[0] = steps_done % total

        fits = [
            kernel_svm.fit(
                x["train"],
                y["train"],
                radius=radii,
                lam=lam,
                indices=s,
                chunks=config.svm_chunks,
                callback=tick,
            )
            for s in streams
        ]
        if bar is not None:
            bar.close()
        sweep_seconds = time.perf_counter() - start
        # the same algorithm on the starter's own random stream: after np.random.seed(123) its main() runs the 4
        # validation fits (streams 0-3), then the test fit (stream 4) at the chosen radius; fitting all 4 radii on
        # it reuses the sweep's compiled program (each radius's row is computed independently)
        stream = _starter_streams(m, len(radii) + 1, config.starter_seed)[-1]
        replay = kernel_svm.fit(
            x["train"], y["train"], radius=radii, lam=lam, indices=stream, chunks=config.svm_chunks
        )
    with placed("batched", device) as batch_device:
        val = np.stack([_accuracies(f, x["val"], y["val"]) for f in fits])
        test = np.stack([_accuracies(f, x["test"], y["test"]) for f in fits])
        # first maximum: the starter keeps the first radius on a tie
        best = int(np.argmax(val.mean(0)))
        starter = float(_accuracies(replay, x["test"], y["test"])[best])
    devices = f"{device_name(seq_device)} (SVM, logistic regression), {device_name(batch_device)} (kernel blocks)"
    result = SvmResult(
        radii=tuple(radii),
        val_accuracy=val,
        test_accuracy=test,
        best_index=best,
        starter_test_accuracy=starter,
        num_steps=10 * m,
        lam=lam,
        sweep_seconds=sweep_seconds,
    )
    return result, devices


def logreg_study(
    messages: dict, x: dict, y: dict, config: Config, device
) -> feature_study.FeatureStudy:
    """§2(e): build the feature sets, train and choose on validation, cross-check with scikit-learn."""
    with placed("sequential", device):
        feats = feature_study.build(messages, x, config)
        result = feature_study.study(feats, y, config)
    s, _ = result.selected
    ours = np.ones(len(y["test"]), bool)
    ours[list(result.test_errors)] = False
    ours_pred = np.where(ours, y["test"], 1 - y["test"])  # the selected model's test predictions
    check = feature_study.sklearn_cross_check(feats[result.names[s]], y, ours_pred, config)
    return dataclasses.replace(result, sklearn=check)


def compute(
    data, *, key, config: Config = CONFIG, progress=None, device: str | None = None
) -> SpamResult:
    """Every number of §2.

    Args:
      data: split -> object with ``messages`` (list of str) and ``y`` (labels) (``DataSource.spam()``).
      key: PRNG key (the SVM seeds).
      config: the protocol.
      progress: optional :class:`jaxml.experiments.Progress` (a bar for the SVM sweep, a line per step).
      device: placement override ("cpu", "gpu", "auto" or None).

    Returns:
      :class:`SpamResult`.
    """
    start = time.perf_counter()
    log: Callable[[str], None] = progress.log if progress is not None else (lambda _: None)
    messages = {k: list(s.messages) for k, s in data.items()}
    y = {k: np.asarray(s.y) for k, s in data.items()}
    vocab, vocab_facts = vocabularies(messages["train"], config)
    x = {k: np.asarray(text.featurize(messages[k], vocab)) for k in messages}
    nb = naive_bayes_result(x, y, vocab.words, config)
    seconds = {"vocabulary_and_naive_bayes": time.perf_counter() - start}
    log(
        f"spam: vocabulary {vocab_facts.size} words; naive Bayes test accuracy {_pct(nb.test_accuracy)}"
    )
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        study_start = time.perf_counter()
        # the feature study runs beside the SVM sweep
        study = pool.submit(logreg_study, messages, x, y, config, device)
        svm, devices = svm_result(x, y, key, config, progress, device)
        seconds["svm"] = time.perf_counter() - study_start
        log(
            f"spam: SVM best radius {svm.radii[svm.best_index]:g}; starter stream {_pct(svm.starter_test_accuracy)}"
        )
        logreg = study.result()
        seconds["svm_and_logistic_regression"] = time.perf_counter() - study_start
    s, g = logreg.selected
    log(f"spam: logistic regression chose {logreg.names[s]}, rate {logreg.learning_rates[g]:g}")
    seconds["total"] = time.perf_counter() - start
    return SpamResult(
        dtype=str(x["train"].dtype),
        n_messages={k: len(v) for k, v in y.items()},
        test_messages=tuple(messages["test"]),
        test_labels=y["test"],
        vocab=vocab_facts,
        nb=nb,
        svm=svm,
        logreg=logreg,
        seconds=seconds,
        devices=devices,
    )


def _number(v) -> float | None:
    """JSON has no NaN: a rate not tried (or a diverged fit) is null."""
    v = float(v)
    return None if np.isnan(v) else v


def _logreg_rows(lg: feature_study.FeatureStudy) -> list[dict]:
    rows = []
    for s, name in enumerate(lg.names):
        for g, lr in enumerate(lg.learning_rates):
            if not np.isnan(lg.val_accuracy[s, g]):
                rows.append(
                    {
                        "features": name,
                        "lr": lr,
                        "val_accuracy": float(lg.val_accuracy[s, g]),
                        "test_accuracy": float(lg.test_accuracy[s, g]),
                        "val_log_likelihood": _number(lg.val_log_likelihood[s, g]),
                    }
                )
    return rows


def _by_setting(lg: feature_study.FeatureStudy, values: np.ndarray) -> dict:
    """{feature set: {rate: value}} over the rates each set tried."""
    return {
        name: {
            f"{lr:g}": _number(values[s, g])
            for g, lr in enumerate(lg.learning_rates)
            if not np.isnan(lg.val_accuracy[s, g])
        }
        for s, name in enumerate(lg.names)
    }


def _logreg_json(r: SpamResult, config: Config) -> dict:
    lg = r.logreg
    s, g = lg.selected
    rows = _logreg_rows(lg)
    selected = next(
        row for row in rows if row["features"] == lg.names[s] and row["lr"] == lg.learning_rates[g]
    )
    n_test = len(r.test_labels)
    counts = lg.names.index("counts")
    counts_best = int(np.nanargmax(lg.val_accuracy[counts]))
    return {
        "logreg_best_lr": lg.learning_rates[g],
        "logreg_best_features": lg.names[s],
        "logreg_test_accuracy": float(lg.test_accuracy[s, g]),
        "logreg_val_accuracy": _by_setting(lg, lg.val_accuracy),
        "logreg_test_accuracy_by_setting": _by_setting(lg, lg.test_accuracy),
        "logreg_counts_best_lr": lg.learning_rates[counts_best],
        "logreg_counts_test_accuracy": float(lg.test_accuracy[counts, counts_best]),
        "logreg_steps": config.logreg_steps,
        "logreg_train_log_likelihood": _by_setting(lg, lg.train_log_likelihood),
        "logreg_feature_sets": {
            name: {
                "description": lg.descriptions[k],
                "num_features": lg.num_features[k],
                "learning_rates": [
                    lr
                    for j, lr in enumerate(lg.learning_rates)
                    if not np.isnan(lg.val_accuracy[k, j])
                ],
                "l2": lg.l2[k],
            }
            for k, name in enumerate(lg.names)
        },
        "logreg_feature_search": rows,
        "logreg_selection": "highest validation accuracy; ties: highest validation log-likelihood, then set and rate"
        " order; the test split is not used",
        "logreg_selected": selected,
        "logreg_test_correct": n_test - len(lg.test_errors),
        "logreg_writeup_test_correct": round(config.writeup_logreg_accuracy * n_test),
        "logreg_test_errors": [
            {"index": i, "label": int(r.test_labels[i]), "message": r.test_messages[i]}
            for i in lg.test_errors
        ],
        "logreg_sklearn": lg.sklearn if lg.sklearn is not None else {"available": False},
    }


def results_json(r: SpamResult, config: Config = CONFIG) -> dict:
    """The results.json section ``spam``: plain numbers, lists and strings."""
    svm = r.svm
    val_mean, val_sd = svm.val_accuracy.mean(0), svm.val_accuracy.std(0, ddof=1)
    test = svm.test_accuracy[:, svm.best_index]
    radii = [str(x) for x in svm.radii]
    best_radius = svm.radii[svm.best_index]
    return {
        "dtype": r.dtype,
        "n_messages": r.n_messages,
        "vocab_size": r.vocab.size,
        "vocab_size_split_whitespace": r.vocab.size_split_whitespace,
        "vocab_difference": {
            "only_split_space": list(r.vocab.only_split_space),
            "only_split_whitespace": list(r.vocab.only_split_whitespace),
            "messages_with_empty_token": r.vocab.messages_with_empty_token,
        },
        "nb_test_accuracy": r.nb.test_accuracy,
        "nb_test_correct": r.nb.test_correct,
        "top5_tokens": [w for w, _ in r.nb.top_tokens[:5]],
        "top_tokens_log_ratio": [[w, v] for w, v in r.nb.top_tokens],
        "svm_val_accuracy": {k: float(a) for k, a in zip(radii, val_mean)},
        "svm_val_accuracy_sd": {k: float(a) for k, a in zip(radii, val_sd)},
        "svm_val_accuracy_per_seed": svm.val_accuracy.tolist(),
        "svm_best_radius": best_radius,
        "svm_best_radius_per_seed": [svm.radii[int(np.argmax(v))] for v in svm.val_accuracy],
        "svm_test_accuracy": float(test.mean()),
        "svm_test_accuracy_sd": float(test.std(ddof=1)),
        "svm_test_accuracy_per_seed": test.tolist(),
        "svm_test_accuracy_range": [float(test.min()), float(test.max())],
        "svm_seeds": int(svm.val_accuracy.shape[0]),
        "svm_num_steps": svm.num_steps,
        "svm_lambda": svm.lam,
        "svm_sweep_seconds": svm.sweep_seconds,
        "svm_starter_stream": {
            "seed": config.starter_seed,
            "radius": best_radius,
            "test_accuracy": svm.starter_test_accuracy,
        },
        **_logreg_json(r, config),
        "seconds": r.seconds,
    }
