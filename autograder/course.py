"""The instructor's course: a thin front over the parts that do the work.

* folder layout: ``layout.CourseLayout``;
* releases and the schedule: ``authoring``;
* intake of submissions: ``intake.submission`` (and ``collect``, ``similarity``);
* running the jobs: ``grading.executor`` (and ``job_contract``, ``job_runner``, ``sandbox``, ``model_sandbox``);
* verdicts and grades: ``grading.batch`` (through nbgrader), ``grading.judging``;
* results: the gradebook, and ``grading.results.ResultStore`` for what it has no place for (merged with the
  gradebook in one place, ``Course._with_gradebook``); the LMS files: ``reporting.lms``.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Callable

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.plugins import CsvExportPlugin

from autograder import config
from autograder.authoring import publish, schedule
from autograder.grading import batch, nbgrader_settings, preflight, results, sandbox
from autograder.grading.executor import DaskExecutor, Executor
from autograder.grading.results import StudentResult
from autograder.intake import similarity
from autograder.layout import CourseLayout
from autograder.notebooks import released_notebook
from autograder.reporting import lms

# nbgrader 0.9's gradebook trips SQLAlchemy 2 autoflush warnings that say nothing to a grader.
warnings.filterwarnings("ignore", message=".*not in session.*")


def _venv_on_path() -> None:
    # nbgrader runs `alembic` as a subprocess; find it beside this interpreter even when the
    # virtual environment is not activated.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


class GradeError(ValueError):
    """The gradebook holds a grade that cannot be exported; the message says which and how to fix it."""


def manual_grade_problems(gb: Gradebook) -> list[str]:
    """Manual scores outside 0..points. Formgrader's page clamps what is typed, but its API (and the
    gradebook itself) store any number, so the export checks before any total is computed."""
    problems = []
    for assignment in gb.assignments:
        for submission in assignment.submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    where = f"{submission.student.id}, {assignment.name}, {grade.name}"
                    if grade.manual_score is not None and not 0 <= grade.manual_score <= grade.max_score:
                        problems.append(f"{where}: manual score {grade.manual_score:g} is outside 0..{grade.max_score:g}")
                    if grade.extra_credit is not None and grade.extra_credit < 0:
                        problems.append(f"{where}: negative extra credit {grade.extra_credit:g}")
    return problems


def written_to_grade(gb: Gradebook) -> dict[tuple[str, str], list[str]]:
    """(assignment, student) -> the written answers of that submission nobody has graded yet."""
    return {(assignment.name, submission.student.id): [grade.name for notebook in submission.notebooks
                                                       for grade in notebook.grades if grade.needs_manual_grade]
            for assignment in gb.assignments for submission in assignment.submissions}


class Course:
    """A course folder plus where its source and release notebooks are."""

    def __init__(self, root: Path | None = None, *, release: Path | None = None,
                 database: str | None = None, timeout: int | None = None):
        _venv_on_path()
        self.layout = CourseLayout(Path(root or config.course_dir()).resolve())
        self.root = self.layout.root
        self.release_dir = Path(release) if release else self.root / "release"
        self.config = nbgrader_settings.nbgrader_config(self.root, release=self.release_dir, database=database,
                                                        timeout=timeout)
        self.db_url = self.config.CourseDirectory.db_url
        self.store = results.ResultStore(self.layout)

    def api(self) -> NbGraderAPI:
        return NbGraderAPI(coursedir=CourseDirectory(config=self.config), config=self.config)

    def generate(self, assignment: str) -> None:
        """Write the student version into this course's release folder and record the source
        cells (with hidden tests) in the gradebook, which autograde restores them from, with the
        assignment's due date from the schedule (nbgrader measures late submissions against it)."""
        result = self.api().generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not generate {assignment}:\n{result.get('error') or result.get('log')}")
        due = schedule.load().of(assignment).due
        if due is not None:
            with Gradebook(self.db_url, self.config.CourseDirectory.course_id) as gb:
                gb.update_or_create_assignment(assignment, duedate=schedule.as_utc(due))

    def submission_dir(self, *, assignment: str, student: str) -> Path:
        return self.layout.submitted(assignment=assignment, student=student)

    def students(self, assignment: str) -> list[str]:
        return self.layout.students(assignment)

    def autograde(self, assignment: str, students: list[str] | None = None, progress: Callable[[str], None] = print,
                  jobs: int | None = None, limits: sandbox.Limits | None = None, generate: bool = True,
                  executor: Executor | None = None, regrade: bool = False) -> list[StudentResult]:
        """Grade every submission (or *students*) on *executor* (default: a local Dask cluster of *jobs*
        workers, or the cluster COURSE_SCHEDULER names), each under *limits*. A submission already
        graded from the same files by the same course version is not graded again unless *regrade*.
        One bad submission never stops the batch. Missing data or no sandbox refuses first, before the
        release is generated or a cluster started (preflight.require_ready)."""
        preflight.require_ready([assignment])
        if generate:
            self.generate(assignment)
        students = students if students is not None else self.students(assignment)
        own = executor is None
        executor = executor or DaskExecutor(jobs)
        try:
            return batch.grade(self.config, self.layout, self.release_dir, assignment, students, executor,
                                 limits or sandbox.Limits.from_config(), progress, regrade=regrade)
        finally:
            if own:
                executor.close()

    def result(self, *, assignment: str, student: str) -> StudentResult:
        return results.from_gradebook(self.db_url, self.layout, assignment=assignment, student=student)

    def last_run(self, assignment: str, refreshed: bool = False) -> list[StudentResult]:
        """The latest result of every student graded so far, as the runs recorded them; *refreshed*:
        the scores of each graded one read again from the gradebook (formgrader's manual grades)."""
        recorded = self.store.read(assignment)
        if not refreshed:
            return recorded
        return [self._with_gradebook(assignment, last.student, last) for last in recorded]

    def errors(self, assignment: str) -> dict[str, str]:
        return self.store.errors(assignment)

    def results(self, assignment: str) -> list[StudentResult]:
        """Every student with a submission folder: graded ones from the gradebook, the others with why."""
        recorded = {r.student: r for r in self.store.read(assignment)}
        return [self._with_gradebook(assignment, student, recorded.get(student)) for student in self.students(assignment)]

    def _with_gradebook(self, assignment: str, student: str, last: StudentResult | None) -> StudentResult:
        """The one merge of the run's record with the gradebook: scores (manual grades included) from
        the gradebook, what only the run knows (notes, time, what it was graded from) from the record;
        a recorded error stands as it is."""
        if last is not None and last.error:
            return last
        try:
            current = self.result(assignment=assignment, student=student)
        except MissingEntry:
            if last is not None:
                return last
            return results.failed(assignment=assignment, student=student, error="not graded yet: run make autograde")
        if last is not None:
            current.notes, current.seconds, current.graded_from = last.notes, last.seconds, last.graded_from
        return current

    def feedback(self, assignment: str) -> list[Path]:
        result = self.api().generate_feedback(assignment, force=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not generate feedback:\n{result.get('error') or result.get('log')}")
        return sorted((self.root / "feedback").glob(f"*/{assignment}/*.html"))

    def similarity(self, assignment: str) -> list[similarity.Pair]:
        """Compare the answer code of every graded submission; write similarity/<assignment>.html and .csv."""
        from autograder.notebooks import read_notebook

        name, codes, scaffold = released_notebook(assignment).name, {}, similarity.scaffold_sources(assignment)
        for result in self.store.read(assignment):
            path = self.layout.intake(assignment=assignment, student=result.student) / name
            if result.error or not path.is_file():
                continue
            try:
                codes[result.student] = similarity.answer_code(read_notebook(path), scaffold)
            except Exception:  # noqa: BLE001 - an unreadable notebook was already that student's error
                continue
        pairs = similarity.compare(codes, similarity.boilerplate_code(assignment))
        similarity.write_csv(pairs, self.layout.similarity(assignment, ".csv"))
        similarity.write_html(assignment, pairs, len(codes), self.layout.similarity(assignment))
        return pairs

    def similar_pairs(self, assignment: str) -> list[dict[str, str]]:
        """What the last ``similarity`` run flagged ([] if it never ran)."""
        return similarity.read_csv(self.layout.similarity(assignment, ".csv"))

    def lms_grades(self, assignments: list[str]) -> list[lms.Grade]:
        """Every handed-in submission's grade (after late penalties), from the gradebook export."""
        exported = self.export_grades(self.root / "grades.csv")
        with exported.open(newline="") as stream:
            rows = [row for row in csv.DictReader(stream) if row["assignment"] in assignments]
        found = {(r.assignment, r.student): r for a in assignments for r in self.results(a)}
        return lms.grades_from_export(rows, found)

    def export_canvas(self, gradebook: Path, assignments: list[str], pending: str = "note") -> lms.Outcome:
        user_ids = {}
        for assignment in assignments:
            user_ids |= lms.canvas_user_ids(lms.read_collected(self.layout.collected(assignment)))
        outcome = lms.fill_canvas(gradebook, self.lms_grades(assignments), user_ids,
                                  self.layout.lms(f"canvas-{gradebook.name}"), pending=pending)
        outcome.write_side_file()
        return outcome

    def export_moodle(self, worksheet: Path, assignment: str, pending: str = "note") -> lms.Outcome:
        outcome = lms.fill_moodle_worksheet(worksheet, self.lms_grades([assignment]),
                                            self.layout.lms(f"moodle-{assignment}-{worksheet.name}"), pending=pending)
        outcome.write_side_file()
        return outcome

    def moodle_feedback(self, assignment: str, feedback: list[Path]) -> lms.Outcome:
        """The zip of *feedback* files (``feedback()``'s) for Moodle's "upload multiple feedback files in a zip"."""
        html = {path.parts[-3]: path for path in feedback}
        return lms.moodle_feedback_zip(html, lms.read_collected(self.layout.collected(assignment)),
                                       self.layout.lms(f"moodle-{assignment}-feedback.zip"))

    def export_grades(self, destination: Path) -> Path:
        """nbgrader's CSV, plus a ``sandbox`` column (``unsandboxed`` wherever a grade was made without
        one) and a ``manual_grading`` column (``done``, or which written answers still wait for a person).
        A manual score outside its cell's points stops the export (``GradeError``), nothing written."""
        destination.parent.mkdir(parents=True, exist_ok=True)
        with Gradebook(self.db_url) as gb:
            problems = manual_grade_problems(gb)
            if problems:
                raise GradeError("grades not exported; correct these in formgrader (make formgrader):\n  "
                                 + "\n  ".join(problems))
            waiting = written_to_grade(gb)
            CsvExportPlugin(to=str(destination)).export(gb)
        graded = {(r.assignment, r.student): r.sandboxed for assignment in config.assignments()
                  for r in self.store.read(assignment) if not r.error}
        with destination.open(newline="") as stream:
            rows = list(csv.reader(stream))
        if rows:
            header = rows[0]
            assignment, student = header.index("assignment"), header.index("student_id")
            column = {True: "sandboxed", False: results.UNSANDBOXED}

            def manual(key) -> str:
                if key not in waiting:
                    return ""  # no submission
                return f"missing: {' '.join(waiting[key])}" if waiting[key] else "done"

            rows = [header + ["sandbox", "manual_grading"]] + [
                row + [column.get(graded.get((row[assignment], row[student])), ""), manual((row[assignment], row[student]))]
                for row in rows[1:]]
            with destination.open("w", newline="") as stream:
                csv.writer(stream).writerows(rows)
        return destination


def stale_releases(assignments: list[str]) -> list[str]:
    """Assignments whose committed release differs from what nbgrader generates from solutions/ now."""
    stale = []
    with tempfile.TemporaryDirectory(prefix="release-check-") as scratch:
        for assignment in assignments:
            Course(Path(scratch) / "course", release=Path(scratch) / "release").generate(assignment)
            fresh = Path(scratch) / "release" / assignment / released_notebook(assignment).name
            if publish.normalised_release(fresh) != publish.normalised_release(released_notebook(assignment)):
                stale.append(assignment)
    return stale
