"""Run-folder output helpers (sim/run/outputs.py)."""


def test_json_safe_writes_numpy_arrays_and_non_finite_values_as_plain_json():
    import json

    import numpy as np

    from sim.run.outputs import json_safe

    data = {"a": np.array([1.0, np.nan, np.inf]), 2: (np.int64(3), np.array([[1, 2]]))}
    assert json_safe(data) == {"a": [1.0, None, None], "2": [3, [[1, 2]]]}
    json.dumps(json_safe(data), allow_nan=False)  # strict JSON: no NaN tokens
