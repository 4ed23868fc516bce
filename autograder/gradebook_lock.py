"""Serialize nbgrader's gradebook sessions across processes with a file lock.

Concurrent grading workers then never write to an SQLite gradebook at the same time
(``autograder.parallel`` installs the lock in each worker); notebooks still execute concurrently.
"""

from __future__ import annotations

import fcntl
from pathlib import Path


class GradebookLock:
    """Hold an exclusive lock on *path* from the moment a Gradebook opens until it closes.

    Re-entrant within the process (nbgrader can open a second session while one is open). Only
    database sessions are serialized; notebooks execute concurrently.
    """

    def __init__(self, path: Path):
        self.path, self.depth, self.handle = path, 0, None

    def acquire(self) -> None:
        if self.depth == 0:
            self.handle = open(self.path, "a")
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        self.depth += 1

    def release(self) -> None:
        if self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None

    def install(self) -> None:
        """Wrap nbgrader's Gradebook so every session (``with`` or explicit ``close``) holds the lock."""
        from nbgrader import api

        lock, original_init, original_close = self, api.Gradebook.__init__, api.Gradebook.close

        def __init__(gradebook, *args, **kwargs):
            lock.acquire()
            gradebook._holds_lock = True
            try:
                original_init(gradebook, *args, **kwargs)
            except BaseException:
                gradebook._holds_lock = False
                lock.release()
                raise

        def close(gradebook):
            try:
                original_close(gradebook)
            finally:
                if getattr(gradebook, "_holds_lock", False):
                    gradebook._holds_lock = False
                    lock.release()

        api.Gradebook.__init__, api.Gradebook.close = __init__, close
