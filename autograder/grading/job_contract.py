"""The job contract: what a grading job is given and what it leaves, apart from the code that runs it.

A ``Job`` is plain data: the notebook to run (the student's, with the instructor's cells already
restored by nbgrader), the assignment, a random seed for the hidden tests' inputs, and limits. It
needs the installed course environment and the verified data, nothing else: no course folder, no
gradebook. The runner (``job_runner.run_job``) writes its outcome into one result folder:

    result.json      error (or null), seconds, timings, notes, whether it was sandboxed (``JobResult``)
    executed.ipynb   the notebook with the kernel's outputs
    evidence/        what each hidden test recorded (copied out of the sandbox as untrusted data)
    models/<test>/<key>/  facts and predictions of each recorded model, from the model sandbox
    kernel.log       what the kernel and the model sandbox wrote to stderr

Whoever holds the gradebook reads that folder (``judging``, the nbgrader preprocessors); nothing in
it is trusted beyond being plain data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder import config
from autograder.grading import sandbox

JOB = "job.json"
RESULT = "result.json"
EXECUTED = "executed.ipynb"
KERNEL_LOG = "kernel.log"
MODELS = "models"
EVIDENCE = "evidence"  # what the notebook's checks wrote, in its scratch and then in result/


@dataclass
class Job:
    assignment: str
    student: str
    notebook: str                  # nbformat JSON
    seed: int
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    cell_timeout: int = config.DEFAULT_CELL_TIMEOUT
    sandboxed: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Job":
        data = json.loads(text)
        return cls(**{**data, "limits": sandbox.Limits(**data["limits"])})


@dataclass
class JobResult:
    error: str | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sandboxed: bool = True

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / RESULT).write_text(json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def read(cls, folder: Path) -> "JobResult":
        return cls(**json.loads((folder / RESULT).read_text()))


def write_job(folder: Path, job: Job) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / JOB).write_text(job.to_json())


def read_job(folder: Path) -> Job:
    return Job.from_json((folder / JOB).read_text())
