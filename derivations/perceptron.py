"""Write-up §3(a): the kernel (dual) perceptron is the primal perceptron in disguise.

Primal, one pass in file order, theta^(0) = 0, g(z) = 1 if z >= 0 else 0 (write-up §3(a)(i)):

    theta^(i) = theta^(i-1) + alpha [y^(i) - g(theta^(i-1)T phi(x^(i)))] phi(x^(i)).

Dual (write-up eq. 1), with K(x, z) = <phi(x), phi(z)>:

    beta_i = alpha [y^(i) - g(sum_{k<i} beta_k K(x^(k), x^(i)))],   h(x) = g(sum_j beta_j K(x^(j), x)).

Claim: theta^(i) = sum_{j<=i} beta_j phi(x^(j)) for every i. Induction: true at i = 0 (empty sum, theta = 0).
If it holds at i - 1, then theta^(i-1)T phi(x^(i)) = sum_{k<i} beta_k <phi(x^(k)), phi(x^(i))>
= sum_{k<i} beta_k K(x^(k), x^(i)), so the primal's scalar step alpha [y^(i) - g(.)] is exactly beta_i and
theta^(i) = sum_{j<i} beta_j phi(x^(j)) + beta_i phi(x^(i)). Hence every margin and every prediction agree:
theta^T phi(x) = sum_j beta_j K(x^(j), x).

This file holds the explicit feature maps (dot: phi(x) = x; polynomial (1 + x^T z)^2:
phi(x) = (1, sqrt(2) x, vec(x x^T))), the primal theta-form perceptron written out, and a check that runs both
forms on the same data and compares margins, coefficients, theta and labels. "Equal up to rounding" is the
claim: the two forms add the same numbers in a different order, so margins agree to ~1e-15 relative; a label
could only differ if a margin sat within rounding of g's threshold 0.

Only the public ``jaxml`` API is used (``jaxml.models.kernels``, ``jaxml.models.perceptron``).

It also derives, from the update rule alone, what the course's non-PSD kernel does (write-up §3(c) says only
"if the kernel function is not PSD, it cannot be a valid function"; the precise statements are in
:func:`non_psd_beta_by_hand`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from jaxml.models import kernels, perceptron
from jaxml.verify import verification

ALPHA = 0.5  # write-up §3 / course starter: learning rate 0.5
RTOL = 1e-10  # float64: both forms sum the same terms in another order


# ----------------------------------------------------------------------------------------------------------
# Explicit feature maps
# ----------------------------------------------------------------------------------------------------------


def phi_dot(x: jax.Array) -> jax.Array:
    """Feature map of the dot kernel: phi(x) = x, so <phi(x), phi(z)> = x^T z. x: (d,) -> (d,)."""
    return x


def phi_poly2(x: jax.Array) -> jax.Array:
    """Feature map of K(x, z) = (1 + x^T z)^2: phi(x) = (1, sqrt(2) x, vec(x x^T)), shape (1 + d + d^2,).

    <phi(x), phi(z)> = 1 + 2 x^T z + sum_{a,b} x_a x_b z_a z_b = 1 + 2 x^T z + (x^T z)^2 = (1 + x^T z)^2.
    (For d = 2 the compact 6-vector (1, sqrt2 x1, sqrt2 x2, x1^2, x2^2, sqrt2 x1 x2) is the same map with the
    two equal cross terms merged.)
    """
    one = jnp.ones((1,), x.dtype)
    return jnp.concatenate([one, jnp.sqrt(2.0) * x, jnp.outer(x, x).ravel()])


def _g(z):
    return jnp.where(z >= 0, 1.0, 0.0)  # g(z) = 1 if z >= 0 else 0


def _labels(margins) -> np.ndarray:
    """g of computed margins, in NumPy (one-shot): 1.0 where the margin is >= 0, else 0.0."""
    return np.where(np.asarray(margins) >= 0, 1.0, 0.0)


# ----------------------------------------------------------------------------------------------------------
# The primal (theta) form
# ----------------------------------------------------------------------------------------------------------


def primal_perceptron(phi: Callable, x: jax.Array, y: jax.Array, alpha: float = ALPHA):
    """One pass of the primal perceptron in the explicit feature space (write-up §3(a)(i)).

    theta^(i) = theta^(i-1) + c_i phi(x^(i)),  c_i = alpha [y^(i) - g(theta^(i-1)T phi(x^(i)))],  theta^(0) = 0.

    Args:
      phi: explicit feature map, (d,) -> (p,).
      x: (n, d) training points in order; y: (n,) labels in {0, 1}.
      alpha: learning rate.

    Returns:
      (theta (p,), c (n,) the scalar steps, m (n,) the margins theta^(i-1)T phi(x^(i)) seen at each step).
    """
    features = jax.vmap(phi)(x)  # (n, p)

    def step(theta, fy):
        f, y_i = fy
        m = jnp.dot(theta, f)  # theta^(i-1)T phi(x^(i))
        c = alpha * (y_i - _g(m))  # alpha [y^(i) - g(theta^T phi(x^(i)))]
        return theta + c * f, (c, m)  # theta^(i) = theta^(i-1) + c phi(x^(i))

    theta0 = jnp.zeros(features.shape[1], features.dtype)
    theta, (c, m) = jax.lax.scan(step, theta0, (features, y.astype(features.dtype)))
    return theta, c, m


@functools.partial(jax.jit, static_argnums=(0,))
def _both_forms(phi, model, x_train, y_train, x_eval, alpha):
    """The primal pass and the quantities compared with the dual ``model``, in one compiled program.

    Returns (theta, c, m, theta_from_beta, eval_dual, eval_primal): the primal's theta (p,), steps c (n,) and
    margins m (n,); sum_j beta_j phi(x_j) (p,); the margins sum_j beta_j K(x_j, x) and theta^T phi(x) at x_eval.
    """
    theta, c, m = primal_perceptron(phi, x_train, y_train, alpha)
    theta_from_beta = model.beta @ jax.vmap(phi)(x_train)  # sum_j beta_j phi(x_j)
    eval_dual = perceptron.margin(model, x_eval)  # sum_j beta_j K(x_j, x)
    eval_primal = jax.vmap(phi)(x_eval) @ theta  # theta^T phi(x)
    return theta, c, m, theta_from_beta, eval_dual, eval_primal


# ----------------------------------------------------------------------------------------------------------
# Comparing the two forms
# ----------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class DualPrimalReport:
    """Dual (beta) vs primal (theta) perceptron on one data set.

    max_abs_error / max_rel_error: the worst difference over (a) the margins seen at every training step,
    (b) theta_primal vs sum_j beta_j phi(x_j), (c) the margins at the evaluation points; relative to the largest
    magnitude of the quantity compared. ok: rel error <= rtol, identical coefficients and identical labels.
    """

    kernel: str
    ok: bool
    max_abs_error: float
    max_rel_error: float
    diagnosis: str | None
    n_train: int
    n_eval: int
    coefficients_equal: bool
    labels_agree: bool
    rtol: float = RTOL

    @property
    def points(self) -> int:
        """Evaluation points compared (for the verify table)."""
        return self.n_eval

    @property
    def tolerance(self) -> str:
        return f"rel {self.rtol:g}, beta and labels exact"

    def __str__(self) -> str:
        status = "OK" if self.ok else "FAILED"
        text = (
            f"dual == primal [{self.kernel}] {status}: max |margin/theta diff| = {self.max_abs_error:.3e} "
            f"(rel {self.max_rel_error:.3e}, rtol {self.rtol:g}); n_train = {self.n_train}, n_eval = {self.n_eval}; "
            f"beta == primal steps: {self.coefficients_equal}; labels agree: {self.labels_agree}"
        )
        return text if self.diagnosis is None else f"{text}\n  {self.diagnosis}"


def _diff(a, b) -> tuple[float, float]:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    abs_err = float(np.max(np.abs(a - b))) if a.size else 0.0
    scale = float(max(np.max(np.abs(a)) if a.size else 0.0, np.max(np.abs(b)) if b.size else 0.0))
    return abs_err, (abs_err / scale if scale > 0 else abs_err)


def _dual_primal_problems(
    beta, c, model, m_primal, labels_dual, labels_primal, max_rel, rtol
) -> list[str]:
    """What went wrong, in words (empty when the two forms agree)."""
    problems = []
    if not np.array_equal(beta, c):
        first = int(np.argmax(beta != c))
        problems.append(
            f"beta and the primal steps first differ at step {first} (beta={beta[first]}, c={c[first]}; "
            f"margins there: dual {float(model.online_margin[first]):.3e}, primal {float(m_primal[first]):.3e}) "
            "- a margin within rounding of g's threshold 0, or K != <phi, phi>"
        )
    if not np.array_equal(labels_dual, labels_primal):
        problems.append(
            f"labels differ at {int(np.sum(labels_dual != labels_primal))} of {len(labels_dual)} points"
        )
    if max_rel > rtol:
        problems.append(
            f"relative difference {max_rel:.3e} > rtol {rtol:g}: is K(x, z) = <phi(x), phi(z)>?"
        )
    return problems


def dual_equals_primal(
    name: str,
    kernel: Callable,
    phi: Callable,
    x_train,
    y_train,
    x_eval,
    *,
    alpha: float = ALPHA,
    rtol: float = RTOL,
    model: perceptron.KernelPerceptron | None = None,
) -> DualPrimalReport:
    """Run the dual perceptron (``jaxml.models.perceptron.fit``, kernel K) and the primal one (explicit phi) on the
    same data, and compare: the per-step margins, beta vs the primal steps c, theta vs sum_j beta_j phi(x_j),
    and the margins and labels at ``x_eval``. K must equal <phi(x), phi(z)>.

    Args:
      name: label for the report ("dot", "polynomial").
      kernel: K(x, z) on (d,) vectors; phi: its explicit map (d,) -> (p,).
      x_train: (n, d); y_train: (n,) in {0, 1}; x_eval: (m, d).
      alpha: learning rate; rtol: tolerance on the relative difference.
      model: the dual model already trained on (x_train, y_train) with this kernel and alpha (default: train it).

    Returns:
      A :class:`DualPrimalReport`.
    """
    x_train = jnp.asarray(x_train, jnp.float64)
    y_train = jnp.asarray(y_train, jnp.float64)
    x_eval = jnp.asarray(x_eval, jnp.float64)
    if model is None:
        model = perceptron.fit(x_train, y_train, kernel=kernel, alpha=alpha)  # dual: beta
    theta, c, m_primal, theta_from_beta, eval_dual, eval_primal = _both_forms(
        phi, model, x_train, y_train, x_eval, alpha
    )
    errs = [
        _diff(model.online_margin, m_primal),
        _diff(theta_from_beta, theta),
        _diff(eval_dual, eval_primal),
    ]
    max_abs = max(e[0] for e in errs)
    max_rel = max(e[1] for e in errs)
    beta, c = np.asarray(model.beta), np.asarray(c)
    labels_dual, labels_primal = _labels(eval_dual), _labels(eval_primal)
    problems = _dual_primal_problems(
        beta, c, model, m_primal, labels_dual, labels_primal, max_rel, rtol
    )
    return DualPrimalReport(
        kernel=name,
        ok=not problems,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
        diagnosis="; ".join(problems) or None,
        n_train=int(x_train.shape[0]),
        n_eval=int(x_eval.shape[0]),
        coefficients_equal=bool(np.array_equal(beta, c)),
        labels_agree=bool(np.array_equal(labels_dual, labels_primal)),
        rtol=rtol,
    )


# ----------------------------------------------------------------------------------------------------------
# The non-PSD kernel, from the update rule (write-up §3(c))
# ----------------------------------------------------------------------------------------------------------


def non_psd_beta_by_hand(y: jax.Array, alpha: float = ALPHA) -> jax.Array:
    """beta of the perceptron with the course's non-PSD kernel, derived by hand: beta_i = alpha (y_i - 1).

    K(x, z) = -1 if ||x - z||^2 < eps else 0, so K <= 0 everywhere. Induction on i: if beta_k <= 0 for all
    k < i, every term beta_k K(x_k, x_i) is >= 0, so the margin s_i = sum_{k<i} beta_k K(x_k, x_i) >= 0,
    g(s_i) = 1 and

        beta_i = alpha (y_i - 1)   (-alpha for y_i = 0, 0 for y_i = 1),  again <= 0.

    (It starts with s_1 = 0, the write-up's beta_1 = alpha (y^(1) - 1).) This holds for any training set, even
    one with coincident points. On distinct points (pairwise squared distance >= eps, as in the course's data,
    whose Gram matrix is exactly -I) the cross terms vanish and every margin is exactly 0 = the g(0) = 1 case.

    Predictions follow the same way: for any x the margin sum_j beta_j K(x_j, x) is a sum of terms >= 0, so
    h(x) = 1. Off the training points it is exactly 0 (no similarity between distinct points: nothing
    generalises); at a training point x_j it is -beta_j = alpha (1 - y_j) >= 0 (the negative self-similarity
    turns the update meant to push x_j towards 0 into a margin that still says 1). The perceptron predicts class 1
    everywhere.

    Args:
      y: (n,) labels in {0, 1}.

    Returns:
      (n,) beta.
    """
    return alpha * (y - 1.0)  # beta_i = alpha (y_i - g(s_i)),  s_i >= 0 so g(s_i) = 1


@dataclasses.dataclass
class NonPsdReport:
    """The scanned non-PSD perceptron against :func:`non_psd_beta_by_hand` and h == 1."""

    ok: bool
    max_abs_error: float
    max_rel_error: float
    diagnosis: str | None
    predicted_positive_fraction: float
    points: int = 0
    tolerance: str = "exact"

    def __str__(self) -> str:
        status = "OK" if self.ok else "FAILED"
        text = (
            f"non-PSD perceptron {status}: max |beta - alpha (y - 1)| = {self.max_abs_error:.3e}; "
            f"predicted-positive fraction {self.predicted_positive_fraction:.3f} (hand: 1)"
        )
        return text if self.diagnosis is None else f"{text}\n  {self.diagnosis}"


def check_non_psd(
    x_train, y_train, x_eval, *, kernel: Callable = kernels.non_psd, alpha: float = ALPHA
) -> NonPsdReport:
    """Compare the scanned non-PSD perceptron with the hand result: beta = alpha (y - 1) exactly, and h == 1 at
    the training points and at ``x_eval``.

    Args:
      x_train: (n, d); y_train: (n,) in {0, 1}; x_eval: (m, d) extra points to predict.
      kernel: the kernel to scan (the course's non-PSD kernel; another one shows the check can fail).
      alpha: learning rate.
    """
    x_train = jnp.asarray(x_train, jnp.float64)
    y_train = jnp.asarray(y_train, jnp.float64)
    model = perceptron.fit(x_train, y_train, kernel=kernel, alpha=alpha)
    by_hand = non_psd_beta_by_hand(np.asarray(y_train), alpha)
    abs_err, rel_err = _diff(model.beta, by_hand)
    pred = _labels(
        perceptron.margin(
            model, np.concatenate([np.asarray(x_train), np.asarray(x_eval, np.float64)])
        )
    )
    fraction = float(pred.mean())
    problems = []
    if abs_err != 0.0:
        first = int(np.argmax(np.asarray(model.beta) != np.asarray(by_hand)))
        problems.append(
            f"beta differs from alpha (y - 1) first at step {first} (margin there "
            f"{float(model.online_margin[first]):.3e} < 0: is K <= 0 everywhere?)"
        )
    if fraction != 1.0:
        problems.append(
            f"{int(np.sum(pred == 0))} of {len(pred)} points predicted 0, the hand result says none"
        )
    return NonPsdReport(
        ok=not problems,
        max_abs_error=abs_err,
        max_rel_error=rel_err,
        diagnosis="; ".join(problems) or None,
        predicted_positive_fraction=fraction,
        points=int(pred.shape[0]),
    )


# ----------------------------------------------------------------------------------------------------------
# Declarations for `jaxml verify` (random ring data drawn from the key)
# ----------------------------------------------------------------------------------------------------------


@functools.partial(jax.jit, static_argnames=("n",))
def rings(key: jax.Array, n: int):
    """n points on the course's two rings (as the staff's gen_ds5.py): y ~ Bernoulli(1/2), radius |N(0,1)| for
    y = 1 and N(4, 1) for y = 0, uniform angle. Returns (x (n, 2), y (n,)) float64. Jitted: one program per n
    (the same numbers as the op-by-op draws)."""
    k_y, k_r, k_a = jax.random.split(key, 3)
    y = jax.random.bernoulli(k_y, 0.5, (n,)).astype(jnp.float64)
    z = jax.random.normal(k_r, (n,), jnp.float64)
    radius = jnp.where(y == 1.0, jnp.abs(z), 4.0 + z)
    angle = jax.random.uniform(k_a, (n,), jnp.float64, 0.0, 2.0 * jnp.pi)
    return radius[:, None] * jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1), y


_N_TRAIN = 200  # the course's training-set size


@functools.partial(jax.jit, static_argnames=("points",))
def _ring_problem(key, points: int):
    """200 training ring points and ``points`` more: (x (200, 2), y (200,), x_extra (points, 2)), one program."""
    k_train, k_eval = jax.random.split(key)
    x, y = rings(k_train, _N_TRAIN)
    x_extra, _ = rings(k_eval, points)
    return x, y, x_extra


def _check(name, kernel, phi, points, key):
    x, y, x_extra = _ring_problem(key, max(int(points), 1))
    # joined on the host: no program for a copy
    x_eval = jax.device_put(np.concatenate([np.asarray(x), np.asarray(x_extra)]))
    return dual_equals_primal(name, kernel, phi, x, y, x_eval)


@verification(
    linear_algebra=False,  # no solve / eigh: may run beside another entry
    name="perceptron: dual == primal, dot kernel",
    compares="beta-form margins/labels vs theta-form with phi(x) = x, on 200 random ring points",
    equation="write-up §3(a), eq. (1)",
)
def check_dual_equals_primal_dot(points: int, key) -> DualPrimalReport:
    return _check("dot", kernels.dot, phi_dot, points, key)


@verification(
    linear_algebra=False,  # no solve / eigh: may run beside another entry
    name="perceptron: dual == primal, polynomial kernel (1 + x^T z)^2",
    compares="beta-form margins/labels vs theta-form with phi(x) = (1, sqrt2 x, vec(x x^T)), 200 ring points",
    equation="write-up §3(a), eq. (1)",
)
def check_dual_equals_primal_poly2(points: int, key) -> DualPrimalReport:
    return _check("polynomial", kernels.polynomial, phi_poly2, points, key)


@verification(
    linear_algebra=False,  # no solve / eigh: may run beside another entry
    name="perceptron: non-PSD kernel, beta = alpha (y - 1), h == 1",
    compares="scanned beta and predictions vs the hand result from the update rule, 200 ring points",
    equation="write-up §3(c)",
)
def check_non_psd_by_hand(points: int, key) -> NonPsdReport:
    x, y, x_eval = _ring_problem(key, max(int(points), 1))
    return check_non_psd(x, y, x_eval)
