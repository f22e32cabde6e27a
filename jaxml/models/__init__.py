"""The write-up's models: losses written in JAX and their jitted fits.

Each model lives in one private file; its public names are re-exported here, one section per model.

One API style (issue #23): every family has a ``fit`` returning its one typed result; data are positional and
settings keyword-only (``lasso.fit(x, y, gamma=0.5)``; the old positional spelling still runs for one release,
with a ``DeprecationWarning`` naming the new one); the defaults suit a user's own data, and the experiments pass
the course's settings explicitly. The objectives (``ridge.objective(theta, x, y, lam)``) are the maths and take
their arguments by position, as ``jax.grad``, the solvers and ``jaxml.verify`` call them. A wrong argument raises
:class:`jaxml.errors.UsageError`, a ``ValueError``.
"""

# --- logistic regression (§1) and the linear SVM (§1(d)): sub-namespaces ---
from . import linear_svm as linear_svm
from . import logistic as logistic

# --- spam (§2): text features, naive Bayes, RBF-kernel SVM, sparse logistic regression ---
from . import kernel_svm as kernel_svm
from . import naive_bayes as naive_bayes
from . import sparse_logistic as sparse_logistic
from . import text as text

# --- kernels and the kernel perceptron (§3): _kernels.py, _perceptron.py ---
from . import kernels as kernels
from . import perceptron as perceptron

# --- MAP linear regression (§4): ridge = Gaussian prior, lasso = Laplace prior; _map.py, _ridge.py, _lasso.py ---
from . import lasso as lasso
from . import ridge as ridge

# --- two-layer network (§5): network.py (implementation in _network.py) ---
from . import network as network

# --- batch normalisation (§6): batchnorm.py (implementation in _batchnorm.py) ---
from . import batchnorm as batchnorm
