"""Points come from trusted verdicts only: how each kind of test cell output is scored."""

import pytest
from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from autograder.grading.judging import Verdict
from autograder.grading.preprocessors.verdicts import NOT_RUN, apply

from .. import factories


def _cell(*outputs, ran=True):
    cell = factories.grade_cell("assert True", "test-x", points=2)
    cell.outputs = [NotebookNode(o) for o in outputs]
    cell.execution_count = 3 if ran else None
    return cell


STDOUT = {"output_type": "stream", "name": "stdout", "text": "fine\n"}
STDERR = {"output_type": "stream", "name": "stderr", "text": "RuntimeWarning: something\n"}
ERROR = {"output_type": "error", "ename": "AssertionError", "evalue": "H(0) = 1", "traceback": []}
NUMBER = {"output_type": "execute_result", "data": {"text/plain": "0.0"}, "metadata": {}, "execution_count": 3}


@pytest.mark.parametrize("outputs, verdict, ran, points", [
    ([STDOUT], Verdict(True), True, 2),                       # judged right: full points
    ([STDOUT], Verdict(False, "wrong on new inputs"), True, 0),  # the kernel looked fine; the judge says no
    ([ERROR], Verdict(True), True, 0),                        # a visible assert failed: it costs the points
    ([], Verdict(True), False, 0),                            # never ran: nothing was tested
    ([STDERR], Verdict(True), True, 2),                       # warnings are not failures
    ([NUMBER], Verdict(True), True, 2),                       # a number the kernel shows is not partial credit
    ([STDOUT], None, True, 0),                                # no judge registered for this test
])
def test_only_the_verdict_and_a_failing_visible_test_decide(outputs, verdict, ran, points):
    cell = _cell(*outputs, ran=ran)
    apply(cell, verdict)
    assert determine_grade(cell)[0] == points


def test_the_student_sees_why():
    cell = _cell(STDOUT)
    apply(cell, Verdict(False, "wrong on new inputs"))
    assert cell.outputs[-1].ename == "AssertionError" and cell.outputs[-1].evalue == "wrong on new inputs"
    cell = _cell(ran=False)
    apply(cell, Verdict(True))
    assert cell.outputs[-1].evalue == NOT_RUN
