"""Grade a class: the coordinator's side of every job.

1. **Before anyone**: the data the assignment loads and a working sandbox (``preflight``).
2. **Intake** (here): each submission is copied to intake/ and repaired (``intake.submission``), and nbgrader's
   first pass restores the instructor's cells from the gradebook. That notebook and a fresh random
   seed make the student's ``Job``.
3. **Jobs** (the executor, possibly elsewhere): run the notebook in a sandbox, collect its evidence,
   measure its models in a sandbox of their own.
4. **Verdicts and grades** (here, as each result comes back): nbgrader's autograde with the job's
   outputs in place of execution, the judges' verdicts applied, grades saved. Only this process
   writes the gradebook.

One unusable submission, failed job or unexpected error costs only its own student: it is recorded
with its reason and the batch goes on. Results are stored after each student, so an interrupted
run keeps what it finished, and a run started again skips every submission already graded from the
same files by the same course version (``graded_from``).
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Callable

import nbformat
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder.grading import evidence_reader, judging, nbgrader_settings, preflight, results, sandbox
from autograder.grading.executor import Executor
from autograder.grading.job_contract import Job, JobResult, write_job
from autograder.intake import submission
from autograder.layout import CourseLayout, DiskFull, disk_full, job_result
from autograder.notebooks import SubmissionError, read_notebook, source_notebook
from autograder.version import course_version


def notebook_to_run(config: Config, layout: CourseLayout, *, assignment: str, student: str):
    """The intake copy after nbgrader's first autograde pass (hidden tests restored, outputs cleared)."""
    name = source_notebook(assignment)
    nb = read_notebook(layout.intake(assignment=assignment, student=student) / name.name)
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
        return results.failed(assignment=job.assignment, student=job.student, error=outcome.error)
    batch = nbgrader_settings.batch_config(config)
    api = NbGraderAPI(coursedir=CourseDirectory(config=batch), config=batch)
    done = api.autograde(job.assignment, job.student, force=True, create=True)
    if not done["success"]:
        if free_mb(layout.root) < MIN_FREE_MB:  # nbgrader reports a full disk as a failed autograde
            raise DiskFull(f"nbgrader could not record {job.student}: less than {MIN_FREE_MB} MB free")
        return results.failed(assignment=job.assignment, student=job.student, error=_failure_message(done))
    return results.from_gradebook(config.CourseDirectory.db_url, layout, assignment=job.assignment, student=job.student)


# Free space the course folder needs to take one more job: its result folder (an executed notebook,
# evidence, predictions) and what nbgrader writes for it are megabytes; this leaves a wide margin.
MIN_FREE_MB = 256


def free_mb(folder: Path) -> float:
    return shutil.disk_usage(folder).free / 2**20


def _stopped(layout: CourseLayout, recorded: int, total: int, cause: str) -> DiskFull:
    return DiskFull(f"grading stopped: {cause} ({layout.root}); the {recorded} of {total} results recorded so far are "
                    f"kept. Free space, then run make autograde again: it grades only the students left.")


def graded_from(layout: CourseLayout, *, assignment: str, student: str, version: str) -> str:
    """What a grade was made from: every file the student handed in, the course version, and whether
    the notebook ran in the sandbox."""
    digest = hashlib.sha256(f"{version} sandboxed={sandbox.enabled()}".encode())
    folder = layout.submitted(assignment=assignment, student=student)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(b"\0" + path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def grade(config: Config, layout: CourseLayout, release: Path, assignment: str, students: list[str],
          executor: Executor, limits: sandbox.Limits, progress: Callable[[str], None],
          regrade: bool = False) -> list[results.StudentResult]:
    preflight.require_ready([assignment])
    store = results.ResultStore(layout)
    earlier = {r.student: r for r in store.read(assignment)}
    version = course_version()
    finished: dict[str, results.StudentResult] = {}
    started, failures, ran = time.monotonic(), 0, 0

    def finish(result: results.StudentResult, reused: bool = False) -> None:
        nonlocal failures, ran
        finished[result.student] = result
        failures += bool(result.error)
        ran += not reused
        if not reused:
            try:
                store.update(assignment, [result])  # atomic: the earlier file stays whole if this fails
            except OSError as exc:
                if disk_full(exc):
                    raise _stopped(layout, len(finished) - 1, len(students),
                                   f"{layout.results(assignment).name} could not be written, the disk is full") from exc
                raise
        status = f"ERROR {result.error}" if result.error else f"{result.score:g}/{result.max_score:g}"
        status += " (already graded from these files)" if reused else f" ({result.seconds:.0f} s)"
        elapsed, left = time.monotonic() - started, len(students) - len(finished)
        estimate = f", about {elapsed / ran * left:.0f} s left" if ran and left else ""
        progress(f"[{len(finished)}/{len(students)}] {assignment} {result.student}: {status}"
                 f" | {left} left, {failures} failed, {elapsed:.0f} s elapsed{estimate}")

    notes, keys = {}, {}

    def prepared():
        """Each student's job as soon as it is ready, so that workers start on the first while the
        coordinator prepares the rest."""
        for student in students:
            if free_mb(layout.root) < MIN_FREE_MB:  # no new job on a disk that cannot take its results
                raise _stopped(layout, len(finished), len(students),
                               f"less than {MIN_FREE_MB} MB free on the course folder's disk")
            try:
                keys[student] = graded_from(layout, assignment=assignment, student=student, version=version)
                previous = earlier.get(student)
                if not regrade and previous is not None and not previous.error and previous.graded_from == keys[student]:
                    finish(previous, reused=True)
                    continue
                notes[student] = submission.prepare(layout, release, assignment=assignment, student=student)
                nb = notebook_to_run(config, layout, assignment=assignment, student=student)
                job = Job(assignment, student, nbformat.writes(nb), seed=secrets.randbits(62), limits=limits,
                          cell_timeout=config.RunJobHere.timeout, sandboxed=sandbox.enabled())
                folder = layout.job(assignment=assignment, student=student)
                evidence_reader.remove_tree(folder)
                write_job(folder, job)
            except SubmissionError as exc:
                finish(results.failed(assignment=assignment, student=student, error=str(exc), notes=notes.get(student)))
                continue
            except Exception as exc:  # noqa: BLE001 - one student's failure, whatever it is, must not stop the batch
                if disk_full(exc):  # not the student's: nothing more can be recorded
                    raise _stopped(layout, len(finished), len(students), "the disk is full") from exc
                finish(results.failed(assignment=assignment, student=student, error=f"could not be graded ({type(exc).__name__}: {exc})",
                                      notes=notes.get(student)))
                continue
            yield job, job_result(folder)
        # The judges' imports (scikit-learn), while the last jobs run rather than while intake needs the CPU.
        threading.Thread(target=judging.warm_up, name="warm-up", daemon=True).start()

    # Closed here, even when interrupted (Ctrl-C in the middle of a batch): its clean-up cancels what is still
    # queued on the cluster while the executor's client is open, not later, whenever it is garbage-collected.
    outcomes = executor.run(prepared())
    try:
        _record_all(config, layout, outcomes, notes, keys, finish)
    except Exception as exc:
        if disk_full(exc) and not isinstance(exc, DiskFull):  # e.g. a job's result unpacked on a full disk
            raise _stopped(layout, len(finished), len(students), "the disk is full") from exc
        raise
    finally:
        getattr(outcomes, "close", lambda: None)()
    return [finished[s] for s in students]


def _record_all(config, layout, outcomes, notes, keys, finish) -> None:
    for job, outcome in outcomes:
        try:
            result = record(config, layout, job, outcome)
        except Exception as exc:  # noqa: BLE001
            if disk_full(exc):
                raise
            result = results.failed(assignment=job.assignment, student=job.student, error=f"could not be recorded ({type(exc).__name__}: {exc})")
        result.seconds, result.sandboxed = outcome.seconds, outcome.sandboxed
        result.notes = notes.get(job.student, []) + outcome.notes
        result.graded_from = keys[job.student]
        finish(result)


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
