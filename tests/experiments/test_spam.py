"""The §2 experiment: results.json keys, figures, report rows and the issue's must-shows, on synthetic and real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jaxml.experiments import spam as experiment

REPO = Path(__file__).resolve().parents[2]
REQUIRED = {  # issue #4: results.json key `spam`
    "vocab_size",
    "vocab_size_split_whitespace",
    "nb_test_accuracy",
    "top5_tokens",
    "svm_val_accuracy",
    "svm_best_radius",
    "svm_test_accuracy",
    "svm_test_accuracy_sd",
    "logreg_best_lr",
    "logreg_test_accuracy",
}
COMPARISON_ROWS = 9  # every row but the split() vocabulary size compares with a write-up number


def _check_shape(res: dict) -> None:
    assert REQUIRED <= set(res)
    assert isinstance(res["vocab_size"], int) and isinstance(
        res["vocab_size_split_whitespace"], int
    )
    assert set(res["svm_val_accuracy"]) == {str(r) for r in experiment.RADII}
    assert res["svm_best_radius"] in experiment.RADII
    assert res["logreg_best_lr"] in experiment.LEARNING_RATES
    assert len(res["top5_tokens"]) == 5 and all(isinstance(w, str) for w in res["top5_tokens"])
    for k in (
        "nb_test_accuracy",
        "svm_test_accuracy",
        "logreg_test_accuracy",
        *res["svm_val_accuracy"].values(),
    ):
        value = res[k] if isinstance(k, str) else k
        assert isinstance(value, float) and 0.0 <= value <= 1.0
    assert res["dtype"] == "float64"


def test_runs_on_synthetic_data(synthetic_context, tmp_path, monkeypatch):
    # fewer seeds and steps: the full protocol is the real-data test's job
    monkeypatch.setattr(experiment, "SVM_SEEDS", 2)
    monkeypatch.setattr(experiment, "LOGREG_STEPS", 200)
    out = experiment.run(synthetic_context)
    json.dumps(out.results)  # plain JSON
    res = out.results["spam"]
    _check_shape(res)
    # the empty token ('' from double spaces)
    assert res["vocab_size"] == res["vocab_size_split_whitespace"] + 1
    assert res["vocab_difference"]["only_split_space"] == [""]
    assert len(res["svm_test_accuracy_per_seed"]) == 2
    assert res["nb_test_accuracy"] > 0.95
    for name in out.figures:
        assert (tmp_path / name).stat().st_size > 10_000
    verdicts = [r.verdict for r in out.rows]
    assert verdicts.count("synthetic data") == COMPARISON_ROWS - 1 and verdicts.count("new") == 1


@pytest.mark.real_data
@pytest.mark.slow
def test_script_on_the_course_data(data_dir, run_script, tmp_path):
    results = run_script("spam.py", data_dir)
    assert results["data"] == "real"
    res = results["spam"]
    _check_shape(res)

    # issue #4 must-shows
    assert res["vocab_size"] == 1722  # write-up §2(a): 1,722 words (split(' '))
    assert res["vocab_size_split_whitespace"] == 1721  # split(): the empty token is the difference
    assert res["vocab_difference"] == {
        "only_split_space": [""],
        "only_split_whitespace": [],
        "messages_with_empty_token": res["vocab_difference"]["messages_with_empty_token"],
    }
    assert res["nb_test_correct"] == 546  # write-up §2(b): 97.85% of 558
    # write-up §2(c), same order
    assert res["top5_tokens"] == ["claim", "won", "prize", "tone", "urgent!"]
    assert res["svm_best_radius"] == 0.1  # write-up §2(d)
    # write-up §2(d): 96.95%, within about a point
    assert abs(res["svm_test_accuracy"] - 0.9695) <= 0.01
    # write-up §2(d): 96.95%, exact
    assert res["svm_starter_stream"]["test_accuracy"] * 558 == pytest.approx(541)
    # logistic regression: ours is reported whatever it is (the write-up's 99.64% used undescribed features);
    # it must at least have learned (the majority class is 87.99% of the test set: 491/558)
    assert res["logreg_test_accuracy"] > 0.95
    assert res["seconds"]["total"] < 120  # issue #4: ~60 s on 2 cores (shared, so with headroom)

    report = (tmp_path / "REPORT.md").read_text()
    assert "spam_radius.png" in report and (tmp_path / "spam_radius.png").exists()
    assert "spam_top_tokens.png" in report and (tmp_path / "spam_top_tokens.png").exists()
    section = report[report.index("## §2") :]
    verdict = {
        line.split(" | ")[0][2:]: line.split("**")[1]
        for line in section.splitlines()
        if line.startswith("| ") and "**" in line
    }
    reproduced = [q for q in verdict if not q.startswith("logistic") and "split()" not in q]
    assert len(reproduced) == 6 and all(verdict[q] == "reproduced" for q in reproduced), verdict
    assert verdict["vocabulary size, split() (runs of whitespace)"] == "new"
    assert {verdict[q] for q in verdict if q.startswith("logistic")} <= {"reproduced", "differs"}
