"""Cell and notebook factories, in the style of nbgrader's own tests."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def solution_cell(source, grade_id):
    return new_code_cell(source, metadata=_meta(grade_id, solution=True))


def grade_cell(source, grade_id, points=1):
    return new_code_cell(source, metadata=_meta(grade_id, grade=True, locked=True, points=points))


def markdown_cell(source):
    return new_markdown_cell(source)


def notebook(*cells):
    return new_notebook(cells=list(cells))


def write(nb, path):
    nbformat.write(nb, path)
    return path
