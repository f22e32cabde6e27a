"""Plain containers the loaders return: NumPy arrays, validated, never JAX arrays (the caller decides the device)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Split(NamedTuple):
    """A numeric data set: ``x`` of shape (n, d) float64 and labels or targets ``y`` of shape (n,) float64."""

    x: np.ndarray
    y: np.ndarray


class TextSplit(NamedTuple):
    """A text data set: ``messages`` (list of n str) and ``y`` (n,) int64 with 1 = spam, 0 = ham."""

    messages: list
    y: np.ndarray


class DoubleDescentData(NamedTuple):
    """The double-descent files: ``train`` maps n (200, 250, ..., 800) to a Split with x (n, 500);
    ``validation`` is a Split with x (m, 500)."""

    train: dict
    validation: Split
