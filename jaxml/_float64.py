"""The one explicit switch to float64: what ``jaxml reproduce`` / ``jaxml verify`` do before anything is traced.

Importing jaxml changes no global JAX setting. The experiments of the write-up are float64 computations, so the CLI,
the scripts and the benchmarks call :func:`enable_float64` first; a library user who wants the same numbers does
too. The verifier does not need it: it switches float64 on for its own computations only (``jax.enable_x64``) and
leaves the caller's setting as it found it.
"""

from __future__ import annotations

import jax


def enable_float64() -> None:
    """Turn on JAX's 64-bit mode (``jax_enable_x64``) for the whole process.

    Call it before creating arrays or tracing functions: arrays made earlier keep their 32-bit dtypes.
    """
    jax.config.update("jax_enable_x64", True)
