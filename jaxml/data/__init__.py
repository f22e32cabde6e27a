"""Loading and validating the CS229 PS2 data files, and seeded synthetic stand-ins.

Public API:
  locate(data_dir=None, *, seed=0) -> DataSource     find the data (``--data``, ``$JAXML_DATA``, synthetic)
  DataSource.logreg_stability() / spam() / perceptron() / simple_nn() / double_descent()
  load_labelled_csv, load_spam_tsv, load_double_descent_csv    the file-format readers (strict)
  synthetic                                           the seeded generators, one per problem
"""

from . import _synthetic as synthetic
from ._formats import load_double_descent_csv as load_double_descent_csv
from ._formats import load_labelled_csv as load_labelled_csv
from ._formats import load_spam_tsv as load_spam_tsv
from ._locate import ENV_VAR as ENV_VAR
from ._locate import REQUIRE_ENV_VAR as REQUIRE_ENV_VAR
from ._locate import DataSource as DataSource
from ._locate import locate as locate
from ._locate import require_real_data as require_real_data
from ._types import DoubleDescentData as DoubleDescentData
from ._types import Split as Split
from ._types import TextSplit as TextSplit

__all__ = [
    "ENV_VAR",
    "REQUIRE_ENV_VAR",
    "DataSource",
    "DoubleDescentData",
    "Split",
    "TextSplit",
    "load_double_descent_csv",
    "load_labelled_csv",
    "load_spam_tsv",
    "locate",
    "require_real_data",
    "synthetic",
]
