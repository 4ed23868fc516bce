"""Where things live and how nbgrader is configured.

Every path and setting is resolved here, once, so that the Makefile, the CLI, the root
``nbgrader_config.py`` and the tests agree. Environment variables override the defaults:

COURSE_DIR          course state (submissions, gradebook, feedback, exports); git-ignored
COURSE_DB_URL       gradebook database URL (default: SQLite inside COURSE_DIR)
COURSE_DATA_DIR     verified data files filled by ``make data``
COURSE_DATA_MIRROR  folder holding a copy of the data sets (offline machines)
COURSE_CELL_TIMEOUT seconds one notebook cell may run while grading (training cells are slow)
COURSE_TIME_LIMIT   seconds one whole notebook may take to grade (0: no limit)
COURSE_MEMORY_LIMIT_MB  address space of every process of a grading sandbox, in MB (0: no limit)
COURSE_PROCESS_LIMIT    processes and threads in one grading sandbox at once (0: no limit)
COURSE_FILE_LIMIT_MB    the largest file a graded notebook may write, in MB (0: no limit)
COURSE_NOTEBOOK_LIMIT_MB the largest notebook collected or graded, in MB
COURSE_DISK_LIMIT_MB    what one graded notebook may write on the grader's disk, in MB (0: no limit)
COURSE_CELL_LIMIT_KB    the largest cell (its text) a graded notebook may hold, in KB
COURSE_OUTPUT_LIMIT_KB  output one cell keeps while graded, in KB (the rest is cut, with a note)
COURSE_SANDBOX          "on" (default): every graded notebook runs in a sandbox; "off": none, and said so
COURSE_JOBS         submissions graded at once (default: one more than the cores, within free memory)
COURSE_SCHEDULER    a Dask scheduler (tcp://host:8786, or a scheduler file) to grade on; default: a local cluster
COURSE_STUDENT_REPOSITORY owner/name of the public student repository on GitHub, for the "Open in Colab" links
COURSE_PUBLISH_DIR  a clone of that repository, where ``make publish`` writes and commits
COURSE_SCHEDULE     the release and due dates (default: schedule.toml)
"""

from __future__ import annotations

import os
from pathlib import Path

import psutil

REPO_ROOT = Path(os.environ.get("COURSE_REPO", Path(__file__).resolve().parents[1]))
SOLUTIONS_DIR = REPO_ROOT / "solutions"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SAMPLES_DIR = REPO_ROOT / "samples"
DATA_MANIFEST = REPO_ROOT / "data" / "manifest.json"

# Where students open the released notebooks from: the public student repository that `make publish`
# fills (this one holds the answers and stays private). The one place it is named.
STUDENT_REPOSITORY = os.environ.get("COURSE_STUDENT_REPOSITORY", "ann-keras-course/ann-keras-notebooks")
GITHUB_BRANCH = "main"

# Long enough for a Keras training cell on 2 CPU cores, short enough that an endless loop
# costs a student minutes, not the batch hours.
DEFAULT_CELL_TIMEOUT = 300
# A whole notebook: a few slow cells, not an endless loop in every one.
DEFAULT_TIME_LIMIT = 1800
# Address space, not resident memory: TensorFlow maps about 3 GB at import and uses well under 1 GB
# of it for these assignments; 8 GB leaves room for the data sets and stops runaway allocations.
DEFAULT_MEMORY_LIMIT_MB = 8192
# TensorFlow starts a few threads per core, and threads count: room for that on big machines,
# far too few for a fork bomb to hurt.
DEFAULT_PROCESS_LIMIT = 512
# What one grading job holds in memory at most, here: a Keras kernel and its model sandbox.
JOB_MEMORY_BYTES = 1536 * 1024 * 1024
# Saved models and TensorBoard logs of these assignments are a few MB.
DEFAULT_FILE_LIMIT_MB = 512
# A handed-in notebook with every output and figure of these assignments is a few MB; 50 MB is
# room for many plots and still far from what a zip bomb would unpack to.
DEFAULT_NOTEBOOK_LIMIT_MB = 50
# 06 writes the most (checkpoints, saved models, TensorBoard logs, the tuner's trials): tens of MB.
DEFAULT_DISK_LIMIT_MB = 1024
# The longest answer cell of the references is under 4 KB; 1 MB of code is no answer, and reading it
# (parsing, matching to the release) must not cost every student behind it.
DEFAULT_CELL_LIMIT_KB = 1024
# A cell's outputs in these notebooks (a few plots, a training log) are well under 1 MB; a flood stops
# at this many KB in the worker, before it can fill the worker's or the coordinator's memory.
DEFAULT_OUTPUT_LIMIT_KB = 4096


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


def process_limit() -> int | None:
    return int(os.environ.get("COURSE_PROCESS_LIMIT", DEFAULT_PROCESS_LIMIT)) or None


def file_limit_mb() -> int | None:
    return int(os.environ.get("COURSE_FILE_LIMIT_MB", DEFAULT_FILE_LIMIT_MB)) or None


def notebook_limit_mb() -> int:
    return int(os.environ.get("COURSE_NOTEBOOK_LIMIT_MB", DEFAULT_NOTEBOOK_LIMIT_MB))


def disk_limit_mb() -> int | None:
    return int(os.environ.get("COURSE_DISK_LIMIT_MB", DEFAULT_DISK_LIMIT_MB)) or None


def cell_limit_kb() -> int:
    return int(os.environ.get("COURSE_CELL_LIMIT_KB", DEFAULT_CELL_LIMIT_KB))


def output_limit_kb() -> int:
    return int(os.environ.get("COURSE_OUTPUT_LIMIT_KB", DEFAULT_OUTPUT_LIMIT_KB))


def jobs() -> int:
    """Submissions graded at once: COURSE_JOBS, else one more than the cores (one job starts a
    kernel or waits while the others compute; docs/benchmarks.md measures 3 against 2 and 4 on two
    cores), but no more than free memory holds at about 1.5 GB per job (a Keras kernel and its
    model sandbox)."""
    if os.environ.get("COURSE_JOBS"):
        return max(1, int(os.environ["COURSE_JOBS"]))
    by_memory = int(psutil.virtual_memory().available // JOB_MEMORY_BYTES)
    return max(1, min((os.cpu_count() or 1) + 1, by_memory))


def scheduler() -> str | None:
    return os.environ.get("COURSE_SCHEDULER") or None


def db_url(root: Path) -> str:
    return os.environ.get("COURSE_DB_URL", f"sqlite:///{root / 'gradebook.db'}")


def publish_dir() -> Path | None:
    folder = os.environ.get("COURSE_PUBLISH_DIR")
    return Path(folder).resolve() if folder else None


def colab_url(assignment: str, notebook: str, repository: str = STUDENT_REPOSITORY, branch: str = GITHUB_BRANCH) -> str:
    """Colab's address for a released notebook in the student repository."""
    return f"https://colab.research.google.com/github/{repository}/blob/{branch}/notebooks/{assignment}/{notebook}"


def assignments() -> list[str]:
    """Assignment ids, in course order: one folder each under solutions/."""
    return sorted(p.name for p in SOLUTIONS_DIR.iterdir() if p.is_dir() and not p.name.startswith("."))
