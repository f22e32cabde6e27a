"""One API style across jaxml.models (issue #23): a ``fit`` per family, data positional and settings keyword-only,
no private helper in a public module, docstrings that name every argument and the return value."""

from __future__ import annotations

import inspect
import re

import pytest

from jaxml import models

FAMILIES = (
    "batchnorm",
    "kernel_svm",
    "lasso",
    "linear_svm",
    "logistic",
    "naive_bayes",
    "network",
    "perceptron",
    "ridge",
    "sparse_logistic",
)
MODULES = FAMILIES + ("kernels", "text")

# parameters with a default that are data, not settings: the second point set of a Gram matrix (default: x again)
DATA_WITH_DEFAULTS = {("kernels", "gram"): {"z"}}

# the helpers issue #23 took out of the public modules (they stay in the private ones)
HELPERS = {
    "ridge": ("pad_rows", "default_rcond"),
    "text": ("default_float",),
    "perceptron": ("g",),
    "kernels": ("default_block_size",),
}


def _functions():
    for name in MODULES:
        module = getattr(models, name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.isfunction(obj) or (callable(obj) and hasattr(obj, "__wrapped__")):
                yield name, attr, obj


FUNCTIONS = sorted(_functions(), key=lambda t: (t[0], t[1]))
IDS = [f"{m}.{f}" for m, f, _ in FUNCTIONS]


def test_the_scan_sees_every_module():
    assert len(FUNCTIONS) > 80
    assert ("lasso", "fit") in {(m, f) for m, f, _ in FUNCTIONS}


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_has_a_fit(family):
    module = getattr(models, family)
    assert "fit" in module.__all__ and callable(module.fit)


def _positional_defaults(fn, allowed=()) -> list[str]:
    """Parameters with a default (settings) that can still be passed by position."""
    return [
        p.name
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.default is not p.empty
        and p.name not in allowed
    ]


def _undocumented(fn) -> list[str]:
    """What the docstring lacks: an ``Args:`` entry ``name:`` per parameter, a ``Returns:`` section."""
    doc = inspect.getdoc(fn) or ""
    params = [p.name for p in inspect.signature(fn).parameters.values()]
    args = doc.split("Args:", 1)[1] if "Args:" in doc else ""
    missing = [
        p for p in params if not re.search(rf"(^|[\s;*]){re.escape(p)}:", args, re.MULTILINE)
    ]
    return missing + ([] if "Returns:" in doc else ["Returns:"])


def test_the_checks_can_fail():
    def old_style(x, y, gamma=1.0):
        """Fit. Args: x (n, d), y (n,), gamma."""

    assert _positional_defaults(old_style) == ["gamma"]
    assert _undocumented(old_style) == ["x", "y", "gamma", "Returns:"]


@pytest.mark.parametrize("module, name, fn", FUNCTIONS, ids=IDS)
def test_settings_are_keyword_only(module, name, fn):
    """A parameter with a default is a setting: keyword-only (data have no default, options do)."""
    offenders = _positional_defaults(fn, DATA_WITH_DEFAULTS.get((module, name), ()))
    assert not offenders, f"{module}.{name}: make {offenders} keyword-only"


@pytest.mark.parametrize("module, name, fn", FUNCTIONS, ids=IDS)
def test_docstrings_name_every_argument_and_the_return(module, name, fn):
    """Google style, for the API reference: an ``Args:`` entry per parameter and a ``Returns:`` section."""
    missing = _undocumented(fn)
    assert not missing, f"{module}.{name}: the docstring does not name {missing}"


@pytest.mark.parametrize("module", sorted(HELPERS))
def test_private_helpers_stay_private(module):
    public = getattr(models, module)
    for helper in HELPERS[module]:
        assert helper not in public.__all__ and not hasattr(public, helper), f"{module}.{helper}"
