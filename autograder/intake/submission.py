"""From what a student handed in to the notebook nbgrader grades, without touching the original.

The submission folder stays exactly as handed in. Its notebook (any file name, one per folder) is
copied into the intake folder under the released name, with what Colab dropped put back (nbgrader
metadata, by matching cells to the release) and repeated cells stripped of their grade ids. What
was done, and every other file in the folder, is reported as notes; a file that cannot be graded
raises ``SubmissionError`` with a message for the student and the instructor.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from autograder import config
from autograder.intake import colab, tamper
from autograder.layout import CourseLayout
from autograder.notebooks import (SubmissionError, drop_duplicate_ids, identify_assignment, is_written_answer, nbgrader_meta, read_notebook, restore_missing_cells, solution_answers, source_notebook)

TIMESTAMP = "timestamp.txt"


def prepare(layout: CourseLayout, release: Path, *, assignment: str, student: str) -> list[str]:
    """Write the notebook to grade into the intake folder; return notes for the grade report."""
    expected = source_notebook(assignment).name
    folder = layout.submitted(assignment=assignment, student=student)
    notes = []
    notebook = folder / expected
    if not notebook.exists():
        found = sorted(folder.glob("*.ipynb"))
        if len(found) != 1:
            raise SubmissionError(f"{expected} not found in the submission"
                                  + (f" (found {', '.join(p.name for p in found)})" if found else ""))
        notebook = found[0]
        notes.append(f"graded {notebook.name!r} as {expected}")
    others = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in (notebook.name, TIMESTAMP))
    if others:  # every file handed in is accounted for somewhere
        notes.append(f"not graded: {', '.join(others)}")
    limit = config.notebook_limit_mb()
    size = notebook.stat().st_size
    if size > limit * 1024 * 1024:  # refused before it is read: reading costs the coordinator, for everyone
        raise SubmissionError(f"{notebook.name} is {size / 2**20:.1f} MB; the limit is {limit} MB "
                              "(COURSE_NOTEBOOK_LIMIT_MB): clear the outputs (Edit > Clear all outputs) and hand it in again")
    try:
        nb = read_notebook(notebook)
    except SubmissionError as exc:  # name the file as the student knows it, not our folder
        raise SubmissionError(str(exc).replace(str(notebook), notebook.name)) from None
    cell_limit = config.cell_limit_kb()
    for number, cell in enumerate(nb.cells, start=1):
        length = len(cell.source)
        if length > cell_limit * 1024:
            raise SubmissionError(f"cell {number} of {notebook.name} holds {length / 2**20:.1f} MB of text; the limit "
                                  f"is {cell_limit} KB a cell (COURSE_CELL_LIMIT_KB)")
    try:
        belongs_to = identify_assignment(nb, notebook.name)
    except SubmissionError:
        belongs_to = assignment  # nothing recognisable: grade it, and the tests will say what is missing
    if belongs_to != assignment:
        raise SubmissionError(f"{notebook.name} is the notebook of {belongs_to}, not of {assignment}")
    released = read_notebook(release / assignment / expected)
    if colab.missing_ids(nb, released):
        nb, restored, _ = colab.restore_metadata(nb, released, solution_answers(assignment))
        if restored:
            notes.append(f"restored nbgrader metadata of {len(restored)} cells (Colab drops it)")
    put_back = restore_missing_cells(nb, released)
    kinds = {nbgrader_meta(c).get("grade_id"): c for c in released.cells}
    written = [g for g in put_back if is_written_answer(kinds[g])]
    answers = [g for g in put_back if g not in written and nbgrader_meta(kinds[g]).get("solution")]
    instructor = [g for g in put_back if g not in written and g not in answers]
    if instructor:
        notes.append(f"cells missing from the submission, put back from the release: {', '.join(instructor)}")
    if answers:
        notes.append(f"answer cell{'s' * (len(answers) > 1)} missing, put back empty (0 points): {', '.join(answers)}")
    if written:
        notes.append(f"written answer{'s' * (len(written) > 1)} missing, put back empty (0 points): {', '.join(written)}")
    repeated = drop_duplicate_ids(nb)
    if repeated:
        notes.append(f"graded the first of repeated cells {', '.join(sorted(set(repeated)))}; copies run as plain code")
    # Read, never run: notes for the instructor, not a defence (the sandbox and the judges are).
    findings = tamper.scan_notebook(nb, tamper.instructor_cells(read_notebook(source_notebook(assignment))))
    notes += [f"review: {finding}" for finding in findings]

    target = layout.intake(assignment=assignment, student=student)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    nbformat.write(nb, target / expected)
    if (folder / TIMESTAMP).is_file():  # nbgrader reads late-submission times from here
        shutil.copyfile(folder / TIMESTAMP, target / TIMESTAMP)
    return notes
