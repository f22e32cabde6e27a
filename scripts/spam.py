"""§2 spam classification: ``python scripts/spam.py [--data DIR] [--out DIR]`` (any ``jaxml reproduce`` option).

Thin wrapper: runs ``jaxml reproduce --only spam`` with the remaining arguments.
"""

import sys

from jaxml.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "--only", "spam", *sys.argv[1:]]))
