"""Make a notebook that went through Google Colab gradable again.

Colab adds metadata of its own (harmless) but may drop nbgrader's cell metadata, without which
nbgrader cannot tell test cells from the student's code and fails on the notebook. This puts it
back by matching the submission's cells to the released notebook:

1. cells whose text equals a released cell's text (instructions, locked code, test cells, answer
   cells left untouched) take that cell's metadata;
2. each instructor cell (test, locked code or text) still unmatched goes to the student's cell of
   the same kind between the same matched neighbours that is nearly the same text (a comment
   added, a line changed); nbgrader then overwrites it with the instructor's source;
3. each answer cell still unmatched goes to the student's cell of the same kind (code, or markdown
   for a written answer), between the same matched neighbours, that is most like the reference
   answer (students add scratch cells, too).

What cannot be matched is put back from the release by intake (``notebooks.restore_missing_cells``).
Text is compared on at most ``COMPARED_CHARS`` of each cell, so a huge scratch cell costs no more
than a normal one.
"""

from __future__ import annotations

import copy
import difflib

from nbformat import NotebookNode

from autograder.notebooks import nbgrader_meta

# Enough to tell any two cells of these notebooks apart; difflib is quadratic in the worst case.
COMPARED_CHARS = 4000
# An instructor cell edited by the student is still that cell above this similarity.
SAME_CELL = 0.8


def _key(cell) -> tuple[str, str]:
    source = "".join(cell.source) if isinstance(cell.source, list) else cell.source
    return cell.cell_type, "\n".join(line.rstrip() for line in source.strip().splitlines())


def _similarity(a: str, b: str, floor: float = 0.0) -> float:
    """difflib's ratio on the first COMPARED_CHARS of each text; 0 when its cheap upper bound is
    already below *floor*."""
    matcher = difflib.SequenceMatcher(None, a[:COMPARED_CHARS], b[:COMPARED_CHARS])
    return matcher.ratio() if matcher.real_quick_ratio() >= floor and matcher.quick_ratio() >= floor else 0.0


def missing_ids(nb: NotebookNode, release: NotebookNode) -> list[str]:
    present = {nbgrader_meta(c).get("grade_id") for c in nb.cells}
    return [m["grade_id"] for m in map(nbgrader_meta, release.cells) if m.get("grade_id") and m["grade_id"] not in present]


def restore_metadata(nb: NotebookNode, release: NotebookNode, answers: dict[str, str]) -> tuple[NotebookNode, list[str], list[str]]:
    """Return (notebook with nbgrader metadata restored, grade ids restored, grade ids not found)."""
    nb = copy.deepcopy(nb)
    missing = set(missing_ids(nb, release))
    if not missing:
        return nb, [], []
    released = [c for c in release.cells if nbgrader_meta(c).get("grade_id")]
    by_id = {nbgrader_meta(c)["grade_id"]: c for c in released}
    restored: list[str] = []

    def attach(cell, grade_id):
        cell.metadata["nbgrader"] = copy.deepcopy(by_id[grade_id].metadata["nbgrader"])
        missing.discard(grade_id)
        restored.append(grade_id)

    # 1. Exact text matches, in order.
    waiting: dict[tuple[str, str], list[str]] = {}
    for cell in released:
        grade_id = nbgrader_meta(cell)["grade_id"]
        if grade_id in missing:
            waiting.setdefault(_key(cell), []).append(grade_id)
    for cell in nb.cells:
        if not nbgrader_meta(cell) and waiting.get(_key(cell)):
            attach(cell, waiting[_key(cell)].pop(0))

    # 2 and 3. Edited instructor cells, then edited answer cells, between the neighbours that did match.
    position = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id")}
    order = [nbgrader_meta(c)["grade_id"] for c in released]

    def candidates(index, grade_id):
        before = max((position[g] for g in order[:index] if g in position), default=-1)
        after = min((position[g] for g in order[index + 1:] if g in position), default=len(nb.cells))
        kind = by_id[grade_id].cell_type
        return [i for i in range(before + 1, after) if nb.cells[i].cell_type == kind and not nbgrader_meta(nb.cells[i])]

    for index, grade_id in enumerate(order):
        if grade_id not in missing or nbgrader_meta(by_id[grade_id]).get("solution"):
            continue
        scored = [(_similarity(nb.cells[i].source, by_id[grade_id].source, SAME_CELL), i) for i in candidates(index, grade_id)]
        score, best = max(scored, default=(0.0, None))
        if score >= SAME_CELL:
            attach(nb.cells[best], grade_id)
            position[grade_id] = best
    for index, grade_id in enumerate(order):
        if grade_id not in missing or not nbgrader_meta(by_id[grade_id]).get("solution"):
            continue
        found = candidates(index, grade_id)
        if not found:
            continue
        reference = answers.get(grade_id, by_id[grade_id].source)
        best = max(found, key=lambda i: (_similarity(nb.cells[i].source, reference), i))
        attach(nb.cells[best], grade_id)
        position[grade_id] = best
    return nb, restored, [g for g in order if g in missing]
