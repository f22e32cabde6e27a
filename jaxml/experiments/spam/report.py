"""§2 report: the comparison rows (ours beside the write-up's) and the notes, from a :class:`SpamResult`."""

from __future__ import annotations

import numpy as np

from .._registry import Row
from .compute import SpamResult
from .config import CONFIG, Config


def _pct(a: float) -> str:
    return f"{100 * a:.2f}%"


def _verdict(real: bool, ok: bool) -> str:
    if not real:
        return "synthetic data"
    return "reproduced" if ok else "differs"


def _vocabulary_rows(r: SpamResult, real: bool, config: Config) -> list[Row]:
    v = r.vocab
    only_space, only_ws = list(v.only_split_space), list(v.only_split_whitespace)
    return [
        Row(
            "vocabulary size, split(' ') (the assignment's rule)",
            f"{v.size:,}",
            f"{config.writeup_vocab:,}",
            _verdict(real, v.size == config.writeup_vocab),
            "exact count of words in >= 5 training messages",
        ),
        Row(
            "vocabulary size, split() (runs of whitespace)",
            f"{v.size_split_whitespace:,}",
            "",
            "new",
            f"differs by the empty-string token {only_space!r} (in {v.messages_with_empty_token} training messages)"
            if only_space == [""] and not only_ws
            else f"only with split(' '): {only_space[:5]}; only with split(): {only_ws[:5]}",
        ),
    ]


def _naive_bayes_rows(r: SpamResult, real: bool, config: Config) -> list[Row]:
    n_test = len(r.test_labels)
    writeup_correct = round(config.writeup_nb_accuracy * n_test)
    top5 = [w for w, _ in r.nb.top_tokens[:5]]
    same = top5 == list(config.writeup_top5)
    return [
        Row(
            "naive Bayes test accuracy",
            f"{_pct(r.nb.test_accuracy)} ({r.nb.test_correct}/{n_test})",
            _pct(config.writeup_nb_accuracy),
            _verdict(real, r.nb.test_correct == writeup_correct),
            f"write-up 97.85% = {writeup_correct}/{n_test}; "
            "deterministic, equal to scikit-learn MultinomialNB(alpha=1) (tests)",
        ),
        Row(
            "five most indicative tokens",
            ", ".join(top5),
            ", ".join(config.writeup_top5),
            _verdict(real, same),
            "log(φ_k|y=1 / φ_k|y=0), same words in the same order"
            if same
            else "ranking by log(φ_k|y=1 / φ_k|y=0)",
        ),
    ]


def _svm_rows(r: SpamResult, real: bool, config: Config) -> list[Row]:
    svm, n_test = r.svm, len(r.test_labels)
    best = svm.radii[svm.best_index]
    test = svm.test_accuracy[:, svm.best_index]
    mean, sd, seeds = float(test.mean()), float(test.std(ddof=1)), test.size
    per_seed = [svm.radii[int(np.argmax(v))] for v in svm.val_accuracy]
    return [
        Row(
            "SVM best radius (validation)",
            f"{best:g}",
            f"{config.writeup_radius:g}",
            _verdict(real, best == config.writeup_radius),
            f"mean validation accuracy over {seeds} seeds; per seed: {per_seed}",
        ),
        Row(
            "SVM test accuracy",
            f"{_pct(mean)} ± {_pct(sd)} (sd, {seeds} seeds)",
            _pct(config.writeup_svm_accuracy),
            _verdict(real, abs(mean - config.writeup_svm_accuracy) <= config.agree_points),
            f"stochastic; range {_pct(test.min())}–{_pct(test.max())}; within about a point required",
        ),
        Row(
            f"SVM test accuracy, the starter's random stream (np.random.seed({config.starter_seed}))",
            f"{_pct(svm.starter_test_accuracy)} (radius {best:g})",
            _pct(config.writeup_svm_accuracy),
            _verdict(
                real,
                round(svm.starter_test_accuracy * n_test)
                == round(config.writeup_svm_accuracy * n_test),
            ),
            "our JAX fit fed the indices the starter samples for its test fit (after its 4 validation fits)",
        ),
    ]


def _logreg_rows(r: SpamResult, real: bool, config: Config) -> list[Row]:
    lg, n_test = r.logreg, len(r.test_labels)
    s, g = lg.selected
    lr, test = lg.learning_rates[g], float(lg.test_accuracy[s, g])
    correct, target = n_test - len(lg.test_errors), round(config.writeup_logreg_accuracy * n_test)
    tried = int(np.sum(~np.isnan(lg.val_accuracy)))
    counts = lg.names.index("counts")
    counts_best = int(np.nanargmax(lg.val_accuracy[counts]))
    return [
        Row(
            "logistic regression: best learning rate",
            f"{lr:g} ({lg.names[s]} features)",
            f"{config.writeup_logreg_lr:g}",
            _verdict(real, lr == config.writeup_logreg_lr),
            f"chosen on validation over {len(lg.names)} feature sets × their rates ({tried} fits), "
            f"{config.logreg_steps} full-batch steps",
        ),
        Row(
            "logistic regression: test accuracy",
            f"{_pct(test)} ({correct}/{n_test})",
            _pct(config.writeup_logreg_accuracy),
            _verdict(real, correct >= target),
            f"the validation-selected model; write-up {target}/{n_test}; count features alone: best rate "
            f"{lg.learning_rates[counts_best]:g}, test {_pct(lg.test_accuracy[counts, counts_best])}",
        ),
    ]


def rows(r: SpamResult, real: bool, config: Config = CONFIG) -> list[Row]:
    """The comparison table: ours beside the write-up's number, a verdict and the evidence."""
    return [
        *_vocabulary_rows(r, real, config),
        *_naive_bayes_rows(r, real, config),
        *_svm_rows(r, real, config),
        *_logreg_rows(r, real, config),
    ]


def _vocabulary_and_svm_notes(r: SpamResult) -> str:
    v, svm, m = r.vocab, r.svm, r.n_messages["train"]
    best = svm.radii[svm.best_index]
    test = svm.test_accuracy[:, svm.best_index]
    seeds, val_mean = test.size, svm.val_accuracy.mean(0)
    by_radius = ", ".join(f"{x:g}: {_pct(a)}" for x, a in zip(svm.radii, val_mean))
    return f"""**Vocabulary (§2(a)).** The assignment tokenises with `message.lower().split(' ')`. Splitting on a single space
makes an empty-string token wherever two spaces meet (or a message starts or ends with a space); {v.messages_with_empty_token}
training messages contain one, so `''` passes the ">= 5 messages" rule and is a vocabulary word: {v.size:,}
words. Splitting on runs of whitespace (`split()`) never makes empty tokens and gives {v.size_split_whitespace:,}. The
write-up's 1,722 is the assignment's rule. Word counts are built from token ids with one scatter-add.

**RBF SVM (§2(d)).** The course's algorithm is averaged stochastic sub-gradient descent on
J(α) = (1/M) Σ_i max(0, 1 − y_i (Kα)_i) + (λ/2) αᵀKα with λ = 1/(64 M), steps 1/√t, T = 10 M = {10 * m:,} steps,
predicting with the averaged α (a C-SVM with C = 64). The starter's regulariser step is
`M * L * K[:, i] * alpha[i]` (an unbiased estimate of λKα); a description without the factor M would weaken the
regulariser {m:,}-fold. Each step computes the one kernel row it needs from a sparse inverted index (no M × M Gram
matrix); the 4 radii of a seed share one scan and the sampled indices. {seeds} seeds took
{svm.sweep_seconds:.1f} s on {r.devices.split(" (")[0]}. Validation accuracy by radius (mean over seeds):
{by_radius}. Test predictions reuse each seed's fit at the
chosen radius (the starter refits with fresh random draws, which is the same distribution). The starter seeds
NumPy once (`np.random.seed({CONFIG.starter_seed})`) and draws i = int(rand·M) once per step: its four validation fits use
the first 4T draws and its test fit the next T. Feeding our fit those T indices at radius {best:g} gives test
accuracy {_pct(svm.starter_test_accuracy)}: the write-up's 96.95% is that one draw of a stochastic algorithm; over {seeds}
seeds of our own the test accuracy is {_pct(test.mean())} ± {_pct(test.std(ddof=1))} (sd)."""


def feature_table(r: SpamResult) -> str:
    """Markdown: one row per feature set, one column per rate, cells "validation / test" (%), the choice in bold."""
    lg = r.logreg
    s_sel, g_sel = lg.selected
    head = "| feature set | V | " + " | ".join(f"α = {lr:g}" for lr in lg.learning_rates) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(lg.learning_rates)]
    for s, name in enumerate(lg.names):
        cells = []
        for g in range(len(lg.learning_rates)):
            if np.isnan(lg.val_accuracy[s, g]):
                cells.append("—")
                continue
            cell = f"{100 * lg.val_accuracy[s, g]:.2f} / {100 * lg.test_accuracy[s, g]:.2f}"
            cells.append(f"**{cell}**" if (s, g) == (s_sel, g_sel) else cell)
        lines.append(f"| {name} | {lg.num_features[s]:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _misclassified(r: SpamResult, limit: int = 12) -> str:
    out = []
    for i in r.logreg.test_errors[:limit]:
        label = "spam" if r.test_labels[i] == 1 else "ham"
        text = r.test_messages[i].replace("`", "'").replace("|", "/")
        text = text if len(text) <= 110 else text[:107] + "..."
        out.append(
            f"- test #{i}, a {label} message called {'ham' if label == 'spam' else 'spam'}: `{text}`"
        )
    more = len(r.logreg.test_errors) - limit
    return "\n".join(out + ([f"- ... and {more} more (results.json)"] if more > 0 else []))


def _selection_facts(r: SpamResult, config: Config) -> dict:
    """Numbers for the argument: how the test accuracy varies among models validation cannot tell apart."""
    lg, n_test = r.logreg, len(r.test_labels)
    val, test = lg.val_accuracy, lg.test_accuracy
    target = round(config.writeup_logreg_accuracy * n_test)
    tried = ~np.isnan(val)
    tied = tried & (val == np.nanmax(val))
    reach = tried & (np.round(test * n_test) >= target)
    p = float(lg.test_accuracy[lg.selected])
    return {
        "tried": int(tried.sum()),
        "tied": int(tied.sum()),
        "tied_test": sorted({round(t * n_test) for t in test[tied]}),
        "reach": int(reach.sum()),
        "reach_val": sorted({round(v * r.n_messages["val"]) for v in val[reach]}),
        "best_val": round(np.nanmax(val) * r.n_messages["val"]),
        "best_test": round(np.nanmax(test) * n_test),
        # binomial sd of the test count at our accuracy
        "sd_messages": float(np.sqrt(p * (1 - p) * n_test)),
        "target": target,
    }


def _sklearn_note(r: SpamResult, config: Config) -> str:
    lg = r.logreg
    name = lg.names[lg.selected[0]]
    if lg.sklearn is None:
        return (
            "Cross-check skipped: scikit-learn is not installed (it is a test/benchmark extra, "
            "`pip install '.[test]'`); the tests check our L2 fit against it."
        )
    sk = lg.sklearn
    return (
        f"Cross-check: scikit-learn's `LogisticRegression` (L2, lbfgs, to convergence; C = {sk['C']:g} chosen on "
        f"validation from {list(config.sklearn_cs)}) on the same {name} features: validation {_pct(sk['val_accuracy'])}, "
        f"test {_pct(sk['test_accuracy'])}; it agrees with our selected model on {_pct(sk['agreement_with_ours'])} "
        f"of the test messages."
    )


def _logreg_notes(r: SpamResult, config: Config) -> str:
    lg, n_test = r.logreg, len(r.test_labels)
    s, g = lg.selected
    f = _selection_facts(r, config)
    correct = n_test - len(lg.test_errors)
    gap = f["target"] - correct
    head = f"""**Logistic regression and the feature study (§2(e), issue #14).** ℓ(θ) is the *sum* of the per-message
log-likelihoods, maximised by {config.logreg_steps} full-batch gradient-ascent steps from θ = 0 at each learning rate (the
write-up's "high-quality features" are not described, so we tried what a practitioner would): {f["tried"]} fits, all in two
compiled programs. Each cell is validation / test accuracy (%); the course's three feature sets keep the original
experiment's grid and numbers. **The choice uses the validation split only** (highest validation accuracy; ties:
highest validation log-likelihood, then the table's order); the test column is reported because the issue asks for
it, and only the bold cell's test number estimates anything: picking the cell with the best test accuracy would be
selection on the test set. The feature sets are the issue's list and the rule was fixed before the study ran; some
of these sets were tried with their test accuracy in view while the study was being designed, so the list itself is
not blind to the test split, only the choice among its cells is.

{feature_table(r)}

Chosen: {lg.names[s]} ({lg.descriptions[s]}), rate {lg.learning_rates[g]:g}: validation
{_pct(lg.val_accuracy[s, g])}, test {_pct(lg.test_accuracy[s, g])} ({correct}/{n_test})."""
    if gap <= 0:
        tied = (
            f"It is the only fit with the best validation accuracy ({f['best_val']}/{r.n_messages['val']})"
            if f["tied"] == 1
            else f"{f['tied']} fits share the best validation accuracy ({f['best_val']}/{r.n_messages['val']}); "
            f"their test counts are {f['tied_test']} of {n_test}"
        )
        verdict = f"""This reaches the write-up's 99.64% ({f["target"]}/{n_test}) with a model chosen on validation alone. {tied}.
One test message is 0.18 points and a binomial standard deviation of the test count at this accuracy is
{f["sd_messages"]:.1f} messages, so the agreement with 556/558 is as close as a test set of 558 can show. The table's
best test count ({f["best_test"]}/{n_test}) is not the chosen cell: quoting it would be selection on the test set."""
    else:
        verdict = f"""That is {gap} test message{"s" if gap > 1 else ""} short of the write-up's {f["target"]}/{n_test} (99.64%). The test
messages it misclassifies:

{_misclassified(r)}

Why 99.64% is unlikely without selecting on test: {f["reach"]} of the {f["tried"]} fits reach {f["target"]}/{n_test} on test, with validation
counts {f["reach_val"]} of {r.n_messages["val"]} against the best {f["best_val"]}; the {f["tied"]} fits tied at the best validation accuracy score
{f["tied_test"]} on test. The spread between these models is one or two messages, about one binomial standard
deviation of a test count at this accuracy ({f["sd_messages"]:.1f} messages): validation cannot tell them apart, and
only looking at the test labels would single out a 556."""
    return f"{head}\n\n{verdict}\n\n{_sklearn_note(r, config)}"


def notes(r: SpamResult, data_kind: str, config: Config = CONFIG) -> str:
    """The report's paragraphs under the §2 table."""
    n = r.n_messages
    return (
        f"Data: {data_kind}; {r.dtype}. {n['train']}/{n['val']}/{n['test']} messages.\n\n"
        f"{_vocabulary_and_svm_notes(r)}\n\n{_logreg_notes(r, config)}\n"
    )
