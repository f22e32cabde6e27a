"""The §5–§6 protocol's settings, and the write-up's claims it is compared with."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of the `nn` experiment (§5 the two-layer network, §6 batch normalisation).

    The write-up gives no hyper-parameters and no accuracy for §5(a); these are ours.
    """

    dtype: str = "float64"  # every computation (the CLI switches float64 on)

    # §5(a): the sigmoid network, trained by full-batch gradient descent
    hidden: int = 3  # write-up §5: the 2-3-1 network
    restarts: int = (
        16  # random initialisations, trained together (vmapped); the lowest final loss is kept
    )
    init_scale: float = 1.0  # entries of W1, W2 ~ N(0, 1)
    learning_rate: float = 0.3  # α; 1.0 diverges on these inputs in [0, 4]^2
    steps: int = 50_000
    chunk: int = 5_000  # steps per jitted call between progress updates

    # §5(c): the linear-activation network (products of weights: a smaller stable step)
    linear_learning_rate: float = 0.01
    linear_steps: int = 20_000

    # §5(b): the class-0 region is a triangle (see the data plot); its three sides' outward normals, read off the
    # plot. Side k of the triangle is a_k · x <= b_k; hidden unit k fires (h_k = 1) beyond side k.
    side_normals: tuple = ((-1.0, 0.0), (0.0, -1.0), (1.0, 1.0))  # x1 >= ·, x2 >= ·, x1 + x2 <= ·

    # the derivations, through the verifier
    points: int = 200  # random points per derivation check (``jaxml verify`` uses 1,000)
    bn_shapes: tuple = ((3, 1), (6, 4), (64, 16))  # §6: batch-norm checks at these batches m × d

    # §6: the batch-norm network, trained with the hand VJP and with autodiff
    bn_train_steps: int = 2_000
    bn_learning_rate: float = 0.3

    # the write-up's claims (§5 gives no numbers)
    writeup_step: str = (
        "100% (figure 4)"  # write-up §5(b): "classify this dataset with 100% accuracy"
    )
    writeup_linear: str = (
        "no linear boundary reaches 100%"  # write-up §5(c): "unable to classify with 100% accuracy"
    )
    writeup_collapse: str = "o = W̃x, W̃ = W²W¹"  # write-up §5(c)


CONFIG = Config()
