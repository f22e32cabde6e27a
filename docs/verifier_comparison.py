"""Measure what gradient checkers catch on the same hand-written gradients (docs/verifier-comparison.md).

    python docs/verifier_comparison.py jaxml          # jaxml.verify.check_gradient / check_vjp
    python docs/verifier_comparison.py check_grads    # jax.test_util.check_grads on a custom_vjp carrying the rule
    python docs/verifier_comparison.py gradcheck      # torch.autograd.gradcheck on an autograd.Function (needs torch)
    python docs/verifier_comparison.py jaxml --new    # the third round's rows only (issue #22)

Each case is a scalar loss and a hand-written gradient (or VJP rule), right or with a planted slip. For each tool the
script prints one JSON line per case: whether it passed, the first 300 characters of its message, seconds, and the
peak RSS of the process. "caught" in the table means the tool rejected a wrong gradient; a false alarm is a right
one rejected. The other tools check a hand-written gradient through their custom-rule mechanism: the gradient is the
backward pass of a ``jax.custom_vjp`` (check_grads) or a ``torch.autograd.Function`` (gradcheck), in float64.

The rows of the verifier's third round (issue #22) take real code from ``tests/verify/real_code.py`` (imported by
path): max-pool backward passes at exact ties, the JAX documentation's ``custom_jvp`` convention at x = 0, a
covariance gradient on symmetric positive definite matrices, llm.c's float32 layer norm and a float32 bug, an audit
and a counterexample. jaxml runs each with the case's own options (``domain=``, ``dtype=None``, ``check_jvp``).
check_grads gets the same code as a ``custom_vjp`` over the differentiated arguments (the others closed over; the
JVP rule directly, ``modes=["fwd"]``), at the case's point and in the case's dtype. gradcheck gets a
``torch.autograd.Function`` whose forward and backward call the same ports (NumPy / jax.numpy, x64 on), so it sees
the same values its own torch code would give; float32 cases run on float32 tensors as shipped and, for
comparison, again cast to float64. The audit and the counterexample exist in jaxml only (no row for the others).
"""

from __future__ import annotations

import importlib.util
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

N, D = 40, 5
RNG = np.random.default_rng(0)
X = RNG.normal(size=(N, D))
Y = RNG.normal(size=N)
THETA = RNG.normal(size=D)
W_SQUARE = RNG.normal(size=(D, D))
RELU_X = np.where(np.abs(RNG.normal(size=(10, 10))) < 0.6, 0.0, RNG.normal(size=(10, 10)))
RELU_DOUT = RNG.normal(size=(10, 10))
BN = (RNG.normal(size=(8, 5)), RNG.normal(size=5), RNG.normal(size=5), RNG.normal(size=(8, 5)))


def cases(xp, const):
    """(name, loss(arg), hand gradient(arg), point, expected): ``xp`` the array module (jax.numpy or torch),
    ``const`` turns the NumPy data into its float64 arrays."""
    x_, y_ = const(X), const(Y)
    x32, y32 = const(X.astype(np.float32)), const(Y.astype(np.float32))
    mse = lambda t: ((x_ @ t - y_) ** 2).mean()
    mse_grad = lambda t: 2.0 * x_.T @ (x_ @ t - y_) / N
    mse_grad32 = lambda t: (
        2.0 * x32.T @ (x32 @ _cast(t, x32) - y32) / N
    )  # the same formula, in float32
    tanh_w = lambda w: xp.tanh(x_ @ w).sum()
    tanh_w_grad = lambda w: x_.T @ (1.0 - xp.tanh(x_ @ w) ** 2)
    dout = const(RELU_DOUT)
    relu = lambda x: (dout * xp.maximum(x, 0.0 * x)).sum()
    gamma, beta, c = (const(a) for a in BN[1:])

    def x_hat(x):
        mu = x.mean(0)
        return (x - mu) / xp.sqrt(((x - mu) ** 2).mean(0))

    bn = lambda x: (c * xp.tanh(gamma * x_hat(x) + beta)).sum()

    def bn_dx(x, with_gamma=True):  # eq. 16 fused; without gamma: the per-column slip
        m = x.shape[0]
        inv = 1.0 / xp.sqrt(((x - x.mean(0)) ** 2).mean(0))
        dy = c * (1.0 - xp.tanh(gamma * x_hat(x) + beta) ** 2)
        return (
            ((gamma if with_gamma else 1.0) * inv)
            / m
            * (m * dy - dy.sum(0) - x_hat(x) * (dy * x_hat(x)).sum(0))
        )

    return [
        ("right MSE gradient", mse, mse_grad, THETA, "pass"),
        ("sum where the mean was meant (x n)", mse, lambda t: N * mse_grad(t), THETA, "fail"),
        ("sign flip", mse, lambda t: -mse_grad(t), THETA, "fail"),
        ("transposed square matrix", tanh_w, lambda w: tanh_w_grad(w).T, W_SQUARE, "fail"),
        (
            "batch-norm dx without gamma (per-column scale)",
            bn,
            lambda x: bn_dx(x, False),
            BN[0],
            "fail",
        ),
        ("ReLU backward (x > 0) at exact zeros", relu, lambda x: dout * (x > 0), RELU_X, "pass"),
        ("ReLU with a wrong mask (x > 0.7)", relu, lambda x: dout * (x > 0.7), RELU_X, "fail"),
        (
            "right formula computed in float32",
            mse,
            lambda t: _cast(mse_grad32(t), x_),
            THETA,
            "pass or named",
        ),
        (
            "per-example gradients (an extra axis of length n)",
            mse,
            lambda t: 2.0 * x_ * (x_ @ t - y_)[:, None],
            THETA,
            "fail",
        ),
    ]


def vjp_case(xp):
    """A vector function sin(x) whose VJP rule squares the cotangent's magnitude: g |g| cos(x), not g cos(x)."""
    return (lambda x: xp.sin(x)), (lambda x, g: g * abs(g) * xp.cos(x)), RNG.normal(size=6)


def _cast(a, like):
    """``a`` in the dtype of ``like`` (jax.numpy and torch spell it differently)."""
    return a.to(like.dtype) if hasattr(a, "to") else a.astype(like.dtype)


def large_case(xp, const):
    """Σ dy ⊙ BN(x) for a 4096 x 1024 batch, and its gradient in x (the batch-norm backward pass)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4096, 1024))
    gamma, beta, dy = (
        const(rng.normal(size=1024)),
        const(rng.normal(size=1024)),
        const(rng.normal(size=(4096, 1024))),
    )

    def loss(x):
        mu = x.mean(0)
        return (dy * (gamma * (x - mu) / xp.sqrt(((x - mu) ** 2).mean(0) + 1e-5) + beta)).sum()

    def grad(x):
        m = x.shape[0]
        mu = x.mean(0)
        inv = 1.0 / xp.sqrt(((x - mu) ** 2).mean(0) + 1e-5)
        x_hat = (x - mu) * inv
        return (gamma * inv) / m * (m * dy - dy.sum(0) - x_hat * (dy * x_hat).sum(0))

    return loss, grad, x


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def emit(tool, name, passed, message, seconds, expected, limit=300, **extra):
    print(
        json.dumps(
            {
                "tool": tool,
                "case": name,
                "passed": passed,
                "expected": expected,
                "seconds": round(seconds, 2),
                "message": " ".join(str(message).split())[:limit],
                "peak_gib": round(peak_gib(), 2),
                **extra,
            }
        ),
        flush=True,
    )


# ----------------------------------------------------------------------------------------------------------------
# The third round's rows (issue #22): real code from tests/verify/real_code.py

# (row, real_code case, expected)
NEW_CASES = [
    (
        "max-pool backward: the full gradient to every tied max (CS231n solution, real bug)",
        "maxpool_all_ties_learngit",
        "fail",
    ),
    (
        "max-pool backward: one tied max picked (argmax, right)",
        "maxpool_argmax_proyecto_ia",
        "pass",
    ),
    (
        "max-pool backward: split equally among tied maxima (torch amax, right)",
        "maxpool_split_torch_amax",
        "pass",
    ),
    (
        "custom_jvp x/(1+sqrt x) at x = 0 (JAX docs convention, right)",
        "convention_jax_docs",
        "pass",
    ),
    (
        "covariance gradient of a Cholesky-written NLL on SPD matrices (prx, right)",
        "covariance_prx",
        "pass",
    ),
    ("float32 layer-norm backward (llm.c, right)", "layernorm_llmc_f32", "pass"),
    (
        "float32 layer-norm backward, mean(dy*gamma) subtracted twice (tt-metal #53204, bug)",
        "layernorm_ttmetal_f32",
        "fail",
    ),
]
AUDIT_CASES = [  # (row, case, expected): jaxml only
    (
        "audit: square symmetric example (the covariance case on spd)",
        "covariance_prx",
        "blind spot listed",
    ),
    ("audit: non-square example (softmax, W 5 x 3)", "softmax_fabien102", "none listed"),
]
COUNTEREXAMPLE_CASE = (
    "counterexample of a failing check (CS231n SVM gradient: reg*W where 2*reg*W is right)",
    "svm_reg_jingtinghuang",
    "shrunk point printed",
)


def real_code():
    """tests/verify/real_code.py, imported by path (it needs jax and numpy only)."""
    name = "jaxml_tests_real_code"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "tests" / "verify" / "real_code.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _argnums(p) -> tuple:
    return p.argnums if isinstance(p.argnums, tuple) else (p.argnums,)


def _with(args, nums, diff) -> list:
    """``args`` with the differentiated ones (``nums``) replaced by ``diff``."""
    out = list(args)
    for i, d in zip(nums, diff):
        out[i] = d
    return out


def run_jaxml_new():
    from jaxml.verify import check_gradient

    rc = real_code()
    for row, name, expected in NEW_CASES:
        start = time.perf_counter()
        report = rc.check(name)
        message = ": ".join(x for x in (report.verdict_word, report.diagnosis or report.note) if x)
        emit("jaxml", row, report.ok, message, time.perf_counter() - start, expected)
    for row, name, expected in AUDIT_CASES:
        p = rc.problem(name)
        start = time.perf_counter()
        report = check_gradient(
            p.f, p.grad, *p.args, argnums=p.argnums, audit=True, **(p.options or {})
        )
        seconds = time.perf_counter() - start
        spots = "; ".join(report.blind_spots) or "(none)"
        emit(
            "jaxml",
            row,
            report.ok,
            f"{report.verdict_word}; blind spots: {spots}",
            seconds,
            expected,
            audit_seconds=report.audit_seconds,
        )
    row, name, expected = COUNTEREXAMPLE_CASE
    start = time.perf_counter()
    report = rc.check(name)
    seconds = time.perf_counter() - start
    line = next(
        (x.strip() for x in str(report).splitlines() if x.strip().startswith("fails at")), ""
    )
    emit("jaxml", row, report.ok, line, seconds, expected, limit=2000, diagnosis=report.diagnosis)


def run_check_grads_new():
    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads

    rc = real_code()
    for row, name, expected in NEW_CASES:
        p = rc.problem(name)
        args = tuple(jnp.asarray(a) for a in p.args)
        if p.check == "jvp":  # the custom_jvp rule itself, forward mode
            f, point, modes = p.f, args, ["fwd"]
        else:
            nums = _argnums(p)
            point = tuple(args[i] for i in nums)
            f = jax.custom_vjp(lambda *d, p=p, a=args, nums=nums: p.f(*_with(a, nums, d)))

            def bwd(res, g, p=p, a=args, nums=nums):
                grads = p.grad(*_with(a, nums, res))
                grads = grads if isinstance(p.argnums, tuple) else (grads,)
                return tuple(g * jnp.asarray(a) for a in grads)

            f.defvjp(lambda *d, f=f: (f(*d), d), bwd)
            modes = ["rev"]
        start = time.perf_counter()
        try:
            check_grads(f, point, order=1, modes=modes)
            passed, message = True, ""
        except Exception as exc:  # noqa: BLE001 - AssertionError, or an error in user code
            passed, message = False, f"{type(exc).__name__}: {exc}"
        emit("check_grads", row, passed, message, time.perf_counter() - start, expected)


def run_gradcheck_new():
    import jax
    import torch

    jax.config.update("jax_enable_x64", True)  # the ports compute in the arrays' own dtype
    rc = real_code()
    for row, name, expected in NEW_CASES:
        p = rc.problem(name)
        floats = [np.asarray(a) for a in p.args]
        dtypes = {a.dtype for a in floats if np.issubdtype(a.dtype, np.floating)}
        casts = [None] + ([np.float64] if np.dtype(np.float32) in dtypes else [])
        for cast in casts:
            args = [
                a.astype(cast) if cast and np.issubdtype(a.dtype, np.floating) else a
                for a in floats
            ]
            label = row + (" (cast to float64)" if cast else "")
            _gradcheck_problem(torch, jax, p, args, label, expected)


def _gradcheck_problem(torch, jax, p, args, row, expected):
    to_t = lambda a: torch.from_numpy(np.array(a))  # a writable copy
    if p.check == "jvp":  # a vector function: backward is the rule's VJP

        class Rule(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return to_t(p.f(x.detach().numpy()))

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                _, vjp = jax.vjp(p.f, x.numpy())
                return to_t(vjp(g.numpy())[0])

        nums = (0,)
    else:
        nums = _argnums(p)

        class Rule(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *d):
                ctx.save_for_backward(*d)
                return to_t(p.f(*_with(args, nums, [t.detach().numpy() for t in d])))

            @staticmethod
            def backward(ctx, g):
                d = [t.numpy() for t in ctx.saved_tensors]
                grads = p.grad(*_with(args, nums, d))
                grads = grads if isinstance(p.argnums, tuple) else (grads,)
                return tuple(g * to_t(a) for a in grads)

    point = tuple(torch.tensor(args[i], requires_grad=True) for i in nums)
    start = time.perf_counter()
    try:
        passed = bool(torch.autograd.gradcheck(Rule.apply, point))
        message = ""
    except Exception as exc:  # noqa: BLE001 - GradcheckError with the two Jacobians, or user code
        passed, message = False, f"{type(exc).__name__}: {exc}"
    emit("gradcheck", row, passed, message, time.perf_counter() - start, expected)


def run_jaxml():
    import jax.numpy as jnp

    from jaxml.verify import check_gradient

    for name, loss, grad, point, expected in cases(jnp, np.asarray):
        start = time.perf_counter()
        report = check_gradient(loss, grad, point, points=16)
        emit(
            "jaxml",
            name,
            report.ok,
            report.diagnosis or report.note or "",
            time.perf_counter() - start,
            expected,
        )
    from jaxml.verify import check_vjp

    f, rule, point = vjp_case(jnp)
    g = jax_custom(f, rule)
    start = time.perf_counter()
    report = check_vjp(f, g, point)
    emit(
        "jaxml",
        "VJP rule not linear in the cotangent",
        report.ok,
        report.diagnosis,
        time.perf_counter() - start,
        "fail",
    )
    loss, grad, x = large_case(jnp, np.asarray)
    start = time.perf_counter()
    report = check_gradient(loss, grad, x.astype(np.float32), points=16)
    emit(
        "jaxml",
        "4096 x 1024 batch-norm dx, 16 points",
        report.ok,
        report.diagnosis or "",
        time.perf_counter() - start,
        "pass",
    )
    run_jaxml_new()  # after the large case: its peak RSS stays its own


def jax_custom(f, rule):
    import jax

    g = jax.custom_vjp(f)
    g.defvjp(lambda x: (f(x), x), lambda x, c: (rule(x, c),))
    return g


def run_check_grads():
    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads

    jax.config.update("jax_enable_x64", True)
    for name, loss, grad, point, expected in cases(jnp, jnp.asarray):
        f = jax.custom_vjp(loss)
        f.defvjp(lambda t, loss=loss: (loss(t), t), lambda t, g, grad=grad: (g * grad(t),))
        start = time.perf_counter()
        try:
            check_grads(f, (jnp.asarray(point),), order=1, modes=["rev"])
            passed, message = True, ""
        except Exception as exc:  # noqa: BLE001 - AssertionError, or JAX's shape error
            passed, message = False, f"{type(exc).__name__}: {exc}"
        emit("check_grads", name, passed, message, time.perf_counter() - start, expected)
    f, rule, point = vjp_case(jnp)
    _check_grads_one("VJP rule not linear in the cotangent", jax_custom(f, rule), point, "fail")
    loss, grad, x = large_case(jnp, jnp.asarray)
    f = jax.custom_vjp(loss)
    f.defvjp(lambda t: (loss(t), t), lambda t, g: (g * grad(t),))
    _check_grads_one("4096 x 1024 batch-norm dx (one random direction)", f, x, "pass")
    run_check_grads_new()


def _check_grads_one(name, f, point, expected):
    import jax.numpy as jnp
    from jax.test_util import check_grads

    start = time.perf_counter()
    try:
        check_grads(f, (jnp.asarray(point),), order=1, modes=["rev"])
        passed, message = True, ""
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        passed, message = False, f"{type(exc).__name__}: {exc}"
    emit("check_grads", name, passed, message, time.perf_counter() - start, expected)


def run_gradcheck():
    import torch

    for name, loss, grad, point, expected in cases(torch, lambda a: torch.tensor(a)):

        class Rule(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, loss=loss):
                ctx.save_for_backward(x)
                return loss(x)

            @staticmethod
            def backward(ctx, g, grad=grad):
                (x,) = ctx.saved_tensors
                return g * grad(x), None

        start = time.perf_counter()
        point_t = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        try:
            passed = bool(torch.autograd.gradcheck(lambda x: Rule.apply(x), (point_t,)))
            message = ""
        except Exception as exc:  # noqa: BLE001 - gradcheck raises GradcheckError with the two Jacobians
            passed, message = False, exc
        emit("gradcheck", name, passed, message, time.perf_counter() - start, expected)
    f, rule, point = vjp_case(torch)
    _gradcheck_one("VJP rule not linear in the cotangent", f, rule, point, "fail")
    loss, grad, x = large_case(torch, lambda a: torch.tensor(a))
    _gradcheck_one(
        "4096 x 1024 batch-norm dx, fast_mode",
        loss,
        lambda x, g: g * grad(x),
        x,
        "pass",
        fast_mode=True,
    )
    run_gradcheck_new()


def _gradcheck_one(name, f, rule, point, expected, **kwargs):
    import torch

    class Rule(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return f(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return rule(x, g)

    start = time.perf_counter()
    try:
        passed = bool(
            torch.autograd.gradcheck(
                Rule.apply, (torch.tensor(point, requires_grad=True),), **kwargs
            )
        )
        message = ""
    except Exception as exc:  # noqa: BLE001 - user code may raise anything
        passed, message = False, exc
    emit("gradcheck", name, passed, message, time.perf_counter() - start, expected)


if __name__ == "__main__":
    if sys.argv[2:] == ["--new"]:  # the third round's rows only
        if sys.argv[1] == "check_grads":
            import jax

            jax.config.update("jax_enable_x64", True)  # as run_check_grads runs them
        {
            "jaxml": run_jaxml_new,
            "check_grads": run_check_grads_new,
            "gradcheck": run_gradcheck_new,
        }[sys.argv[1]]()
    else:
        {"jaxml": run_jaxml, "check_grads": run_check_grads, "gradcheck": run_gradcheck}[
            sys.argv[1]
        ]()
