"""Time every solution notebook, report its headline result, and time the grading of its reference.

    make benchmark            (or: .venv/bin/python scripts/benchmark.py [ASSIGNMENT ...])

Prints a Markdown table to paste into README.md. Runs on whatever machine it is given; the
numbers in the README were measured on the 2-core CI machine.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder import config
from autograder.course import Course
from autograder.notebooks import compose_submission, solution_answers, source_notebook


# The number each solution notebook is judged by, read from its kernel after it ran.
HEADLINE = {
    "01-perceptrons": ("iris accuracy", "per_clf.score(X_petal, y_setosa)"),
    "02-linear-regression": ("diabetes test RMSE", "float(np.sqrt(np.mean((diabetes_model(X_test)[:, 0] - y_test) ** 2)))"),
    "03-logistic-regression": ("cancer test accuracy", "float(np.mean(predict_labels(cancer_model, X_test) == y_test))"),
    "04-mnist": ("MNIST test accuracy", "test_accuracy"),
    "05-fashion-mnist": ("Fashion-MNIST test accuracy", "test_accuracy"),
    "06-california-housing": ("California test RMSE", "test_rmse"),
}


def run_solution(assignment: str) -> tuple[float, str]:
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    label, expression = HEADLINE.get(assignment, ("", "''"))
    nb.cells.append(nbformat.v4.new_code_cell(f"print('HEADLINE', round(float({expression}), 4))" if label else ""))
    with tempfile.TemporaryDirectory() as tmp:  # notebooks may write files (models, logs)
        start = time.perf_counter()
        NotebookClient(nb, timeout=config.cell_timeout(), kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
        seconds = time.perf_counter() - start
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    return seconds, f"{label} {printed.split()[-1]}" if "HEADLINE" in printed else "-"


def grade_reference(assignment: str) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        course = Course(Path(tmp), database=f"sqlite:///{tmp}/gradebook.db")
        folder = course.submission_dir("reference", assignment)
        folder.mkdir(parents=True)
        nbformat.write(compose_submission(assignment, solution_answers(assignment)),
                       folder / source_notebook(assignment).name)
        start = time.perf_counter()
        [result] = course.autograde(assignment, ["reference"], progress=lambda m: None)
        return time.perf_counter() - start, f"{result.score:g}/{result.max_score:g}"


def main(assignments: list[str]) -> None:
    print(f"machine: {os.cpu_count()} cores\n")
    print("| assignment | solution notebook (s) | headline result | autograde reference (s) | reference score |")
    print("|---|---:|---|---:|---:|")
    for assignment in assignments or config.assignments():
        solution_seconds, headline = run_solution(assignment)
        grade_seconds, score = grade_reference(assignment)
        print(f"| {assignment} | {solution_seconds:.1f} | {headline} | {grade_seconds:.1f} | {score} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
