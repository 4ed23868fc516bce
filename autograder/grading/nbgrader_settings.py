"""nbgrader's configuration for this course, in one place.

The Makefile, the ``python -m autograder`` CLI and plain ``nbgrader`` commands run from the
repository root (through ``nbgrader_config.py``) all grade the same way: solutions/ is the source,
notebooks/ the release, and autograding runs each notebook as a sandboxed job whose tests are
decided by trusted judges (``RunJobHere`` then ``ApplyVerdicts`` in place of nbgrader's Execute).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.converters import Autograde, GenerateAssignment, GenerateFeedback
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, IgnorePattern, LimitOutput,
                                    SaveAutoGrades)
from traitlets.config import Config

from autograder import config, nbgrader_metadata
from autograder.authoring import schedule
from autograder.grading.preprocessors import (ApplyVerdicts, ColabBadge, HideRubrics, RunJobHere, ShortTracebacks, ShowRubrics, UseJobResult)

nbgrader_metadata.install()  # every nbgrader run of this course's configuration validates faster


def autograde_preprocessors(execute) -> list:
    """nbgrader's autograde pipeline with *execute* (a grading job) in place of Execute and the
    verdicts applied after the outputs are trimmed, just before the grades are saved; each written
    answer gets its rubric beside it for formgrader."""
    return [execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, ApplyVerdicts, ShowRubrics, SaveAutoGrades,
            AssignLatePenalties, CheckCellMetadata]


def nbgrader_config(
    root: Path | None = None,
    *,
    source: Path = config.SOLUTIONS_DIR,
    release: Path = config.NOTEBOOKS_DIR,
    database: str | None = None,
    timeout: int | None = None,
) -> Config:
    """nbgrader settings for a course whose state lives in *root*.

    Source and release folders are given as paths relative to *root* so that a throwaway
    course (tests, single-file grading) can read the repository's solutions while writing its
    own release elsewhere.
    """
    root = Path(root or config.course_dir()).resolve()
    # Source and release are reached as root/../solutions etc., which needs root to exist.
    root.mkdir(parents=True, exist_ok=True)
    c = Config()
    c.GenerateAssignment.preprocessors = [*GenerateAssignment.class_traits()["preprocessors"].default(), ColabBadge]
    # Feedback shows which tests passed, their points and messages, but not the hidden test code
    # (nbgrader#917): the hidden region is cut from each test cell and tracebacks cut to their message.
    # The rubrics autograde put beside written answers for formgrader go first of all.
    c.GenerateFeedback.preprocessors = [HideRubrics, *GenerateFeedback.class_traits()["preprocessors"].default(),
                                        ClearHiddenTests, ShortTracebacks]
    c.Autograde.autograde_preprocessors = autograde_preprocessors(RunJobHere)
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = os.path.relpath(source, root)
    c.CourseDirectory.release_directory = os.path.relpath(release, root)
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = database or config.db_url(root)
    # nbgrader leaves the id empty, and an assignment then points at no course row. SQLite does not
    # enforce that foreign key; PostgreSQL does. nbgrader's own default course id satisfies it.
    c.CourseDirectory.course_id = "default_course"
    # Files are handed in through the LMS, not nbgrader's exchange; keep it inside the course
    # folder so nbgrader does not complain about /usr/local/share/nbgrader/exchange.
    c.Exchange.root = str(root / "exchange")
    # Only notebooks are course material; never copy data or checkpoints around.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.keras", "*.h5", "logs"]
    c.RunJobHere.course_directory = c.UseJobResult.course_directory = str(root)
    c.RunJobHere.timeout = timeout if timeout is not None else config.cell_timeout()
    # Late submissions (due dates from schedule.toml, time stamps from `make collect`): the schedule's policy.
    c.LateSubmissionPlugin.penalty_method = schedule.load().late_penalty
    # Formgrader and feedback render what students wrote and printed: never as live HTML or script.
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.filters = {"markdown2html": "autograder.grading.safe_html.markdown2html"}
    # A student who deletes a test cell is still graded by it (nbgrader#1682).
    c.OverwriteCells.add_missing_cells = True
    # TensorFlow and friends write harmless notices to stderr.
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = (r"oneDNN|cuda|TF_ENABLE_ONEDNN|absl::|All log messages before absl|Unable to register"
                               r"|computation_placer|triggered tf\.function retracing")
    return c


def batch_config(base: Config) -> Config:
    """The settings the batch records results with: the graded copy is in intake/, and the job ran
    already (``UseJobResult``)."""
    c = copy.deepcopy(base)
    c.CourseDirectory.submitted_directory = "intake"
    c.Autograde.autograde_preprocessors = autograde_preprocessors(UseJobResult)
    return c


def sanitize_preprocessors(c: Config) -> list:
    """nbgrader's own first pass of autograde (restore the instructor's cells from the gradebook), configured."""
    return [preprocessor(config=c) for preprocessor in Autograde.class_traits()["sanitize_preprocessors"].default()]
