"""§5 the two-layer network and §6 batch normalisation: ``python scripts/network.py [--data DIR] [--out DIR]``
(any ``jaxml reproduce`` option).

Thin wrapper: runs ``jaxml reproduce --only nn`` with the remaining arguments.
"""

import sys

from jaxml.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "--only", "nn", *sys.argv[1:]]))
