"""Grading a class's hand-derived gradients: ``jaxml grade ASSIGNMENT.py SUBMISSIONS/ --out DIR``.

The staff write an assignment file declaring :func:`task` s (the loss in JAX, the function a submission must
define, how to call it); each submission (NumPy or JAX; ``NAME.py``, ``NAME.ipynb`` or a folder) runs in a sandbox
process with limits; its gradient is compared with autodiff's by :func:`jaxml.verify.check_gradient`; each student
gets feedback that names the mistake without revealing the answer, in Gradescope's results.json format.

Public API:
  task(name, *, function, of, example, argnums=0, call=None, output=None, max_score=1, forbid=(), points=8,
       seed=0, rtol=None) -> Task             declare a task (in an assignment file)
  load_assignment(path) -> Assignment
  grade(assignment, submissions, out, *, jobs=None, timeout=60, memory_mb=2048, feedback="diagnosis",
        shard=(1, 1)) -> Graded
  merge(dirs, out)                           merge the outputs of sharded runs
  find_submissions(folder) -> [(name, path)]

Importing this module changes no global state and starts nothing.
"""

from ._check import StudentResult as StudentResult
from ._check import TaskResult as TaskResult
from ._run import Graded as Graded
from ._run import find_submissions as find_submissions
from ._run import grade as grade
from ._run import merge as merge
from ._task import Assignment as Assignment
from ._task import Task as Task
from ._task import load_assignment as load_assignment
from ._task import task as task
