"""§1 logistic-regression stability: ``python scripts/logreg_stability.py [--data DIR] [--out DIR]`` (any
``jaxml reproduce`` option).

Thin wrapper: runs ``jaxml reproduce --only logreg_stability`` with the remaining arguments.
"""

import sys

from jaxml.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "--only", "logreg_stability", *sys.argv[1:]]))
