"""The CLI's last line of defence against a hang: a stage that overruns its bound ends the process with a message.

A computation stuck inside XLA cannot be interrupted from Python, and waiting on it (``np.asarray``, a progress
bar's sync, interpreter shutdown) would block forever. The ``jaxml`` command therefore runs each stage (one
experiment, one derivation) under :func:`stage`: if it is still running after ``seconds``, a timer thread prints
which stage overran, the Python stack of every thread, how to raise the bound, and ends the process with exit
status 3. Library code never uses this (it raises :class:`~jaxml.errors.ComputationTimeout` instead, see
:mod:`jaxml.timeouts`).
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import sys
import threading
from collections.abc import Iterator

from .timeouts import ENV_VAR

EXIT_TIMEOUT = 3


def expire(message: str, stream=None) -> None:
    """Print ``message`` and the stacks of all threads, then end the process with :data:`EXIT_TIMEOUT`."""
    stream = sys.stderr if stream is None else stream
    try:
        stream.write(f"\n{message}\n")
        stream.write(
            f"(raise the bound with --timeout SECONDS or {ENV_VAR}=SECONDS; 0 disables it)\n"
        )
        stream.write("Python stacks at the moment of the timeout:\n")
        stream.flush()
        faulthandler.dump_traceback(file=stream, all_threads=True)
        stream.flush()
    finally:
        os._exit(EXIT_TIMEOUT)  # the stuck computation would block a normal exit


@contextlib.contextmanager
def stage(what: str, seconds: float | None, *, command: str = "jaxml") -> Iterator[None]:
    """Run the ``with`` block under a deadline of ``seconds`` (None: no deadline)."""
    if seconds is None:
        yield
        return
    message = f"{command}: error: {what} did not finish within {seconds:g} s; stopping (exit status {EXIT_TIMEOUT})."
    timer = threading.Timer(seconds, expire, args=(message,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
