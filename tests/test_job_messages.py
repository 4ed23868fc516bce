"""nbclient's failures in words an instructor can act on: each its own, never another's."""

from autograder.grading.job_runner import _explain


def test_an_iopub_timeout_is_not_called_a_cell_timeout():
    said = _explain("TimeoutError: Timeout waiting for IOPub output", cell_timeout=300)
    assert "stopped receiving the notebook's output" in said and "cell time limit" not in said


def test_a_cell_timeout_is_one():
    said = _explain("CellTimeoutError: A cell timed out while it was being executed, after 300 seconds.", 300)
    assert "300 s cell time limit" in said and "output" not in said
