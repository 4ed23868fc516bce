"""Reading submissions with clear errors, recognising the assignment, composing submissions."""

import nbformat
import pytest

from autograder import notebooks
from autograder.notebooks import SubmissionError

from . import factories

A01 = "01-perceptrons"


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("{\"cells\": [", "invalid JSON at line 1"),
    ("[1, 2, 3]", "not a Jupyter notebook"),
    ("{\"cells\": [], \"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"bogus\": 1}", "not a valid"),
])
def test_unusable_files_get_a_clear_error(tmp_path, content, message):
    path = tmp_path / "hw.ipynb"
    path.write_text(content)
    with pytest.raises(SubmissionError, match=message):
        notebooks.read_notebook(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(SubmissionError, match="no such file"):
        notebooks.read_notebook(tmp_path / "nope.ipynb")
    with pytest.raises(SubmissionError, match="folder"):
        notebooks.read_notebook(tmp_path)


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(SubmissionError, match="cannot be read"):
        notebooks.read_notebook(path)


def test_assignment_recognised_by_cell_ids_whatever_the_file_name(tmp_path):
    nb = factories.notebook(factories.solution_cell("x = 1", "ex2-gates"), factories.grade_cell("assert x", "test-and-gate"))
    assert notebooks.identify_assignment(nb, "Copy of homework (3).ipynb") == A01


def test_assignment_recognised_by_file_name_when_metadata_is_gone():
    nb = factories.notebook(factories.markdown_cell("hello"))
    assert notebooks.identify_assignment(nb, "Copy of 01-perceptrons.ipynb") == A01
    with pytest.raises(SubmissionError, match="cannot tell which assignment"):
        notebooks.identify_assignment(nb, "homework.ipynb")


def test_solution_answers_drop_the_markers():
    answers = notebooks.solution_answers(A01)
    assert "ex3-perceptron-rule" in answers and "def train_perceptron" in answers["ex3-perceptron-rule"]
    assert not any("### BEGIN SOLUTION" in code or "### END SOLUTION" in code for code in answers.values())


def test_compose_fills_only_the_named_cells(tmp_path):
    nb = notebooks.compose_submission(A01, {"ex2-gates": "NOT_W, NOT_B = 1, 2"})
    cells = {notebooks.nbgrader_meta(c).get("grade_id"): c.source for c in nb.cells}
    assert cells["ex2-gates"] == "NOT_W, NOT_B = 1, 2"
    assert "raise NotImplementedError" in cells["ex1-threshold-unit"]
    with pytest.raises(KeyError):
        notebooks.compose_submission(A01, {"no-such-cell": "pass"})
    nbformat.validate(nb)


def test_answers_file_format(tmp_path):
    path = tmp_path / "answers.py"
    path.write_text("# a comment before any cell is ignored\n# %% ex2-gates\nA = 1\n\n# %% ex4-xor-network\nB = 2\n")
    assert notebooks.read_answers(path) == {"ex2-gates": "A = 1", "ex4-xor-network": "B = 2"}
