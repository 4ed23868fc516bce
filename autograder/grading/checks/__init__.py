"""Trusted checks: per assignment, the hidden tests' inputs and the judges of their evidence.

Nothing in this package is ever imported by a student's kernel; the kernel only records evidence
(``course_kernel.evidence``) and these modules decide, in the grader's own process.
"""

from __future__ import annotations

from autograder.grading.checks.backpropagation import CHECKS as BACKPROPAGATION
from autograder.grading.checks.base import Checks
from autograder.grading.checks.image_classifiers import FASHION, MNIST
from autograder.grading.checks.linear_regression import CHECKS as LINEAR_REGRESSION
from autograder.grading.checks.logistic_regression import CHECKS as LOGISTIC_REGRESSION
from autograder.grading.checks.perceptrons import CHECKS as PERCEPTRONS
from autograder.grading.checks.regression_mlps import CHECKS as REGRESSION_MLPS

REGISTRY: dict[str, Checks] = {checks.assignment: checks for checks in (
    PERCEPTRONS, BACKPROPAGATION, LINEAR_REGRESSION, LOGISTIC_REGRESSION, MNIST, FASHION, REGRESSION_MLPS)}


def for_assignment(assignment: str) -> Checks:
    try:
        return REGISTRY[assignment]
    except KeyError:
        raise KeyError(f"no trusted checks for assignment {assignment!r}") from None
