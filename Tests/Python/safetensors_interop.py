"""Checks safetensors files against the reference `safetensors` package.

read PATH EXPECTED_JSON  : loads PATH with safetensors.numpy and compares with the expected values
write PATH               : writes float32, float64 and float16 tensors plus metadata to PATH
"""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def read(path, expected_path):
    tensors = load_file(path)
    with open(expected_path) as f:
        expected = json.load(f)
    assert sorted(tensors) == sorted(expected), f"names differ: {sorted(tensors)} vs {sorted(expected)}"
    for name, spec in expected.items():
        t = tensors[name]
        assert t.dtype == np.float32, f"{name}: dtype {t.dtype}"
        assert list(t.shape) == spec["shape"], f"{name}: shape {list(t.shape)} vs {spec['shape']}"
        want = np.array(spec["values"], dtype=np.float32).reshape(spec["shape"])
        assert np.array_equal(t, want), f"{name}: values differ"
    with safe_open(path, framework="numpy") as f:
        print(json.dumps(f.metadata()))


def write(path):
    rng = np.random.default_rng(7)
    save_file(
        {
            "dense.weight": rng.standard_normal((3, 5)).astype(np.float32),
            "dense.bias": np.arange(5, dtype=np.float32),
            "scalar": np.array(2.5, dtype=np.float32),
            "double": np.array([[1.0, -2.0], [0.25, 1e-3]], dtype=np.float64),
            "half": np.array([1.0, -0.5, 65504.0, 6e-8], dtype=np.float16),
        },
        path,
        metadata={"writer": "python"},
    )
    out = {}
    for name, t in load_file(path).items():
        out[name] = {"shape": list(t.shape), "values": t.astype(np.float64).reshape(-1).tolist()}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3])
    else:
        write(sys.argv[2])
