"""Grade every reference solution as a student's submission, timing each step, and report its headline.

    make benchmark            (or: .venv/bin/python scripts/benchmark.py [--yardstick-epochs N] [ASSIGNMENT ...])

First a yardstick, so that times from different days can be compared: the 784-300-100-10 MLP of 04 trained
for 8 epochs with Adam on MNIST's 60 000 images (batch 32), timed alone in a fresh process (N epochs; 0: none).

For each assignment the reference answers are graded exactly as a class is (sandboxed job,
evidence, models measured in their own sandbox, verdicts outside). Reported: the notebook's run
in its sandbox (what a student waits for in Colab, give or take the machine), the model
measurements, the whole grading of that one notebook, the score, and the notebook's headline
number (printed by one extra cell appended to the submission). Prints a Markdown table for the
README; runs on whatever machine it is given.
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


YARDSTICK = """
import os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
from course_kernel.data import load_mnist
(X, y), _ = load_mnist()
keras.utils.set_random_seed(42)
model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(300, activation="relu"),
                          keras.layers.Dense(100, activation="relu"), keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
start = time.perf_counter()
model.fit(X / 255.0, y, epochs=int(sys.argv[1]), batch_size=32, verbose=0)
print(f"{time.perf_counter() - start:.1f}")
"""


def yardstick(epochs: int) -> float:
    """Seconds the yardstick's training takes here today (not its imports or data loading)."""
    done = subprocess.run([sys.executable, "-c", YARDSTICK, str(epochs)], capture_output=True, text=True,
                          cwd=config.REPO_ROOT, check=True)
    return float(done.stdout.split()[-1])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yardstick-epochs", type=int, default=8)
    parser.add_argument("assignments", nargs="*")
    args = parser.parse_args(argv)
    assignments = args.assignments
    print(f"machine: {os.cpu_count()} cores")
    if args.yardstick_epochs:
        print(f"yardstick: the 784-300-100-10 MLP, {args.yardstick_epochs} epochs of Adam on MNIST: "
              f"{yardstick(args.yardstick_epochs):.1f} s")
    print()
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
