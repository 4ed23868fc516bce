"""Reading submissions safely, telling which assignment they belong to, and composing them.

``compose_submission`` fills a *released* notebook's answer cells with given code. The demo's
sample submissions and the tests' right, wrong and blank submissions are all made this way, so
they always match the current release.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import config


class SubmissionError(ValueError):
    """A file that cannot be graded at all; the message is meant for the student and instructor."""


def read_notebook(path: Path | str) -> NotebookNode:
    path = Path(path)
    if not path.exists():
        raise SubmissionError(f"{path}: no such file")
    if path.is_dir():
        raise SubmissionError(f"{path}: is a folder, not a notebook file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{path}: cannot be read ({exc})") from exc
    if not text.strip():
        raise SubmissionError(f"{path}: the file is empty; download the notebook again (File > Download > .ipynb)")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            f"{path}: not a Jupyter notebook (invalid JSON at line {exc.lineno}, column {exc.colno}); "
            "was it saved as .ipynb?") from exc
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise SubmissionError(f"{path}: JSON but not a Jupyter notebook (no 'cells'/'nbformat')")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several unrelated types for malformed notebooks
        raise SubmissionError(f"{path}: not a valid Jupyter notebook ({str(exc).splitlines()[0]})") from exc
    return nb


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_ids(nb: NotebookNode) -> set[str]:
    return {m["grade_id"] for m in map(nbgrader_meta, nb.cells) if m.get("grade_id")}


def source_notebook(assignment: str) -> Path:
    """The one notebook of an assignment in solutions/ (one notebook per assignment, by design)."""
    folder = config.SOLUTIONS_DIR / assignment
    notebooks = sorted(folder.glob("*.ipynb"))
    if len(notebooks) != 1:
        raise SubmissionError(f"assignment {assignment!r}: expected one notebook in {folder}, found {len(notebooks)}")
    return notebooks[0]


def released_notebook(assignment: str) -> Path:
    return config.NOTEBOOKS_DIR / assignment / source_notebook(assignment).name


def identify_assignment(nb: NotebookNode, filename: str = "") -> str:
    """Which assignment a submission belongs to: by the nbgrader cell ids it carries, else its file name."""
    known = config.assignments()
    ids = grade_ids(nb)
    if ids:
        overlap = {a: len(ids & grade_ids(read_notebook(source_notebook(a)))) for a in known}
        best = max(overlap, key=overlap.get)
        if overlap[best] and list(overlap.values()).count(overlap[best]) == 1:
            return best
    stem = Path(filename).stem.lower()
    for assignment in known:
        if assignment.lower() in stem:
            return assignment
    # Metadata stripped (Colab) and an uninformative name: count the released cells found word for word.
    texts = {c.source.strip() for c in nb.cells if c.source.strip()}
    overlap = {a: sum(c.source.strip() in texts for c in read_notebook(released_notebook(a)).cells) for a in known}
    best = max(overlap, key=overlap.get)
    if overlap[best] >= 3 and list(overlap.values()).count(overlap[best]) == 1:
        return best
    raise SubmissionError(
        f"{filename or 'notebook'}: cannot tell which assignment this is (known: {', '.join(known)}); "
        "pass --assignment")


_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
# A written answer's rubric, inside its (source-only) answer cell, in nbgrader's own delimiters.
MARK_SCHEME = re.compile(r"^=== BEGIN MARK SCHEME ===\n(.*?)^=== END MARK SCHEME ===[ \t]*\n?", re.S | re.M)


def is_written_answer(cell) -> bool:
    """A manually graded answer: a markdown cell the student writes in, graded by a person."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "markdown" and bool(meta.get("grade")) and bool(meta.get("solution"))


def split_mark_scheme(source: str) -> tuple[str, str]:
    """(model answer, mark scheme) of a written answer cell in the source notebook."""
    found = MARK_SCHEME.search(source)
    scheme = found.group(1).strip() if found else ""
    return MARK_SCHEME.sub("", source).strip(), scheme


def solution_answers(assignment: str) -> dict[str, str]:
    """The reference answer of every answer cell: the solution code, markers removed (for a written
    answer, the model answer without its mark scheme)."""
    nb = read_notebook(source_notebook(assignment))
    return {
        meta["grade_id"]: (split_mark_scheme(cell.source)[0] if is_written_answer(cell) else
                           "\n".join(line for line in cell.source.splitlines() if not _MARKER.match(line)))
        for cell in nb.cells
        if (meta := nbgrader_meta(cell)).get("solution")
    }


def read_answers(path: Path | str) -> dict[str, str]:
    """Answers in a plain-text file: a line ``# %% <grade_id>`` starts the code of that answer cell."""
    answers: dict[str, list[str]] = {}
    current = None
    for line in Path(path).read_text().splitlines():
        if line.startswith("# %% "):
            current = line[5:].strip()
            answers[current] = []
        elif current is not None:
            answers[current].append(line)
    return {key: "\n".join(lines).strip("\n") for key, lines in answers.items()}


def compose_submission(assignment: str, answers: dict[str, str], release: Path | None = None) -> NotebookNode:
    """The released notebook with the answer cells named in *answers* filled in; the rest left blank."""
    nb = read_notebook(release or released_notebook(assignment))
    unknown = set(answers) - {nbgrader_meta(c).get("grade_id") for c in nb.cells if nbgrader_meta(c).get("solution")}
    if unknown:
        raise KeyError(f"no answer cells named {sorted(unknown)} in {assignment}")
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def drop_duplicate_ids(nb: NotebookNode) -> list[str]:
    """Strip nbgrader metadata from every repeat of a grade id (a copied cell), in place.

    The first cell keeps the id and is graded; the copies become ordinary cells. (nbgrader's own
    DeduplicateIds leaves half the metadata behind, which then crashes OverwriteCells.)
    Returns the ids that were repeated.
    """
    seen, repeated = set(), []
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id is None:
            continue
        if grade_id in seen:
            del cell.metadata["nbgrader"]
            repeated.append(grade_id)
        seen.add(grade_id)
    return repeated


def restore_missing_cells(nb: NotebookNode, release: NotebookNode) -> list[str]:
    """Put back, in place and in release order, every released cell with a grade id that the
    submission lacks (test cells, locked instructor cells, answer cells as released, which score
    0), after the nearest earlier released cell the submission still has, or before the nearest
    later one when none comes earlier. nbgrader then overwrites test and locked cells with the
    instructor's source. (nbgrader's own add_missing_cells looks for that neighbour only among
    grade and solution cells, and fails with a KeyError when it is a read-only cell.)
    Returns the grade ids put back."""
    present = grade_ids(nb)
    restored = []
    for index, cell in enumerate(release.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id is None or grade_id in present:
            continue
        position = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id")}
        earlier = [nbgrader_meta(c).get("grade_id") for c in release.cells[:index]]
        later = [nbgrader_meta(c).get("grade_id") for c in release.cells[index + 1:]]
        after = next((position[g] for g in reversed(earlier) if g in position), None)
        before = next((position[g] for g in later if g in position), len(nb.cells))
        restored_cell = copy.deepcopy(cell)
        if (nb.nbformat, nb.nbformat_minor) < (4, 5):  # cell ids came with nbformat 4.5 (Colab saves 4.0)
            restored_cell.pop("id", None)
        nb.cells.insert(after + 1 if after is not None else before, restored_cell)
        present.add(grade_id)
        restored.append(grade_id)
    return restored
