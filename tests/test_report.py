"""The instructor's HTML report, from recorded grading runs."""

from autograder.course import Course
from autograder.grading.results import StudentResult, TestResult
from autograder.reporting.report import pass_rates, write_report


def _result(student, passed: dict, error=None, seconds=5.0):
    tests = [TestResult(g, p if ok else 0, p, ok) for g, (p, ok) in passed.items()]
    return StudentResult(assignment="01-perceptrons", student=student, score=sum(t.points for t in tests), max_score=3,
                         tests=tests, error=error, seconds=seconds)


RESULTS = [
    _result("ann", {"test-easy": (1, True), "test-hard": (2, True)}, seconds=4),
    _result("bob", {"test-easy": (1, True), "test-hard": (2, False)}, seconds=9),
    _result("cid", {"test-easy": (1, False), "test-hard": (2, False)}, seconds=6),
    StudentResult(assignment="01-perceptrons", student="dee", score=0, max_score=3,
                  error="01-perceptrons.ipynb: not a Jupyter notebook", seconds=0.1),
]


def test_pass_rates_hardest_first_and_errors_excluded():
    assert pass_rates(RESULTS) == [("test-hard", 1 / 3, 3, 2), ("test-easy", 2 / 3, 3, 1)]


def test_report_shows_distribution_pass_rates_times_and_errors(tmp_path):
    course = Course(tmp_path)
    course.store.update("01-perceptrons", RESULTS)
    html = write_report(course, ["01-perceptrons", "02-linear-regression"], tmp_path / "report.html").read_text()
    assert html.count("<h2>") == 1, "assignments never graded are left out"
    assert "data:image/png;base64," in html, "the score distribution is drawn"
    assert html.index("test-hard") < html.index("test-easy") and "1/3" in html and "33%" in html
    assert "bob 9 s" in html and "not a Jupyter notebook" in html
    assert "mean 1.3" in html and "1 full marks" in html


def test_grades_made_without_a_sandbox_are_called_out(tmp_path):
    course = Course(tmp_path)
    unsandboxed = _result("eve", {"test-easy": (1, True), "test-hard": (2, True)})
    unsandboxed.sandboxed = False
    course.store.update("01-perceptrons", [*RESULTS, unsandboxed])
    html = write_report(course, ["01-perceptrons"], tmp_path / "report.html").read_text()
    assert "unsandboxed" in html and "eve" in html.split("unsandboxed")[1][:300]


def test_report_without_runs_says_what_to_do(tmp_path):
    html = write_report(Course(tmp_path), ["01-perceptrons"], tmp_path / "r.html").read_text()
    assert "make autograde" in html


def test_report_counts_written_answers_still_to_grade(tmp_path):
    course = Course(tmp_path)
    waiting = _result("fay", {"test-easy": (1, True)})
    waiting.tests += [TestResult("written-1", 0, 2, False, written=True, needs_grading=True),
                      TestResult("written-2", 0, 2, False, written=True, needs_grading=True)]
    graded = _result("gus", {"test-easy": (1, True)})
    graded.tests += [TestResult("written-1", 2, 2, True, written=True), TestResult("written-2", 1, 2, False, written=True)]
    course.store.update("01-perceptrons", [waiting, graded])
    html = write_report(course, ["01-perceptrons"], tmp_path / "report.html").read_text()
    assert "Written answers: 2 of 4 graded by a person" in html and "1 submission(s) still have ungraded" in html
    assert "make formgrader" in html
    rates = {grade_id: (rate, total) for grade_id, rate, total, _ in pass_rates([waiting, graded])}
    assert rates["written-1"] == (1.0, 1), "an answer nobody graded yet counts neither as passed nor as failed"
