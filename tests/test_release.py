"""notebooks/ is exactly what nbgrader generates from solutions/, and leaks nothing."""

import ast
import re

import pytest

from autograder import config
from autograder.authoring.publish import normalised_release
from autograder.course import Course
from autograder.notebooks import is_written_answer, nbgrader_meta, read_notebook, released_notebook, source_notebook

ASSIGNMENTS = config.assignments()
LEAK_MARKERS = ["BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "autograder.grading.checks"]


def test_there_is_an_assignment_and_each_is_released():
    assert ASSIGNMENTS
    for assignment in ASSIGNMENTS:
        assert released_notebook(assignment).is_file(), f"run `make release`: {assignment} is not in notebooks/"
    assert sorted(p.name for p in config.NOTEBOOKS_DIR.iterdir() if p.is_dir()) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_leaks_no_solution_or_hidden_test(assignment):
    text = released_notebook(assignment).read_text()
    for marker in LEAK_MARKERS:
        assert marker not in text, f"{marker!r} found in the released {assignment}"
    answers_source = [c.source for c in read_notebook(source_notebook(assignment)).cells
                      if nbgrader_meta(c).get("solution")]
    for cell in read_notebook(released_notebook(assignment)).cells:
        if is_written_answer(cell):
            assert cell.source == "YOUR ANSWER HERE"
        elif nbgrader_meta(cell).get("solution"):
            assert "raise NotImplementedError()" in cell.source
            assert cell.source not in answers_source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_in_sync_with_solutions(assignment, tmp_path):
    Course(tmp_path / "course", release=tmp_path / "release").generate(assignment)
    fresh = tmp_path / "release" / assignment / released_notebook(assignment).name
    assert normalised_release(fresh) == normalised_release(released_notebook(assignment)), (
        f"notebooks/{assignment} is stale or was edited by hand: run `make release` and commit the result")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_notebooks_have_no_outputs(assignment):
    for path in (source_notebook(assignment), released_notebook(assignment)):
        nb = read_notebook(path)
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in nb.cells if c.cell_type == "code"), f"{path} has stray outputs"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_colab_links_come_from_the_one_configured_repository(assignment):
    url = config.colab_url(assignment, released_notebook(assignment).name)
    first = read_notebook(released_notebook(assignment)).cells[0]
    assert url in first.source and "Open In Colab" in first.source, "the release starts with its Colab badge"
    assert url in (config.REPO_ROOT / "README.md").read_text(), f"README lacks the Colab link {url}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_ids_that_name_an_exercise_name_the_right_one(assignment):
    """A grade id such as `cal-ex7-text` must head exercise 7: instructors find cells in formgrader and in
    the gradebook by these ids (06 once had exercises 7-9 under ids ex6-ex8)."""
    for cell in read_notebook(source_notebook(assignment)).cells:
        grade_id = nbgrader_meta(cell).get("grade_id", "")
        named = re.search(r"(?:^|-)ex(\d+)-", grade_id)
        headed = re.search(r"### Exercise (\d+)", cell.source)
        if named and headed:
            assert named.group(1) == headed.group(1), f"{grade_id} heads exercise {headed.group(1)}: rename it"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_visible_assert_tells_the_student_what_to_fix(assignment):
    """A bare `assert x` shows a student only `AssertionError`; each one the release runs carries a message."""
    for cell in read_notebook(released_notebook(assignment)).cells:
        if cell.cell_type != "code":
            continue
        bare = [ast.unparse(node) for node in ast.walk(ast.parse(cell.source))
                if isinstance(node, ast.Assert) and node.msg is None]
        assert not bare, f"{nbgrader_meta(cell).get('grade_id')}: assert without a message: {bare}"
