"""Grade every reference solution as a student's submission, timing each step, and report its headline.

    make benchmark            (or: .venv/bin/python scripts/benchmark.py [ASSIGNMENT ...])

For each assignment the reference answers are graded exactly as a class is (sandboxed job,
evidence, models measured in their own sandbox, verdicts outside). Reported: the notebook's run
in its sandbox (what a student waits for in Colab, give or take the machine), the model
measurements, the whole grading of that one notebook, the score, and the notebook's headline
number (printed by one extra cell appended to the submission). Prints a Markdown table for the
README; runs on whatever machine it is given.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import config
from autograder.course import Course
from autograder.grading.job_contract import JobResult
from autograder.notebooks import compose_submission, solution_answers, source_notebook

# The number each solution notebook is judged by, printed by the submission's last cell.
HEADLINE = {
    "01-perceptrons": ("iris accuracy", "per_clf.score(X_petal, y_setosa)"),
    "01b-backpropagation": ("half-moons training accuracy", "accuracy"),
    "02-linear-regression": ("diabetes test RMSE", "float(np.sqrt(np.mean((diabetes_model(X_test)[:, 0] - y_test) ** 2)))"),
    "03-logistic-regression": ("cancer test accuracy", "float(np.mean(predict_labels(cancer_model, X_test) == y_test))"),
    "04-mnist": ("MNIST test accuracy", "test_accuracy"),
    "05-fashion-mnist": ("Fashion-MNIST test accuracy", "test_accuracy"),
    "06-california-housing": ("California test RMSE", "test_rmse"),
}


def grade_reference(assignment: str) -> dict:
    label, expression = HEADLINE[assignment]
    nb = compose_submission(assignment, solution_answers(assignment))
    nb.cells.append(nbformat.v4.new_code_cell(f"print('HEADLINE', round(float({expression}), 4))"))
    with tempfile.TemporaryDirectory() as tmp:
        course = Course(Path(tmp), database=f"sqlite:///{tmp}/gradebook.db")
        folder = course.submission_dir(assignment=assignment, student="reference")
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / source_notebook(assignment).name)
        course.generate(assignment)
        start = time.perf_counter()
        [result] = course.autograde(assignment, ["reference"], progress=lambda m: None, jobs=1, generate=False)
        seconds = time.perf_counter() - start
        job = JobResult.read(course.layout.job_result(assignment=assignment, student="reference"))
        graded = nbformat.read(course.layout.autograded(assignment=assignment, student="reference") / source_notebook(assignment).name,
                               as_version=4)
        printed = "".join(o.get("text", "") for o in graded.cells[-1].get("outputs", []))
    return {"notebook": job.timings.get("notebook", 0.0), "models": job.timings.get("models", 0.0), "grading": seconds,
            "memory": job.timings.get("kernel_memory_peak_mb"), "score": f"{result.score:g}/{result.max_score:g}",
            "headline": f"{label} {printed.split()[-1]}" if "HEADLINE" in printed else "-"}


def main(assignments: list[str]) -> None:
    print(f"machine: {os.cpu_count()} cores\n")
    print("| assignment | notebook in its sandbox (s) | models measured (s) | grading, all told (s) | kernel's peak memory (MB) "
          "| score | headline |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for assignment in assignments or config.assignments():
        row = grade_reference(assignment)
        memory = f"{row['memory']:.0f}" if row["memory"] is not None else "-"  # only as root (a memory cgroup)
        print(f"| {assignment} | {row['notebook']:.1f} | {row['models']:.1f} | {row['grading']:.1f} | {memory} | "
              f"{row['score']} | {row['headline']} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
