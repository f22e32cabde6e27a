"""Where the data comes from: a directory the user names, the ``JAXML_DATA`` variable, or synthetic stand-ins.

``locate(data_dir)`` returns a :class:`DataSource`; every experiment asks it for its problem's data, and
``DataSource.kind`` ("real" or "synthetic") travels into results.json and the report.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DataError
from . import _formats, _synthetic
from ._types import DoubleDescentData, Split, TextSplit

ENV_VAR = "JAXML_DATA"
# When set to 1, a missing real data directory is an error instead of a fall-back to synthetic data (CI sets it).
REQUIRE_ENV_VAR = "JAXML_REQUIRE_REAL_DATA"

# Every file a real data directory must hold, relative to its root (see the data's MANIFEST.md).
DOUBLE_DESCENT_SIZES = tuple(range(200, 801, 50))
REQUIRED_FILES = {
    "logreg_stability": ("logreg_stability/ds1_a.csv", "logreg_stability/ds1_b.csv"),
    "spam": ("spam/spam_train.tsv", "spam/spam_val.tsv", "spam/spam_test.tsv"),
    "perceptron": ("perceptron/train.csv", "perceptron/test.csv"),
    "simple_nn": ("simple_nn/train.csv",),
    "double_descent": tuple(f"double_descent/train{n}.csv" for n in DOUBLE_DESCENT_SIZES)
    + ("double_descent/validation.csv",),
}


def require_real_data() -> bool:
    """True when the environment asks for real data only (``JAXML_REQUIRE_REAL_DATA=1``)."""
    return os.environ.get(REQUIRE_ENV_VAR, "").strip().lower() in ("1", "true", "yes")


class DataSource:
    """Hands out each problem's data, from real files or from seeded synthetic generators.

    Args:
      root: the course data directory (the folder holding ``logreg_stability/``, ``spam/``, ...), or None for
        the synthetic stand-ins.
      seed: the seed of the synthetic generators (ignored for real data).
    """

    def __init__(self, root: Path | None, seed: int = 0):
        self.root = None if root is None else Path(root)
        self.seed = int(seed)
        self._cache: dict = {}

    @property
    def kind(self) -> str:
        return "synthetic" if self.root is None else "real"

    def describe(self) -> str:
        if self.root is None:
            return f"SYNTHETIC stand-ins (seed {self.seed}) - no real data directory given"
        return f"real course data from {self.root}"

    def _path(self, problem: str, name: str) -> Path:
        assert self.root is not None
        path = self.root / name
        if not path.is_file():
            needed = ", ".join(REQUIRED_FILES[problem])
            raise DataError(
                f"missing file for problem '{problem}'. The data directory must hold: {needed}",
                path=path,
            )
        return path

    def _cached(self, name, make):
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def logreg_stability(self) -> dict[str, Split]:
        """{"a": Split, "b": Split}: x (100, 2) without an intercept column, y in {0, 1}."""
        if self.root is None:
            return self._cached("logreg", lambda: _synthetic.logreg_stability(seed=self.seed))
        return self._cached(
            "logreg",
            lambda: {
                k: _formats.load_labelled_csv(
                    self._path("logreg_stability", f"logreg_stability/ds1_{k}.csv")
                )
                for k in ("a", "b")
            },
        )

    def spam(self) -> dict[str, TextSplit]:
        """{"train", "val", "test"} -> TextSplit(messages, y) with y = 1 for spam."""
        if self.root is None:
            return self._cached("spam", lambda: _synthetic.spam(seed=self.seed))
        return self._cached(
            "spam",
            lambda: {
                k: _formats.load_spam_tsv(self._path("spam", f"spam/spam_{k}.tsv"))
                for k in ("train", "val", "test")
            },
        )

    def perceptron(self) -> dict[str, Split]:
        """{"train", "test"} -> Split with x (200, 2), y in {0, 1}."""
        if self.root is None:
            return self._cached("perceptron", lambda: _synthetic.perceptron(seed=self.seed))
        return self._cached(
            "perceptron",
            lambda: {
                k: _formats.load_labelled_csv(self._path("perceptron", f"perceptron/{k}.csv"))
                for k in ("train", "test")
            },
        )

    def simple_nn(self) -> Split:
        """Split with x (448, 2) in [0, 4]^2 and y in {0, 1}."""
        if self.root is None:
            return self._cached("simple_nn", lambda: _synthetic.simple_nn(seed=self.seed))
        return self._cached(
            "simple_nn",
            lambda: _formats.load_labelled_csv(self._path("simple_nn", "simple_nn/train.csv")),
        )

    def double_descent(self) -> DoubleDescentData:
        """DoubleDescentData(train={200: Split, ..., 800: Split}, validation=Split), d = 500."""
        if self.root is None:
            return self._cached("dd", lambda: _synthetic.double_descent(seed=self.seed))

        def load():
            train = {
                n: _formats.load_double_descent_csv(
                    self._path("double_descent", f"double_descent/train{n}.csv"), rows=n
                )
                for n in DOUBLE_DESCENT_SIZES
            }
            validation = _formats.load_double_descent_csv(
                self._path("double_descent", "double_descent/validation.csv")
            )
            return DoubleDescentData(train=train, validation=validation)

        return self._cached("dd", load)


def locate(data_dir: str | os.PathLike | None = None, *, seed: int = 0) -> DataSource:
    """Find the data: ``data_dir`` if given, else ``$JAXML_DATA``, else the synthetic stand-ins.

    Raises:
      DataError: the named directory does not exist, or no directory was named while
        ``JAXML_REQUIRE_REAL_DATA=1``.
    """
    source = "--data"
    if data_dir is None or str(data_dir) == "":
        data_dir = os.environ.get(ENV_VAR) or None
        source = f"${ENV_VAR}"
    if data_dir is None:
        if require_real_data():
            raise DataError(
                f"real data required ({REQUIRE_ENV_VAR}=1) but no data directory was given: "
                f"pass --data DIR or set {ENV_VAR}"
            )
        return DataSource(None, seed=seed)
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise DataError(
            f"data directory named by {source} does not exist or is not a directory", path=root
        )
    return DataSource(root, seed=seed)
