"""The instructor's HTML report, from recorded grading runs."""

import json

from autograder.course import Course, StudentResult, TestResult
from autograder.report import pass_rates, write_report


def _result(student, passed: dict, error=None, seconds=5.0):
    tests = [TestResult(g, p if ok else 0, p, ok) for g, (p, ok) in passed.items()]
    return StudentResult(student, "01-perceptrons", sum(t.points for t in tests), 3, tests, error, seconds)


RESULTS = [
    _result("ann", {"test-easy": (1, True), "test-hard": (2, True)}, seconds=4),
    _result("bob", {"test-easy": (1, True), "test-hard": (2, False)}, seconds=9),
    _result("cid", {"test-easy": (1, False), "test-hard": (2, False)}, seconds=6),
    StudentResult("dee", "01-perceptrons", 0, 3, [], "01-perceptrons.ipynb: not a Jupyter notebook", 0.1),
]


def test_pass_rates_hardest_first_and_errors_excluded():
    assert pass_rates(RESULTS) == [("test-hard", 1 / 3, 3, 2), ("test-easy", 2 / 3, 3, 1)]


def test_report_shows_distribution_pass_rates_times_and_errors(tmp_path):
    course = Course(tmp_path)
    course._write_run("01-perceptrons", RESULTS)
    html = write_report(course, ["01-perceptrons", "02-linear-regression"], tmp_path / "report.html").read_text()
    assert html.count("<h2>") == 1, "assignments never graded are left out"
    assert "data:image/png;base64," in html, "the score distribution is drawn"
    assert html.index("test-hard") < html.index("test-easy") and "1/3" in html and "33%" in html
    assert "bob 9 s" in html and "not a Jupyter notebook" in html
    assert "mean 1.3" in html and "1 full marks" in html


def test_later_runs_update_the_record_per_student(tmp_path):
    course = Course(tmp_path)
    course._write_run("01-perceptrons", RESULTS)
    course._write_run("01-perceptrons", [_result("dee", {"test-easy": (1, True), "test-hard": (2, True)})])
    latest = {r.student: r for r in course.last_run("01-perceptrons")}
    assert set(latest) == {"ann", "bob", "cid", "dee"} and latest["dee"].error is None and latest["dee"].score == 3
    saved = json.loads((tmp_path / "results" / "01-perceptrons.json").read_text())
    assert [r["student"] for r in saved] == ["ann", "bob", "cid", "dee"]


def test_report_without_runs_says_what_to_do(tmp_path):
    html = write_report(Course(tmp_path), ["01-perceptrons"], tmp_path / "r.html").read_text()
    assert "make autograde" in html
