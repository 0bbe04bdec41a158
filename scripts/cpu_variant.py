"""The environment for the second strict nbval round: other vector kernels, same CPU.

    python scripts/cpu_variant.py        # prints NAME=VALUE lines for `env`

A stored output must reproduce on any x86-64 CPU, but CI runs on one. The second round
makes this CPU compute like a different one: PyTorch's portable kernels instead of its
AVX2/AVX-512 ones (``ATEN_CPU_CAPABILITY=default``), MKL's conditional-reproducibility
mode (``MKL_CBWR=COMPATIBLE``), oneDNN limited to SSE4.1 (``ONEDNN_MAX_CPU_ISA``), and
numpy's dispatched SIMD paths above its baseline switched off (``NPY_DISABLE_CPU_FEATURES``,
only those this CPU has: naming an absent one is an error). Float32 results then differ
in their low bits, as between an AMD and an Intel machine; tests/test_cpu_variant.py
proves that they do, so the round cannot silently become a repeat of the first.
"""

from __future__ import annotations

import sys


def numpy_features_to_disable() -> list[str]:
    """numpy's dispatch targets that this CPU supports (those numpy would pick)."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name)]


def variant_environment() -> dict[str, str]:
    """The variables of the second round, as a dict."""
    env = {
        "ATEN_CPU_CAPABILITY": "default",
        "MKL_CBWR": "COMPATIBLE",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
    }
    features = numpy_features_to_disable()
    if features:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
    return env


def main() -> int:
    for name, value in variant_environment().items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
