"""No judge passes on evidence that is not a right answer: property-based, with Hypothesis.

Starting from what the reference answers record, one value (at any depth) is replaced by NaN, an
infinity, an empty, scalar or transposed array, strings instead of numbers, a bool, a string or
None, or one key is dropped: every such variant must fail its test. An extra key changes no
answer, so it must still pass. Here 01 and 01b, from the reference answers run in this process; every
assignment's graded reference (and the predictions its models gave) is varied the same way in
tests/test_assignments.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.grading import checks as registry
from autograder.grading.checks.base import Evidence
from autograder.notebooks import read_notebook, solution_answers, source_notebook

from . import harness, variants

ASSIGNMENTS = ("01-perceptrons", "01b-backpropagation")
SEED = 3
# 01b's symmetry exercise trains on the notebook's own data cells, which this namespace lacks.
SKIPPED_ANSWERS = {"bp-ex5-symmetry"}
SKIPPED_TESTS = {"test-bp-symmetry"}


def _namespace(assignment: str) -> dict:
    """The reference answers run as code (as tests/checks/test_perceptrons.py and
    test_backpropagation.py do), with the given cells they use (01's gate inputs, 01b's helpers)."""
    from scipy.special import expit

    namespace = {"np": np, "expit": expit}
    given = {"01-perceptrons": "gate-inputs", "01b-backpropagation": "bp-helpers"}[assignment]
    exec(next(c.source for c in read_notebook(source_notebook(assignment)).cells if c.get("id") == given), namespace)
    for grade_id, code in solution_answers(assignment).items():
        if not grade_id.startswith(("written-", "bp-written")) and grade_id not in SKIPPED_ANSWERS:
            exec(code, namespace)
    return namespace


def _passes(assignment, test_id, values, challenge) -> bool:
    test = registry.for_assignment(assignment).tests[test_id]
    try:
        test.judge(Evidence(test_id, values, {}), challenge)
    except Exception:  # noqa: BLE001 - judging.judge fails the test on any exception
        return False
    return True


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    found = {}
    with pytest.MonkeyPatch.context() as patch:
        for assignment in ASSIGNMENTS:
            namespace = _namespace(assignment)
            checks = registry.for_assignment(assignment)
            challenges = checks.challenges(SEED)
            for test_id in sorted(set(checks.tests) - SKIPPED_TESTS):
                values = harness.recorded(assignment, test_id, namespace, tmp_path_factory.mktemp("ev"), patch,
                                          seed=SEED)
                found[(assignment, test_id)] = (values, challenges.get(test_id, {}))
    return found


CASES = [(a, t) for a in ASSIGNMENTS for t in sorted(set(registry.for_assignment(a).tests) - SKIPPED_TESTS)]


@pytest.mark.parametrize("assignment, test_id", CASES)
def test_the_reference_evidence_passes_and_an_extra_key_changes_nothing(recorded, assignment, test_id):
    values, challenge = recorded[(assignment, test_id)]
    assert _passes(assignment, test_id, values, challenge)
    assert _passes(assignment, test_id, {**values, "unexpected_extra": [1, 2, 3]}, challenge)


@pytest.mark.parametrize("assignment, test_id", CASES)
def test_every_dropped_key_fails(recorded, assignment, test_id):
    values, challenge = recorded[(assignment, test_id)]
    for key in values:
        assert not _passes(assignment, test_id, {k: v for k, v in values.items() if k != key}, challenge), key


@pytest.mark.parametrize("assignment, test_id", CASES)
@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_corrupted_value_passes(recorded, assignment, test_id, data):
    values, challenge = recorded[(assignment, test_id)]
    leaves = list(variants.leaves(values))
    path, value = data.draw(st.sampled_from(leaves), label="value")
    new = data.draw(st.sampled_from(variants.corruptions(value)), label="replacement")
    variant = variants.replace(values, path, new)
    assert not _passes(assignment, test_id, variant, challenge), f"{path} = {new!r} passed"
