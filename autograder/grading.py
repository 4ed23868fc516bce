"""Grade a class: the coordinator's side of every job.

1. **Before anyone**: the data the assignment loads and a working sandbox (``preflight``).
2. **Intake** (here): each submission is copied to intake/ and repaired (``intake``), and nbgrader's
   first pass restores the instructor's cells from the gradebook. That notebook and a fresh random
   seed make the student's ``Job``.
3. **Jobs** (the executor, possibly elsewhere): run the notebook in a sandbox, collect its evidence,
   measure its models in a sandbox of their own.
4. **Verdicts and grades** (here, as each result comes back): nbgrader's autograde with the job's
   outputs in place of execution, the judges' verdicts applied, grades saved. Only this process
   writes the gradebook.

One unusable submission, failed job or unexpected error costs only its own student: it is recorded
with its reason and the batch goes on. Results are stored after each student, so an interrupted
run keeps what it finished.
"""

from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path
from typing import Callable

import nbformat
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from . import evidence, intake, judging, nbgrader_settings, preflight, results, sandbox
from .executor import Executor
from .job import Job, JobResult, write_job
from .layout import CourseLayout
from .notebooks import SubmissionError, read_notebook, source_notebook


def notebook_to_run(config: Config, layout: CourseLayout, assignment: str, student: str):
    """The intake copy after nbgrader's first autograde pass (hidden tests restored, outputs cleared)."""
    name = source_notebook(assignment)
    nb = read_notebook(layout.intake(student, assignment) / name.name)
    resources = {"nbgrader": {"notebook": name.stem, "assignment": assignment, "student": student,
                              "db_url": config.CourseDirectory.db_url}}
    for preprocessor in nbgrader_settings.sanitize_preprocessors(config):
        nb, resources = preprocessor(nb, resources)
    return nb


def record(config: Config, layout: CourseLayout, job: Job, outcome: JobResult) -> results.StudentResult:
    """Verdicts and grades for a finished job, through nbgrader (feedback and export then work as usual)."""
    if outcome.error:
        with Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id) as gb:
            gb.update_or_create_student(job.student)  # listed in the export, with no score
        return results.failed(job.student, job.assignment, outcome.error)
    batch = nbgrader_settings.batch_config(config)
    api = NbGraderAPI(coursedir=CourseDirectory(config=batch), config=batch)
    done = api.autograde(job.assignment, job.student, force=True, create=True)
    if not done["success"]:
        return results.failed(job.student, job.assignment, _failure_message(done))
    return results.from_gradebook(config.CourseDirectory.db_url, layout, job.assignment, job.student)


def grade(config: Config, layout: CourseLayout, release: Path, assignment: str, students: list[str],
          executor: Executor, limits: sandbox.Limits, progress: Callable[[str], None]) -> list[results.StudentResult]:
    preflight.require_ready([assignment])
    store = results.ResultStore(layout)
    finished: dict[str, results.StudentResult] = {}
    started, failures = time.monotonic(), 0

    def finish(result: results.StudentResult) -> None:
        nonlocal failures
        finished[result.student] = result
        failures += bool(result.error)
        store.update(assignment, [result])
        status = f"ERROR {result.error}" if result.error else f"{result.score:g}/{result.max_score:g}"
        progress(f"[{len(finished)}/{len(students)}] {assignment} {result.student}: {status} ({result.seconds:.0f} s)"
                 f" | {len(students) - len(finished)} left, {failures} failed, {time.monotonic() - started:.0f} s elapsed")

    work, notes = [], {}
    for student in students:
        try:
            notes[student] = intake.prepare(layout, release, student, assignment)
            nb = notebook_to_run(config, layout, assignment, student)
            job = Job(assignment, student, nbformat.writes(nb), seed=secrets.randbits(62), limits=limits,
                      cell_timeout=config.RunJobHere.timeout, sandboxed=sandbox.enabled())
            folder = layout.job(assignment, student)
            evidence.remove_tree(folder)
            write_job(folder, job)
            work.append((job, folder / "result"))
        except SubmissionError as exc:
            finish(results.failed(student, assignment, str(exc), notes=notes.get(student)))
        except Exception as exc:  # noqa: BLE001 - one student's failure, whatever it is, must not stop the batch
            finish(results.failed(student, assignment, f"could not be graded ({type(exc).__name__}: {exc})",
                                  notes=notes.get(student)))
    threading.Thread(target=judging.warm_up, name="warm-up", daemon=True).start()
    for job, outcome in executor.run(work):
        try:
            result = record(config, layout, job, outcome)
        except Exception as exc:  # noqa: BLE001
            result = results.failed(job.student, assignment, f"could not be recorded ({type(exc).__name__}: {exc})")
        result.seconds, result.sandboxed = outcome.seconds, outcome.sandboxed
        result.notes = notes.get(job.student, []) + outcome.notes
        finish(result)
    return [finished[s] for s in students]


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
