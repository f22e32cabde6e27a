"""The derivation verifier: hand-derived derivatives, VJP / JVP rules and closed forms checked against
autodiff, with a diagnosis of what is wrong.

Every check takes the function being differentiated first and yours second, returns a frozen :class:`Report`
(``ok``, ``diagnosis`` — a sentence —, ``mistake`` — the same as data, a :class:`MistakeKind` and its
parameters —, the worst error, ``str()`` for a readable verdict) and computes in float64 whatever the caller's x64
setting. ``key`` defaults to ``PRNGKey(0)`` everywhere: the same points on every run.

Public API:
  check_gradient(f, grad_f, *args, argnums=0, points=None, key=None, rtol=None, atol=None, at=None,
                 domain=None, dtype=float64, audit=False, example=None) -> GradientReport
  check_hessian(f, hess_f, *args, ...) -> GradientReport
  check_vjp(f, rule, *args, argnums=0, points=None, key=None, rtol=None, atol=None, at=None, domain=None)
      -> VjpReport                            your custom_vjp / custom_jvp rule against jax.vjp of the plain f
  check_jvp(f, rule, *args, ...) -> JvpReport your custom_jvp rule against jax.jvp of the plain f
  check_closed_form(objective, solution, *args, key=None, rtol=None, ...) -> ClosedFormReport
  check_lasso_kkt(theta, x, y, gamma) / check_l1_optimality(smooth, theta, *args, gamma=)  non-smooth optimality
  Mistake, MistakeKind                        the structured mistake every report carries
  derivation / hessian / vjp_rule / jvp_rule / closed_form / verification
                                              decorators declaring entries for ``jaxml verify``
  builtin_entries(), load_file(path), load_package(name), load_module(name)
  run_entry(entry, points=, key=) -> Outcome;  run_entries(entries, points=, key=, jobs=) -> [Outcome]
  format_table(outcomes)                      the verify table as text
  shared_programs()                           a block in which checks of the same function share compiled programs
  one_program(fn)                             fn as one quickly compiled program while jaxml verify runs

Points: 16 by default for the interactive checks (a check you run while deriving), 1,000 for a declared entry
run by ``jaxml verify`` (checked once, thoroughly); fewer for very large arguments, and the report says so.
"""

from .._compile import one_program as one_program
from ._closed_form import ClosedFormReport as ClosedFormReport
from ._closed_form import check_closed_form as check_closed_form
from ._gradient import GradientReport as GradientReport
from ._gradient import check_gradient as check_gradient
from ._gradient import check_hessian as check_hessian
from ._jvp import JvpReport as JvpReport
from ._jvp import check_jvp as check_jvp
from ._mistake import Mistake as Mistake
from ._mistake import MistakeKind as MistakeKind
from ._nonsmooth import SubgradientReport as SubgradientReport
from ._nonsmooth import check_l1_optimality as check_l1_optimality
from ._nonsmooth import check_lasso_kkt as check_lasso_kkt
from ._programs import shared_programs as shared_programs
from ._registry import Entry as Entry
from ._registry import builtin_entries as builtin_entries
from ._registry import closed_form as closed_form
from ._registry import derivation as derivation
from ._registry import entries as entries
from ._registry import hessian as hessian
from ._registry import jvp_rule as jvp_rule
from ._registry import load_file as load_file
from ._registry import load_module as load_module
from ._registry import load_package as load_package
from ._registry import verification as verification
from ._registry import vjp_rule as vjp_rule
from ._report import Report as Report
from ._report import format_table as format_table
from ._run import Outcome as Outcome
from ._run import run_entries as run_entries
from ._run import run_entry as run_entry
from ._vjp import VjpReport as VjpReport
from ._vjp import check_vjp as check_vjp
