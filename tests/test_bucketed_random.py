"""``jaxml.testing.draws``: jax.random's numbers and keys bit for bit, without a program per shape or per key."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxml.testing import draws


def _keys(n: int) -> list:
    """n raw keys spread over the whole uint32 range of both words (not only PRNGKey's (0, seed))."""
    words = (
        np.random.default_rng(0).integers(0, 2**32, size=(n, 2), dtype=np.uint64).astype(np.uint32)
    )
    return [jnp.asarray(w) for w in words] + [jax.random.PRNGKey(0), jax.random.PRNGKey(2**31 - 1)]


@pytest.mark.parametrize("num", [1, 2, 3, 7, 8, 9, 1000])
def test_split_on_the_host_is_jax_random_split(num):
    for key in _keys(50 if num < 100 else 5):
        np.testing.assert_array_equal(
            np.asarray(draws.split(key, num)), np.asarray(jax.random.split(key, num))
        )
        got = draws.split_list(key, num)
        assert len(got) == num
        np.testing.assert_array_equal(np.stack(got), np.asarray(jax.random.split(key, num)))


@pytest.mark.parametrize("data", [0, 1, 7, 1000, 2**31, 2**32 - 1])
def test_fold_in_on_the_host_is_jax_random_fold_in(data):
    for key in _keys(50):
        np.testing.assert_array_equal(
            np.asarray(draws.fold_in(key, data)), np.asarray(jax.random.fold_in(key, data))
        )


@pytest.mark.parametrize("seed", [0, 1, 42, 2**31 - 1])
def test_prng_key_is_jax_random_prngkey(seed):
    got, want = draws.prng_key(seed), jax.random.PRNGKey(seed)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_keys_under_transformations_and_typed_keys_go_through_jax_random():
    keys = jax.random.split(jax.random.PRNGKey(3), 4)
    np.testing.assert_array_equal(
        np.asarray(jax.vmap(lambda k: draws.split(k, 3))(keys)),
        np.asarray(jax.vmap(lambda k: jax.random.split(k, 3))(keys)),
    )
    np.testing.assert_array_equal(
        np.asarray(jax.jit(lambda k: draws.fold_in(k, 5))(keys[0])),
        np.asarray(jax.random.fold_in(keys[0], 5)),
    )
    typed = jax.random.key(7)
    np.testing.assert_array_equal(
        np.asarray(jax.random.key_data(draws.split(typed, 3))),
        np.asarray(jax.random.key_data(jax.random.split(typed, 3))),
    )


@pytest.mark.parametrize("shape", [(), (1,), (5, 3), (100, 7), (20000,)])
def test_draws_are_jax_random_bit_for_bit_concrete_and_traced(shape):
    key = jax.random.PRNGKey(11)
    np.testing.assert_array_equal(
        np.asarray(draws.normal(key, shape, jnp.float64)),
        np.asarray(jax.random.normal(key, shape, jnp.float64)),
    )
    np.testing.assert_array_equal(
        np.asarray(draws.uniform(key, shape, jnp.float64, -1.0, 2.0)),
        np.asarray(jax.random.uniform(key, shape, jnp.float64, -1.0, 2.0)),
    )
    np.testing.assert_array_equal(
        np.asarray(jax.jit(lambda k: draws.normal(k, shape, jnp.float64))(key)),
        np.asarray(jax.random.normal(key, shape, jnp.float64)),
    )
