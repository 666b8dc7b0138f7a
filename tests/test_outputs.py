"""Run-folder output helpers (sim/run/outputs.py)."""


def test_json_safe_writes_numpy_arrays_and_non_finite_values_as_plain_json():
    import json

    import numpy as np

    from sim.run.outputs import json_safe

    data = {"a": np.array([1.0, np.nan, np.inf]), 2: (np.int64(3), np.array([[1, 2]]))}
    assert json_safe(data) == {"a": [1.0, None, None], "2": [3, [[1, 2]]]}
    json.dumps(json_safe(data), allow_nan=False)  # strict JSON: no NaN tokens


def test_an_earlier_run_in_a_compare_folder_is_not_offered_a_resume(tmp_path):
    """Compare and search refuse ``experiment.resume=true`` (they keep no checkpoints), so
    the earlier-run refusal must not tell their users to add it (analyst review)."""
    import pytest

    from sim.run.outputs import OutputError, check_run_folder

    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(OutputError, match="experiment.resume=true to continue it"):
        check_run_folder(tmp_path, False)
    with pytest.raises(OutputError, match="keep no checkpoints") as refused:
        check_run_folder(tmp_path, False, resumable=False)
    assert "resume=true" not in str(refused.value)
