"""§3 configuration: the course protocol's settings and the write-up's (qualitative) claims."""

from __future__ import annotations

import dataclasses

from jaxml.models.kernels import NON_PSD_EPS


@dataclasses.dataclass(frozen=True)
class Config:
    """The settings of the §3 experiment.

    Attributes:
      alpha: learning rate (write-up §3 / course starter: 0.5).
      sigma: RBF radius (write-up §3(c): sigma = 1).
      non_psd_eps: the non-PSD kernel's squared-distance threshold (course starter: 1e-5).
      scale_n: ring points in the scale run, train and test each (issue #5: 20,000).
      scale_chunk: examples per jitted scan between progress updates in the scale run.
      block_values: kernel values per block of the scale run's predictions (rows = block_values // n).
      grid: the decision-region figure's grid is grid x grid points.
    """

    alpha: float = 0.5  # write-up §3 / course starter: learning rate 0.5
    sigma: float = 1.0  # write-up §3(c): RBF radius sigma = 1
    non_psd_eps: float = NON_PSD_EPS  # course starter p03: eps = 1e-5 on the squared distance
    scale_n: int = 20_000  # issue #5: the same code on 20,000 synthetic ring points
    scale_chunk: int = 2_000  # examples per jitted scan between progress updates
    # the scale run's predictions hold about this many kernel values per block (2^22 float64 = 32 MiB)
    block_values: int = 2**22
    grid: int = 200  # decision-region grid, GRID x GRID points


CONFIG = Config()

# The write-up gives no numbers for §3 (its figure 2 is a set of pictures), only these qualitative claims:
WRITEUP_DOT = "linear boundary; 'does not work well' (fig. 2a)"  # write-up §3(c)
WRITEUP_RBF = "'does much better', circular boundary (fig. 2b)"  # write-up §3(c)
# write-up §3(c)
WRITEUP_NON_PSD = "'every data point is predicted to be in the blue region' (fig. 2c)"
WRITEUP_NON_PSD_WHY = "'not PSD ... it cannot be a valid function'"  # write-up §3(c)

# The kernels of the figure (write-up fig. 2), in its order, with their panel titles.
TITLES = {
    "dot": "(a) dot product  K = x^T z",
    "rbf": "(b) RBF  K = exp(-||x - z||^2 / 2)",
    "non_psd": "(c) non-PSD  K = -1 if ||x - z||^2 < 1e-5 else 0",
}
