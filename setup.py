"""Which packages to install (everything else is in pyproject.toml).

The hand derivations live in the top-level folder ``derivations/`` (the design's home for them) and install as the
package ``jaxml_derivations``: a name of our own, since ``import derivations`` would be too generic to share a
Python environment with other projects.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["jaxml", "jaxml.*"]), "jaxml_derivations"],
    package_dir={"jaxml_derivations": "derivations"},
)
