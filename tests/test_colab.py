"""Notebooks as Colab saves them: Colab metadata added, nbgrader metadata stripped, cells moved or
added, any file name. Each is graded to the same score as the clean notebook with the same answers.
(For the Keras assignments, one wrong submission of each class batch in test_assignments.py is handed in
as Colab saves it.)"""

import copy

import nbformat
import pytest

from autograder.course import Course
from autograder.grading.results import grade_table
from autograder.intake import colab
from autograder.notebooks import (compose_submission, nbgrader_meta, read_notebook, released_notebook, solution_answers)

from tests.factories import colab_saved

pytestmark = pytest.mark.slow  # grades notebooks or trains models

A01, A03 = "01-perceptrons", "03-logistic-regression"


def every_cell_edited(nb):
    """A comment added to every code cell and a word to every text cell (test cells included)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.source += "\n# checked" if cell.cell_type == "code" else " (read)"
    return nb


def _grade_id_of(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)


def reordered_with_extras(nb):
    """Stripped notebook where the student moved the intro to the end and added scratch cells."""
    nb = copy.deepcopy(nb)
    nb.cells.append(nb.cells.pop(0))
    nb.cells.insert(5, nbformat.v4.new_code_cell("print('trying things out')"))
    nb.cells.insert(9, nbformat.v4.new_markdown_cell("My notes: AND needs both inputs."))
    nb.cells.insert(12, nbformat.v4.new_code_cell("scratch = heaviside(np.array([0.0]))"))
    for cell in nb.cells:  # as Colab stores cells: the id in the metadata, none at the top level
        cell.metadata.setdefault("id", "added")
        cell.pop("id", None)
    return nb


WRONG_AND = {"ex2-gates": solution_answers(A01)["ex2-gates"].replace("AND_B = np.array([1.0, 1.0]), -1.5",
                                                                      "AND_B = np.array([1.0, 1.0]), -0.5")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course = Course(root, database=f"sqlite:///{root}/gradebook.db")
    reference = compose_submission(A01, solution_answers(A01))
    wrong = compose_submission(A01, {**solution_answers(A01), **WRONG_AND})
    stripped = colab_saved(reference, strip_nbgrader=True)
    submissions = {
        "clean": (reference, NAME),
        "colab-metadata": (colab_saved(reference, strip_nbgrader=False), NAME),
        "colab-stripped": (stripped, NAME),
        "colab-reordered-extras": (reordered_with_extras(stripped), NAME),
        "clean-wrong-and": (wrong, NAME),
        "colab-stripped-wrong-and": (colab_saved(wrong, strip_nbgrader=True), NAME),
        # Once cost 0/21: no cell matched the release any more, and nbgrader could not put the tests back.
        "colab-every-cell-edited-wrong-and": (every_cell_edited(colab_saved(wrong, strip_nbgrader=True)), NAME),
        "renamed": (colab_saved(reference, strip_nbgrader=False), "Copy of 01-perceptrons (1).ipynb"),
    }
    for student, (nb, filename) in submissions.items():
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / filename)
    return course, {r.student: r for r in course.autograde(A01, progress=lambda message: None)}


NAME = released_notebook(A01).name


def _points(result):
    return {t.grade_id: t.points for t in result.tests}


@pytest.mark.parametrize("student", ["colab-metadata", "colab-stripped", "colab-reordered-extras", "renamed"])
def test_colab_variants_of_the_reference_get_full_marks(graded, student):
    _, results = graded
    assert results[student].error is None, results[student].error
    assert _points(results[student]) == _points(results["clean"]), grade_table([results["clean"], results[student]])
    assert results[student].score == 17


@pytest.mark.parametrize("student", ["colab-stripped-wrong-and", "colab-every-cell-edited-wrong-and"])
def test_stripped_wrong_answer_scores_like_the_clean_one(graded, student):
    _, results = graded
    assert _points(results[student]) == _points(results["clean-wrong-and"]), grade_table([results[student]])
    assert results["clean-wrong-and"].score == 16


def test_repairs_are_reported_and_originals_kept(graded):
    course, results = graded
    assert any("restored nbgrader metadata" in note for note in results["colab-stripped"].notes)
    assert any("Copy of 01-perceptrons (1).ipynb" in note for note in results["renamed"].notes)
    assert not results["clean"].notes
    handed_in = course.submission_dir(assignment=A01, student="renamed")
    assert [p.name for p in handed_in.iterdir()] == ["Copy of 01-perceptrons (1).ipynb"], "kept as handed in"
    assert (course.layout.intake(assignment=A01, student="renamed") / f"{A01}.ipynb").is_file(), "graded from a renamed copy"


def test_restore_reports_what_cannot_be_matched():
    release = read_notebook(released_notebook(A01))
    stripped = colab_saved(compose_submission(A01, solution_answers(A01)), strip_nbgrader=True)
    # The student deleted the AND test cell and the whole iris exercise (answer and tests).
    drop = {_grade_id_of(release, g) for g in ("test-and-gate", "ex5-iris", "test-iris-perceptron", "test-sgd-equivalence")}
    stripped.cells = [c for i, c in enumerate(stripped.cells) if i not in drop]
    restored, done, unmatched = colab.restore_metadata(stripped, release, solution_answers(A01))
    assert set(unmatched) == {"test-and-gate", "ex5-iris", "test-iris-perceptron", "test-sgd-equivalence"}
    assert "ex3-perceptron-rule" in done and "test-heaviside" in done
    assert colab.missing_ids(restored, release) == unmatched


def test_identify_assignment_without_metadata_or_telling_name():
    from autograder.notebooks import identify_assignment

    stripped = colab_saved(compose_submission(A03, {}), strip_nbgrader=True)
    assert identify_assignment(stripped, "Untitled0.ipynb") == A03
