"""Grade one notebook file with no course folder to set up (what nbgrader#1371 asks for).

A throwaway course is made in a temporary folder: the assignment is generated from
solutions/ (which records the hidden tests in a private gradebook), the file is filed as the
only submission and graded exactly as a class is (sandboxed job, trusted verdicts), and the
scores are read back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat

from autograder.course import Course
from autograder.grading.results import StudentResult
from autograder.notebooks import SubmissionError, identify_assignment, read_notebook, source_notebook

STUDENT = "student"


def grade_file(path: Path | str, assignment: str | None = None, timeout: int | None = None) -> StudentResult:
    """Autograde *path*; raises SubmissionError for a file that cannot be graded at all."""
    path = Path(path)
    nb = read_notebook(path)
    assignment = assignment or identify_assignment(nb, path.name)
    try:
        expected = source_notebook(assignment).name
    except (SubmissionError, FileNotFoundError) as exc:
        raise SubmissionError(f"unknown assignment {assignment!r}") from exc
    with tempfile.TemporaryDirectory(prefix="autograde-") as tmp:
        course = Course(Path(tmp), database=f"sqlite:///{tmp}/gradebook.db", timeout=timeout)
        folder = course.submission_dir(assignment=assignment, student=STUDENT)
        folder.mkdir(parents=True)
        # Filed under the expected name, so "Copy of 01-perceptrons (2).ipynb" is graded too.
        nbformat.write(nb, folder / expected)
        [result] = course.autograde(assignment, [STUDENT], progress=lambda message: None)
    if result.error:
        raise SubmissionError(result.error)
    return result


def as_json(result: StudentResult) -> dict:
    return {
        "assignment": result.assignment,
        "score": result.score,
        "max_score": result.max_score,
        "tests": [
            {"grade_id": t.grade_id, "points": t.points, "max_points": t.max_points, "passed": t.passed,
             **({"error": t.error} if t.error else {}),
             # A written answer: graded by a person in formgrader, never by this command.
             **({"written": True, "needs_grading": t.needs_grading} if t.written else {})}
            for t in result.tests
        ],
        # What grading had to repair (a Colab-stripped notebook, for instance), when anything.
        **({"notes": result.notes} if result.notes else {}),
        **({} if result.sandboxed else {"sandbox": "unsandboxed"}),
    }
