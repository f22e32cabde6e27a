"""The write-up's models: losses written in JAX and their jitted fits.

Each model lives in one private file; its public names are re-exported here, one section per model.
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

# --- legacy flat names (removed at integration) ---
from ._logistic import add_intercept as add_intercept
from ._logistic import inverse_power_schedule as inverse_power_schedule
from ._logistic import l2_optimizer as l2_optimizer
from ._logistic import l2_regularised_log_likelihood as l2_regularised_log_likelihood
from ._logistic import log_likelihood as log_likelihood
from ._logistic import predict_proba as predict_proba

# §5-§6 (``models.batchnorm`` is now the sub-namespace; its layer is ``models.batchnorm.layer``)
from ._batchnorm import batchnorm_backward as batchnorm_backward
from ._batchnorm import batchnorm_reference as batchnorm_reference
from ._batchnorm import batchnorm_stats as batchnorm_stats
from ._network import NetworkParams as NetworkParams
from ._network import linear_network_collapse as linear_network_collapse
from ._network import network_forward as network_forward
from ._network import network_init as network_init
from ._network import network_loss as network_loss
from ._network import network_predict as network_predict
from ._network import network_train as network_train
from ._network import step as step
from ._network import step_network_predict as step_network_predict

AscentResult = NewtonResult = logistic.LogisticRegression
gradient_ascent = logistic.fit
newton = logistic.fit_newton
SVMResult = linear_svm.LinearSVM
fit_linear_svm = linear_svm.fit
hinge_objective = linear_svm.objective
svm_dual = linear_svm.dual
svm_duality_gap = linear_svm.duality_gap
svm_margin = linear_svm.margin

# spam (§2): the families above under their old flat names
from ._kernel_svm import KernelSVM as KernelSVM
from ._kernel_svm import fit_kernel_svm as fit_kernel_svm
from ._kernel_svm import kernel_svm_decision as kernel_svm_decision
from ._kernel_svm import predict_kernel_svm as predict_kernel_svm
from ._naive_bayes import NaiveBayes as NaiveBayes
from ._naive_bayes import fit_naive_bayes as fit_naive_bayes
from ._naive_bayes import indicative_tokens as indicative_tokens
from ._naive_bayes import naive_bayes_log_joint as naive_bayes_log_joint
from ._naive_bayes import predict_naive_bayes as predict_naive_bayes
from ._spam_logreg import SpamLogReg as SpamLogReg
from ._spam_logreg import fit_spam_logreg as fit_spam_logreg
from ._spam_logreg import predict_spam_logreg as predict_spam_logreg
from ._sparse_logistic import SparseRows as SparseRows
from ._sparse_logistic import to_sparse as to_sparse
from ._text import Encoded as Encoded
from ._text import Vocabulary as Vocabulary
from ._text import build_vocabulary as build_vocabulary
from ._text import count_features as count_features
from ._text import encode as encode
from ._text import featurize as featurize
from ._text import tfidf_features as tfidf_features
from ._text import tokenize as tokenize

# §3 kernels and kernel perceptron
from ._kernels import dot as dot_kernel  # noqa: F401
from ._kernels import gram as gram_matrix  # noqa: F401
from ._kernels import matvec as kernel_matvec  # noqa: F401
from ._kernels import non_psd as non_psd_kernel  # noqa: F401
from ._kernels import polynomial as polynomial_kernel  # noqa: F401
from ._kernels import rbf as rbf_kernel  # noqa: F401
from ._perceptron import KernelPerceptron as KernelPerceptron
from ._perceptron import fit as perceptron_fit  # noqa: F401
from ._perceptron import g as perceptron_g  # noqa: F401
from ._perceptron import margin as perceptron_margin  # noqa: F401
from ._perceptron import predict as perceptron_predict  # noqa: F401

# §4 MAP linear regression
from ..lbfgs import LbfgsResult as LbfgsResult
from ..lbfgs import minimize_lbfgs as minimize_lbfgs
from ._lasso import LassoFit as ProximalResult  # noqa: F401
from ._lasso import fista as fista
from ._lasso import fit as fit_lasso  # noqa: F401
from ._lasso import fit_map as fit_laplace_map  # noqa: F401
from ._lasso import map_gamma as lasso_gamma  # noqa: F401
from ._lasso import neg_log_posterior_laplace as neg_log_posterior_laplace
from ._lasso import neg_log_prior_laplace as neg_log_prior_laplace
from ._lasso import objective as lasso_objective  # noqa: F401
from ._lasso import path as lasso_path  # noqa: F401
from ._lasso import soft_threshold as soft_threshold
from ._map import neg_log_likelihood as neg_log_likelihood
from ._ridge import closed_form as ridge_closed_form  # noqa: F401
from ._ridge import default_rcond as default_rcond
from ._ridge import double_descent_sweep as double_descent_sweep
from ._ridge import fit_least_squares as fit_least_squares_lbfgs  # noqa: F401
from ._ridge import fit_map as fit_map_gaussian  # noqa: F401
from ._ridge import lambda_opt as ridge_lambda_opt  # noqa: F401
from ._ridge import min_norm as min_norm_least_squares  # noqa: F401
from ._ridge import neg_log_posterior_gaussian as neg_log_posterior_gaussian
from ._ridge import neg_log_prior_gaussian as neg_log_prior_gaussian
from ._ridge import objective as ridge_objective  # noqa: F401
from ._ridge import pad_rows as pad_rows
from ._ridge import path as ridge_path  # noqa: F401
from ._ridge import theta_map as theta_map_gaussian  # noqa: F401
