"""Shared, tested helpers for the Orange course: one module per concept, named after
the page it serves (``batchnorm`` for "Batch Normalization", ``srcnn`` for SRCNN's flags,
model and pipeline) or after the shared concept (``training``, ``paths``, ``verdicts``).

Importing this package first keeps TensorFlow quiet: its C++ log lines go to stderr on
import, which strict nbval cannot compare, so ``TF_CPP_MIN_LOG_LEVEL`` and
``TF_ENABLE_ONEDNN_OPTS`` are set here (both are needed); ``env.quiet_tensorflow`` also
spends the one line TensorFlow 2.20 logs at its first graph run.

Which page uses which module (``tests/test_package.py`` keeps this table true):

Page                              Modules
--------------------------------  ------------------------------------------------------------
01_programming/hdf5               env, h5io, page, srcnn, verdicts
01_programming/string_formatting  env, formatting, page, verdicts
01_programming/tf_sessions        env, formatting, page, timing, verdicts
01_programming/data_structures    env, formatting, page, timing, verdicts
01_programming/config_flags       env, page, srcnn, verdicts
01_programming/files_paths        env, page, paths, verdicts
02_math/attention                 attention, digits, env, finetune, formatting, page, seed, training, verdicts
02_math/dct_jpeg                  color, dct, env, formatting, metrics, page, verdicts
02_math/fourier                   env, formatting, fourier, page, verdicts
02_math/backprop                  backprop, digits, env, formatting, models, page, verdicts
02_math/activations               activations, diagnostics, digits, env, formatting, models, page, seed, training, verdicts
02_math/batch_size                batch_size, diagnostics, digits, env, formatting, models, page, plotting, verdicts
02_math/batchnorm                 backprop, batchnorm, diagnostics, digits, env, formatting, models, page, paths, seed, training, verdicts
02_math/mean_ap                   env, formatting, mean_ap, page, plotting, verdicts
02_math/finetune                  digits, env, finetune, formatting, models, page, seed, training, verdicts
03_datasets/datasets              datasets, env, formatting, h5io, page, srcnn, verdicts
03_datasets/super_resolution      env, formatting, h5io, page, paths, srcnn, verdicts
03_datasets/faces                 faces, formatting, mean_ap, page, verdicts
04_troubleshooting/gpu_settings   digits, env, formatting, gpu, page, srcnn, training, verdicts
04_troubleshooting/common_errors  diagnostics, env, formatting, page, paths, shapes, srcnn, verdicts
04_troubleshooting/image_formats  color, env, formatting, images, page, verdicts
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
    "datasets",
    "dct",
    "diagnostics",
    "digits",
    "env",
    "faces",
    "finetune",
    "formatting",
    "fourier",
    "gpu",
    "h5io",
    "images",
    "mean_ap",
    "metrics",
    "models",
    "page",
    "paths",
    "plotting",
    "seed",
    "shapes",
    "srcnn",
    "timing",
    "training",
    "verdicts",
]
