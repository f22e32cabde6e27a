"""The wire format between the grader and the sandboxes: what a student's process sends is data, never code."""

from __future__ import annotations

import json
import os
import pickle
import struct

import numpy as np
import pytest

from jaxml.grade import _codec


def test_round_trip_keeps_types_values_and_dtypes():
    tree = {
        "loss": 1.25,
        "grads": (np.arange(6.0).reshape(2, 3), np.array([1, 2], np.int32), np.array(True)),
        "labels": [np.array([3, 1], np.int64), None, "text", b"\x00\xff", float("inf"), -(2**70)],
        7: (np.float32(2.5),),
    }
    back = _codec.decode(_codec.encode(tree))
    assert (
        back.keys() == tree.keys()
        and isinstance(back["grads"], tuple)
        and isinstance(back["labels"], list)
    )
    assert back["loss"] == 1.25 and back["labels"][1:] == [
        None,
        "text",
        b"\x00\xff",
        float("inf"),
        -(2**70),
    ]
    for got, want in zip(back["grads"], tree["grads"]):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    assert back[7][0].dtype == np.float32 and back[7][0] == 2.5


def test_decoded_arrays_are_fresh_and_writeable():
    message = _codec.encode((np.zeros(3),))
    a = _codec.decode(message)[0]
    a += 1  # would raise on a read-only view of the message
    assert np.array_equal(_codec.decode(message)[0], np.zeros(3))


@pytest.mark.parametrize(
    "value",
    [
        np.array([object()], dtype=object),
        np.array(["a"]),
        object(),
        {("tuple", "key"): 1},
        {1.5: 2},
    ],
)
def test_values_that_are_not_plain_data_are_refused(value):
    with pytest.raises(_codec.CodecError):
        _codec.encode(value)


def _message(header: dict, payload: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return _codec.MAGIC + struct.pack(">Q", len(raw)) + raw + payload


@pytest.mark.parametrize(
    "message",
    [
        pickle.dumps([1, 2]),  # a pickle is not decoded, whatever it holds
        b"JXG1" + struct.pack(">Q", 1000) + b"{}",  # truncated
        _message({"t": "a", "i": 0, "d": "|O", "s": [1]}, b"\x00" * 8),  # an object array
        _message({"t": "a", "i": 0, "d": "<f8", "s": [2]}, b"\x00" * 8),  # too few bytes
        _message({"t": "a", "i": 0, "d": "<f8", "s": [1]}, b"\x00" * 9),  # trailing bytes
        _message({"t": "a", "i": 0, "d": "<f8", "s": [-1]}),  # a negative shape
        _message({"t": "i", "v": "1" * 1000}),  # an integer with 1000 digits
        _message({"t": "i", "v": "12x"}),
        _message({"t": "zzz"}),
        _message(json.loads("[" * 40 + "]" * 40)),  # nested too deeply
    ],
)
def test_malformed_messages_raise_codec_error(message):
    with pytest.raises(_codec.CodecError):
        _codec.decode(message)


def test_frames_over_the_limit_are_refused():
    r, w = os.pipe()
    try:
        _codec.write_frame(w, b"x" * 100)
        with pytest.raises(_codec.CodecError):
            _codec.read_frame(r, limit=50)
    finally:
        os.close(r)
        os.close(w)
    frames = _codec.FrameBuffer(limit=10)
    assert frames.feed(struct.pack(">Q", 3) + b"abc" + struct.pack(">Q", 2)) == [b"abc"]
    assert frames.feed(b"de") == [b"de"]
    with pytest.raises(_codec.CodecError):
        frames.feed(struct.pack(">Q", 11))
