"""Cell and notebook factories, in the style of nbgrader's own tests."""

import json

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


def colab_saved(nb, *, strip_nbgrader, name="Copy of notebook.ipynb"):
    """What Colab's File > Download .ipynb gives: its own metadata, cell ids moved into metadata,
    nbformat minor 0 and, in the worst case, no nbgrader metadata or lock flags."""
    raw = json.loads(nbformat.writes(nb))
    raw["nbformat_minor"] = 0
    raw["metadata"] = {"colab": {"provenance": [], "name": name, "toc_visible": True},
                       "kernelspec": {"name": "python3", "display_name": "Python 3"},
                       "language_info": {"name": "python"}, "accelerator": "GPU"}
    for number, cell in enumerate(raw["cells"]):
        cell["metadata"]["id"] = f"colab{number:04d}xyz"
        cell.pop("id", None)
        if cell["cell_type"] == "code":
            cell["metadata"]["outputId"] = f"out{number:04d}"
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
        if number == 1:
            cell["metadata"]["cellView"] = "form"
        if strip_nbgrader:
            for key in ("nbgrader", "deletable", "editable"):
                cell["metadata"].pop(key, None)
    return nbformat.reads(json.dumps(raw), as_version=4)  # as the downloaded file would be read
