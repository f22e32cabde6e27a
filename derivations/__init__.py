"""Hand-derived mathematics of the write-up, one module per result, coded separately from autodiff.

Each module states its equations (with the write-up's numbers) and declares its results to the verifier with
``jaxml.verify.derivation`` / ``closed_form`` / ``verification``; ``jaxml verify`` checks them all. Nothing here
calls ``jax.grad``: the comparisons with autodiff live in ``jaxml.verify`` and in the tests.
"""
