"""The class batches of tests/test_assignments.py, graded in a process of their own from the start of the run.

A class batch keeps both cores busy (90 % of them, measured); most other tests leave one idle (they wait on
kernels starting, subprocesses, servers). So the batches start in the background as soon as the run does, the
rest of the suite runs beside them, and test_assignments.py, ordered after the rest, reads each batch's results
when they are there. What is graded, and how, is the same as before: one course folder per assignment, every
submission of WRONG and the demo samples, the reference's evidence kept for the corruption tests.

    python -m tests.class_batches FOLDER ASSIGNMENT...   (what tests/conftest.py starts; FOLDER/<assignment>/
                                                         is each course, FOLDER/<assignment>.pickle its results)

Under pytest-xdist (`make test`) the controller starts it once and both workers read the same folder.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import time
import traceback
from pathlib import Path

RESULTS = "{}.pickle"  # beside the course folders: the list of StudentResult, or the traceback that stopped it
LOG = "batches.log"
PID = "batches.pid"  # the process's id, for xdist workers, whose controller started it


class Watched:
    """The batches' process as an xdist worker sees it: started by the controller, so watched by its pid
    (poll() as Popen's: None while it runs)."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    @classmethod
    def from_folder(cls, folder: Path) -> "Watched":
        return cls(int((folder / PID).read_text()))

    def poll(self):
        import psutil

        try:
            if psutil.Process(self.pid).status() != psutil.STATUS_ZOMBIE:
                return None
        except psutil.NoSuchProcess:
            pass
        self.returncode = "unknown: its controller reaps it"
        return self.returncode


def grade(assignment: str, folder: Path) -> list:
    """File every submission of *assignment*'s class into a course in *folder*/<assignment> and grade them."""
    import nbformat

    from autograder import config
    from autograder.authoring.samples import sample_submissions
    from autograder.course import Course
    from autograder.notebooks import compose_submission, released_notebook, solution_answers

    from tests.factories import colab_saved
    from tests.test_assignments import A06, WRONG, colab_saved_student

    root = folder / assignment
    root.mkdir(parents=True)
    course = Course(root, database=f"sqlite:///{root}/gradebook.db")
    reference = solution_answers(assignment)
    submissions = {"reference": reference, "blank": {}}
    submissions.update({student: {**reference, **changes} for student, (changes, _) in WRONG[assignment].items()})
    for student, answers in submissions.items():
        target = course.submission_dir(assignment=assignment, student=student)
        target.mkdir(parents=True)
        nb, name = compose_submission(assignment, answers), released_notebook(assignment).name
        if student == colab_saved_student(assignment):  # handed in as Colab downloads it: nbgrader's metadata gone
            nb, name = colab_saved(nb, strip_nbgrader=True), f"Copy of {name}"
        nbformat.write(nb, target / name)
    # The demo's own samples too (the partly right one and a truncated download), so the fresh-clone
    # test need not grade every assignment's demo again.
    for student, text in sample_submissions(assignment).items():
        if student not in submissions:
            target = course.submission_dir(assignment=assignment, student=f"demo-{student}")
            target.mkdir(parents=True)
            (target / released_notebook(assignment).name).write_text(text)
    data_dir = config.data_dir()
    if assignment == A06:  # graded at once on a data folder that has the archive but no cache yet
        data_dir = folder / "data-without-cache"
        shutil.copytree(config.data_dir() / "california-housing", data_dir / "california-housing")
    os.environ["COURSE_DATA_DIR"] = str(data_dir)
    try:
        return course.autograde(assignment, progress=lambda message: None)
    finally:
        os.environ.pop("COURSE_DATA_DIR")


def main(folder: str, *assignments: str) -> None:
    folder = Path(folder)
    for assignment in assignments:
        start = time.perf_counter()
        try:
            outcome = grade(assignment, folder)
        except BaseException:  # noqa: BLE001 - reported to the test that reads it
            outcome = traceback.format_exc()
        partial = folder / (RESULTS.format(assignment) + ".part")
        partial.write_bytes(pickle.dumps(outcome))
        partial.rename(folder / RESULTS.format(assignment))  # whole or absent, never half written
        print(f"{assignment}: {time.perf_counter() - start:.1f} s", flush=True)


def wait_for(folder: Path, assignment: str, process, timeout: float = 3600) -> list:
    """The results of *assignment*'s batch, once graded; a failure names what stopped it."""
    path = folder / RESULTS.format(assignment)
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None and not path.exists():
            raise RuntimeError(f"the class batches stopped (exit {process.returncode}) before {assignment}:\n"
                               + (folder / LOG).read_text()[-3000:])
        if time.monotonic() > deadline:
            raise TimeoutError(f"{assignment}'s class batch took over {timeout:.0f} s")
        time.sleep(0.5)
    outcome = pickle.loads(path.read_bytes())
    process.poll()  # reaps it if that was the last batch (a zombie child trips psutil in later tests)
    if isinstance(outcome, str):
        raise RuntimeError(f"{assignment}'s class batch failed:\n{outcome}")
    return outcome


if __name__ == "__main__":
    main(*sys.argv[1:])
