"""What each graded cell rewards, kept in the solution as ``metadata.course.kind``, and the share of points per kind.

* ``dictated``: code the text specifies (a fill-in);
* ``design``: an open design the grader measures (weights that work, a model that reaches a target);
* ``decision``: a choice made from the student's own experiment (rates, output heads);
* ``derivation``: a result the student works out (a gradient, a collapsed layer);
* ``value``: a number or reading taken from the notebook or counted by hand;
* ``written``: a written answer, graded by a person.

The teaching goal (issue #26, docs/teaching.md): dictated code earns at most half of an assignment's
autograded points.
"""

from __future__ import annotations

from collections import Counter

from autograder.notebooks import nbgrader_meta, read_notebook, source_notebook

KINDS = ("dictated", "design", "decision", "derivation", "value", "written")
MOST_DICTATED_SHARE = 0.5


def cell_kind(cell) -> str | None:
    return cell.metadata.get("course", {}).get("kind")


def points_by_kind(assignment: str) -> Counter:
    """Points of every graded cell of the solution, by kind (a cell without a known kind is a ValueError)."""
    points = Counter()
    for cell in read_notebook(source_notebook(assignment)).cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        kind = cell_kind(cell)
        if kind not in KINDS:
            raise ValueError(f"{assignment}: graded cell {meta.get('grade_id')} has kind {kind!r}, not one of {KINDS}")
        points[kind] += meta.get("points", 0)
    return points


def dictated_share(points: Counter) -> float:
    autograded = sum(n for kind, n in points.items() if kind != "written")
    return points["dictated"] / autograded if autograded else 0.0


def summary(assignment: str) -> str:
    """One line for the README's table: autograded points by kind, and the dictated share."""
    points = points_by_kind(assignment)
    autograded = sum(n for kind, n in points.items() if kind != "written")
    parts = ", ".join(f"{kind} {points[kind]:g}" for kind in KINDS if kind != "written" and points[kind])
    return f"{autograded:g}: {parts} (dictated {dictated_share(points):.0%})"
