"""Sample submissions for the demo, made from the current release so they never go stale.

* ``reference``: every answer cell holds the solution (must earn full marks);
* ``blank``: the release as students receive it (must earn 0 on every exercise);
* one student per ``samples/<assignment>/<name>.py`` answers file (a partly right student);
* ``truncated``: a download cut short, i.e. not valid JSON (must be reported, not crash the batch).
"""

from __future__ import annotations

import nbformat

from autograder import config
from autograder.notebooks import compose_submission, read_answers, released_notebook, solution_answers


def sample_submissions(assignment: str) -> dict[str, str]:
    """Student id -> notebook text."""
    samples = {
        "reference": compose_submission(assignment, solution_answers(assignment)),
        "blank": compose_submission(assignment, {}),
    }
    for answers in sorted((config.SAMPLES_DIR / assignment).glob("*.py")):
        samples[answers.stem] = compose_submission(assignment, read_answers(answers))
    texts = {student: nbformat.writes(nb) for student, nb in samples.items()}
    texts["truncated"] = texts["reference"][: len(texts["reference"]) // 2]
    return texts


def file_samples(course, assignment: str) -> list[str]:
    """Write the samples into *course*'s submitted/ folder; return the student ids."""
    name = released_notebook(assignment).name
    texts = sample_submissions(assignment)
    for student, text in texts.items():
        folder = course.submission_dir(assignment=assignment, student=student)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return list(texts)


def _full_marks(result) -> str | None:
    """Every autograded point; the written answers wait for a person (make formgrader)."""
    if result.error or result.score + result.pending_points != result.max_score:
        return f"the reference earned {result.score:g}/{result.max_score:g}" + (f" ({result.error})" if result.error else "")
    return None


def _nothing(result) -> str | None:
    return None if not result.error and result.score == 0 else f"the blank release earned {result.score:g} ({result.error})"


def _an_error(result) -> str | None:
    return None if result.error else "a truncated download was graded instead of being reported"


def _graded(result) -> str | None:
    return f"could not be graded: {result.error}" if result.error else None


# What samples/<assignment>/partial.py earns; the same before and after grading moved into the sandbox.
PARTIAL_SCORES = {"01-perceptrons": 5, "01b-backpropagation": 2, "02-linear-regression": 4, "03-logistic-regression": 3,
                  "04-mnist": 4, "05-fashion-mnist": 2, "06-california-housing": 2}


def _as_before(result) -> str | None:
    expected = PARTIAL_SCORES.get(result.assignment)
    if result.error or (expected is not None and result.score != expected):
        return f"the partial sample earned {result.score:g}, not {expected}" + (f" ({result.error})" if result.error else "")
    return None


class _Expected(dict):
    """What each sample must come to: the demo fails when one does not (``make demo``)."""

    def __missing__(self, student):
        return _graded


# ``copied`` (01 only) is partial.py renamed and reordered: the same score, and a pair for make similarity.
EXPECTED = _Expected(reference=_full_marks, blank=_nothing, truncated=_an_error, partial=_as_before, copied=_as_before)
