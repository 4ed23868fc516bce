"""Assignments 02 and 03 graded end to end through nbgrader.

For each: the reference earns full marks, the blank release earns nothing, and two complementary
wrong submissions together fail every test, each losing exactly the points of the tests its
mistakes belong to (the in-process tests in tests/checks/ show each check rejecting more kinds
of mistake). Assignment 01 has its own, finer-grained suite in test_course.py.
"""

import nbformat
import pytest

from autograder.course import Course, grade_table
from autograder.notebooks import compose_submission, released_notebook, solution_answers


def _replace(assignment, cell, old, new):
    code = solution_answers(assignment)[cell]
    assert old in code, f"{old!r} not in the reference answer of {cell}: update this test"
    return {cell: code.replace(old, new)}


A02, A03 = "02-linear-regression", "03-logistic-regression"

# assignment -> student -> (answer cells changed from the reference, tests that must fail)
WRONG = {
    A02: {
        "wrong-a": ({
            # Ignores n_features; exercise 2 builds with one feature, so only this exercise's test fails.
            **_replace(A02, "lin-ex1-build", "keras.Input((n_features,))", "keras.Input((1,))"),
            **_replace(A02, "lin-ex3-normal-equation", "X_b = np.c_[np.ones(len(X)), X]", "X_b = np.asarray(X)"),
            "lin-ex5-steps": 'STEPS_PER_EPOCH = {"batch": 1, "mini-batch": 6, "stochastic": 200}',
        }, {"test-build-linear-model", "test-normal-equation", "test-steps-per-epoch"}),
        "wrong-b": ({
            # An untrained model with a hand-typed history that passes the visible test.
            "lin-ex2-train": 'line_model = build_linear_model(1)\n'
                             'line_history = type("History", (), {"history": {"loss": [0.25] * 50}})()',
            **_replace(A02, "lin-ex4-learning-rates", "LR_TOO_LARGE = 0.6", "LR_TOO_LARGE = 0.4"),
            **_replace(A02, "lin-ex6-diabetes", 'loss="mean_squared_error"', 'loss="mean_absolute_error"'),
        }, {"test-line-fit", "test-learning-rates", "test-diabetes-model"}),
    },
    A03: {
        "wrong-a": ({
            **_replace(A03, "log-ex1-cancer", 'loss="binary_crossentropy"', 'loss="mean_squared_error"'),
            **_replace(A03, "log-ex3-two-features", 'keras.layers.Dense(1, activation="sigmoid")',
                       "keras.layers.Dense(1)"),
            **_replace(A03, "log-ex5-onehot", 'loss="categorical_crossentropy"', 'loss="sparse_categorical_crossentropy"'),
        }, {"test-cancer-model", "test-two-feature-model", "test-softmax-onehot"}),
        "wrong-b": ({
            **_replace(A03, "log-ex2-labels", ">= threshold", "> threshold"),
            **_replace(A03, "log-ex4-sparse", 'keras.layers.Dense(3, activation="softmax")',
                       'keras.layers.Dense(3, activation="sigmoid")'),
        }, {"test-predict-labels", "test-softmax-sparse"}),
    },
}


@pytest.fixture(scope="module", params=[A02, A03])
def graded(request, tmp_path_factory):
    assignment = request.param
    root = tmp_path_factory.mktemp(assignment)
    course = Course(root, database=f"sqlite:///{root}/gradebook.db")
    reference = solution_answers(assignment)
    submissions = {"reference": reference, "blank": {}}
    submissions.update({student: {**reference, **changes} for student, (changes, _) in WRONG[assignment].items()})
    for student, answers in submissions.items():
        folder = course.submission_dir(student, assignment)
        folder.mkdir(parents=True)
        nbformat.write(compose_submission(assignment, answers), folder / released_notebook(assignment).name)
    results = {r.student: r for r in course.autograde(assignment, progress=lambda message: None)}
    return assignment, results


def _points(result):
    return {t.grade_id: t.points for t in result.tests}


def test_reference_full_blank_zero(graded):
    assignment, results = graded
    reference, blank = results["reference"], results["blank"]
    assert reference.error is None and reference.score == reference.max_score > 0, grade_table([reference])
    assert blank.score == 0 and len(blank.tests) == len(reference.tests)


def test_each_wrong_submission_loses_exactly_its_tests(graded):
    assignment, results = graded
    full = _points(results["reference"])
    failed_somewhere = set()
    for student, (_, failing) in WRONG[assignment].items():
        got = _points(results[student])
        assert {g for g in full if got[g] != full[g]} == failing, grade_table([results["reference"], results[student]])
        assert results[student].score == sum(full.values()) - sum(full[g] for g in failing)
        failed_somewhere |= failing
    assert failed_somewhere == set(full), "every test is failed by some wrong submission"
