"""The §4 experiment: double descent on the course files, closed forms against solvers, the lasso KKT check."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from jaxml.data import DataSource, locate
from jaxml.experiments import Context, Progress, registered

SCALES = [0.0, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0, 2.0, 4.0]  # issue #6 / course starter
N_LIST = list(range(200, 801, 50))  # issue #6: train200 … train800


def _run(data, out_dir):
    ctx = Context(data=data, key=jax.random.PRNGKey(0), out_dir=out_dir, progress=Progress(quiet=True))
    return registered()["double_descent"].run(ctx)


@pytest.fixture(scope="module")
def real_output(data_dir, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("double_descent_real")
    return _run(locate(data_dir), out_dir), out_dir


@pytest.fixture(scope="module")
def synthetic_output(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("double_descent_synthetic")
    return _run(DataSource(None), out_dir), out_dir  # not locate(None): that would follow $JAXML_DATA


def test_registered_once_under_its_name():
    experiment = registered()["double_descent"]
    assert experiment.section == "§4"


@pytest.mark.real_data
@pytest.mark.slow
def test_results_layout(real_output):
    output, out_dir = real_output
    assert set(output.results) == {"double_descent", "map"}  # issue #6: exactly these two top-level keys
    dd = output.results["double_descent"]
    assert dd["n_list"] == N_LIST and dd["scales"] == SCALES
    assert np.shape(dd["val_err"]) == (len(SCALES), len(N_LIST))  # one row per scale, one column per n
    for key in ("peak_n_unregularised", "optimal_curve_max_rise"):
        assert key in dd
    for key in ("closed_form_vs_solver_max_rel_diff", "lasso_kkt_max_rel", "lasso_kkt_ok"):
        assert key in output.results["map"]
    json.dumps(output.results)  # plain JSON
    for name in output.figures:
        assert (out_dir / name).stat().st_size > 10_000


@pytest.mark.real_data
@pytest.mark.slow
def test_unregularised_curve_peaks_at_n_equals_d(real_output):
    dd = real_output[0].results["double_descent"]
    assert dd["peak_n_unregularised"] == 500  # issue #6 "must show": the λ = 0 peak at n = d = 500
    zero = np.asarray(dd["val_err"][0])
    assert zero[N_LIST.index(500)] > 10 * max(zero[N_LIST.index(450)], zero[N_LIST.index(550)])


@pytest.mark.real_data
@pytest.mark.slow
def test_optimal_lambda_curve_has_no_double_descent(real_output):
    dd = real_output[0].results["double_descent"]
    opt = np.asarray(dd["val_err"][SCALES.index(1.0)])
    # issue #6 "must show": the λ_opt curve's largest rise between consecutive n is a few hundredths at most
    assert dd["optimal_curve_max_rise"] == pytest.approx(np.max(np.diff(opt)))
    assert dd["optimal_curve_max_rise"] <= 0.05
    assert opt[-1] < opt[0]


@pytest.mark.real_data
@pytest.mark.slow
def test_grid_equals_a_direct_solve_per_n_and_lambda(real_output, data_dir):
    dd = real_output[0].results["double_descent"]
    data = locate(data_dir).double_descent()
    lam_opt = 0.5**2 * 500  # σ²/η² with σ = 0.5, η = 1/√500 (issue #6)
    x_val, y_val = data.validation.x, data.validation.y
    for j, n in enumerate(N_LIST):
        x, y = data.train[n].x, data.train[n].y
        for i, scale in enumerate(SCALES):
            lam = scale * lam_opt
            theta = (np.linalg.lstsq(x, y, rcond=None)[0] if lam == 0
                     else np.linalg.solve(x.T @ x + lam * np.eye(500), x.T @ y))
            direct = np.mean((y_val - x_val @ theta) ** 2)
            # n = d, λ = 0 is the ill-conditioned corner (cond(X) ≈ 1.6e4): allow 1e-6 there, 1e-9 elsewhere
            assert dd["val_err"][i][j] == pytest.approx(direct, rel=1e-6 if lam == 0 and n == 500 else 1e-9)


@pytest.mark.real_data
@pytest.mark.slow
def test_closed_forms_and_solvers_agree_and_kkt_holds(real_output):
    m = real_output[0].results["map"]
    assert m["closed_form_vs_solver_max_rel_diff"] <= 1e-6  # issue #6 "must show": ≤ 1e-6 relative
    assert m["lasso_kkt_ok"] and m["lasso_kkt_max_rel"] <= 1e-6
    assert m["laplace"]["wrong_gamma_sigma2_over_b_rejected"]
    assert m["lambda_equivalence"]["ok"] and m["check_closed_form"]["ok"] and m["min_norm"]["ok"]
    assert m["all_ok"]
    nnz = m["lasso_path"]["nonzero"]
    assert nnz[0] > nnz[len(nnz) // 2] > nnz[-1] == 0  # sparser as b shrinks


@pytest.mark.real_data
@pytest.mark.slow
def test_report_rows_and_notes(real_output):
    output = real_output[0]
    verdicts = {row.quantity: row.verdict for row in output.rows}
    assert "erratum" in verdicts.values()
    assert all(v in ("reproduced", "new", "erratum") for v in verdicts.values()), verdicts
    assert "substitute" in output.notes and "statistically equivalent" in output.notes
    assert "y − Xθ" in output.notes  # the notation erratum
    assert "cut-off" in output.notes or "rcond" in output.notes


@pytest.mark.slow
def test_synthetic_run_says_so(synthetic_output):
    output, out_dir = synthetic_output
    assert set(output.results) == {"double_descent", "map"}
    json.dumps(output.results)
    comparisons = [row for row in output.rows if row.writeup]
    assert comparisons and all(row.verdict in ("synthetic data", "erratum") for row in comparisons)
    assert "Synthetic" in output.notes
    assert output.results["map"]["all_ok"]
    assert all((out_dir / name).is_file() for name in output.figures)
