"""jaxml.errors: a user's mistake is a JaxmlError, and a wrong argument is also a ValueError (issue #23)."""

from __future__ import annotations

import numpy as np
import pytest

from jaxml.errors import ComputationTimeout, DataError, JaxmlError, UsageError, VerifyError
from jaxml.models import logistic, ridge


def test_a_usage_error_is_a_value_error_and_a_jaxml_error():
    assert issubclass(UsageError, ValueError) and issubclass(UsageError, JaxmlError)
    # the library's wrong arguments are caught by the handler a Python user writes first
    with pytest.raises(ValueError, match="0 or 1"):
        logistic.fit(np.ones((3, 2)), np.array([0.0, 2.0, 1.0]))
    try:
        ridge.fit(np.ones((3, 2)), np.ones(3), lam=-1.0)
    except ValueError as exc:
        assert isinstance(exc, UsageError) and isinstance(exc, JaxmlError)
    else:
        pytest.fail("ridge.fit(lam=-1) did not raise")


def test_the_other_errors_are_not_value_errors():
    # a missing file, a failed check and a timeout are not wrong arguments
    for error in (DataError, VerifyError, ComputationTimeout):
        assert issubclass(error, JaxmlError) and not issubclass(error, ValueError)
    assert str(DataError("bad row", path="a.csv", line=3)) == "a.csv, line 3: bad row"
