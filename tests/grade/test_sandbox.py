"""The sandbox itself, without JAX: what a submission's process sees (limits, environment, directory, inputs)."""

from __future__ import annotations

import os

import numpy as np

from jaxml.grade import _pool
from jaxml.grade._pool import Limits, Pool

INSPECT = """
import os, resource, sys, tempfile

def where():
    return {
        "cwd": os.getcwd(),
        "home": os.environ["HOME"],
        "tmp": tempfile.gettempdir(),
        "env": sorted(os.environ),
        "bytecode": sys.dont_write_bytecode,
        "path0": sys.path[0],
        "path": sys.path,
        "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
        "cpu": resource.getrlimit(resource.RLIMIT_CPU)[0],
        "session": os.getsid(0) == os.getpid(),
        "stdin": sys.stdin.read(),
    }

def bump(x, shared):
    x += 1  # in place: the next call must not see it
    shared[0] += 1
    return x.copy(), shared[0]
"""


def test_what_a_submission_sees(tmp_path):
    (tmp_path / "ivy.py").write_text(INSPECT)
    x = np.zeros(3)
    limits = Limits(timeout=20.0, memory=1024 << 20)
    job = {
        "op": "job",
        "tasks": [
            {"function": "where", "calls": [[(), {}]]},
            # the same arrays in every call, and in two tasks: each call gets its own copies
            {"function": "bump", "calls": [[(x,), {"shared": [0]}], [(x,), {"shared": [0]}]]},
            {"function": "bump", "calls": [[(x,), {"shared": [0]}]]},
        ],
        "limits": limits.as_dict(),
        "watch": [],
    }
    os.environ["JAXML_TEST_SECRET"] = "token"
    try:
        with Pool(job, [("ivy", str(tmp_path / "ivy.py"))], 1, limits, 3) as pool:
            reply = pool.reply("ivy")
    finally:
        del os.environ["JAXML_TEST_SECRET"]
    assert reply["status"] == "ok"
    seen = reply["tasks"][0]["values"][0]
    assert seen["cwd"] == seen["home"] == seen["tmp"] == seen["path0"]
    grader = os.path.dirname(os.path.abspath(_pool.__file__))  # the sandbox script's folder
    assert not [p for p in seen["path"] if os.path.abspath(p) in (grader, str(tmp_path))]
    assert not os.path.exists(seen["cwd"])  # the private directory is gone after the run
    assert "JAXML_TEST_SECRET" not in seen["env"] and "PYTHONPATH" not in seen["env"]
    assert seen["bytecode"] is True and seen["session"] is True and seen["stdin"] == ""
    assert seen["memory"] == 1024 << 20 and seen["cpu"] == 21
    for task in (1, 2):
        for value, count in reply["tasks"][task]["values"]:
            assert np.array_equal(value, np.ones(3)) and count == 1
    assert np.array_equal(x, np.zeros(3))
    assert sorted(os.listdir(tmp_path)) == ["ivy.py"]
