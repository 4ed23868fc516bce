"""Notebooks as Colab saves them: Colab metadata added, nbgrader metadata stripped, cells moved or
added, any file name. Each is graded to the same score as the clean notebook with the same answers."""

import copy
import json

import nbformat
import pytest

from autograder import config
from autograder.authoring import exercise_kinds
from autograder.course import Course
from autograder.grading.results import grade_table
from autograder.intake import colab
from autograder.notebooks import (compose_submission, nbgrader_meta, read_notebook, released_notebook, solution_answers)

pytestmark = pytest.mark.slow  # grades notebooks or trains models

A01, A03 = "01-perceptrons", "03-logistic-regression"


def colab_saved(nb, *, strip_nbgrader, name="Copy of notebook.ipynb"):
    """What Colab's File > Download .ipynb gives: its own metadata, cell ids moved into metadata,
    nbformat minor 0 and, in the worst case, no nbgrader metadata or lock flags."""
    raw = json.loads(nbformat.writes(nb))
    raw["nbformat_minor"] = 0
    raw["metadata"] = {"colab": {"provenance": [], "name": name, "toc_visible": True},
                       "kernelspec": {"name": "python3", "display_name": "Python 3"},
                       "language_info": {"name": "python"}, "accelerator": "GPU"}
    for number, cell in enumerate(raw["cells"]):
        cell["metadata"]["id"] = f"colab{number:04d}xyz"
        cell.pop("id", None)
        if cell["cell_type"] == "code":
            cell["metadata"]["outputId"] = f"out{number:04d}"
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
        if number == 1:
            cell["metadata"]["cellView"] = "form"
        if strip_nbgrader:
            for key in ("nbgrader", "deletable", "editable"):
                cell["metadata"].pop(key, None)
    return nbformat.reads(json.dumps(raw), as_version=4)  # as the downloaded file would be read


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


def test_a_keras_notebook_stripped_by_colab_gets_full_marks(tmp_path):
    course = Course(tmp_path, database=f"sqlite:///{tmp_path}/gradebook.db")
    folder = course.submission_dir(assignment=A03, student="colab")
    folder.mkdir(parents=True)
    nbformat.write(colab_saved(compose_submission(A03, solution_answers(A03)), strip_nbgrader=True),
                   folder / "Copy of 03-logistic-regression.ipynb")
    [result] = course.autograde(A03, progress=lambda message: None)
    points = exercise_kinds.points_by_kind(A03)
    autograded = sum(n for kind, n in points.items() if kind != "written")
    assert result.error is None and result.score == autograded and result.max_score == autograded + points["written"], \
        grade_table([result])
    assert result.ungraded_written == 2, "the written answers, left as released, wait for a person"


def test_identify_assignment_without_metadata_or_telling_name():
    from autograder.notebooks import identify_assignment

    stripped = colab_saved(compose_submission(A03, {}), strip_nbgrader=True)
    assert identify_assignment(stripped, "Untitled0.ipynb") == A03


def test_single_file_grading_reports_the_repair(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "Untitled3.ipynb"
    nbformat.write(colab_saved(compose_submission(A01, solution_answers(A01)), strip_nbgrader=True), path)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(path), "--json"], capture_output=True,
                          text=True, cwd=config.REPO_ROOT, timeout=600)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["assignment"] == A01 and report["score"] == 17
    assert any("restored nbgrader metadata" in note for note in report["notes"])
