"""Where things live and how nbgrader is configured.

Every path and setting is resolved here, once, so that the Makefile, the CLI, the root
``nbgrader_config.py`` and the tests agree. Environment variables override the defaults:

COURSE_DIR          course state (submissions, gradebook, feedback, exports); git-ignored
COURSE_DB_URL       gradebook database URL (default: SQLite inside COURSE_DIR)
COURSE_DATA_DIR     verified data files filled by ``make data``
COURSE_DATA_MIRROR  folder holding a copy of the data sets (offline machines)
COURSE_CELL_TIMEOUT seconds one notebook cell may run while grading (training cells are slow)
COURSE_TIME_LIMIT   seconds one whole notebook may take to grade (0: no limit)
COURSE_MEMORY_LIMIT_MB  address space of one grading process and its kernel, in MB (0: no limit)
COURSE_JOBS         submissions graded at once (default: the number of CPU cores)
COURSE_GITHUB_REPOSITORY  owner/name of this repository on GitHub, for the "Open in Colab" links
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets.config import Config

REPO_ROOT = Path(os.environ.get("COURSE_REPO", Path(__file__).resolve().parents[1]))
SOLUTIONS_DIR = REPO_ROOT / "solutions"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SAMPLES_DIR = REPO_ROOT / "samples"
DATA_MANIFEST = REPO_ROOT / "data" / "manifest.json"

# Where students open the released notebooks from: the one place the repository is named.
GITHUB_REPOSITORY = os.environ.get("COURSE_GITHUB_REPOSITORY", "ann-keras-course/ann-keras-notebooks")
GITHUB_BRANCH = "main"

# Long enough for a Keras training cell on 2 CPU cores, short enough that an endless loop
# costs a student minutes, not the batch hours.
DEFAULT_CELL_TIMEOUT = 300
# A whole notebook: a few slow cells, not an endless loop in every one.
DEFAULT_TIME_LIMIT = 1800
# Address space, not resident memory: TensorFlow maps about 3 GB at import and uses well under 1 GB
# of it for these assignments; 8 GB leaves room for the data sets and stops runaway allocations.
DEFAULT_MEMORY_LIMIT_MB = 8192


def course_dir() -> Path:
    return Path(os.environ.get("COURSE_DIR", REPO_ROOT / "course")).resolve()


def data_dir() -> Path:
    return Path(os.environ.get("COURSE_DATA_DIR", REPO_ROOT / "data" / "files")).resolve()


def data_mirror() -> Path | None:
    mirror = os.environ.get("COURSE_DATA_MIRROR")
    return Path(mirror).resolve() if mirror else None


def cell_timeout() -> int:
    return int(os.environ.get("COURSE_CELL_TIMEOUT", DEFAULT_CELL_TIMEOUT))


def time_limit() -> int | None:
    return int(os.environ.get("COURSE_TIME_LIMIT", DEFAULT_TIME_LIMIT)) or None


def memory_limit_mb() -> int | None:
    return int(os.environ.get("COURSE_MEMORY_LIMIT_MB", DEFAULT_MEMORY_LIMIT_MB)) or None


def jobs() -> int:
    # One per core keeps memory predictable (a Keras kernel takes about 1 GB). Twice that is faster
    # where memory allows: kernels also wait (start-up, polling); see docs/benchmarks.md.
    return int(os.environ.get("COURSE_JOBS") or os.cpu_count() or 1)


def db_url(root: Path) -> str:
    return os.environ.get("COURSE_DB_URL", f"sqlite:///{root / 'gradebook.db'}")


def colab_url(assignment: str, notebook: str, repository: str = GITHUB_REPOSITORY, branch: str = GITHUB_BRANCH) -> str:
    """Colab's address for a released notebook of this repository."""
    return f"https://colab.research.google.com/github/{repository}/blob/{branch}/notebooks/{assignment}/{notebook}"


def assignments() -> list[str]:
    """Assignment ids, in course order: one folder each under solutions/."""
    return sorted(p.name for p in SOLUTIONS_DIR.iterdir() if p.is_dir() and not p.name.startswith("."))


def nbgrader_config(
    root: Path | None = None,
    *,
    source: Path = SOLUTIONS_DIR,
    release: Path = NOTEBOOKS_DIR,
    database: str | None = None,
    timeout: int | None = None,
) -> Config:
    """nbgrader settings for a course whose state lives in *root*.

    Source and release folders are given as paths relative to *root* so that a throwaway
    course (tests, single-file grading) can read the repository's solutions while writing its
    own release elsewhere.
    """
    root = Path(root or course_dir()).resolve()
    # Source and release are reached as root/../solutions etc., which needs root to exist.
    root.mkdir(parents=True, exist_ok=True)
    from nbgrader.converters import GenerateAssignment, GenerateFeedback
    from nbgrader.preprocessors import ClearHiddenTests

    from .preprocessors import ColabBadge, ShortTracebacks

    c = Config()
    c.GenerateAssignment.preprocessors = [*GenerateAssignment.class_traits()["preprocessors"].default(), ColabBadge]
    # Feedback shows which tests passed, their points and messages, but not the hidden test code
    # (nbgrader#917): the hidden region is cut from each test cell and tracebacks cut to their message.
    c.GenerateFeedback.preprocessors = [*GenerateFeedback.class_traits()["preprocessors"].default(),
                                        ClearHiddenTests, ShortTracebacks]
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = os.path.relpath(source, root)
    c.CourseDirectory.release_directory = os.path.relpath(release, root)
    c.CourseDirectory.submitted_directory = "submitted"
    c.CourseDirectory.autograded_directory = "autograded"
    c.CourseDirectory.feedback_directory = "feedback"
    c.CourseDirectory.db_url = database or db_url(root)
    # nbgrader leaves the id empty, and an assignment then points at no course row. SQLite does not
    # enforce that foreign key; PostgreSQL does. nbgrader's own default course id satisfies it.
    c.CourseDirectory.course_id = "default_course"
    # Files are handed in through the LMS, not nbgrader's exchange; keep it inside the course
    # folder so nbgrader does not complain about /usr/local/share/nbgrader/exchange.
    c.Exchange.root = str(root / "exchange")
    # Only notebooks are course material; never copy data or checkpoints around.
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.keras", "*.h5", "logs"]
    c.Execute.timeout = timeout if timeout is not None else cell_timeout()
    c.Execute.interrupt_on_timeout = True
    # A student who deletes a test cell is still graded by it (nbgrader#1682).
    c.OverwriteCells.add_missing_cells = True
    # TensorFlow and friends write harmless notices to stderr; nbgrader scores any stderr
    # output in a test cell as a failure, so drop the known-harmless lines.
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = (r"oneDNN|cuda|TF_ENABLE_ONEDNN|absl::|All log messages before absl|Unable to register"
                               r"|computation_placer|triggered tf\.function retracing")
    return c
