"""Small datasets that ship with the installed libraries (no download).

Taught on: "Batch size (batch_size 的使用)", "Batch Normalization" and "Backpropagation
(反向传播算法)".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import check_int, check_real


@dataclass(frozen=True)
class Split:
    """Train and test arrays: ``x`` float32 (n, features), ``y`` int64 (n,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def digits_split(test_fraction: float = 0.25, seed: int = 0, standardize: bool = True) -> Split:
    """scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes), split
    reproducibly into train and test sets, stratified by class.

    With ``standardize`` each pixel is centred and scaled with the *training* mean and
    standard deviation (pixels that are constant in training keep scale 1).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_fraction = check_real(test_fraction, "test_fraction", above=0, below=1)
    seed = check_int(seed, "seed", minimum=0)
    x, y = load_digits(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    if standardize:
        mean = x_tr.mean(axis=0)
        std = x_tr.std(axis=0)
        std[std == 0] = 1.0
        x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    return Split(
        x_tr.astype(np.float32), y_tr.astype(np.int64), x_te.astype(np.float32), y_te.astype(np.int64)
    )
