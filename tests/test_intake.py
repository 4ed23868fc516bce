"""Intake puts every deleted or unrecognisable instructor cell back where it stood, for every
assignment, so that what is graded is the release's tests around the student's own answers.
(test_course.py grades such submissions of 01 end to end.)"""

import copy

import nbformat
import pytest

from autograder import config
from autograder.intake.submission import prepare
from autograder.layout import CourseLayout
from autograder.notebooks import (compose_submission, nbgrader_meta, read_notebook, released_notebook, solution_answers)

ASSIGNMENTS = config.assignments()


def _intake(tmp_path, assignment, nb, student="s"):
    layout = CourseLayout(tmp_path)
    folder = layout.submitted(assignment=assignment, student=student)
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / released_notebook(assignment).name)
    notes = prepare(layout, config.NOTEBOOKS_DIR, assignment=assignment, student=student)
    return read_notebook(layout.intake(assignment=assignment, student=student) / released_notebook(assignment).name), notes


def _cells(nb):
    return [(c.cell_type, nbgrader_meta(c).get("grade_id"), c.source) for c in nb.cells]


def _instructor_ids(assignment):
    return [nbgrader_meta(c)["grade_id"] for c in read_notebook(released_notebook(assignment)).cells
            if nbgrader_meta(c).get("grade_id") and not nbgrader_meta(c).get("solution")]


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def reference(request, tmp_path_factory):
    assignment = request.param
    nb = compose_submission(assignment, solution_answers(assignment))
    graded, _ = _intake(tmp_path_factory.mktemp("reference"), assignment, nb)
    return assignment, nb, _cells(graded)


def test_each_deleted_instructor_cell_is_put_back_where_it_stood(reference, tmp_path):
    """Test cells, locked code and text, at the start, after a read-only cell, at the end: each
    deleted in turn gives exactly the notebook the untouched reference gives."""
    assignment, nb, expected = reference
    ids = _instructor_ids(assignment)
    assert len(ids) > 10
    for grade_id in ids:
        deleted = copy.deepcopy(nb)
        deleted.cells = [c for c in deleted.cells if nbgrader_meta(c).get("grade_id") != grade_id]
        graded, notes = _intake(tmp_path, assignment, deleted, student=grade_id)
        assert _cells(graded) == expected, f"{assignment}: {grade_id} deleted"
        assert any(grade_id in note and "put back" in note for note in notes), notes


def test_several_neighbouring_cells_deleted_come_back_in_order(reference, tmp_path):
    assignment, nb, expected = reference
    ids = _instructor_ids(assignment)
    gone = set(ids[:3] + ids[-3:])  # a run at the start and one at the end
    deleted = copy.deepcopy(nb)
    deleted.cells = [c for c in deleted.cells if nbgrader_meta(c).get("grade_id") not in gone]
    graded, _ = _intake(tmp_path, assignment, deleted)
    assert _cells(graded) == expected, assignment


def test_a_colab_stripped_copy_with_every_cell_edited_keeps_the_students_answers(reference, tmp_path):
    """No nbgrader metadata left, a comment added to every code cell and a word to every text
    cell: every cell is recognised again, answers stay the student's, instructor cells are the
    release's once nbgrader overwrites them (here: their grade ids are back, in order)."""
    assignment, nb, expected = reference
    edited = copy.deepcopy(nb)
    for cell in edited.cells:
        cell.metadata.pop("nbgrader", None)
        cell.source += "\n# checked" if cell.cell_type == "code" else " (read)"
    graded, notes = _intake(tmp_path, assignment, edited)
    assert [(kind, grade_id) for kind, grade_id, _ in _cells(graded)] == [(k, g) for k, g, _ in expected]
    answers = solution_answers(assignment)
    for cell in graded.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in answers and cell.cell_type == "code":
            assert cell.source == answers[grade_id] + "\n# checked", grade_id
    assert not [note for note in notes if "put back" in note], notes


def test_a_notebook_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    from autograder.notebooks import SubmissionError

    monkeypatch.setenv("COURSE_NOTEBOOK_LIMIT_MB", "1")
    nb = compose_submission("01-perceptrons", solution_answers("01-perceptrons"))
    nb.cells[0].outputs = []
    nb.cells.append(nbformat.v4.new_markdown_cell("x" * (2 << 20)))
    with pytest.raises(SubmissionError, match=r"is 2\.\d MB; the limit is 1 MB \(COURSE_NOTEBOOK_LIMIT_MB\)"):
        _intake(tmp_path, "01-perceptrons", nb)


def test_a_huge_cell_is_named_and_the_review_scan_stays_bounded(tmp_path):
    from autograder.intake import tamper
    from autograder.notebooks import SubmissionError

    nb = compose_submission("01-perceptrons", solution_answers("01-perceptrons"))
    nb.cells.insert(2, nbformat.v4.new_code_cell("# " + "x" * (2 << 20)))
    with pytest.raises(SubmissionError, match=r"cell 3 of .* holds 2\.0 MB of text; the limit is 1024 KB"):
        _intake(tmp_path, "01-perceptrons", nb)
    [finding] = tamper.scan_source("x = 1\n" * 40_000, "big")
    assert "too large to review" in finding.what


def test_a_stripped_copy_with_a_large_scratch_cell_is_still_matched(tmp_path):
    """800 KB of scratch once took a minute of Colab matching (difflib on the whole cell)."""
    nb = compose_submission("01-perceptrons", solution_answers("01-perceptrons"))
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    nb.cells.insert(5, nbformat.v4.new_code_cell("scratch = [\n" + "    1,\n" * 100_000 + "]"))
    graded, notes = _intake(tmp_path, "01-perceptrons", nb)
    expected = [nbgrader_meta(c).get("grade_id") for c in read_notebook(released_notebook("01-perceptrons")).cells]
    assert [g for g in (nbgrader_meta(c).get("grade_id") for c in graded.cells) if g] == [g for g in expected if g]
