"""Every graded cell says what kind of work it rewards, and the README shows the points of each kind."""

import pytest

from autograder import config
from autograder.authoring import exercise_kinds
from autograder.notebooks import nbgrader_meta, read_notebook, source_notebook

ASSIGNMENTS = config.assignments()
# Still above the goal (docs/teaching.md): this list may only shrink. Empty since 2026-12-07.
OVER_HALF_DICTATED: set[str] = set()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_cell_has_a_kind(assignment):
    for cell in read_notebook(source_notebook(assignment)).cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade"):
            kind = exercise_kinds.cell_kind(cell)
            assert kind in exercise_kinds.KINDS, f"{meta['grade_id']}: metadata.course.kind is {kind!r}"
            assert (kind == "written") == bool(meta.get("solution")), \
                f"{meta['grade_id']}: written answers, and only they, are of kind 'written'"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_dictated_code_earns_at_most_half_or_is_listed_as_not_yet(assignment):
    share = exercise_kinds.dictated_share(exercise_kinds.points_by_kind(assignment))
    if assignment in OVER_HALF_DICTATED:
        assert share > exercise_kinds.MOST_DICTATED_SHARE, \
            f"{assignment} is now {share:.0%} dictated: take it off OVER_HALF_DICTATED and docs/teaching.md's list"
    else:
        assert share <= exercise_kinds.MOST_DICTATED_SHARE, f"{assignment}: dictated code earns {share:.0%} of its points"


def test_a_cell_without_a_kind_is_refused(monkeypatch):
    nb = read_notebook(source_notebook(ASSIGNMENTS[0]))
    graded = next(cell for cell in nb.cells if nbgrader_meta(cell).get("grade"))
    del graded.metadata["course"]
    monkeypatch.setattr(exercise_kinds, "read_notebook", lambda path: nb)
    with pytest.raises(ValueError, match="kind None"):
        exercise_kinds.points_by_kind(ASSIGNMENTS[0])


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_readme_shows_the_points_of_each_kind(assignment):
    number = assignment.split("-")[0]
    [row] = [line for line in (config.REPO_ROOT / "README.md").read_text().splitlines() if line.startswith(f"| {number} | ")]
    assert row.endswith(f"| {exercise_kinds.summary(assignment)} |"), \
        f"README's row for {assignment} should end with {exercise_kinds.summary(assignment)!r}"
