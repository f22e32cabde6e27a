"""Grading tasks: what the staff declare (:func:`task`), the assignment file that holds them, and each task's points.

A task says: the submission defines ``function``; ``call(fn, *args)`` shows how to call it with the arguments of the
loss ``of``; ``output(result)`` picks the gradient out of what it returns; that gradient is compared with autodiff's
gradient of ``of`` (with respect to ``argnums``) at ``points`` points drawn by ``example(key)`` from ``seed``.

**How ``call`` runs without the assignment leaving the grader.** Students' code runs in sandbox processes that never
see the assignment file, the loss or a reference gradient. So ``call`` is evaluated here, once per point, with a
recording stand-in for the student's function: the stand-in records the arguments it is called with (a tree of
arrays and plain Python values) and returns a placeholder. The recorded arguments are what the sandbox calls the
student's function with; its raw return value comes back, and ``output`` is applied here. Hence ``call`` must call
``fn`` exactly once and return its result unchanged (``lambda fn, x, w, b, dout: fn(dout, (x, w, b))``); anything
done to the result belongs in ``output``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import inspect
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np

from ..errors import UsageError

TABLE = "__jaxml_tasks__"  # the assignment module's {task name: Task}
DEFAULT_POINTS = 8


@dataclasses.dataclass(frozen=True)
class Task:
    """One graded gradient (see :func:`task`)."""

    name: str
    function: str
    of: Callable
    example: Callable
    argnums: Any = 0
    call: Callable | None = None
    output: Callable | None = None
    max_score: float = 1.0
    forbid: tuple[str, ...] = ()
    points: int = DEFAULT_POINTS
    seed: int = 0
    rtol: float | None = None

    @property
    def argnums_t(self) -> tuple[int, ...]:
        return self.argnums if isinstance(self.argnums, tuple) else (self.argnums,)


def task(
    name: str,
    *,
    function: str,
    of: Callable,
    example: Callable,
    argnums: int | tuple[int, ...] = 0,
    call: Callable | None = None,
    output: Callable | None = None,
    max_score: float = 1,
    forbid: tuple[str, ...] = (),
    points: int = DEFAULT_POINTS,
    seed: int = 0,
    rtol: float | None = None,
) -> Task:
    """Declare a graded task in an assignment file (``jaxml grade ASSIGNMENT.py SUBMISSIONS/``).

    Args:
      name: the task's name (a column of grades.csv).
      function: the name of the function a submission must define.
      of: the loss, in JAX: the reference is autodiff's gradient of it (no reference gradient is written anywhere).
      example: ``example(key) -> tuple`` of the loss's arguments; called once per point.
      argnums: which arguments of ``of`` the gradient is taken with respect to (an int or a tuple).
      call: ``call(fn, *args)`` calls the submission's function with the loss's arguments (default
        ``fn(*args)``); it must call ``fn`` once and return its result unchanged (see the module docstring).
      output: ``output(result)`` picks the gradient out of the function's return value (default: all of it).
      max_score: the task's points; a gradient with several arrays (a tuple or pytree) earns a share per array.
      forbid: top-level modules a submission may not import for this task (e.g. ``("jax", "torch")``).
      points: how many points the gradient is compared at.
      seed: the seed of the points (the same seed gives the same points, and the same grades).
      rtol: the comparison's relative tolerance (default: :func:`jaxml.verify.check_gradient`'s).

    Returns:
      The :class:`Task`, also recorded in the calling module (the assignment file).
    """
    if not isinstance(name, str) or not name or any(c in name for c in ',"\n'):
        raise UsageError(
            f"task name must be a non-empty string without commas or quotes, got {name!r}"
        )
    if not isinstance(function, str) or not function.isidentifier():
        raise UsageError(f"task {name}: function= must be a Python identifier, got {function!r}")
    for label, fn in (("of", of), ("example", example), ("call", call), ("output", output)):
        if fn is not None and not callable(fn):
            raise UsageError(f"task {name}: {label}= must be callable")
    argnums = tuple(int(a) for a in argnums) if isinstance(argnums, (tuple, list)) else int(argnums)
    if isinstance(forbid, str):
        forbid = (forbid,)
    if not (isinstance(points, int) and points >= 1):
        raise UsageError(f"task {name}: points must be a positive integer, got {points!r}")
    if not max_score >= 0:
        raise UsageError(f"task {name}: max_score must be >= 0, got {max_score!r}")
    declared = Task(
        name=name,
        function=function,
        of=of,
        example=example,
        argnums=argnums,
        call=call,
        output=output,
        max_score=float(max_score),
        forbid=tuple(str(f) for f in forbid),
        points=points,
        seed=int(seed),
        rtol=rtol,
    )
    table = inspect.currentframe().f_back.f_globals.setdefault(TABLE, {})
    if name in table:
        raise UsageError(f"task {name} is declared twice")
    table[name] = declared
    return declared


@dataclasses.dataclass(frozen=True)
class Assignment:
    """An assignment file, loaded: its tasks in declaration order and the file's SHA-256."""

    path: str
    sha256: str
    tasks: tuple[Task, ...]


def load_assignment(path: str | Path) -> Assignment:
    """Execute an assignment file (in this process: it is the staff's code) and collect its tasks."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"assignment file not found: {path}")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    module_name = f"jaxml_assignment_{digest[:16]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
    except BaseException as exc:  # any error in the file is a usage error, one message
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise UsageError(
            f"{path}: the assignment file failed to load: {type(exc).__name__}: {exc}"
        ) from None
    tasks = tuple(getattr(module, TABLE, {}).values())
    if not tasks:
        raise UsageError(f"{path}: declares no task (call jaxml.grade.task(...) in it)")
    return Assignment(path=str(path), sha256=digest, tasks=tasks)


# --- points ----------------------------------------------------------------------------------------------------


def to_wire(x, where: str):
    """A value as plain data for the sandbox: arrays as NumPy (floats in float64), Python values as they are."""
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, (tuple, list)):
        out = [to_wire(v, where) for v in x]
        return tuple(out) if isinstance(x, tuple) else out
    if isinstance(x, dict):
        return {k: to_wire(v, where) for k, v in x.items()}
    if isinstance(x, (np.ndarray, np.generic, jax.Array)):
        a = np.array(x)
        return a.astype(np.float64) if np.issubdtype(a.dtype, np.floating) else a
    raise UsageError(f"{where}: cannot send a value of type {type(x).__name__} to a submission")


def point_key(leaves) -> bytes:
    """A digest of one point's varying arguments (floats compared as float64, integers as int64)."""
    h = hashlib.sha256()
    for leaf in leaves:
        a = np.asarray(leaf)
        if np.issubdtype(a.dtype, np.floating):
            a = a.astype(np.float64)
        elif np.issubdtype(a.dtype, np.integer) or a.dtype == bool:
            a = a.astype(np.int64)
        h.update(repr((a.dtype.str, a.shape)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.digest()


_UNCHANGED = "call must return fn(...)'s result unchanged; pick the gradient out of it with output="


class _Placeholder:
    """What the stand-in returns in place of the student's result (which exists only in the sandbox)."""

    def __getitem__(self, index):
        raise UsageError(_UNCHANGED)

    def __iter__(self):
        raise UsageError(_UNCHANGED)


class _Recorder:
    """The stand-in passed to ``call`` as the student's function: it records how it is called."""

    RESULT = _Placeholder()

    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self.RESULT


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A task made ready to grade: its points, what the sandbox calls, and the checks' arguments.

    Attributes:
      task: the declared task.
      args0: the loss's arguments at point 0 (NumPy arrays and Python values).
      at: per argument, the points stacked on a leading axis, or None when it is the same at every point.
      varying: the indices of the arguments that vary over the points.
      keys: per point, :func:`point_key` of its varying arguments.
      calls: per point, (args, kwargs) for the student's function.
      expected: autodiff's gradient's shape at point 0 (a pytree of ShapeDtypeStruct).
      loss: the task's loss, jitted: the checks trace one call of it instead of its every operation (a class's
        checks of one task then take half the time).
      labels: a name per leaf of the gradient ("W", "params['W1']", ...).
      leaf_losses: for a gradient of several leaves, per leaf a loss of that leaf alone, ``f_k(leaf, *args)``.
    """

    task: Task
    args0: tuple
    at: tuple
    varying: tuple[int, ...]
    keys: tuple[bytes, ...]
    calls: tuple
    expected: Any
    loss: Callable
    labels: tuple[str, ...]
    leaf_losses: tuple[Callable, ...]


def _numpy(x):
    if isinstance(x, (jax.Array, np.ndarray, np.generic)):
        a = np.array(x)
        return a.astype(np.float64) if np.issubdtype(a.dtype, np.floating) else a
    return x


def _same(a, b) -> bool:
    la, ta = jax.tree_util.tree_flatten(a)
    lb, tb = jax.tree_util.tree_flatten(b)
    if ta != tb:
        return False
    return all(
        type(x) is type(y) and np.shape(x) == np.shape(y) and np.array_equal(x, y)
        for x, y in zip(la, lb)
    )


def _record_call(t: Task, args: tuple, p: int) -> tuple:
    recorder = _Recorder()
    call = t.call or (lambda fn, *a: fn(*a))
    try:
        result = call(recorder, *args)
    except UsageError as exc:
        raise UsageError(f"task {t.name}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the staff's call= is reported as a usage error
        raise UsageError(
            f"task {t.name}: call(fn, *args) raised {type(exc).__name__}: {exc}"
        ) from None
    if len(recorder.calls) != 1:
        raise UsageError(
            f"task {t.name}: call must call fn exactly once (it called it {len(recorder.calls)} times)"
        )
    if result is not _Recorder.RESULT:
        raise UsageError(f"task {t.name}: {_UNCHANGED}")
    fn_args, fn_kwargs = recorder.calls[0]
    where = f"task {t.name}, point {p}"
    return (to_wire(tuple(fn_args), where), to_wire(dict(fn_kwargs), where))


def _labels(t: Task, expected) -> tuple[str, ...]:
    try:
        params = [
            q.name
            for q in inspect.signature(t.of).parameters.values()
            if q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    name = lambda i: params[i] if i < len(params) else f"args[{i}]"
    out = []
    for path, _ in jax.tree_util.tree_flatten_with_path(expected)[0]:
        if isinstance(t.argnums, tuple):
            i = t.argnums[path[0].idx]
            out.append(name(i) + jax.tree_util.keystr(tuple(path[1:])))
        else:
            out.append(name(t.argnums) + jax.tree_util.keystr(tuple(path)))
    return tuple(out)


def _leaf_position(args0: tuple, argnums: tuple, k: int) -> tuple[int, int]:
    """(argument index, leaf index inside it) of leaf k of the gradient."""
    for i in argnums:
        n = len(jax.tree_util.tree_leaves(args0[i]))
        if k < n:
            return i, k
        k -= n
    raise IndexError(k)


def _leaf_loss(f: Callable, position: tuple[int, int]) -> Callable:
    """``f_k(leaf, *args)``: f with one leaf of one argument replaced by ``leaf`` (its gradient is leaf k's)."""
    i, j = position

    def f_k(leaf, *args):
        args = list(args)
        leaves, treedef = jax.tree_util.tree_flatten(args[i])
        leaves[j] = leaf
        args[i] = jax.tree_util.tree_unflatten(treedef, leaves)
        return f(*args)

    try:  # the verifier names arguments after the signature (a scale "divided by gamma")
        params = list(inspect.signature(f).parameters.values())
        first = "leaf" if all(q.name != "leaf" for q in params) else "leaf_"
        f_k.__signature__ = inspect.Signature(
            [inspect.Parameter(first, inspect.Parameter.POSITIONAL_ONLY)]
            + [q.replace(kind=inspect.Parameter.POSITIONAL_ONLY, default=q.empty) for q in params]
        )
    except (TypeError, ValueError):
        pass
    return f_k


def _examples(t: Task) -> list[tuple]:
    """``example(key)`` at each point's key, called point by point: Python numbers stay Python numbers (a jitted,
    vmapped call would make them arrays), and each operation compiles once for all points and tasks."""
    key = jax.random.fold_in(jax.random.PRNGKey(t.seed), zlib.crc32(t.name.encode()))
    keys = jax.random.split(key, t.points)
    out = []
    for p in range(t.points):
        try:
            args = t.example(keys[p])
        except Exception as exc:  # noqa: BLE001 - the staff's example= is reported as a usage error
            raise UsageError(
                f"task {t.name}: example(key) raised {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(args, (tuple, list)):
            raise UsageError(
                f"task {t.name}: example(key) must return a tuple of the loss's arguments"
            )
        out.append(tuple(jax.tree_util.tree_map(_numpy, tuple(args))))
    return out


def prepare(t: Task) -> Prepared:
    """Draw the task's points, record the calls, and build the checks' arguments (in float64)."""
    with jax.enable_x64(True):
        points = _examples(t)
        args0 = points[0]
        for i in t.argnums_t:
            if not 0 <= i < len(args0):
                raise UsageError(
                    f"task {t.name}: argnums {t.argnums} out of range for {len(args0)} arguments"
                )
        varying = tuple(
            i for i in range(len(args0)) if any(not _same(pt[i], args0[i]) for pt in points[1:])
        )
        if t.points > 1 and not varying:
            raise UsageError(f"task {t.name}: example(key) gives the same arguments for every key")
        stack = lambda *xs: np.stack([np.asarray(x) for x in xs])
        at = tuple(
            jax.tree_util.tree_map(stack, *[pt[i] for pt in points]) if i in varying else None
            for i in range(len(args0))
        )
        if not varying:  # a single point: every argument "varies" over the one point
            varying = tuple(range(len(args0)))
            at = tuple(jax.tree_util.tree_map(lambda x: np.asarray(x)[None], a) for a in args0)
        try:
            expected = jax.eval_shape(jax.grad(t.of, argnums=t.argnums), *args0)
        except Exception as exc:  # noqa: BLE001 - the staff's loss is reported as a usage error
            raise UsageError(
                f"task {t.name}: the loss cannot be differentiated at its example: {type(exc).__name__}: {exc}"
            ) from None
    keys = tuple(
        point_key([leaf for i in varying for leaf in jax.tree_util.tree_leaves(pt[i])])
        for pt in points
    )
    n_leaves = len(jax.tree_util.tree_leaves(expected))
    loss = jax.jit(t.of)
    leaf_losses = ()
    if n_leaves > 1:
        leaf_losses = tuple(
            jax.jit(_leaf_loss(loss, _leaf_position(args0, t.argnums_t, k)))
            for k in range(n_leaves)
        )
    return Prepared(
        task=t,
        args0=args0,
        at=at,
        varying=varying,
        keys=keys,
        calls=tuple(_record_call(t, pt, p) for p, pt in enumerate(points)),
        expected=expected,
        loss=loss,
        labels=_labels(t, expected),
        leaf_losses=leaf_losses,
    )
