"""Autograding a batch through nbgrader, proven both ways.

One throwaway course is graded once (each student in its own kernel); the tests then read the
results. The reference earns full marks, the blank release earns nothing, every wrong answer
loses exactly the points of its own test, tampered test cells are graded with the originals,
and unusable files are recorded as errors without stopping the batch.
"""

import csv
import json
import re
import zipfile
from pathlib import Path

import nbformat
import pytest

from nbgrader.api import Gradebook

from autograder.authoring.samples import EXPECTED, PARTIAL_SCORES, sample_submissions
from autograder.cli import main as cli_main
from autograder.course import Course
from autograder.grading.results import grade_table
from autograder.intake.collect import collect_zip
from autograder.notebooks import compose_submission, nbgrader_meta, released_notebook, solution_answers
from autograder.reporting.report import write_report

pytestmark = pytest.mark.slow  # grades notebooks or trains models

A01 = "01-perceptrons"
NAME = released_notebook(A01).name

# student -> (answer cells that differ from the reference, the tests that must fail)
WRONG_ANSWERS = {
    "heaviside-at-zero": ({"ex1-threshold-unit": """
def heaviside(z):
    return (np.asarray(z) > 0).astype(int)

def threshold_unit(x, w, b):
    return (np.asarray(x) @ np.asarray(w) + b >= 0).astype(int)
"""}, {"test-heaviside"}),
    "unit-without-step": ({"ex1-threshold-unit": """
def heaviside(z):
    return (np.asarray(z) >= 0).astype(int)

def threshold_unit(x, w, b):
    return np.asarray(x) @ np.asarray(w) + b
"""}, {"test-threshold-unit"}),
    "not-is-identity": ({"ex2-gates": """
NOT_W, NOT_B = np.array([1.0]), -0.5
AND_W, AND_B = np.array([1.0, 1.0]), -1.5
OR_W, OR_B = np.array([1.0, 1.0]), -0.5
"""}, {"test-not-gate"}),
    "and-is-or": ({"ex2-gates": """
NOT_W, NOT_B = np.array([-1.0]), 0.5
AND_W, AND_B = np.array([1.0, 1.0]), -0.5
OR_W, OR_B = np.array([1.0, 1.0]), -0.5
"""}, {"test-and-gate"}),
    "or-is-and": ({"ex2-gates": """
NOT_W, NOT_B = np.array([-1.0]), 0.5
AND_W, AND_B = np.array([1.0, 1.0]), -1.5
OR_W, OR_B = np.array([1.0, 1.0]), -1.5
"""}, {"test-or-gate"}),
    # Passes the visible test (it does converge on AND) but never stops early: only hidden tests catch it.
    "rule-never-stops": ({"ex3-perceptron-rule": """
def train_perceptron(X, y, learning_rate=1.0, max_epochs=50):
    X = np.asarray(X, dtype=float)
    w, b, errors = np.zeros(X.shape[1]), 0.0, []
    for _ in range(max_epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            update = learning_rate * (y_i - int(x_i @ w + b >= 0))
            w, b, mistakes = w + update * x_i, b + update, mistakes + (update != 0)
        errors.append(mistakes)
    return w, b, errors
"""}, {"test-perceptron-rule"}),
    # The prediction (a quarter of the rate, four times the epochs) typed in instead of measured.
    "rate-predicted-not-measured": ({"ex3b-rates": """
AND_EPOCHS = {1.0: 6, 0.25: 24}
WEIGHT_RATIO = 0.25
"""}, {"test-rate-invariance"}),
    "xor-from-and-or": ({"ex4-xor-network": """
XOR_HIDDEN_W = np.array([[1.0, 1.0], [1.0, 1.0]])
XOR_HIDDEN_B = np.array([-1.5, -0.5])
XOR_OUTPUT_W, XOR_OUTPUT_B = np.array([1.0, 1.0]), -1.5
"""}, {"test-xor-network"}),
    # Trained on the wrong class: the visible test checks labels, the hidden one the accuracy it measures itself.
    "iris-wrong-class": ({"ex5-iris": """
from sklearn.datasets import load_iris
from sklearn.linear_model import Perceptron, SGDClassifier
iris = load_iris()
X_petal = iris.data[:, 2:4]
y_setosa = (iris.target == 0).astype(int)
y_virginica = (iris.target == 2).astype(int)
per_clf = Perceptron(random_state=42).fit(X_petal, y_virginica)
sgd_clf = SGDClassifier(loss="perceptron", penalty=None, learning_rate="constant", eta0=1,
                        random_state=42).fit(X_petal, y_virginica)
"""}, {"test-iris-perceptron"}),
    "sgd-with-l2": ({"ex5-iris": """
from sklearn.datasets import load_iris
from sklearn.linear_model import Perceptron, SGDClassifier
iris = load_iris()
X_petal = iris.data[:, 2:4]
y_setosa = (iris.target == 0).astype(int)
per_clf = Perceptron(random_state=42).fit(X_petal, y_setosa)
sgd_clf = SGDClassifier(loss="perceptron", random_state=42).fit(X_petal, y_setosa)
"""}, {"test-sgd-equivalence"}),
}


WRITTEN_DIFFERENTLY = {
    "ex1-threshold-unit": """
def heaviside(z):
    return np.where(np.asarray(z) >= 0, 1, 0).tolist() if np.ndim(z) == 1 else np.heaviside(z, 1).astype(int)

def threshold_unit(x, w, b):
    return np.heaviside(np.dot(x, w) + b, 1).astype(int)
""",
    "ex2-gates": """
NOT_W, NOT_B = [-2.0], 1
AND_W, AND_B = [2, 2], -3.0
OR_W, OR_B = np.array([3.0, 3.0]), np.float32(-1)
""",
    "ex4-xor-network": """
XOR_HIDDEN_W = [[1, -1], [1, -1]]
XOR_HIDDEN_B = [-0.5, 1.5]
XOR_OUTPUT_W, XOR_OUTPUT_B = [1, 1], -1.5
""",
    "ex6-activations": solution_answers(A01)["ex6-activations"].replace(
        "e = np.exp(-np.abs(z))  # never overflows\n    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))",
        "from scipy.special import expit\n    return expit(z)"),
}


def _activations(**broken):
    code = solution_answers(A01)["ex6-activations"]
    for name, body in broken.items():
        code += f"\n\ndef {name}(z, alpha=0.01):\n    return {body}\n"
    return {"ex6-activations": code}


WRONG_ANSWERS["relu-is-abs"] = (_activations(relu="np.abs(z)"), {"test-activations"})
WRONG_ANSWERS["tanh-derivative-unsquared"] = (_activations(tanh_derivative="1 - np.tanh(z)"),
                                              {"test-activation-derivatives"})


def _with_cells(nb, edit):
    nb = nbformat.from_dict(json.loads(nbformat.writes(nb)))
    nb.cells = [c for c in (edit(cell) for cell in nb.cells) if c is not None]
    return nb


def _edit_test(grade_id, new_source):
    def edit(cell):
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            cell.source = new_source
        return cell
    return edit


def _delete(grade_id):
    return lambda cell: None if nbgrader_meta(cell).get("grade_id") == grade_id else cell


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course = Course(root, database=f"sqlite:///{root}/gradebook.db")
    reference = solution_answers(A01)
    submissions = {
        "reference": compose_submission(A01, reference),
        "blank": compose_submission(A01, {}),
        # A wrong AND, with the AND test emptied by the student: the original test still grades it.
        "edited-test": _with_cells(compose_submission(A01, {**reference, **WRONG_ANSWERS["and-is-or"][0]}),
                                   _edit_test("test-and-gate", "assert True")),
        # Right answers, a test cell deleted: it is put back and passes.
        "deleted-right": _with_cells(compose_submission(A01, reference), _delete("test-heaviside")),
        # Right answers; the first cell, a locked cell, the test after it and the last test deleted
        # (nbgrader alone once failed with KeyError: 'gate-inputs', 0/21).
        "deleted-around-locked": _with_cells(compose_submission(A01, reference),
                                             lambda c: None if nbgrader_meta(c).get("grade_id") in
                                             {"setup", "gate-inputs", "test-not-gate", "test-activation-derivatives"}
                                             else c),
        # Wrong OR, its test deleted: it is put back and fails.
        "deleted-wrong": _with_cells(compose_submission(A01, {**reference, **WRONG_ANSWERS["or-is-and"][0]}),
                                     _delete("test-or-gate")),
        # Right, but not the reference: lists instead of arrays, other valid weights, other APIs.
        "written-differently": compose_submission(A01, {**reference, **WRITTEN_DIFFERENTLY}),
    }
    for student, (overrides, _) in WRONG_ANSWERS.items():
        submissions[student] = compose_submission(A01, {**reference, **overrides})
    for student, nb in submissions.items():
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NAME)
    for student, text in sample_submissions(A01).items():  # the demo's partly right sample and its copy
        if student in ("partial", "copied"):
            folder = course.submission_dir(assignment=A01, student=f"demo-{student}")
            folder.mkdir(parents=True)
            (folder / NAME).write_text(text)
    unusable = {"corrupt": "{\"cells\": [ this is not json", "empty": ""}
    for student, text in unusable.items():
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        (folder / NAME).write_text(text)
    # Two notebooks, neither with the released name: which one to grade is the instructor's call.
    ambiguous = course.submission_dir(assignment=A01, student="ambiguous")
    ambiguous.mkdir(parents=True)
    for name in ("Copy of 01-perceptrons.ipynb", "Untitled.ipynb"):
        nbformat.write(submissions["reference"], ambiguous / name)

    # Three through an LMS download (one zip with both conventions: collect reads each member by its
    # own): Canvas' smithj and Moodle's participant 1001 hand in the reference, 1002 the blank release.
    download = root / "download.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for member, nb in {"smithj_12345_777001_01-perceptrons.ipynb": submissions["reference"],
                           "Jane Roe_1001_assignsubmission_file_/01-perceptrons.ipynb": submissions["reference"],
                           "Max Mustermann_1002_assignsubmission_file_/Kopie von 01-perceptrons.ipynb":
                               submissions["blank"]}.items():
            archive.writestr(zipfile.ZipInfo(member, date_time=(2026, 5, 1, 12, 0, 0)), nbformat.writes(nb))
    collect_zip(download, course, A01, NAME)
    expected = course.root / "expected"  # what was handed in, byte for byte
    expected.mkdir()
    for student in ("reference", "edited-test", "corrupt"):
        (expected / student).write_bytes((course.submission_dir(assignment=A01, student=student) / NAME).read_bytes())
    progress = []
    results = {r.student: r for r in course.autograde(A01, progress=progress.append)}
    return course, results, progress


def _points(result):
    return {t.grade_id: t.points for t in result.tests}


def test_reference_earns_full_marks(graded):
    _, results, _ = graded
    reference = results["reference"]
    assert reference.error is None and reference.max_score == 21  # 17 autograded + two written answers
    assert reference.score == 17 and reference.pending_points == 4, grade_table([reference])
    assert all(t.passed for t in reference.tests if not t.written) and len(reference.tests) == 14


def test_right_answers_written_differently_earn_full_marks(graded):
    _, results, _ = graded
    assert WRITTEN_DIFFERENTLY["ex6-activations"] != solution_answers(A01)["ex6-activations"]
    assert results["written-differently"].score == 17, grade_table([results["written-differently"]])


def test_blank_release_earns_zero_on_every_exercise(graded):
    _, results, _ = graded
    blank = results["blank"]
    assert blank.score == 0 and all(t.points == 0 for t in blank.tests) and len(blank.tests) == 14
    assert all("NotImplementedError" in t.error or "NameError" in t.error for t in blank.tests if not t.written)
    assert [t.grade_id for t in blank.tests if t.written and not t.needs_grading] == ["written-1", "written-2"], \
        "an untouched written answer scores 0 without waiting for a person"


@pytest.mark.parametrize("student", sorted(WRONG_ANSWERS))
def test_wrong_answer_loses_exactly_its_tests_points(graded, student):
    _, results, _ = graded
    full = _points(results["reference"])
    got = _points(results[student])
    failing = WRONG_ANSWERS[student][1]
    assert {g for g in full if got[g] != full[g]} == failing, grade_table([results["reference"], results[student]])
    assert all(got[g] == 0 for g in failing)
    assert results[student].score == 17 - sum(full[g] for g in failing)
    assert all(t.error for t in results[student].tests if t.grade_id in failing), "a failed test says why"


def test_the_demo_samples_come_to_what_make_demo_expects(graded):
    """What `make demo` checks for 01 (the fresh-clone test runs the demo of 01 too)."""
    _, results, _ = graded
    for student, result in (("reference", results["reference"]), ("blank", results["blank"]),
                            ("partial", results["demo-partial"])):
        assert EXPECTED[student](result) is None, grade_table([result])


def test_edited_test_cell_is_graded_with_the_original(graded):
    _, results, _ = graded
    assert _points(results["edited-test"])["test-and-gate"] == 0
    assert results["edited-test"].score == 16


def test_deleted_test_cells_are_restored_and_graded(graded):
    _, results, _ = graded
    assert results["deleted-right"].score == 17 and len(results["deleted-right"].tests) == 14
    around_locked = results["deleted-around-locked"]
    assert around_locked.error is None and around_locked.score == 17, grade_table([around_locked])
    assert any("test-not-gate" in note and "put back" in note for note in around_locked.notes), around_locked.notes
    assert _points(results["deleted-wrong"])["test-or-gate"] == 0 and results["deleted-wrong"].score == 16


def test_unusable_submissions_are_reported_and_the_batch_goes_on(graded):
    course, results, progress = graded
    assert "invalid JSON" in results["corrupt"].error and results["corrupt"].score == 0
    assert "empty" in results["empty"].error
    assert "01-perceptrons.ipynb not found" in results["ambiguous"].error and "Untitled" in results["ambiguous"].error
    assert course.errors(A01).keys() == {"corrupt", "empty", "ambiguous"}
    graded_students = [s for s, r in results.items() if r.error is None]
    assert len(graded_students) == len(results) - 3, "every other student was graded"
    assert len(progress) == len(results) and progress[-1].startswith(f"[{len(results)}/{len(results)}]")


def test_results_and_table_read_back_from_the_gradebook(graded):
    course, results, _ = graded
    again = {r.student: r for r in course.results(A01)}
    assert again.keys() == results.keys()
    assert again["reference"].score == 17 and again["corrupt"].error
    table = grade_table(list(again.values()))
    assert "reference" in table and "17/21" in table and "invalid JSON" in table


def test_feedback_and_csv_export(graded, tmp_path):
    course, results, _ = graded
    feedback = course.feedback(A01)
    students_with_feedback = {p.parts[-3] for p in feedback}
    assert "reference" in students_with_feedback and "blank" in students_with_feedback
    html = next(p for p in feedback if p.parts[-3] == "blank").read_text()
    assert "test-heaviside" in html and "NotImplementedError" in html
    # Feedback says why a hidden test failed, but shows neither its code nor the grader's (nbgrader#917).
    never_stops = next(p for p in feedback if p.parts[-3] == "rule-never-stops").read_text()
    assert "AssertionError: AND: the rule stops after 6 epoch(s) here, yours ran 50" in never_stops
    for path in feedback:
        text = path.read_text()
        for secret in ("HIDDEN TESTS", "autograder", "check_perceptron_rule", "MAX_EPOCHS_AND_OR", "most recent call"):
            assert secret not in text, f"{secret!r} in the feedback of {path.parts[-3]}"
    csv = course.export_grades(tmp_path / "grades.csv").read_text().splitlines()
    header = csv[0].split(",")
    rows = {r.split(",")[header.index("student_id")]: r.split(",") for r in csv[1:]}
    assert float(rows["reference"][header.index("score")]) == 17.0
    assert float(rows["blank"][header.index("score")]) == 0.0


class _RunsNothing:
    """An executor for a class in which intake refuses every submission: it only drains the work."""

    def run(self, work):
        assert not list(work), "no job was expected"
        return iter(())


def _refused_class(tmp_path, students):
    course = Course(tmp_path, database=f"sqlite:///{tmp_path}/gradebook.db")
    for student in students:
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        (folder / NAME).write_text("{ not a notebook")
    return course


class _NoCluster(_RunsNothing):
    """`make autograde`'s executor, for a class in which intake refuses every submission."""

    def __init__(self, jobs=None):
        pass

    def describe(self):
        return "no cluster"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def test_a_full_disk_stops_the_batch_cleanly_and_keeps_what_was_recorded(tmp_path, monkeypatch, capsys):
    """The course folder's disk fills up after the first student: `make autograde` stops with a message
    and exits "not ready" (no classmate is charged an error for it), the first result stays recorded,
    and the next run, with space again, grades everyone left."""
    from autograder import cli
    from autograder.grading import batch, executor

    course = _refused_class(tmp_path, ["ann", "bob", "cat"])
    monkeypatch.setenv("COURSE_DIR", str(course.root))
    monkeypatch.setattr(executor, "DaskExecutor", _NoCluster)
    free = iter([10_000])  # then full
    monkeypatch.setattr(batch, "free_mb", lambda folder: next(free, 3))
    assert cli_main(["autograde", A01]) == cli.EXIT_NOT_READY
    assert re.search(r"error: grading stopped: less than 256 MB free.*the 1 of 3 results recorded so far are kept.*"
                     r"make autograde again", capsys.readouterr().err)
    assert set(course.errors(A01)) == {"ann"}

    monkeypatch.setattr(batch, "free_mb", lambda folder: 10_000)
    assert [r.student for r in course.autograde(A01, executor=_RunsNothing())] == ["ann", "bob", "cat"]


def test_a_results_file_the_full_disk_cannot_take_stops_the_batch_and_the_old_file_is_whole(tmp_path, monkeypatch):
    import errno

    from autograder.grading import batch

    course = _refused_class(tmp_path, ["ann", "bob"])
    course.autograde(A01, executor=_RunsNothing())
    before = course.layout.results(A01).read_bytes()

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)  # the store writes its file whole, then swaps it in
    with pytest.raises(batch.DiskFull, match="could not be written, the disk is full"):
        course.autograde(A01, executor=_RunsNothing())
    monkeypatch.undo()
    assert course.layout.results(A01).read_bytes() == before


def test_an_unexpected_failure_is_recorded_as_that_students_error(tmp_path, monkeypatch):
    from autograder.intake import submission

    course = Course(tmp_path, database=f"sqlite:///{tmp_path}/gradebook.db")
    for student in ("first", "second"):
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        nbformat.write(compose_submission(A01, solution_answers(A01)), folder / NAME)
    prepare = submission.prepare

    def broken_for_first(layout, release, *, assignment, student):
        if student == "first":
            raise KeyError("something nobody foresaw")
        return prepare(layout, release, assignment=assignment, student=student)

    monkeypatch.setattr(submission, "prepare", broken_for_first)
    first, second = course.autograde(A01, progress=lambda message: None)
    assert "KeyError" in first.error and first.score == 0
    assert second.error is None and second.score == 17


def test_the_submission_folder_is_never_changed(graded):
    course, _, _ = graded
    # Colab names, repairs and repeated cells are dealt with on a copy in intake/.
    for student in ("reference", "edited-test", "corrupt"):
        handed_in = course.submission_dir(assignment=A01, student=student) / NAME
        assert handed_in.read_bytes() == course.root.joinpath("expected", student).read_bytes()


def test_grading_without_a_sandbox_is_said_everywhere(tmp_path, monkeypatch):
    from autograder.reporting.report import write_report

    monkeypatch.setenv("COURSE_SANDBOX", "off")
    course = Course(tmp_path, database=f"sqlite:///{tmp_path}/gradebook.db")
    folder = course.submission_dir(assignment=A01, student="ann")
    folder.mkdir(parents=True)
    nbformat.write(compose_submission(A01, solution_answers(A01)), folder / NAME)
    [result] = course.autograde(A01, progress=lambda message: None)
    assert result.score == 17 and not result.sandboxed
    assert "unsandboxed" in grade_table(course.results(A01))
    assert "unsandboxed" in write_report(course, [A01], tmp_path / "report.html").read_text()
    rows = course.export_grades(tmp_path / "grades.csv").read_text().splitlines()
    assert rows[0].endswith(",sandbox,manual_grading") and rows[1].endswith(",unsandboxed,missing: written-1 written-2")
    monkeypatch.delenv("COURSE_SANDBOX")
    [again] = course.autograde(A01, progress=lambda message: None)
    assert again.sandboxed and course.export_grades(tmp_path / "grades.csv").read_text().splitlines()[1].endswith(",sandboxed,missing: written-1 written-2")


# --- back to the LMS, and copying flagged (last: they give written answers points) -----------------

LMS_SAMPLES = Path(__file__).parent / "lms"


def test_similarity_flags_the_copy_and_no_honest_pair(graded, monkeypatch, capsys, tmp_path):
    course, _, _ = graded
    pairs = course.similarity(A01)
    flagged = {frozenset((p.first, p.second)) for p in pairs}
    # The copy (renamed variables, functions reordered); not the reference and a differently written
    # right answer, not the submissions that are the reference (boilerplate) but for one cell, and
    # never a blank. (heaviside-at-zero's one changed cell is partial.py's first cell, word for word:
    # partial.py was written from it, and a detector rightly pairs them.)
    listed = [(p.first, p.second, round(p.share, 2)) for p in pairs]
    assert frozenset(("demo-copied", "demo-partial")) in flagged, listed
    assert frozenset(("reference", "written-differently")) not in flagged, listed
    assert not [pair for pair in flagged if pair & {"blank", "moodle-1002", "reference", "deleted-right", "smithj"}], listed
    assert flagged <= {frozenset(pair) for pair in [("demo-copied", "demo-partial"), ("demo-partial", "heaviside-at-zero"),
                                                     ("demo-copied", "heaviside-at-zero")]}, listed
    page = course.layout.similarity(A01).read_text()
    assert "<mark>" in page and "demo-copied" in page and "<script" not in page
    monkeypatch.setenv("COURSE_DIR", str(course.root))
    assert cli_main(["table", A01]) == 0
    assert "demo-copied ~ demo-partial" in capsys.readouterr().out or "demo-partial ~ demo-copied" in page
    report = write_report(course, [A01], tmp_path / "report.html").read_text()
    assert "Similar code" in report and "demo-copied" in report
    assert {r.student: r.score for r in course.results(A01)}["demo-copied"] == PARTIAL_SCORES[A01], "flagged, not graded"


def _grade_written(course, points: dict[str, float]) -> None:
    with Gradebook(course.db_url) as gb:
        for student, score in points.items():
            for grade_id in ("written-1", "written-2"):
                grade = gb.find_grade(grade_id, NAME[:-len(".ipynb")], A01, student)
                grade.manual_score, grade.needs_manual_grade = score, False  # what formgrader's save does
        gb.db.commit()


def test_grades_and_feedback_go_back_in_the_files_canvas_and_moodle_import(graded):
    course, _, _ = graded
    _grade_written(course, {"smithj": 2.0, "moodle-1001": 2.0, "moodle-1002": 0.0})
    canvas = course.export_canvas(LMS_SAMPLES / "canvas_gradebook.csv", [A01])
    rows = list(csv.reader(canvas.path.open(newline="")))
    column = rows[0].index("01-perceptrons (4101)")
    by_login = {row[3]: row for row in rows[2:]}
    assert by_login["smithj"][column] == "21.00", "matched by the Canvas user id collect read from the file name"
    assert by_login["reference"][column] == "" and f"{A01} reference: written-1, written-2" in canvas.pending
    assert by_login["nora"][column] == "" and any("Absent, Nora" in line for line in canvas.missing)
    assert f"{A01} moodle-1001" in canvas.unknown, "a student Canvas does not know is listed, never guessed"
    assert canvas.path.with_name(canvas.path.stem + ".unmatched.txt").read_text().count("moodle-1001") == 1
    first = canvas.path.read_bytes()
    assert course.export_canvas(LMS_SAMPLES / "canvas_gradebook.csv", [A01]).path.read_bytes() == first

    moodle = course.export_moodle(LMS_SAMPLES / "moodle_worksheet.csv", A01)
    sheet = {row[0]: row for row in csv.reader(moodle.path.open(newline=""))}
    header = sheet["Identifier"]
    jane, max_ = sheet["Participant 1001"], sheet["Participant 1002"]
    assert jane[header.index("Grade")] == "100.00" and "Every test passed" in jane[header.index("Feedback comments")]
    assert max_[header.index("Grade")] == "0.00" and "Lost: test-heaviside" in max_[header.index("Feedback comments")]
    assert "Per test: test-heaviside 1/1," in jane[header.index("Feedback comments")]
    assert moodle.missing == ["Participant 1003 (Ann Other)"] and "smithj" in " ".join(moodle.unknown)

    feedback = course.feedback(A01)
    out = course.moodle_feedback(A01, feedback)
    with zipfile.ZipFile(out.path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    mine = {p.parts[-3]: p.read_bytes() for p in feedback}
    assert members == {f"Jane Roe_1001_assignsubmission_file_/{A01}.html": mine["moodle-1001"],
                       f"Max Mustermann_1002_assignsubmission_file_/{A01}.html": mine["moodle-1002"]}
    assert "smithj" in " ".join(out.unknown)
