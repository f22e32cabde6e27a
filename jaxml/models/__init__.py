"""The write-up's models: losses written in JAX and their jitted fits.

Each model lives in one private file; its public names are re-exported here, one section per model.
"""

# --- logistic regression (§1) and the linear SVM (§1(d)): sub-namespaces ---
from . import linear_svm as linear_svm
from . import logistic as logistic

# --- spam: tokens and features (§2): _text.py ---
from ._text import Encoded as Encoded
from ._text import Vocabulary as Vocabulary
from ._text import build_vocabulary as build_vocabulary
from ._text import count_features as count_features
from ._text import encode as encode
from ._text import featurize as featurize
from ._text import tfidf_features as tfidf_features
from ._text import tokenize as tokenize

# --- spam: logistic regression on the word features (§2(e)): _spam_logreg.py ---
from ._spam_logreg import SparseRows as SparseRows
from ._spam_logreg import SpamLogReg as SpamLogReg
from ._spam_logreg import fit_spam_logreg as fit_spam_logreg
from ._spam_logreg import predict_spam_logreg as predict_spam_logreg
from ._spam_logreg import to_sparse as to_sparse

# --- multinomial naive Bayes (§2): _naive_bayes.py ---
from ._naive_bayes import NaiveBayes as NaiveBayes
from ._naive_bayes import fit_naive_bayes as fit_naive_bayes
from ._naive_bayes import indicative_tokens as indicative_tokens
from ._naive_bayes import naive_bayes_log_joint as naive_bayes_log_joint
from ._naive_bayes import predict_naive_bayes as predict_naive_bayes

# --- RBF-kernel SVM (§2): _kernel_svm.py ---
from ._kernel_svm import KernelSVM as KernelSVM
from ._kernel_svm import fit_kernel_svm as fit_kernel_svm
from ._kernel_svm import kernel_svm_decision as kernel_svm_decision
from ._kernel_svm import predict_kernel_svm as predict_kernel_svm

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
from ._map import LbfgsResult as LbfgsResult
from ._map import ProximalResult as ProximalResult
from ._map import default_rcond as default_rcond
from ._map import double_descent_sweep as double_descent_sweep
from ._map import fista as fista
from ._map import fit_laplace_map as fit_laplace_map
from ._map import fit_lasso as fit_lasso
from ._map import fit_least_squares_lbfgs as fit_least_squares_lbfgs
from ._map import fit_map_gaussian as fit_map_gaussian
from ._map import lasso_gamma as lasso_gamma
from ._map import lasso_objective as lasso_objective
from ._map import lasso_path as lasso_path
from ._map import min_norm_least_squares as min_norm_least_squares
from ._map import minimize_lbfgs as minimize_lbfgs
from ._map import neg_log_likelihood as neg_log_likelihood
from ._map import neg_log_posterior_gaussian as neg_log_posterior_gaussian
from ._map import neg_log_posterior_laplace as neg_log_posterior_laplace
from ._map import neg_log_prior_gaussian as neg_log_prior_gaussian
from ._map import neg_log_prior_laplace as neg_log_prior_laplace
from ._map import pad_rows as pad_rows
from ._map import ridge_closed_form as ridge_closed_form
from ._map import ridge_lambda_opt as ridge_lambda_opt
from ._map import ridge_objective as ridge_objective
from ._map import ridge_path as ridge_path
from ._map import soft_threshold as soft_threshold
from ._map import theta_map_gaussian as theta_map_gaussian

# --- two-layer network (§5): _network.py ---
from ._network import NetworkParams as NetworkParams
from ._network import linear_network_collapse as linear_network_collapse
from ._network import network_forward as network_forward
from ._network import network_init as network_init
from ._network import network_loss as network_loss
from ._network import network_predict as network_predict
from ._network import network_train as network_train
from ._network import step as step
from ._network import step_network_predict as step_network_predict

# --- batch normalisation (§6): _batchnorm.py ---
from ._batchnorm import batchnorm as batchnorm
from ._batchnorm import batchnorm_backward as batchnorm_backward
from ._batchnorm import batchnorm_reference as batchnorm_reference
from ._batchnorm import batchnorm_stats as batchnorm_stats

# --- legacy flat names (removed at integration) ---
from ._logistic import add_intercept as add_intercept
from ._logistic import inverse_power_schedule as inverse_power_schedule
from ._logistic import l2_optimizer as l2_optimizer
from ._logistic import l2_regularised_log_likelihood as l2_regularised_log_likelihood
from ._logistic import log_likelihood as log_likelihood
from ._logistic import predict_proba as predict_proba

AscentResult = NewtonResult = logistic.LogisticRegression
gradient_ascent = logistic.fit
newton = logistic.fit_newton
SVMResult = linear_svm.LinearSVM
fit_linear_svm = linear_svm.fit
hinge_objective = linear_svm.objective
svm_dual = linear_svm.dual
svm_duality_gap = linear_svm.duality_gap
svm_margin = linear_svm.margin
