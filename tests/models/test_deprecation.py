"""The one-release shim for positional settings (issue #23): ``jaxml.models._deprecation.positional_settings``.

Each changed family tests its own old spelling in its test file; this file tests the helper itself.
"""

from __future__ import annotations

import inspect
import warnings

import pytest

from jaxml.models import lasso
from jaxml.models._deprecation import positional_settings


@positional_settings("demo", ("xs", "ys", "lams", "x_val"))
def sweep(xs, ys, x_val, *, lams, method="eigh"):
    """Returns: what it was given."""
    return xs, ys, x_val, lams, method


def test_the_keyword_spelling_goes_straight_through():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sweep(1, 2, 3, lams=4) == (1, 2, 3, 4, "eigh")
        assert sweep(1, 2, x_val=3, lams=4, method="svd") == (1, 2, 3, 4, "svd")


def test_the_old_order_is_read_as_it_was_and_names_the_new_spelling():
    with pytest.warns(DeprecationWarning) as record:
        # the old order: lams before x_val
        assert sweep(1, 2, 4, 3, method="svd") == (1, 2, 3, 4, "svd")
    (warning,) = record
    message = str(warning.message)
    assert message.startswith("jaxml.models.demo.sweep(xs, ys, lams, x_val) is deprecated")
    assert "write demo.sweep(xs, ys, x_val, lams=lams)" in message
    assert warning.filename == __file__  # attributed to the caller's line (stacklevel=2)


def test_mistakes_stay_type_errors():
    with pytest.raises(TypeError, match="takes 3 positional arguments but 5 were given"):
        sweep(1, 2, 3, 4, 5)
    with pytest.raises(TypeError, match="multiple values for argument 'lams'"):
        sweep(1, 2, 4, 3, lams=4)
    with pytest.raises(TypeError, match="does not fit"):
        positional_settings("demo", ("x", "y"))(lambda x, y: None)  # nothing was positional before
    with pytest.raises(TypeError, match="does not fit"):
        positional_settings("demo", ("x", "gamma"))(lambda x, *, lam: None)  # no such parameter


def test_the_wrapper_keeps_name_doc_and_the_new_signature():
    assert lasso.fit.__name__ == "fit" and "argmin" in lasso.fit.__doc__
    params = inspect.signature(lasso.fit).parameters
    assert params["gamma"].kind is inspect.Parameter.KEYWORD_ONLY
    assert list(params)[:2] == ["x", "y"]
