"""What a grade depends on, as one fingerprint: the course version.

Two machines grade a notebook the same way only if they hold the same source and release notebooks
(the source holds the hidden tests and the points), the same grading code (``autograder`` and
``course_kernel``), the same pinned packages and the same data manifest (whose checksums every data
file is verified against). A worker whose fingerprint differs
from the coordinator's refuses the job instead of grading it differently; a result is reused only
for the same submission under the same fingerprint.
"""

from __future__ import annotations

import functools
import hashlib
import socket
from pathlib import Path

import course_kernel

from autograder import config

AUTOGRADER = Path(__file__).resolve().parent
COURSE_KERNEL = Path(course_kernel.__file__).resolve().parent


class CourseVersionMismatch(RuntimeError):
    """Raised on a worker whose course differs from the coordinator's; the message says what to do."""


def _files() -> list[tuple[str, Path]]:
    code = [(f"{root.name}/{path.relative_to(root)}", path) for root in (AUTOGRADER, COURSE_KERNEL)
            for path in root.rglob("*.py")]
    release = [(f"{root.name}/{path.relative_to(root)}", path) for root in (config.SOLUTIONS_DIR, config.NOTEBOOKS_DIR)
               for path in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts]
    pinned = [("requirements.txt", config.REPO_ROOT / "requirements.txt"), ("data/manifest.json", config.DATA_MANIFEST)]
    return sorted(code + release + pinned)


def course_version() -> str:
    """SHA-256 over the names and contents of every file a grade depends on (see the module's text)."""
    digest = hashlib.sha256()
    for name, path in _files():
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"<missing>") + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def worker_version() -> str:
    """This process's course version, computed once: a worker's installation does not change under it."""
    return course_version()


def require_same(expected: str) -> None:
    mine = worker_version()
    if mine != expected:
        raise CourseVersionMismatch(
            f"worker {socket.gethostname()} refused the job: its course version is {mine[:12]}, the coordinator's "
            f"{expected[:12]}. Install the same commit of the course repository there (make install, which also "
            "verifies the data), then restart the worker.")
