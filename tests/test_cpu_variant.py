"""The second strict nbval round really runs other kernels (scripts/cpu_variant.py).

If these variables stopped changing anything (a torch or numpy release that ignores
them), the second round would quietly repeat the first; these tests fail instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cpu_variant
import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import hashlib, json
import numpy as np, torch
g = torch.Generator().manual_seed(0)
a, b = torch.randn(257, 263, generator=g), torch.randn(263, 129, generator=g)
x = torch.randn(100_003, generator=g)
img, w = torch.randn(2, 3, 33, 33, generator=g), torch.randn(8, 3, 9, 9, generator=g)
r = np.random.default_rng(0).standard_normal(100_003).astype(np.float32)
results = {
    "torch matmul": (a @ b).numpy(),
    "torch sum": x.sum().numpy(),
    "torch exp": torch.exp(x).numpy(),
    "torch conv2d": torch.nn.functional.conv2d(img, w).numpy(),
    "numpy exp": np.exp(r),
    "numpy tanh": np.tanh(r),
}
print(json.dumps({
    "capability": torch.backends.cpu.get_cpu_capability(),
    "hashes": {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest() for k, v in results.items()},
    "values": {k: np.asarray(v, dtype=np.float64).ravel()[:1000].tolist() for k, v in results.items()},
}))
"""


def _probe(extra_env: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in cpu_variant.variant_environment()}
    env.update(extra_env)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def runs():
    return _probe({}), _probe(cpu_variant.variant_environment())


def test_variant_environment_names_the_documented_switches():
    env = cpu_variant.variant_environment()
    assert env["ATEN_CPU_CAPABILITY"] == "default"
    assert env["MKL_CBWR"] == "COMPATIBLE"
    assert env["ONEDNN_MAX_CPU_ISA"] == "SSE41"
    assert all(isinstance(v, str) and v for v in env.values())


def test_main_prints_name_value_lines(capsys):
    assert cpu_variant.main() == 0
    lines = capsys.readouterr().out.splitlines()
    assert dict(line.split("=", 1) for line in lines) == cpu_variant.variant_environment()


def test_variant_switches_torch_to_its_portable_kernels(runs):
    native, variant = runs
    assert variant["capability"] == "DEFAULT"
    assert native["capability"] != "DEFAULT", "this CPU has no vector kernels to switch off"


def test_variant_changes_the_low_bits_of_float32_results(runs):
    native, variant = runs
    changed = [k for k in native["hashes"] if native["hashes"][k] != variant["hashes"][k]]
    assert any(k.startswith("torch") for k in changed), "torch float32 results did not change"
    if "NPY_DISABLE_CPU_FEATURES" in cpu_variant.variant_environment():
        assert any(k.startswith("numpy") for k in changed), "numpy float32 results did not change"


def test_variant_changes_only_round_off(runs):
    """Different kernels, same mathematics: the results agree to float32 precision."""
    import numpy as np

    native, variant = runs
    for key, values in native["values"].items():
        np.testing.assert_allclose(variant["values"][key], values, rtol=1e-4, atol=1e-4, err_msg=key)
