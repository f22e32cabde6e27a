"""The one small hierarchy of errors jaxml raises on a user's mistake.

The CLI turns every :class:`JaxmlError` into a one-paragraph message and an exit status, never a traceback.
"""

from __future__ import annotations


class JaxmlError(Exception):
    """Base class: a problem the user can fix (bad input, bad data, bad usage)."""


class DataError(JaxmlError):
    """A data file is missing or malformed.

    The message always names the file and, where it applies, the physical line (1-based) or row.
    """

    def __init__(self, message: str, *, path=None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}, line {line}"
            where += ": "
        super().__init__(where + message)


class VerifyError(JaxmlError):
    """A derivation could not be checked (it failed to load, or its example arguments are unusable)."""


class UsageError(JaxmlError, ValueError):
    """A function or the CLI was called with arguments that cannot work (bad shape, bad option).

    Also a :class:`ValueError`, as Python's own functions raise for a wrong argument: ``except ValueError`` catches
    it, and ``except JaxmlError`` still does.
    """


class ComputationTimeout(JaxmlError):
    """A computation did not finish within its bound (``$JAXML_TIMEOUT``); it cannot be cancelled, so stop."""
