"""The write-up's models: losses written in JAX and their jitted fits.

Each model lives in one private file; its public names are re-exported here, one section per model.
"""

# --- logistic regression (§1): _logistic.py ---

# --- linear SVM, hinge loss (§1(d)): _linear_svm.py ---

# --- spam: tokens and features (§2): _text.py ---

# --- multinomial naive Bayes (§2): _naive_bayes.py ---

# --- RBF-kernel SVM (§2): _kernel_svm.py ---

# --- kernel perceptron (§3): _perceptron.py ---
from ._kernels import dot_kernel as dot_kernel
from ._kernels import gram_matrix as gram_matrix
from ._kernels import kernel_matvec as kernel_matvec
from ._kernels import non_psd_kernel as non_psd_kernel
from ._kernels import polynomial_kernel as polynomial_kernel
from ._kernels import rbf_kernel as rbf_kernel
from ._perceptron import KernelPerceptron as KernelPerceptron
from ._perceptron import perceptron_fit as perceptron_fit
from ._perceptron import perceptron_g as perceptron_g
from ._perceptron import perceptron_margin as perceptron_margin
from ._perceptron import perceptron_predict as perceptron_predict

# --- MAP linear regression: ridge, lasso, double descent (§4): _map.py ---

# --- two-layer network (§5): _network.py ---

# --- batch normalisation (§6): _batchnorm.py ---
