"""One call that makes a page's random numbers reproducible.

Taught on: every page's setup cell (first shown on "Activation functions (激活函数)").
"""

from __future__ import annotations

import os
import random
import sys

import numpy as np

from ._checks import check_int


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python's ``random``, numpy, torch and TensorFlow.

    torch and TensorFlow are seeded when the page has imported them (import the
    frameworks first, then seed), so a page that never uses TensorFlow does not pay
    for importing it. Returns a fresh ``numpy.random.Generator`` seeded with ``seed``
    for code that prefers explicit generators. ``seed`` must be an int in
    [0, 2**32 - 1].
    """
    seed = check_int(seed, "seed", minimum=0, maximum=2**32 - 1)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)  # seeds CUDA devices too
    tf = sys.modules.get("tensorflow")
    if tf is not None:
        tf.random.set_seed(seed)
        tf.keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)
