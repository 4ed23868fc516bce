"""Rubrics beside written answers for the person grading them, and never in the student's feedback.

A written answer's rubric lives only in the source notebook (``=== BEGIN MARK SCHEME ===`` inside the
answer cell's solution, which the release replaces by "YOUR ANSWER HERE"). ``ShowRubrics`` runs in
autograde, in the coordinator: after each written answer of the autograded notebook it inserts a
read-only cell with the model answer and the mark scheme, which formgrader then shows right below
the student's answer. ``HideRubrics`` runs first in feedback and removes those cells again.
"""

from __future__ import annotations

from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.notebooks import is_written_answer, nbgrader_meta, read_notebook, source_notebook, split_mark_scheme

RUBRIC_KEY = "rubric_for"
# Formgrader shows the grader's re-executed copy, not the run the student wrote about (Colab, maybe a GPU).
RERUN_NOTE = ("*Numbers.* The outputs above come from the grader's own run of this notebook; numbers the student "
              "quotes from their run may differ a little (another machine, another random draw). Do not deduct for "
              "small differences; deduct only for numbers the student's notebook could not have produced.")


def rubrics(assignment: str) -> dict[str, tuple[str, str]]:
    """grade id -> (model answer, mark scheme) of every written answer of *assignment*."""
    return {nbgrader_meta(cell)["grade_id"]: split_mark_scheme(cell.source)
            for cell in read_notebook(source_notebook(assignment)).cells if is_written_answer(cell)}


def rubric_cell(grade_id: str, points: float, model_answer: str, scheme: str):
    source = (f"> **Rubric for `{grade_id}` ({points:g} points)**: for the grader only; it is not in the "
              f"student's release or feedback.\n>\n> *Model answer.* {model_answer}\n>\n"
              + "\n".join(f"> {line}" for line in scheme.splitlines()) + f"\n>\n> {RERUN_NOTE}")
    cell = new_markdown_cell(source)
    cell.metadata["autograder"] = {RUBRIC_KEY: grade_id}
    return cell


def is_rubric(cell) -> bool:
    return RUBRIC_KEY in cell.get("metadata", {}).get("autograder", {})


class ShowRubrics(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        known = rubrics(resources["nbgrader"]["assignment"])
        cells = []
        for cell in nb.cells:
            if is_rubric(cell):  # never trust such a cell from a submission
                continue
            cells.append(cell)
            grade_id = nbgrader_meta(cell).get("grade_id")
            if is_written_answer(cell) and grade_id in known:
                rubric = rubric_cell(grade_id, nbgrader_meta(cell).get("points", 0), *known[grade_id])
                if (nb.nbformat, nb.nbformat_minor) < (4, 5):  # cell ids came with nbformat 4.5 (Colab saves 4.0)
                    del rubric["id"]
                cells.append(rubric)
        nb.cells = cells
        return nb, resources


class HideRubrics(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not is_rubric(cell)]
        return nb, resources
