"""§3 kernel perceptron: ``python scripts/perceptron.py [--data DIR] [--out DIR]`` (any ``jaxml reproduce`` option).

Thin wrapper: runs ``jaxml reproduce --only perceptron`` with the remaining arguments.
"""

import sys

from jaxml.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "--only", "perceptron", *sys.argv[1:]]))
