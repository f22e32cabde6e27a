"""A safe wire format between the grader and the processes that run students' code.

What a student's process sends back is untrusted data: it is never unpickled. Messages are a JSON header describing
a tree (None, bools, ints, floats, strings, bytes, tuples, lists, dicts with string or int keys, and numeric NumPy
arrays) followed by the arrays' raw bytes. Decoding checks every dtype against an allow-list, every shape and byte
count against the header, the tree's depth, and the message's size, and returns fresh, writeable arrays.

This module imports only the standard library and NumPy: the sandbox (``_sandbox.py``, run as a script, without
JAX) loads it by path.
"""

from __future__ import annotations

import json
import math
import os
import struct

import numpy as np

MAGIC = b"JXG1"
MAX_DEPTH = 32
MAX_INT_DIGITS = 64
# numeric dtypes only: an object array would be a pickle in disguise
DTYPES = frozenset(
    np.dtype(t).str
    for t in (
        "?",
        "i1",
        "i2",
        "i4",
        "i8",
        "u1",
        "u2",
        "u4",
        "u8",
        "f2",
        "f4",
        "f8",
        "c8",
        "c16",
    )
)


class CodecError(ValueError):
    """A message could not be encoded (an unsupported value) or is malformed."""


class FrameTooLarge(CodecError):
    """A framed message is longer than the reader accepts."""


def encode(tree) -> bytes:
    """The message for ``tree`` (see the module docstring for what it may hold)."""
    arrays: list[np.ndarray] = []
    header = json.dumps(_node(tree, arrays, 0), separators=(",", ":")).encode()
    parts = [MAGIC, struct.pack(">Q", len(header)), header]
    parts += [np.ascontiguousarray(a).tobytes() for a in arrays]
    return b"".join(parts)


def _node(x, arrays: list, depth: int):
    if depth > MAX_DEPTH:
        raise CodecError(f"nested deeper than {MAX_DEPTH} levels")
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return {"t": "i", "v": str(int(x))}
    if isinstance(x, float):
        return {"t": "f", "v": repr(float(x))}
    if isinstance(x, (bytes, bytearray)):
        arrays.append(np.frombuffer(bytes(x), np.uint8))
        return {"t": "b", "i": len(arrays) - 1, "n": len(x)}
    if isinstance(x, np.generic):
        x = np.asarray(x)
    if isinstance(x, np.ndarray):
        dtype = x.dtype.newbyteorder("<") if x.dtype.byteorder == ">" else x.dtype
        if dtype.str not in DTYPES:
            raise CodecError(f"an array of dtype {x.dtype} (only numeric arrays can be sent)")
        arrays.append(np.asarray(x, dtype))
        return {"t": "a", "i": len(arrays) - 1, "d": dtype.str, "s": list(x.shape)}
    if isinstance(x, tuple):
        return {"t": "t", "v": [_node(v, arrays, depth + 1) for v in x]}
    if isinstance(x, list):
        return [_node(v, arrays, depth + 1) for v in x]
    if isinstance(x, dict):
        keys = list(x)
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
            raise CodecError("a dict with keys that are not strings or integers")
        return {
            "t": "d",
            "k": [_node(k, arrays, depth + 1) for k in keys],
            "v": [_node(x[k], arrays, depth + 1) for k in keys],
        }
    raise CodecError(f"a value of type {type(x).__name__}")


def decode(message: bytes):
    """The tree in ``message``; raises :class:`CodecError` for anything malformed."""
    if len(message) < 12 or message[:4] != MAGIC:
        raise CodecError("not a grader message")
    (size,) = struct.unpack(">Q", message[4:12])
    if 12 + size > len(message):
        raise CodecError("truncated header")
    try:
        header = json.loads(message[12 : 12 + size])
    except (ValueError, RecursionError) as exc:
        raise CodecError(f"bad header: {exc}") from None
    reader = _Reader(memoryview(message)[12 + size :])
    try:
        tree = reader.value(header, 0)
    except CodecError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise CodecError(f"malformed message: {type(exc).__name__}") from None
    if reader.offset != len(reader.data):
        raise CodecError("trailing bytes")
    return tree


class _Reader:
    """Rebuilds a tree from its header, taking the arrays' bytes in order."""

    def __init__(self, data: memoryview):
        self.data, self.offset, self.next_index = data, 0, 0

    def _take(self, index, nbytes: int) -> memoryview:
        if index != self.next_index or nbytes < 0 or self.offset + nbytes > len(self.data):
            raise CodecError("array bytes out of order or missing")
        self.next_index += 1
        out = self.data[self.offset : self.offset + nbytes]
        self.offset += nbytes
        return out

    def value(self, node, depth: int):
        if depth > MAX_DEPTH:
            raise CodecError(f"nested deeper than {MAX_DEPTH} levels")
        if node is None or isinstance(node, (bool, str)):
            return node
        if isinstance(node, list):
            return [self.value(v, depth + 1) for v in node]
        if not isinstance(node, dict):
            raise CodecError("bad node")
        kind = node.get("t")
        if kind == "i":
            digits = str(node.get("v"))
            if len(digits) > MAX_INT_DIGITS:
                raise CodecError("integer too long")
            return int(digits)
        if kind == "f":
            return float(str(node.get("v")))
        if kind == "b":
            n = node.get("n")
            if not isinstance(n, int) or isinstance(n, bool):
                raise CodecError("bad bytes node")
            return bytes(self._take(node.get("i"), n))
        if kind == "a":
            return self._array(node)
        if kind == "t":
            return tuple(self.value(v, depth + 1) for v in _items(node))
        if kind == "d":
            keys = [self.value(k, depth + 1) for k in _items(node, "k")]
            values = [self.value(v, depth + 1) for v in _items(node)]
            if len(keys) != len(values) or not all(isinstance(k, (str, int)) for k in keys):
                raise CodecError("bad dict")
            return dict(zip(keys, values))
        raise CodecError(f"unknown node type {kind!r}")

    def _array(self, node) -> np.ndarray:
        dtype, shape = node.get("d"), node.get("s")
        if dtype not in DTYPES or not isinstance(shape, list):
            raise CodecError("bad array header")
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
            raise CodecError("bad array shape")
        dt = np.dtype(dtype)
        nbytes = math.prod(shape) * dt.itemsize
        raw = self._take(node.get("i"), nbytes)
        return np.frombuffer(raw, dt).reshape(shape).copy()  # a fresh, writeable array


def _items(node: dict, key: str = "v") -> list:
    items = node.get(key)
    if not isinstance(items, list):
        raise CodecError("bad node")
    return items


# --- framing on pipes: an 8-byte length, then the message -----------------------------------------------------


def write_frame(fd: int, message: bytes) -> None:
    """Write one framed message to file descriptor ``fd`` (all of it)."""
    data = memoryview(struct.pack(">Q", len(message)) + message)
    while data:
        n = os.write(fd, data)
        data = data[n:]


def read_exactly(fd: int, n: int) -> bytes | None:
    """``n`` bytes from ``fd``; None at end of file before the first byte; CodecError when cut short."""
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            if got == 0:
                return None
            raise CodecError("message cut short")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, limit: int) -> bytes | None:
    """One framed message from ``fd`` (None at end of file); refuses messages longer than ``limit`` bytes."""
    head = read_exactly(fd, 8)
    if head is None:
        return None
    (n,) = struct.unpack(">Q", head)
    if n > limit:
        raise FrameTooLarge(f"message of {n} bytes exceeds the limit of {limit}")
    body = read_exactly(fd, n)
    if body is None:
        raise CodecError("message cut short")
    return body


class FrameBuffer:
    """Frames accumulated from a non-blocking stream (bytes fed as they arrive), at most ``limit`` bytes each."""

    def __init__(self, limit: int):
        self.limit, self.buffer, self.total = limit, bytearray(), 0

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; return the frames it completes. Raises CodecError for an oversize frame."""
        self.buffer += data
        self.total += len(data)
        frames = []
        while len(self.buffer) >= 8:
            (n,) = struct.unpack(">Q", self.buffer[:8])
            if n > self.limit:
                raise FrameTooLarge(f"message of {n} bytes exceeds the limit of {self.limit}")
            if len(self.buffer) < 8 + n:
                break
            frames.append(bytes(self.buffer[8 : 8 + n]))
            del self.buffer[: 8 + n]
        return frames
