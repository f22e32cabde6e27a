"""Shared fixtures: fresh PRNG keys, the real data directory, and each experiment run once per session.

Real-data tests use the ``data_dir`` fixture (or ``experiment_run(name, "real")``). Without ``JAXML_DATA`` they skip
(saying why); with ``JAXML_REQUIRE_REAL_DATA=1`` (set by CI) a missing data directory is a test failure, never a
skip.

Experiments are the expensive part of the suite: ``experiment_run(name, data)`` runs one at most once per session
and data kind, in this process, with the key ``jaxml reproduce --seed 0`` gives it, so its numbers are the CLI's
numbers. Tests assert many things on one run instead of running it again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

# One BLAS thread per test process, set before NumPy and SciPy load OpenBLAS (workers and the child processes tests
# start inherit it). The two pytest-xdist workers already fill two cores; OpenBLAS's own threads on top of them
# busy-wait for work and steal the cores the other worker needs, which triples the CPU time of the LAPACK-heavy
# tests (benchmarks/RESULTS.md, "BLAS threads in the tests"). The pinned numbers hold either way; set
# OPENBLAS_NUM_THREADS yourself to test another setting.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import jax  # after the BLAS setting above
import pytest


def _load_by_path(name: str, relative: str) -> None:
    """The helper module tests/``relative`` as ``name`` (tests/ is not on sys.path under importlib mode)."""
    import importlib.util

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / relative)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


# before the test modules, which import them by name
_load_by_path("jaxml_tests_children", "children.py")
_load_by_path("jaxml_tests_grade_students", "grade/students.py")

from jaxml.allocator import keep_freed_memory

# Freed big buffers stay in the process, as in the `jaxml` command (jaxml/allocator.py): otherwise the 200-point
# 4096 x 1024 check of tests/verify/test_memory.py spends about half its CPU page-faulting them in again. The
# environment variables it sets reach the workers and the child processes tests start.
keep_freed_memory()

# The tests check the write-up's float64 numbers, as the `jaxml` command computes them (importing jaxml changes no
# global setting; tests/test_imports.py checks that in a fresh process).
jax.config.update("jax_enable_x64", True)
# Strict dtype promotion (as optax and equinox test): an implicit int->float or float32->float64 promotion in the
# library is an error here, so the library states its dtypes.
jax.config.update("jax_numpy_dtype_promotion", "strict")

# The CLI keeps a persistent XLA compilation cache in ~/.cache; tests that call the CLI stay hermetic without it.
os.environ.setdefault("JAXML_COMPILATION_CACHE", "0")

# One XLA compilation cache per test session instead: an empty temporary directory made by the first pytest process
# (before pytest-xdist starts its workers, which inherit it with the environment) and removed at the end. A program
# compiled by one worker, or by this process, is read back by the others and by the child processes tests start
# (JAX reads JAX_COMPILATION_CACHE_DIR from the environment) instead of being compiled again.
SESSION_CACHE_VAR = "JAX_COMPILATION_CACHE_DIR"


def pytest_configure(config):
    if not hasattr(config, "workerinput") and not os.environ.get(SESSION_CACHE_VAR):
        config._jaxml_session_cache = tempfile.mkdtemp(prefix="jaxml-xla-")
        os.environ[SESSION_CACHE_VAR] = config._jaxml_session_cache
        os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    jax.config.update("jax_compilation_cache_dir", os.environ[SESSION_CACHE_VAR])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


# pytest-xdist: every test file runs whole in one worker, so its session-scoped experiment runs once. The two
# LAPACK-heavy files (the double-descent grid's eigh, and the fake-device children that run it again) form one unit,
# so the two workers never run them at once: each keeps both cores busy, and side by side they slow each other down
# far beyond the sum of their times whenever BLAS runs several threads per process (benchmarks/RESULTS.md, "BLAS
# threads in the tests"), as it does when you set OPENBLAS_NUM_THREADS higher yourself.
_ONE_AT_A_TIME = {"tests/experiments/test_double_descent.py", "tests/multidevice/test_sharding.py"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class FileScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "one at a time" if path in _ONE_AT_A_TIME else path

    return FileScheduling(config, log)


def pytest_unconfigure(config):
    path = getattr(config, "_jaxml_session_cache", None)
    if path:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def key(request):
    """A PRNG key of the test's own: derived from its node id, so it does not depend on which tests ran before it
    (or in which pytest-xdist worker), and is the same on every run."""
    return jax.random.PRNGKey(zlib.crc32(request.node.nodeid.encode()) & 0x7FFFFFFF)


def _real_data_dir() -> Path:
    """The course data directory from ``$JAXML_DATA``; skips the test without it (fails under
    ``JAXML_REQUIRE_REAL_DATA=1``)."""
    from jaxml.data import ENV_VAR, require_real_data

    value = os.environ.get(ENV_VAR, "")
    if not value:
        message = f"real-data test needs {ENV_VAR} (the cs229-ps2 data directory)"
        if require_real_data():
            pytest.fail(message + " and JAXML_REQUIRE_REAL_DATA=1 forbids skipping")
        pytest.skip(message)
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"{ENV_VAR}={value} is not a directory")
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _real_data_dir()


@pytest.fixture(scope="session")
def experiment_run(tmp_path_factory):
    """``experiment_run(name, data="synthetic" | "real") -> (ExperimentOutput, out_dir)``, cached per session.

    The experiment runs as ``jaxml reproduce --seed 0`` runs it (same key, float64, figures written to
    ``out_dir``), once per (name, data) in the whole session. "real" needs ``$JAXML_DATA`` (see ``data_dir``).
    A real run compiles the verifier checks as written (the default: the numbers pinned on the course data are a
    default run's); a synthetic run as ``jaxml reproduce --quick-checks`` does, so both paths are tested.
    """
    from jaxml._compile import QUICK_CHECKS_ENV
    from jaxml.data import DataSource, locate
    from jaxml.experiments import Context, Progress, registered
    from jaxml.reproduce import experiment_key

    cache: dict = {}

    def run(name: str, data: str = "synthetic"):
        if data not in ("synthetic", "real"):
            raise ValueError(f"data must be 'synthetic' or 'real', got {data!r}")
        if (name, data) not in cache:
            # DataSource(None), not locate(None): that would follow $JAXML_DATA
            source = DataSource(None) if data == "synthetic" else locate(_real_data_dir())
            out_dir = tmp_path_factory.mktemp(f"{name}_{data}")
            ctx = Context(
                data=source,
                key=experiment_key(0, name),
                out_dir=out_dir,
                progress=Progress(quiet=True),
            )
            with pytest.MonkeyPatch.context() as env:
                env.setenv(QUICK_CHECKS_ENV, "1" if data == "synthetic" else "0")
                cache[name, data] = (registered()[name].run(ctx), out_dir)
        return cache[name, data]

    return run


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_script(tmp_path):
    """Run ``scripts/NAME --data DIR --out tmp --quiet`` in a child process; return its results.json as a dict."""

    def run(name: str, data_dir: Path) -> dict:
        proc = subprocess.run(
            [
                sys.executable,
                str(REPO / "scripts" / name),
                "--data",
                str(data_dir),
                "--out",
                str(tmp_path),
                "--quiet",
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=REPO,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads((tmp_path / "results.json").read_text())

    return run


@pytest.fixture
def synthetic_context(tmp_path):
    """An experiment Context on the synthetic stand-ins (even when $JAXML_DATA is set), quiet, writing to tmp_path."""
    from jaxml.data import DataSource
    from jaxml.experiments import Context, Progress

    return Context(
        data=DataSource(None),
        key=jax.random.PRNGKey(0),
        out_dir=tmp_path,
        progress=Progress(quiet=True),
    )
