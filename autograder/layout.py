"""Where everything of one course lives (git-ignored; ``COURSE_DIR``, default ./course)::

    gradebook.db                         nbgrader's gradebook (or COURSE_DB_URL)
    release/<assignment>/                private release, used only to register the source cells
    submitted/<student>/<assignment>/    what the student handed in, never changed by grading
    intake/<student>/<assignment>/       what is graded: that notebook under the released name, repaired
    jobs/<assignment>/<student>/         job.json (the job and its seed) and result/ (grading/job_contract.py)
    autograded/... feedback/...          nbgrader's outputs
    results/<assignment>.json            every student's latest result: scores, error, notes, time
    collect/<assignment>.json            what ``make collect`` filed from an LMS zip
    similarity/<assignment>.html, .csv   pairs of submissions with similar code (``make similarity``)
    lms/                                 files for the LMS to import (``make grades LMS=...``, ``make feedback LMS=moodle``)

Every path above is formed here, by keyword (``assignment=``, ``student=``), as nbgrader's
``CourseDirectory.format_path`` does; nothing else spells a course folder's name.

No folder here is ever visible to a student's code: each graded notebook runs in a sandbox of its
own that sees a temporary scratch folder and nothing of the course.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CourseLayout:
    root: Path

    def submitted(self, *, assignment: str, student: str) -> Path:
        return self.root / "submitted" / student / assignment

    def intake(self, *, assignment: str, student: str) -> Path:
        return self.root / "intake" / student / assignment

    def jobs(self) -> Path:
        return self.root / "jobs"

    def job(self, *, assignment: str, student: str) -> Path:
        return self.jobs() / assignment / student

    def job_result(self, *, assignment: str, student: str) -> Path:
        return job_result(self.job(assignment=assignment, student=student))

    def autograded(self, *, assignment: str, student: str) -> Path:
        return self.root / "autograded" / student / assignment

    def results(self, assignment: str) -> Path:
        return self.root / "results" / f"{assignment}.json"

    def collected(self, assignment: str) -> Path:
        return self.root / "collect" / f"{assignment}.json"

    def similarity(self, assignment: str, suffix: str = ".html") -> Path:
        return self.root / "similarity" / f"{assignment}{suffix}"

    def lms(self, name: str) -> Path:
        return self.root / "lms" / name

    def feedback(self, *, assignment: str, student: str) -> Path:
        return self.root / "feedback" / student / assignment

    def students(self, assignment: str) -> list[str]:
        """Everyone with a submission folder for *assignment*."""
        submitted = self.root / "submitted"
        if not submitted.is_dir():
            return []
        return sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir())


JOB_RESULT = "result"  # a job's result folder, inside its job folder (or a worker's scratch)


def job_result(job_folder: Path) -> Path:
    """The result folder of the job recorded in *job_folder*."""
    return job_folder / JOB_RESULT


class DiskFull(RuntimeError):
    """The course folder's disk is (nearly) full: grading stops, and what it recorded is kept."""


def disk_full(exc: BaseException | None) -> bool:
    """Whether *exc*, or what it came from, is a full disk or quota (SQLite says so in words)."""
    while exc is not None:
        if isinstance(exc, DiskFull) or (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)):
            return True
        if "database or disk is full" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
