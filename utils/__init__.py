"""Shared, tested helpers for the Orange course.

Importing this package first keeps TensorFlow quiet: its C++ log lines go to
stderr on import, which strict nbval cannot compare. Both variables are needed
(see the course guide, "What we learned about the stack").
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

__all__ = [
    "activations",
    "attention",
    "backprop",
    "batch_size",
    "batchnorm",
    "color",
    "page",
    "datasets",
    "dct",
    "mean_ap",
    "diagnostics",
    "env",
    "faces",
    "formatting",
    "fourier",
    "gpu",
    "h5io",
    "images",
    "metrics",
    "models",
    "paths",
    "plotting",
    "seed",
    "shapes",
    "sr_data",
    "srcnn",
    "timing",
    "training",
    "finetune",
    "verdicts",
]
