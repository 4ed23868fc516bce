"""Every written question is tied to the student's own run (#26 item 3): the question asks for something from
*your* notebook, and its mark scheme's full marks need it ("their own ..."), so the argument alone, which a
textbook gives, earns less. A reworded question or rubric that drops the tie fails here."""

from __future__ import annotations

import re

import pytest

from autograder import config
from autograder.notebooks import is_written_answer, read_notebook, source_notebook, split_mark_scheme

FULL_MARKS = re.compile(r"^\* \*\*\d+ points?\*\*")


def written_questions(assignment: str) -> list[tuple[str, str, str]]:
    """(grade id, question, mark scheme) of each written answer; the question is the cell above the answer."""
    cells = read_notebook(source_notebook(assignment)).cells
    return [(cell.metadata.nbgrader.grade_id, cells[i - 1].source, split_mark_scheme(cell.source)[1])
            for i, cell in enumerate(cells) if is_written_answer(cell)]


def untied(question: str, scheme: str) -> list[str]:
    """What keeps a written question from depending on the student's own run."""
    problems = []
    if not re.search(r"\byour\b", question, re.I):
        problems.append("the question asks for nothing from the student's own notebook")
    full = next((line for line in scheme.splitlines() if FULL_MARKS.match(line)), "")
    if "their own" not in full:
        problems.append("full marks do not need the student's own numbers or figures")
    return problems


@pytest.mark.parametrize("assignment", config.assignments())
def test_every_written_question_asks_for_the_students_own_run(assignment):
    questions = written_questions(assignment)
    assert questions, f"{assignment} has no written questions"
    assert {grade_id: untied(question, scheme) for grade_id, question, scheme in questions} == \
        {grade_id: [] for grade_id, _, _ in questions}


def test_a_textbook_question_is_caught():
    """06's second question as it stood before 2026-12-04: answerable without opening the notebook."""
    question = ("Exercise 3 trains with `EarlyStopping(patience=..., restore_best_weights=True)`. Explain what this "
                "protects against, why `patience` is more than one epoch, and what `restore_best_weights` adds.")
    scheme = ("* **2 points**: all three: stops before over-fitting (validation loss rising), patience tolerates "
              "noisy epochs, restore_best_weights returns to the best epoch's weights instead of the last\n"
              "* **1 point**: one or two of the three\n* **0 points**: none of the three")
    assert untied(question, scheme) == ["the question asks for nothing from the student's own notebook",
                                        "full marks do not need the student's own numbers or figures"]
    # Asking for the run's numbers is not enough while the rubric gives full marks without them.
    assert untied("Quote your best epoch. " + question, scheme) == \
        ["full marks do not need the student's own numbers or figures"]
