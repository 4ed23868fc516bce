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
from . import colab, tamper
from .notebooks import (SubmissionError, drop_duplicate_ids, identify_assignment, nbgrader_meta, read_notebook, solution_answers,
                        source_notebook)


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
    __test__ = False  # a grading result, not a pytest test class
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

    @classmethod
    def from_dict(cls, data: dict) -> "StudentResult":
        return cls(**{**data, "tests": [TestResult(**t) for t in data.get("tests", [])]})


class Course:
    """A course folder plus where its source and release notebooks are."""

    def __init__(self, root: Path | None = None, *, release: Path | None = None,
                 database: str | None = None, timeout: int | None = None):
        _venv_on_path()
        self.root = Path(root or config.course_dir()).resolve()
        self.release_dir = Path(release) if release else self.root / "release"
        self.config = config.nbgrader_config(self.root, release=self.release_dir, database=database, timeout=timeout)
        self.db_url = self.config.CourseDirectory.db_url
        self.cell_timeout = self.config.Execute.timeout

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
                  progress: Callable[[str], None] = print, jobs: int | None = None,
                  limits: "Limits | None" = None, generate: bool = True) -> list[StudentResult]:
        """Grade every submission (or *students*), up to *jobs* at once, each in a worker process
        under *limits*; one bad submission never stops the batch (autograder/parallel.py).
        *generate*=False skips regenerating the assignment when it was just generated."""
        from .parallel import Limits, grade_all

        if generate:
            self.generate(assignment)
        students = students if students is not None else self.students(assignment)
        jobs = jobs or config.jobs()
        results = grade_all(self, assignment, students, jobs, limits or Limits.from_config(), progress)
        self._write_errors(assignment, results)
        self._write_run(assignment, results)
        return results

    def grade_student(self, assignment: str, student: str) -> StudentResult:
        """Autograde one student in this process (the assignment must be generated already)."""
        start = time.monotonic()
        notes: list[str] = []
        try:
            notes = self._prepare_submission(student, assignment, source_notebook(assignment).name)
            with _stderr_to(self.root / "logs" / assignment / f"{student}.log"):
                outcome = self.api().autograde(assignment, student, force=True, create=True)
            if not outcome["success"]:
                raise SubmissionError(_explain(_failure_message(outcome), self.cell_timeout))
            result = self.result(assignment, student)
        except SubmissionError as exc:
            result = StudentResult(student, assignment, max_score=self.max_score(assignment), error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one student's failure, whatever it is, must not stop the batch
            result = StudentResult(student, assignment, max_score=self.max_score(assignment),
                                   error=f"could not be graded ({type(exc).__name__}: {exc}); see logs/")
        result.seconds = round(time.monotonic() - start, 1)
        result.notes = notes
        return result

    def _prepare_submission(self, student: str, assignment: str, expected: str) -> list[str]:
        """Make the submission gradable: accept any file name, restore metadata Colab dropped.

        The file as handed in is kept under originals/ whenever it is changed. Returns notes for
        the grade report; raises SubmissionError for a file that cannot be graded.
        """
        folder = self.submission_dir(student, assignment)
        notebook = folder / expected
        notes, found_name = [], expected
        if not notebook.exists():
            found = sorted(p for p in folder.glob("*.ipynb"))
            if len(found) != 1:
                raise SubmissionError(f"{expected} not found in the submission"
                                      + (f" (found {', '.join(p.name for p in found)})" if found else ""))
            self._keep_original(student, assignment, found[0])
            found_name = found[0].name
            found[0].rename(notebook)
            notes.append(f"graded {found[0].name!r} as {expected}")
        others = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in (expected, "timestamp.txt"))
        if others:  # every file handed in is accounted for somewhere
            notes.append(f"not graded: {', '.join(others)}")
        try:
            nb = read_notebook(notebook)
        except SubmissionError as exc:  # name the file as the student knows it, not our folder
            raise SubmissionError(str(exc).replace(str(notebook), expected)) from None
        try:
            belongs_to = identify_assignment(nb, found_name)
        except SubmissionError:
            belongs_to = assignment  # nothing recognisable: grade it, and the tests will say what is missing
        if belongs_to != assignment:
            raise SubmissionError(f"{found_name} is the notebook of {belongs_to}, not of {assignment}")
        release = read_notebook(self.release_dir / assignment / expected)
        if colab.missing_ids(nb, release):
            repaired, restored, unmatched = colab.restore_metadata(nb, release, solution_answers(assignment))
            if restored:
                self._keep_original(student, assignment, notebook)
                nbformat.write(repaired, notebook)
                notes.append(f"restored nbgrader metadata of {len(restored)} cells (Colab drops it)")
            if unmatched:
                notes.append(f"cells not found in the submission: {', '.join(unmatched)}")
            nb = repaired
        repeated = drop_duplicate_ids(nb)
        if repeated:
            self._keep_original(student, assignment, notebook)
            nbformat.write(nb, notebook)
            notes.append(f"graded the first of repeated cells {', '.join(sorted(set(repeated)))}; copies run as plain code")
        findings = tamper.scan_notebook(nb, tamper.instructor_cells(read_notebook(source_notebook(assignment))))
        held = [str(f) for f in findings if f.holds]
        if held:
            raise SubmissionError("held for review, not autograded: code that reaches into the grader: " + "; ".join(held[:3]))
        notes += [f"review: {f}" for f in findings if not f.holds]
        return notes

    def _keep_original(self, student: str, assignment: str, path: Path) -> None:
        keep = self.root / "originals" / student / assignment / path.name
        if not keep.exists():
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, keep)

    def _write_errors(self, assignment: str, results: list[StudentResult]) -> None:
        """Update errors/<assignment>.json: the students of this run replace their earlier entries."""
        errors = {k: v for k, v in self.errors(assignment).items() if k not in {r.student for r in results}}
        errors.update({r.student: r.error for r in results if r.error})
        path = self.root / "errors" / f"{assignment}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dict(sorted(errors.items())), indent=2) + "\n")

    def _write_run(self, assignment: str, results: list[StudentResult]) -> None:
        """Update results/<assignment>.json with this run's results, times and notes (read by the report)."""
        merged = {r.student: r for r in self.last_run(assignment)} | {r.student: r for r in results}
        path = self.root / "results" / f"{assignment}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([merged[s].as_dict() for s in sorted(merged)], indent=1) + "\n")

    def last_run(self, assignment: str) -> list[StudentResult]:
        """The latest result of every student graded so far, as the runs recorded them."""
        path = self.root / "results" / f"{assignment}.json"
        return [StudentResult.from_dict(d) for d in json.loads(path.read_text())] if path.exists() else []

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


def _explain(message: str, cell_timeout: int) -> str:
    """nbclient's exception names, in words an instructor can act on."""
    if "DeadKernelError" in message:
        return ("the kernel died while running the notebook (os._exit, a crash, or out of memory); "
                "nothing after that point was graded: " + message)
    if "CellTimeoutError" in message:
        return (f"a cell ran past the {cell_timeout} s cell time limit and would not stop when interrupted; "
                "nothing after it was graded")
    return message


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
