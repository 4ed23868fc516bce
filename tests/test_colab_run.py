"""Released notebooks run the way Colab runs them: alone in an empty folder, reference answers filled in,
nothing configured but where the data are, no hidden tests. Each must finish with every visible test passing.

01 runs here, in a plain kernel. The others (01b-06) are run the same way, in a sandbox holding nothing but
the notebook, course_kernel and the data, when their reference is graded (test_assignments.py: full marks
means every visible test passed), which also checks that they write nothing beside themselves; running
02 and 03 a second time here cost 45 s of every suite and proved nothing more.
"""

import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import config
from autograder.notebooks import compose_submission, released_notebook, solution_answers

pytestmark = pytest.mark.slow  # grades notebooks or trains models


@pytest.mark.parametrize("assignment", ["01-perceptrons"])
def test_release_runs_alone_with_reference_answers(assignment, tmp_path, data_root, monkeypatch):
    nb = compose_submission(assignment, solution_answers(assignment))
    path = tmp_path / released_notebook(assignment).name
    nbformat.write(nb, path)
    # Only the data setting; no course folder, no repository files next to the notebook.
    for name in [n for n in os.environ if n.startswith("COURSE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("COURSE_DATA_DIR", str(data_root))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = NotebookClient(nb, timeout=config.cell_timeout(), kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{assignment} failed when run alone: {str(exc)[-1500:]}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "the notebook wrote no files of its own"
