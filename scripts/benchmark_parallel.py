"""Serial plain nbgrader vs this project's parallel autograding, on the same 8 submissions.

    .venv/bin/python scripts/benchmark_parallel.py [ASSIGNMENT ...] [--jobs N]

For each assignment, 8 submissions (4 reference, 2 partly right from samples/, 2 blank) are filed
into two fresh course folders. One is graded by the stock ``nbgrader autograde`` command (which
grades one student after another), the other by ``Course.autograde(jobs=N)``. Both use the same
nbgrader configuration (the repository's nbgrader_config.py) and must give the same scores.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import config
from autograder.course import Course
from autograder.notebooks import compose_submission, read_answers, released_notebook, solution_answers

SUBMISSIONS = 8


def submissions(assignment: str) -> dict[str, dict]:
    reference = solution_answers(assignment)
    samples = sorted((config.SAMPLES_DIR / assignment).glob("*.py"))
    partial = read_answers(samples[0]) if samples else reference
    plan = {f"reference-{i}": reference for i in range(4)}
    plan |= {f"partial-{i}": partial for i in range(2)}
    plan |= {f"blank-{i}": {} for i in range(2)}
    assert len(plan) == SUBMISSIONS
    return plan


def file_submissions(course: Course, assignment: str) -> None:
    for student, answers in submissions(assignment).items():
        folder = course.submission_dir(student, assignment)
        folder.mkdir(parents=True)
        nbformat.write(compose_submission(assignment, answers), folder / released_notebook(assignment).name)


def plain_nbgrader(root: Path, assignment: str) -> float:
    """The stock command line, one student after the other, as an instructor would run it."""
    env = {**os.environ, "COURSE_DIR": str(root), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", assignment, "--force", "--CourseDirectory.release_directory="
                    + str(root / "release")], cwd=config.REPO_ROOT, env=env, check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([*nbgrader, "autograde", assignment, "--force"], cwd=config.REPO_ROOT, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignments", nargs="*", default=["01-perceptrons", "03-logistic-regression"])
    # Twice the cores: the setting docs/benchmarks.md recommends when memory allows.
    parser.add_argument("--jobs", type=int, default=2 * (os.cpu_count() or 1))
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; {SUBMISSIONS} submissions per assignment; jobs={args.jobs}\n")
    print("| assignment | plain nbgrader, serial | this project, parallel | speed-up | same scores |")
    print("|---|---:|---:|---:|---|")
    for assignment in args.assignments:
        with tempfile.TemporaryDirectory() as serial_dir, tempfile.TemporaryDirectory() as parallel_dir:
            serial = Course(Path(serial_dir), release=Path(serial_dir) / "release")
            file_submissions(serial, assignment)
            serial_seconds = plain_nbgrader(serial.root, assignment)
            serial_scores = {r.student: r.score for r in serial.results(assignment)}

            parallel = Course(Path(parallel_dir), database=f"sqlite:///{parallel_dir}/gradebook.db")
            file_submissions(parallel, assignment)
            parallel.generate(assignment)  # outside the timing, as for the serial run
            start = time.perf_counter()
            results = parallel.autograde(assignment, jobs=args.jobs, generate=False, progress=lambda m: print("  " + m, file=sys.stderr))
            parallel_seconds = time.perf_counter() - start
            same = serial_scores == {r.student: r.score for r in results}
        print(f"| {assignment} | {serial_seconds:.1f} s | {parallel_seconds:.1f} s | "
              f"{serial_seconds / parallel_seconds:.2f}× | {'yes' if same else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
