"""§2 spam: naive Bayes, the RBF-kernel SVM radius sweep and sparse logistic regression (``jaxml.models.
naive_bayes`` / ``kernel_svm`` / ``sparse_logistic`` against their NumPy peers, scikit-learn where it has a
counterpart), and the NumPy sum of the ``spam`` experiment (its SVM seeds, the starter-stream replay and the
feature study's fits, at the sizes its results.json records).

Settings come from ``jaxml.experiments.spam.CONFIG``; the features from the experiment's own public builders
(``compute.vocabularies``, ``features.build``), so both sides see the experiment's inputs.
"""

from __future__ import annotations

import _timing as timing
import numpy as np
import numpy_peers as peers
from _bench import Ctx, Row, Term, accuracy, maxabs, rel, row, sklearn_available

QUICK_LOGREG_STEPS = 200  # --quick: steps of the timed logistic regression


def _config():
    from jaxml.experiments.spam import CONFIG

    return CONFIG


def spam_inputs(ctx: Ctx) -> dict:
    """{"messages", "x" (dense counts), "y"} per split, on the experiment's vocabulary (built once per run)."""

    def make():
        from jaxml.experiments.spam.compute import vocabularies
        from jaxml.models import text

        messages = {k: list(s.messages) for k, s in ctx.data.spam().items()}
        vocab, _ = vocabularies(messages["train"], _config())
        x = {k: np.asarray(text.featurize(m, vocab)) for k, m in messages.items()}
        y = {k: np.asarray(s.y) for k, s in ctx.data.spam().items()}
        return {"messages": messages, "x": x, "y": y}

    return ctx.once("spam_inputs", make)


def starter_streams(m: int, count: int, seed: int, steps: int | None = None) -> list[np.ndarray]:
    """The course starter's sampled indices: after ``np.random.seed(seed)`` each fit draws i = int(rand() · M),
    T = 10 M times (default), fit after fit."""
    rng = np.random.RandomState(seed)  # the legacy global generator's stream, without touching it
    steps = 10 * m if steps is None else steps
    return [(rng.random_sample(steps) * m).astype(np.int64) for _ in range(count)]


def bench_naive_bayes(ctx: Ctx) -> list[Row]:
    """Fit on the training counts, predict the test split; scikit-learn's MultinomialNB beside them."""
    from jaxml.models import naive_bayes

    s = spam_inputs(ctx)
    x, y = s["x"], s["y"]

    def jax_fn():
        model = naive_bayes.fit(x["train"], y["train"])
        return model, naive_bayes.predict(model, x["test"])

    def numpy_fn():
        log_phi, log_prior = peers.naive_bayes_fit(x["train"], y["train"])
        return log_phi, peers.naive_bayes_predict(log_phi, log_prior, x["test"])

    sklearn_fn = None
    if sklearn_available():
        from sklearn.naive_bayes import MultinomialNB

        def sklearn_fn():
            clf = MultinomialNB(alpha=1.0).fit(
                x["train"], y["train"]
            )  # Laplace smoothing, as naive_bayes.fit
            return clf, clf.predict(x["test"])

    t = ctx.timed_pair(
        "naive_bayes",
        jax_fn,
        numpy_fn,
        kind="batched",
        sklearn_fn=sklearn_fn,
        repeats=max(ctx.repeats, 21),
    )
    (model, pred_j), (log_phi, pred_n) = t["jax"].result, t["numpy"].result
    agree = (
        f"log φ max abs diff {maxabs(model.log_phi, log_phi):.1e}; test acc JAX {accuracy(pred_j, y['test']):.4f}, "
        f"NumPy {accuracy(pred_n, y['test']):.4f}"
    )
    if t["sklearn"] is not None:
        clf, pred_s = t["sklearn"].result
        agree += (
            f", sklearn {accuracy(pred_s, y['test']):.4f} (log φ vs feature_log_prob_ "
            f"{maxabs(model.log_phi, clf.feature_log_prob_):.1e})"
        )
    n, v = x["train"].shape
    return [
        row(
            "§2(b) naive Bayes",
            f"fit on {n}×{v} counts + predict {len(y['test'])} (sklearn: MultinomialNB)",
            t,
            agreement=agree,
        )
    ]


# ----------------------------------------------------------------------------------------------------------------
# §2(d) the SVM radius sweep (the course starter's protocol)
# ----------------------------------------------------------------------------------------------------------------


def _jax_sweep(x, y, radii, idx_sweep, idx_test, *, joint: bool = True) -> dict:
    """The starter's protocol with ``jaxml.models.kernel_svm``: radius fits, best on validation, the test fit."""
    from jaxml.models import kernel_svm

    lam = 1.0 / (_config().svm_c * x["train"].shape[0])  # the course's λ = 1/(64 M), as the peer
    if joint:  # all radii in one scan (the library's way), sharing the sampled indices
        fit = kernel_svm.fit(
            x["train"], y["train"], radius=radii, lam=lam, indices=idx_sweep, chunks=1
        )
        val = np.mean(np.asarray(kernel_svm.predict(fit, x["val"])) == y["val"][None], axis=1)
        alphas, lam = np.asarray(fit.alpha), fit.lam
    else:  # one scan per radius
        fits = [
            kernel_svm.fit(x["train"], y["train"], radius=r, lam=lam, indices=idx_sweep, chunks=1)
            for r in radii
        ]
        val = np.array([accuracy(kernel_svm.predict(f, x["val"]), y["val"]) for f in fits])
        alphas, lam = np.stack([np.asarray(f.alpha) for f in fits]), fits[0].lam
    best = int(np.argmax(val))
    fit_test = kernel_svm.fit(
        x["train"], y["train"], radius=radii[best], lam=lam, indices=idx_test, chunks=1
    )
    return {
        "val_accuracy": val.tolist(),
        "best_radius": radii[best],
        "alpha_sweep": alphas,
        "lam": lam,
        "test_accuracy": accuracy(kernel_svm.predict(fit_test, x["test"]), y["test"]),
        "alpha_test": np.asarray(fit_test.alpha),
    }


def _sklearn_sweep(x, y, radii, c: float):
    """SVC on the same precomputed kernel matrices: the exact C-SVM (SMO) with an intercept."""
    from sklearn.svm import SVC

    xb = x["train"] > 0
    d = {
        k: peers.binary_sq_distances(x[k] > 0, None if k == "train" else xb)
        for k in ("train", "val", "test")
    }
    dmax = int(max(v.max() for v in d.values()))
    accs = []
    for r in radii:
        table = peers.rbf_table(r, dmax)
        clf = SVC(C=c, kernel="precomputed").fit(table[d["train"]], y["train"])
        accs.append(accuracy(clf.predict(table[d["val"]]), y["val"]))
    best = int(np.argmax(accs))
    table = peers.rbf_table(radii[best], dmax)
    clf = SVC(C=c, kernel="precomputed").fit(table[d["train"]], y["train"])
    return accs, radii[best], accuracy(clf.predict(table[d["test"]]), y["test"])


def _sweep_agreement(rj: dict, rn: dict, sk) -> str:
    diff = max(
        maxabs(rj["alpha_sweep"], rn["alpha_sweep"]), maxabs(rj["alpha_test"], rn["alpha_test"])
    )
    text = (
        f"ᾱ max abs diff {diff:.1e}; val acc equal: {rj['val_accuracy'] == rn['val_accuracy']}; best r "
        f"{rj['best_radius']:g} / {rn['best_radius']:g}; test acc {rj['test_accuracy']:.4f} / "
        f"{rn['test_accuracy']:.4f}"
    )
    if sk is not None:
        (accs, r_s, test_s), c = sk.result, rj["C"]
        text += f"; sklearn SVC(C={c:g}): val acc {[round(a, 4) for a in accs]}, best r {r_s:g}, test acc {test_s:.4f}"
    return text


def bench_svm_sweep(ctx: Ctx) -> list[Row]:
    """The starter's §2(d): 4 radius fits of T = 10 M steps, the best on validation, the test fit."""
    s = spam_inputs(ctx)
    x, y = s["x"], s["y"]
    radii, m = list(_config().radii), x["train"].shape[0]
    idx_sweep, idx_test = starter_streams(
        m, 2, _config().starter_seed, steps=m if ctx.quick else None
    )
    seen: dict = {}

    def jax_fn():
        out = _jax_sweep(x, y, radii, idx_sweep, idx_test)
        seen["C"] = out["C"] = 1.0 / (
            out["lam"] * m
        )  # C = 1/(λM): the library's λ = 1/(64 M) is C = 64
        return out

    def numpy_fn():
        return peers.kernel_svm_radius_sweep(
            x["train"],
            y["train"],
            x["val"],
            y["val"],
            x["test"],
            y["test"],
            radii,
            idx_sweep,
            idx_test,
        )

    sklearn_fn = (lambda: _sklearn_sweep(x, y, radii, seen["C"])) if sklearn_available() else None
    t = ctx.timed_pair(
        "svm_sweep", jax_fn, numpy_fn, kind="sequential", sklearn_fn=sklearn_fn, sklearn_repeats=1
    )
    rj, rn = t["jax"].result, t["numpy"].result
    ratio = t["numpy"].median / t["jax"].median
    rows = [
        row(
            "§2(d) SVM radius sweep",
            f"{len(radii)} radii × {idx_sweep.size:,} steps (M = {m}) + the test fit, "
            "course's averaged SGD, same index streams",
            t,
            agreement=_sweep_agreement(rj, rn, t["sklearn"]),
            target="≥ 10×",
            met=(ratio >= 10) if ctx.full else None,
            note="NumPy: Gram matrix by float32 GEMM + exp table, per-step 3 vector ops on a kernel row; "
            "JAX: the radii in one scan, each step reading its row of the integer distance matrix "
            "(uint8, computed once per fit from a sparse index) + exp table",
        )
    ]

    def single():
        with ctx.placed("sequential"):
            return _jax_sweep(x, y, radii, idx_sweep, idx_test, joint=False)

    one = timing.time_one(single, repeats=max(1, ctx.repeats // 2 + 1), warmup=True)
    rows.append(
        Row(
            "§2(d) SVM radius sweep",
            "JAX variant: one scan per radius (same work)",
            jax_s=one.median,
            jax_compile_s=one.compile,
            numpy_s=t["numpy"].median,
            agreement=f"ᾱ max abs diff {maxabs(one.result['alpha_sweep'], rn['alpha_sweep']):.1e}",
        )
    )
    return rows


# ----------------------------------------------------------------------------------------------------------------
# §2(e) logistic regression on the counts
# ----------------------------------------------------------------------------------------------------------------


def _logreg_agreement(fit, pred_j, theta_n, pred_n, y_test, rates) -> str:
    tj = np.asarray(fit.theta)
    diffs = ", ".join(f"{r:g}: {rel(tj[g], theta_n[g]):.1e}" for g, r in enumerate(rates))
    acc_j = np.mean(np.asarray(pred_j) == y_test[None], axis=1)
    acc_n = np.mean(pred_n == y_test[None], axis=1)
    return (
        f"θ max rel diff per rate ({diffs}); test accuracies equal at {int(np.sum(acc_j == acc_n))}/{len(rates)} "
        f"rates (best JAX {acc_j.max():.4f}, NumPy {acc_n.max():.4f}); a rate whose steps overshoot and "
        "oscillate amplifies the rounding differences of the two sparse products"
    )


def bench_sparse_logistic(ctx: Ctx) -> list[Row]:
    """The experiment's "counts" feature set: its rate grid × CONFIG.logreg_steps full-batch steps."""
    from jaxml.models import sparse_logistic

    config = _config()
    counts = next(fs for fs in config.feature_sets if fs.name == "counts")
    rates, steps = (
        list(counts.learning_rates),
        QUICK_LOGREG_STEPS if ctx.quick else config.logreg_steps,
    )
    s = spam_inputs(ctx)
    x, y = s["x"], s["y"]

    def jax_fn():
        fit = sparse_logistic.fit(
            x["train"], y["train"], learning_rates=rates, num_steps=steps, chunks=1
        )
        return fit, sparse_logistic.predict(fit, x["test"])

    def numpy_fn():
        theta, b = peers.sparse_logistic_fit(x["train"], y["train"], rates, num_steps=steps)
        return theta, peers.sparse_logistic_predict(theta, b, x["test"])

    sklearn_fn = None
    if sklearn_available():
        from sklearn.linear_model import LogisticRegression

        def sklearn_fn():
            clf = LogisticRegression(C=1.0, max_iter=1000).fit(x["train"], y["train"])
            return accuracy(clf.predict(x["test"]), y["test"])

    t = ctx.timed_pair(
        "spam_logreg",
        jax_fn,
        numpy_fn,
        kind="sequential",
        sklearn_fn=sklearn_fn,
        sklearn_repeats=1,
        repeats=min(ctx.repeats, 3),
    )
    (fit, pred_j), (theta_n, pred_n) = t["jax"].result, t["numpy"].result
    agree = _logreg_agreement(fit, pred_j, theta_n, pred_n, y["test"], rates)
    if t["sklearn"] is not None:
        agree += f"; sklearn LogisticRegression(C=1, lbfgs): {t['sklearn'].result:.4f}"
    return [
        row(
            "§2(e) logistic regression",
            f"{len(rates)} learning rates × {steps:,} full-batch steps on counts (sparse products)",
            t,
            agreement=agree,
        )
    ]


BENCHES = [
    ("naive_bayes", bench_naive_bayes),
    ("svm_sweep", bench_svm_sweep),
    ("spam_logreg", bench_sparse_logistic),
]


# ----------------------------------------------------------------------------------------------------------------
# the experiment's computations, replayed by the peers (reproduce benchmark)
# ----------------------------------------------------------------------------------------------------------------


def _svm_all(x, y, radii, streams, replay, lam):
    """Every SVM fit of the experiment: per seed all radii on its stream (val + test predictions), then all radii
    on the starter's stream (test predictions)."""

    def run():
        xb = x["train"] > 0
        d = {
            k: peers.binary_sq_distances(x[k] > 0, None if k == "train" else xb)
            for k in ("train", "val", "test")
        }
        dmax = int(d["train"].max())
        for idx, splits in [(s, ("val", "test")) for s in streams] + [(replay, ("test",))]:
            for r in radii:
                alpha, _ = peers.kernel_svm_train(
                    peers.rbf_table(r, dmax)[d["train"]], y["train"], idx, lam=lam
                )
                for k in splits:
                    peers.kernel_svm_predict(d[k], alpha, r)

    return run


def _feature_study(features: dict, y: dict, config, steps: int):
    """Every (feature set, rate grid) fit of the §2(e) study, scored on validation and test (scipy CSR inputs)."""
    import scipy.sparse as sp

    def csr(m):
        return sp.csr_matrix(
            (np.asarray(m.val), (np.asarray(m.row), np.asarray(m.col))), shape=(m.n, m.V)
        )

    inputs = [(fs, {k: csr(v) for k, v in features[fs.name].items()}) for fs in config.feature_sets]

    def run():
        for fs, x in inputs:
            theta, b = peers.sparse_logistic_fit(
                x["train"], y["train"], fs.learning_rates, num_steps=steps, l2=fs.l2
            )
            peers.sparse_logistic_decision(theta, b, x["val"])
            peers.sparse_logistic_decision(theta, b, x["test"])

    return run


def reproduce_terms(ctx: Ctx, results: dict) -> list[Term]:
    """The §2 terms of the NumPy sum, at the experiment's sizes (seeds, T, λ, steps read from ``results``)."""
    r = results.get("spam")
    if not r:
        return []
    from jaxml.experiments.spam import features
    from jaxml.models import kernel_svm
    from jaxml.reproduce import experiment_key

    config, s = _config(), spam_inputs(ctx)
    x, y = s["x"], s["y"]
    m, radii, seeds = x["train"].shape[0], list(config.radii), r["svm_seeds"]
    # the experiment's streams: one per seed from its key (kernel_svm.sample_indices), and the starter's last fit
    streams = kernel_svm.sample_indices(
        m, key=experiment_key(ctx.seed, "spam"), fits=seeds, num_steps=r["svm_num_steps"]
    )
    replay = starter_streams(m, len(radii) + 1, config.starter_seed)[-1]
    study = features.build(
        s["messages"], x, config
    )  # the experiment's feature sets (not timed: text processing)
    fits = sum(len(fs.learning_rates) for fs in config.feature_sets)
    return [
        Term(
            "§2",
            "spam",
            "naive Bayes fit + predict",
            lambda: peers.naive_bayes_predict(
                *peers.naive_bayes_fit(x["train"], y["train"]), x["test"]
            ),
        ),
        Term(
            "§2",
            "spam",
            f"RBF SVM: {seeds} seeds × {len(radii)} radii + the starter stream × {len(radii)} radii, "
            f"{r['svm_num_steps']:,} steps each",
            _svm_all(x, y, radii, streams, replay, r["svm_lambda"]),
        ),
        Term(
            "§2",
            "spam",
            f"logistic regression: {len(config.feature_sets)} feature sets, {fits} (set, rate) fits × "
            f"{r['logreg_steps']:,} steps",
            _feature_study(study, y, config, r["logreg_steps"]),
        ),
    ]
