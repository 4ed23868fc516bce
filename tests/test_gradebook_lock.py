"""Gradebook sessions of concurrent processes never overlap once the lock is installed."""

import multiprocessing
import time

from autograder.course import Course
from autograder.gradebook_lock import GradebookLock


def _hold_a_session(lock_path, db_url, seconds, spans):
    GradebookLock(lock_path).install()
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        start = time.monotonic()
        gradebook.update_or_create_student(f"s{start}")
        time.sleep(seconds)
        spans.put((start, time.monotonic()))


def test_sessions_of_two_processes_take_turns(tmp_path):
    context = multiprocessing.get_context("spawn")
    spans = context.Queue()
    db_url = Course(tmp_path, database=f"sqlite:///{tmp_path}/gradebook.db").db_url  # also finds nbgrader's alembic
    _hold_a_session(tmp_path / "lock", db_url, 0, context.Queue())  # create the database first
    workers = [context.Process(target=_hold_a_session, args=(tmp_path / "lock", db_url, 1.0, spans)) for _ in range(2)]
    for worker in workers:
        worker.start()
    (a_start, a_end), (b_start, b_end) = sorted(spans.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert b_start >= a_end, "the second session began before the first ended"


def test_lock_is_reentrant_and_released(tmp_path):
    lock = GradebookLock(tmp_path / "lock")
    lock.acquire()
    lock.acquire()
    lock.release()
    assert lock.handle is not None, "still held after one of two releases"
    lock.release()
    assert lock.handle is None and lock.depth == 0
    lock.release()  # an extra release is harmless
    assert lock.depth == 0
