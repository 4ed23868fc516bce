"""The instructor's loop over a course folder, as plain functions over nbgrader's API.

Layout of a course folder (git-ignored; ``COURSE_DIR``, default ./course)::

    gradebook.db                       nbgrader's gradebook (or COURSE_DB_URL)
    release/<assignment>/              private release used only to register source cells
    submitted/<student>/<assignment>/  what students handed in
    autograded/... feedback/...        nbgrader's outputs
    errors/<assignment>.json           submissions that could not be graded, and why
    originals/<student>/<assignment>/  files as handed in, where grading had to rename or repair them
    logs/<assignment>/<student>.log    what the student's kernel wrote to stderr while graded

Each student is autograded on their own, so one unusable submission is recorded as an error
and never stops the batch.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from . import config
from . import colab
from .notebooks import SubmissionError, nbgrader_meta, read_notebook, solution_answers, source_notebook


# nbgrader 0.9's gradebook trips SQLAlchemy 2 autoflush warnings that say nothing to a grader.
warnings.filterwarnings("ignore", message=".*not in session.*")


def _venv_on_path() -> None:
    # nbgrader runs `alembic` as a subprocess; find it beside this interpreter even when the
    # virtual environment is not activated.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


@dataclass
class TestResult:
    grade_id: str
    points: float
    max_points: float
    passed: bool
    error: str | None = None


@dataclass
class StudentResult:
    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    tests: list[TestResult] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class Course:
    """A course folder plus where its source and release notebooks are."""

    def __init__(self, root: Path | None = None, *, release: Path | None = None,
                 database: str | None = None, timeout: int | None = None):
        _venv_on_path()
        self.root = Path(root or config.course_dir()).resolve()
        self.release_dir = Path(release) if release else self.root / "release"
        self.config = config.nbgrader_config(self.root, release=self.release_dir, database=database, timeout=timeout)
        self.db_url = self.config.CourseDirectory.db_url

    def api(self) -> NbGraderAPI:
        return NbGraderAPI(coursedir=CourseDirectory(config=self.config), config=self.config)

    # -- authoring ---------------------------------------------------------------------------
    def generate(self, assignment: str) -> None:
        """Write the student version into this course's release folder and record the source
        cells (with hidden tests) in the gradebook, which autograde restores them from."""
        result = self.api().generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not generate {assignment}:\n{result.get('error') or result.get('log')}")

    # -- grading -----------------------------------------------------------------------------
    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.root / "submitted" / student / assignment

    def students(self, assignment: str) -> list[str]:
        submitted = self.root / "submitted"
        return sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir()) if submitted.is_dir() else []

    def autograde(self, assignment: str, students: list[str] | None = None,
                  progress: Callable[[str], None] = print) -> list[StudentResult]:
        self.generate(assignment)
        expected = source_notebook(assignment).name
        students = students if students is not None else self.students(assignment)
        results, api = [], self.api()
        for number, student in enumerate(students, 1):
            start = time.monotonic()
            notes: list[str] = []
            try:
                notes = self._prepare_submission(student, assignment, expected)
                with _stderr_to(self.root / "logs" / assignment / f"{student}.log"):
                    outcome = api.autograde(assignment, student, force=True, create=True)
                if not outcome["success"]:
                    raise SubmissionError(_failure_message(outcome))
                result = self.result(assignment, student)
            except SubmissionError as exc:
                result = StudentResult(student, assignment, max_score=self.max_score(assignment), error=str(exc))
            except Exception as exc:  # noqa: BLE001 - one student's failure, whatever it is, must not stop the batch
                result = StudentResult(student, assignment, max_score=self.max_score(assignment),
                                       error=f"could not be graded ({type(exc).__name__}: {exc}); see logs/")
            result.seconds = round(time.monotonic() - start, 1)
            result.notes = notes
            results.append(result)
            status = f"ERROR {result.error}" if result.error else f"{result.score:g}/{result.max_score:g}"
            progress(f"[{number}/{len(students)}] {assignment} {student}: {status} ({result.seconds:.0f} s)")
        self._write_errors(assignment, results)
        return results

    def _prepare_submission(self, student: str, assignment: str, expected: str) -> list[str]:
        """Make the submission gradable: accept any file name, restore metadata Colab dropped.

        The file as handed in is kept under originals/ whenever it is changed. Returns notes for
        the grade report; raises SubmissionError for a file that cannot be graded.
        """
        folder = self.submission_dir(student, assignment)
        notebook = folder / expected
        notes = []
        if not notebook.exists():
            found = sorted(p for p in folder.glob("*.ipynb"))
            if len(found) != 1:
                raise SubmissionError(f"{expected} not found in the submission"
                                      + (f" (found {', '.join(p.name for p in found)})" if found else ""))
            self._keep_original(student, assignment, found[0])
            found[0].rename(notebook)
            notes.append(f"graded {found[0].name!r} as {expected}")
        try:
            nb = read_notebook(notebook)
        except SubmissionError as exc:  # name the file as the student knows it, not our folder
            raise SubmissionError(str(exc).replace(str(notebook), expected)) from None
        release = read_notebook(self.release_dir / assignment / expected)
        if colab.missing_ids(nb, release):
            repaired, restored, unmatched = colab.restore_metadata(nb, release, solution_answers(assignment))
            if restored:
                self._keep_original(student, assignment, notebook)
                nbformat.write(repaired, notebook)
                notes.append(f"restored nbgrader metadata of {len(restored)} cells (Colab drops it)")
            if unmatched:
                notes.append(f"cells not found in the submission: {', '.join(unmatched)}")
        return notes

    def _keep_original(self, student: str, assignment: str, path: Path) -> None:
        keep = self.root / "originals" / student / assignment / path.name
        if not keep.exists():
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, keep)

    def _write_errors(self, assignment: str, results: list[StudentResult]) -> None:
        errors = {r.student: r.error for r in results if r.error}
        path = self.root / "errors" / f"{assignment}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(errors, indent=2) + "\n")

    def errors(self, assignment: str) -> dict[str, str]:
        path = self.root / "errors" / f"{assignment}.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def max_score(self, assignment: str) -> float:
        nb = read_notebook(source_notebook(assignment))
        return float(sum(nbgrader_meta(c).get("points", 0) for c in nb.cells if nbgrader_meta(c).get("grade")))

    def result(self, assignment: str, student: str) -> StudentResult:
        """Scores from the gradebook, with each failed test's error line from the autograded notebook."""
        notebook_name = source_notebook(assignment).stem
        messages = self._test_errors(assignment, student, notebook_name)
        with Gradebook(self.db_url) as gb:
            submission = gb.find_submission_notebook(notebook_name, assignment, student)
            order = {cell.name: i for i, cell in enumerate(gb.find_notebook(notebook_name, assignment).grade_cells)}
            tests = [
                TestResult(g.name, float(g.score), float(g.max_score), g.score >= g.max_score,
                           None if g.score >= g.max_score else messages.get(g.name, "failed"))
                for g in submission.grades
            ]
            tests.sort(key=lambda t: order.get(t.grade_id, 0))
            return StudentResult(student, assignment, float(submission.score), float(submission.max_score), tests)

    def _test_errors(self, assignment: str, student: str, notebook_name: str) -> dict[str, str]:
        path = self.root / "autograded" / student / assignment / f"{notebook_name}.ipynb"
        if not path.exists():
            return {}
        messages = {}
        for cell in read_notebook(path).cells:
            meta = nbgrader_meta(cell)
            if not meta.get("grade") or cell.cell_type != "code":
                continue
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    messages[meta["grade_id"]] = f"{output.ename}: {output.evalue}".strip().rstrip(":")
                elif output.output_type == "stream" and output.name == "stderr":
                    messages.setdefault(meta["grade_id"], "wrote to stderr: " + output.text.strip()[:200])
        return messages

    def results(self, assignment: str) -> list[StudentResult]:
        """Every student with a submission folder: graded ones from the gradebook, failures from errors/."""
        errors = self.errors(assignment)
        results = []
        for student in self.students(assignment):
            if student in errors:
                results.append(StudentResult(student, assignment, max_score=self.max_score(assignment), error=errors[student]))
                continue
            try:
                results.append(self.result(assignment, student))
            except MissingEntry:
                results.append(StudentResult(student, assignment, max_score=self.max_score(assignment),
                                             error="not graded yet: run make autograde"))
        return results

    # -- after grading ---------------------------------------------------------------------------
    def feedback(self, assignment: str) -> list[Path]:
        result = self.api().generate_feedback(assignment, force=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not generate feedback:\n{result.get('error') or result.get('log')}")
        return sorted((self.root / "feedback").glob(f"*/{assignment}/*.html"))

    def export_grades(self, destination: Path) -> Path:
        from nbgrader.plugins import CsvExportPlugin

        destination.parent.mkdir(parents=True, exist_ok=True)
        with Gradebook(self.db_url) as gb:
            CsvExportPlugin(to=str(destination)).export(gb)
        return destination


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Send file descriptor 2 (inherited by the grading kernel) to *path*: TensorFlow's start-up
    notices and the student's stray output belong in a log, not in the instructor's terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(path, "wb") as log:
            os.dup2(log.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


_GENERIC = ("Please see the", "There was an error processing", "NbGraderException")


def _failure_message(outcome: dict) -> str:
    """The most specific line nbgrader gave for a failed autograde (its last line is always generic)."""
    text = (outcome.get("log") or "") + "\n" + (outcome.get("error") or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    specific = [line for line in lines if not any(g in line for g in _GENERIC)]
    for line in reversed(specific):
        if line.startswith("[ERROR]") or ("Error:" in line and not line.startswith("File ")):
            return line.removeprefix("[ERROR]").strip()
    return specific[-1] if specific else "nbgrader failed without a message"


def grade_table(results: list[StudentResult]) -> str:
    """A plain-text table: one row per student, one column per test, total and any error."""
    if not results:
        return "(no submissions)"
    test_ids = []
    for r in results:
        test_ids += [t.grade_id for t in r.tests if t.grade_id not in test_ids]
    header = ["student", *[t.removeprefix("test-") for t in test_ids], "score", "note"]
    rows = []
    for r in results:
        points = {t.grade_id: f"{t.points:g}/{t.max_points:g}" for t in r.tests}
        rows.append([r.student, *[points.get(t, "-") for t in test_ids], f"{r.score:g}/{r.max_score:g}",
                     (r.error or "; ".join(r.notes))[:70]])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])
