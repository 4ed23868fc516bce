"""nbgrader's Execute step, replaced by the grading job (``autograder.grading.job_runner``).

* ``RunJobHere`` runs the job in this process: the notebook in a sandboxed kernel, its evidence
  collected, its models measured in a sandbox of their own. Plain ``nbgrader autograde`` from the
  repository root uses it (``nbgrader_config.py``).
* ``UseJobResult`` takes the outcome of a job that already ran, possibly on another machine: the
  batch (``autograder.grading.batch``) sends jobs to an executor and records each result through nbgrader
  as it comes back.

Either way only the kernel's *outputs* are taken from the job; the cells themselves stay the ones
nbgrader restored here, and the job's folder is handed on to ``ApplyVerdicts``.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, Unicode

from autograder import config
from autograder.grading import judging, preflight, sandbox
from autograder.grading.job_contract import EXECUTED, Job, JobResult, read_job, write_job
from autograder.grading.job_runner import run_job
from autograder.layout import CourseLayout, job_result


class GradingError(RuntimeError):
    """This submission could not be graded; the message says why."""


def graft_outputs(nb, executed) -> None:
    """Copy the kernel's outputs of *executed* onto *nb*, cell by cell; they must be the same cells."""
    if len(nb.cells) != len(executed.cells):
        raise GradingError("the executed notebook does not match the submission (cell count)")
    for cell, ran in zip(nb.cells, executed.cells):
        if cell.cell_type != ran.cell_type or cell.source != ran.source:
            raise GradingError("the executed notebook does not match the submission (cell content)")
        if cell.cell_type == "code":
            cell.outputs = ran.get("outputs", [])
            cell.execution_count = ran.get("execution_count")


def _take(nb, resources, folder: Path):
    outcome = JobResult.read(job_result(folder))
    if outcome.error:
        raise GradingError(outcome.error)
    graft_outputs(nb, nbformat.read(job_result(folder) / EXECUTED, as_version=4))
    resources["autograder"] = {"job": str(folder)}
    return nb, resources


class RunJobHere(NbGraderPreprocessor):
    course_directory = Unicode(help="the course folder (its job records and results)").tag(config=True)
    timeout = Integer(config.DEFAULT_CELL_TIMEOUT, help="seconds one cell may run").tag(config=True)

    def preprocess(self, nb, resources):
        assignment, student = resources["nbgrader"]["assignment"], resources["nbgrader"]["student"]
        preflight.require_ready([assignment])
        job = Job(assignment, student, nbformat.writes(nb), seed=secrets.randbits(62),
                  limits=sandbox.Limits.from_config(), cell_timeout=self.timeout, sandboxed=sandbox.enabled())
        folder = CourseLayout(Path(self.course_directory)).job(assignment=assignment, student=student)
        write_job(folder, job)
        # The judges' imports (scikit-learn, seconds) while the kernel runs, not after it (make autograde
        # does the same in batch.grade).
        threading.Thread(target=judging.warm_up, name="warm-up", daemon=True).start()
        run_job(job, job_result(folder))
        return _take(nb, resources, folder)


class UseJobResult(NbGraderPreprocessor):
    course_directory = Unicode(help="the course folder (its job records and results)").tag(config=True)

    def preprocess(self, nb, resources):
        folder = CourseLayout(Path(self.course_directory)).job(assignment=resources["nbgrader"]["assignment"],
                                                               student=resources["nbgrader"]["student"])
        if not job_result(folder).is_dir():
            raise GradingError(f"no job result in {folder}")
        read_job(folder)  # the record must be there: ApplyVerdicts takes the seed from it
        return _take(nb, resources, folder)
