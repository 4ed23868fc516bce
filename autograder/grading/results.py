"""Grading results: one record per student, read from the gradebook and kept per assignment.

The gradebook (nbgrader's) holds the scores that feedback, formgrader and the CSV export use.
``results/<assignment>.json`` keeps what the gradebook has no place for: why a submission could not
be graded, notes about repairs, how long grading took, and whether the notebook ran in a sandbox.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.layout import CourseLayout
from autograder.notebooks import nbgrader_meta, read_notebook, source_notebook

UNSANDBOXED = "unsandboxed"


@dataclass
class TestResult:
    __test__ = False  # a grading result, not a pytest test class
    grade_id: str
    points: float
    max_points: float
    passed: bool
    error: str | None = None
    written: bool = False        # a written answer, graded by a person in formgrader
    needs_grading: bool = False  # ... who has not given it points yet


@dataclass(kw_only=True)  # by keyword: (assignment, student) can never be swapped unseen
class StudentResult:
    assignment: str
    student: str
    score: float = 0.0
    max_score: float = 0.0
    tests: list[TestResult] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    sandboxed: bool = True
    late_seconds: float = 0.0    # after the due date (schedule.toml), by the collected time stamp
    late_penalty: float = 0.0    # points nbgrader took off for it; already out of `score`
    graded_from: str = ""        # the submission's files and the course version it was graded from

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def ungraded_written(self) -> int:
        """Written answers still waiting for a person (formgrader)."""
        return sum(t.needs_grading for t in self.tests)

    @property
    def pending_points(self) -> float:
        return sum(t.max_points for t in self.tests if t.needs_grading)

    @classmethod
    def from_dict(cls, data: dict) -> "StudentResult":
        return cls(**{**data, "tests": [TestResult(**t) for t in data.get("tests", [])]})

    def note(self) -> str:
        """The one line a grade table shows about this student."""
        parts = [] if self.sandboxed or self.error else [UNSANDBOXED]
        if self.late_seconds > 0 and not self.error:
            late = f"late by {dt.timedelta(seconds=round(self.late_seconds))}"
            parts.append(f"{late} (-{self.late_penalty:g} points)" if self.late_penalty else late)
        if self.ungraded_written and not self.error:
            parts.append(f"{self.ungraded_written} written answer{'s' * (self.ungraded_written > 1)} to grade")
        return "; ".join(parts + ([self.error] if self.error else self.notes))


def max_score(assignment: str) -> float:
    nb = read_notebook(source_notebook(assignment))
    return float(sum(nbgrader_meta(c).get("points", 0) for c in nb.cells if nbgrader_meta(c).get("grade")))


def failed(*, assignment: str, student: str, error: str, seconds: float = 0.0, notes: list[str] | None = None) -> StudentResult:
    return StudentResult(assignment=assignment, student=student, max_score=max_score(assignment), error=error, seconds=seconds,
                         notes=notes or [])


class ResultStore:
    """``results/<assignment>.json``: the latest result of every student graded so far."""

    def __init__(self, layout: CourseLayout):
        self.layout = layout

    def read(self, assignment: str) -> list[StudentResult]:
        path = self.layout.results(assignment)
        return [StudentResult.from_dict(d) for d in json.loads(path.read_text())] if path.exists() else []

    def update(self, assignment: str, results: list[StudentResult]) -> None:
        """The students of *results* replace their earlier entries; everyone else is kept."""
        merged = {r.student: r for r in self.read(assignment)} | {r.student: r for r in results}
        path = self.layout.results(assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".json.part")
        try:
            partial.write_text(json.dumps([merged[s].as_dict() for s in sorted(merged)], indent=1) + "\n")
            partial.replace(path)  # the old file stays whole until the new one is
        finally:
            partial.unlink(missing_ok=True)

    def errors(self, assignment: str) -> dict[str, str]:
        return {r.student: r.error for r in self.read(assignment) if r.error}


def from_gradebook(db_url: str, layout: CourseLayout, *, assignment: str, student: str) -> StudentResult:
    """Scores from the gradebook, with each failed test's message from the autograded notebook."""
    notebook_name = source_notebook(assignment).stem
    graded = layout.autograded(assignment=assignment, student=student) / f"{notebook_name}.ipynb"
    messages, sandboxed = test_messages(graded)
    with Gradebook(db_url) as gb:
        submission = gb.find_submission_notebook(notebook_name, assignment, student)
        order = {cell.name: i for i, cell in enumerate(gb.find_notebook(notebook_name, assignment).grade_cells)}
        tests = []
        for g in submission.grades:
            written, passed = g.cell.cell_type == "markdown", g.score >= g.max_score
            # A written answer has no failure message: its points and comment come from a person.
            error = None if passed or written else messages.get(g.name, "failed")
            tests.append(TestResult(g.name, float(g.score), float(g.max_score), passed, error, written=written,
                                    needs_grading=written and bool(g.needs_manual_grade)))
        tests.sort(key=lambda t: order.get(t.grade_id, 0))
        # nbgrader keeps the raw score and the late penalty apart (its CSV subtracts one from the other).
        penalty = float(submission.late_submission_penalty or 0)
        return StudentResult(assignment=assignment, student=student, score=float(submission.score) - penalty,
                             max_score=float(submission.max_score), tests=tests, sandboxed=sandboxed, late_seconds=float(submission.assignment.total_seconds_late or 0),
                             late_penalty=penalty)


def test_messages(graded: Path) -> tuple[dict[str, str], bool]:
    """Each failed test cell's error line in an autograded notebook, and whether it ran sandboxed."""
    if not graded.exists():
        return {}, True
    nb = read_notebook(graded)
    messages = {}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                messages[meta["grade_id"]] = f"{output.ename}: {output.evalue}".strip().rstrip(":")
    return messages, bool(nb.metadata.get("autograder", {}).get("sandboxed", True))


def grade_table(results: list[StudentResult]) -> str:
    """A plain-text table: one row per student, one column per test, total and any note.
    A written answer nobody has graded yet shows as ``?/2``."""
    if not results:
        return "(no submissions)"
    test_ids = []
    for r in results:
        test_ids += [t.grade_id for t in r.tests if t.grade_id not in test_ids]
    header = ["student", *[t.removeprefix("test-") for t in test_ids], "score", "note"]
    rows = []
    for r in results:
        points = {t.grade_id: f"{'?' if t.needs_grading else format(t.points, 'g')}/{t.max_points:g}" for t in r.tests}
        rows.append([r.student, *[points.get(t, "-") for t in test_ids], f"{r.score:g}/{r.max_score:g}", r.note()[:70]])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
