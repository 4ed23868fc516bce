"""Results: the per-assignment record of every student's latest grading, and the grade table."""

import json

from autograder.grading.results import ResultStore, StudentResult, TestResult, grade_table
from autograder.layout import CourseLayout


def _result(student, score, error=None, sandboxed=True):
    tests = [TestResult("test-easy", score, 3, score == 3)]
    return StudentResult(assignment="01-perceptrons", student=student, score=score, max_score=3, tests=tests, error=error,
                         seconds=1.0, sandboxed=sandboxed)


def test_later_runs_update_the_record_per_student(tmp_path):
    store = ResultStore(CourseLayout(tmp_path))
    store.update("01-perceptrons", [_result("ann", 3), _result("bob", 0), _result("dee", 0, "not a notebook")])
    store.update("01-perceptrons", [_result("dee", 3)])
    latest = {r.student: r for r in store.read("01-perceptrons")}
    assert set(latest) == {"ann", "bob", "dee"} and latest["dee"].error is None and latest["dee"].score == 3
    assert store.errors("01-perceptrons") == {}
    saved = json.loads((tmp_path / "results" / "01-perceptrons.json").read_text())
    assert [r["student"] for r in saved] == ["ann", "bob", "dee"]


def test_table_says_why_and_says_unsandboxed():
    table = grade_table([_result("ann", 3), _result("bob", 0, "not a notebook"), _result("cid", 3, sandboxed=False)])
    rows = {line.split()[0]: line for line in table.splitlines()[2:]}
    assert "3/3" in rows["ann"] and "not a notebook" in rows["bob"] and "unsandboxed" in rows["cid"]
    assert "unsandboxed" not in rows["ann"]
