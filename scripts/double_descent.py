"""§4 MAP estimation and double descent: ``python scripts/double_descent.py [--data DIR] [--out DIR]``.

Thin wrapper: runs ``jaxml reproduce --only double_descent`` with the remaining arguments (any ``jaxml reproduce``
option).
"""

import sys

from jaxml.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "--only", "double_descent", *sys.argv[1:]]))
