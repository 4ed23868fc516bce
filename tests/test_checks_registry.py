"""Every test cell has a trusted judge, and no hidden test does anything but record evidence."""

import json
import re

import pytest

from course_kernel.evidence import encode

from autograder import config
from autograder.grading import checks
from autograder.notebooks import is_written_answer, nbgrader_meta, read_notebook, source_notebook

ASSIGNMENTS = config.assignments()


def _grade_cells(assignment):
    """The autograded test cells (written answers are graded by a person, not by a judge)."""
    return {nbgrader_meta(c)["grade_id"]: c.source for c in read_notebook(source_notebook(assignment)).cells
            if nbgrader_meta(c).get("grade") and not is_written_answer(c)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_test_cell_has_a_judge_and_every_judge_a_test_cell(assignment):
    assert set(checks.for_assignment(assignment).tests) == set(_grade_cells(assignment))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_tests_only_record_evidence_for_their_own_cell(assignment):
    for grade_id, source in _grade_cells(assignment).items():
        hidden = source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
        assert "autograder" not in hidden, f"{grade_id}: no grader code in the student's kernel"
        assert re.search(r"^from course_kernel\.evidence import .*\brecord\b", hidden, re.M), grade_id
        assert set(re.findall(r'(?:record|challenge)\("([^"]+)"', hidden)) == {grade_id}, grade_id


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_challenges_are_plain_data_and_change_with_the_seed(assignment):
    registered = checks.for_assignment(assignment)
    first, again, other = (json.dumps(encode(registered.challenges(seed))) for seed in (1, 1, 2))
    assert first == again, "the same seed gives the same inputs (the judge recomputes them)"
    if registered.challenges(1):
        assert first != other, "another seed gives other inputs"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_input_set_a_judge_names_exists(assignment):
    registered = checks.for_assignment(assignment)
    named = {label for test in registered.tests.values() for labels in test.models.values() for label in labels}
    assert named <= set(registered.input_sets)
    declared = {entry for entry in registered.datasets}
    assert declared <= {"mnist", "fashion-mnist", "california-housing"}
