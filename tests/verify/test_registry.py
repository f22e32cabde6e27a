"""Declarations belong to the module that makes them; loading a file or package collects them (issue #12, #13)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import pytest

from jaxml.errors import VerifyError
from jaxml.verify import (
    builtin_entries,
    derivation,
    load_file,
    load_package,
    run_entries,
    run_entry,
)
from jaxml.verify._lanes import concurrency_safe

GRADS = textwrap.dedent(
    """
    def my_grad(theta, x, y):
        return 2 * x.T @ (x @ theta - y) / y.shape[0]
    """
)

USER = textwrap.dedent(
    """
    import jax, jax.numpy as jnp
    from jaxml.verify import derivation
    from {module} import my_grad

    def loss(theta, x, y):
        return jnp.mean((x @ theta - y) ** 2)

    def example(key):
        kt, kx, ky = jax.random.split(key, 3)
        return jax.random.normal(kt, (3,)), jax.random.normal(kx, (25, 3)), jax.random.normal(ky, (25,))

    derivation(of=loss, example=example, name="imported gradient")(my_grad)
    """
)


def write_user_file(tmp_path, module: str = "helper_grads"):
    """A user's file that decorates a gradient imported from a module beside it."""
    (tmp_path / f"{module}.py").write_text(GRADS)
    path = tmp_path / "user_file.py"
    path.write_text(USER.replace("{module}", module))
    return path


def test_decorating_an_imported_function_declares_it_in_that_file(tmp_path):
    entries = load_file(write_user_file(tmp_path, "helper_grads_a"))
    assert [e.name for e in entries] == ["imported gradient"]
    # the file's entry, not helper_grads_a's
    assert entries[0].module.startswith("jaxml_user_user_file")
    assert entries[0].fn.__module__ == "helper_grads_a"
    outcome = run_entry(entries[0], points=20, key=jax.random.PRNGKey(0))
    assert outcome.report.ok and outcome.as_expected
    # an Outcome wraps its report: the check's ``ok`` is the report's, the outcome adds ``as_expected``
    assert not hasattr(outcome, "ok")
    assert outcome.points == outcome.report.points == 20
    with pytest.warns(DeprecationWarning, match="report.ok"):
        assert outcome.passed


def test_loading_a_file_twice_replaces_its_entries(tmp_path):
    path = write_user_file(tmp_path, "helper_grads_b")
    assert len(load_file(path)) == len(load_file(path)) == 1


def test_a_file_without_declarations_is_an_error(tmp_path):
    path = tmp_path / "empty.py"
    path.write_text("import jax\n")
    with pytest.raises(VerifyError, match="declares no derivations"):
        load_file(path)


def test_builtin_entries_come_module_by_module():
    entries = builtin_entries()
    modules = [e.module for e in entries]
    # batchnorm, logistic, map_estimation, naive_bayes, network, perceptron
    assert modules == sorted(modules)
    assert len(entries) == len(load_package("jaxml_derivations"))


CHILD = textwrap.dedent(
    """
    import sys
    import jax, jax.numpy as jnp
    import jaxml
    from jaxml import models
    x = jnp.concatenate([jnp.ones((20, 1)), jax.random.normal(jax.random.PRNGKey(0), (20, 2))], axis=1)
    y = (x[:, 1] > 0).astype(x.dtype)
    models.logistic.fit(x, y)
    assert jaxml.verify.entries() == [], jaxml.verify.entries()
    assert "jaxml_derivations" not in sys.modules
    print("ok")
    """
)


def test_importing_and_calling_a_model_declares_nothing():
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], check=False, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def _mse(theta, x, y):
    return jnp.mean((x @ theta - y) ** 2)


def _example(key):
    kt, kx, ky = jax.random.split(key, 3)
    return jax.random.normal(kt, (3,)), jax.random.normal(kx, (12, 3)), jax.random.normal(ky, (12,))


@derivation(of=_mse, example=_example, name="test: right")
def _right(theta, x, y):
    return 2.0 * x.T @ (x @ theta - y) / y.shape[0]


@derivation(of=_mse, example=_example, name="test: sum slip", expected_failure=True)
def _sum_slip(theta, x, y):
    return 2.0 * x.T @ (x @ theta - y)


def _ridge(theta, x, y):
    return jnp.sum((x @ theta - y) ** 2) + jnp.sum(theta**2)


@derivation(
    of=lambda t, x, y: _ridge(t, x, y) + jnp.sum(jnp.linalg.solve(x.T @ x + jnp.eye(3), t)),
    example=_example,
    name="test: uses a solve",
)
def _with_solve(theta, x, y):
    return jax.grad(lambda t: _ridge(t, x, y) + jnp.sum(jnp.linalg.solve(x.T @ x + jnp.eye(3), t)))(
        theta
    )


def test_two_lanes_give_the_outcomes_of_one():
    entries = list(sys.modules[__name__].__jaxml_derivations__.values())
    assert [e.name for e in entries] == ["test: right", "test: sum slip", "test: uses a solve"]
    one = run_entries(entries, points=30, key=jax.random.PRNGKey(4), jobs=1)
    two = run_entries(entries, points=30, key=jax.random.PRNGKey(4), jobs=2)
    strip = lambda o: {k: v for k, v in o.as_dict().items() if k != "seconds"}
    assert [strip(o) for o in one] == [strip(o) for o in two]
    assert [o.verdict for o in one] == ["pass", "expected fail", "pass"]


def test_entries_with_linear_algebra_stay_on_the_main_lane():
    entries = sys.modules[__name__].__jaxml_derivations__
    assert concurrency_safe(entries["test: right"], 30)
    assert not concurrency_safe(entries["test: uses a solve"], 30)  # jnp.linalg.solve: LAPACK


def test_builtin_derivations_are_found_through_their_entry_point():
    """The library finds the write-up's derivations as it finds anyone's: the ``jaxml.derivations`` entry point
    group, never a package name written into jaxml.verify."""
    import ast
    from importlib.metadata import entry_points
    from pathlib import Path

    import jaxml.verify

    registered = {ep.name: ep.module for ep in entry_points(group="jaxml.derivations")}
    assert registered.get("writeup") == "jaxml_derivations"
    assert {e.module.split(".")[0] for e in builtin_entries()} >= {"jaxml_derivations"}
    for path in Path(jaxml.verify.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
        imported = [
            a.name
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
            for a in n.names
        ] + [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        assert "jaxml_derivations" not in names, path
        assert not any(str(m).startswith("jaxml_derivations") for m in imported), path


_LINALG_PROBE = """
import json
from jaxml._compile import quick_compilation, quick_process

quick_process()  # as jaxml verify runs them (and faster to compile)
from jax._src.interpreters import mlir
from jaxml.verify import _lanes, builtin_entries, run_entry

seen = set()
lower = mlir.lower_jaxpr_to_module


def recording(module_name, jaxpr, **kwargs):
    seen.update(_lanes._primitives(jaxpr, set()) & _lanes.LINALG)
    return lower(module_name, jaxpr, **kwargs)


mlir.lower_jaxpr_to_module = recording
found = {}
for entry in builtin_entries():
    if entry.kind == "custom" and (not entry.options["linear_algebra"] or entry.name.startswith("λ = 0")):
        seen.clear()
        with quick_compilation():
            run_entry(entry, points=5)
        found[entry.name] = sorted(seen)
print(json.dumps(found))
"""


def test_custom_checks_declared_free_of_linear_algebra_are():
    """A custom check declared ``linear_algebra=False`` runs beside others: in a fresh process (nothing compiled
    before), no program it lowers may contain a LAPACK primitive. The minimum-norm check, which solves, shows
    the probe sees them."""
    out = subprocess.run(
        [sys.executable, "-c", _LINALG_PROBE],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    found = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    solving = [name for name in found if name.startswith("λ = 0")]
    assert len(solving) == 1 and found.pop(solving[0]), (
        "the probe must see the solve of the λ = 0 check"
    )
    assert len(found) == 7 and all(not prims for prims in found.values()), found


def test_a_custom_check_declared_free_of_linear_algebra_runs_beside_others(tmp_path):
    from jaxml.verify._lanes import opaque

    path = tmp_path / "custom_checks.py"
    path.write_text(
        "from jaxml.verify import verification\n"
        "@verification(name='plain', compares='-')\n"
        "def plain(points, key): ...\n"
        "@verification(name='no solves', compares='-', linear_algebra=False)\n"
        "def free(points, key): ...\n"
    )
    plain, free = load_file(path)
    assert opaque(plain) and not concurrency_safe(plain, 10)
    assert not opaque(free) and concurrency_safe(free, 10)
