"""Autograde a class concurrently: one worker process per submission, each under limits.

nbgrader grades one student at a time (nbgrader#174). Here each submission is graded in a
process of its own (forked from a server with nbgrader already imported), up to ``jobs`` at once:

* the **memory limit** is an address-space limit (``RLIMIT_AS``) the worker sets on itself first,
  so the grading kernel inherits it and a memory bomb ends in ``MemoryError``;
* the **wall-clock limit** is enforced from here: the worker and everything it started (the
  kernel included) are killed, and the student gets a recorded error;
* gradebook writes are serialized by the workers (``gradebook_lock.GradebookLock``); a PostgreSQL
  gradebook needs no lock but takes it harmlessly.

A worker that dies for any reason costs only its own student: the error is recorded and the
batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import config


@dataclass(frozen=True)
class Limits:
    seconds: int | None = None      # wall clock per notebook, grading included
    memory_mb: int | None = None    # address space of the worker and its kernel

    @classmethod
    def from_config(cls) -> "Limits":
        return cls(seconds=config.time_limit(), memory_mb=config.memory_limit_mb())


def _context():
    """Worker processes are forked from a server that has nbgrader imported already: a fresh
    process per submission (so a crash or a kill costs only that one) without paying seconds of
    imports each time."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["autograder.course", "autograder.gradebook_lock"])
    return context


def _grade_in_child(connection, environment: dict, root: str, database: str, cell_timeout: int, assignment: str,
                    student: str, memory_mb: int | None) -> None:
    # The fork server's environment is that of the moment it started; use the caller's, now.
    os.environ.clear()
    os.environ.update(environment)
    if memory_mb:  # inherited by the kernel this process starts
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from .course import Course
    from .gradebook_lock import GradebookLock

    GradebookLock(Path(root) / ".gradebook.lock").install()
    result = Course(Path(root), database=database, timeout=cell_timeout).grade_student(assignment, student)
    connection.send(result.as_dict())
    connection.close()


def _kill_tree(pid: int) -> None:
    """Kill a worker and all its descendants (the kernel runs in a session of its own)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        family = parent.children(recursive=True) + [parent]
    except psutil.NoSuchProcess:
        return
    for process in family:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)


def grade_in_worker(course, assignment: str, student: str, limits: Limits):
    """Grade one student in a fresh process; always returns a StudentResult, never raises."""
    from .course import StudentResult

    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    start = time.monotonic()
    process = context.Process(target=_grade_in_child, name=f"grade-{student}", daemon=False,
                              args=(sender, dict(os.environ), str(course.root), course.db_url, course.cell_timeout, assignment, student,
                                    limits.memory_mb))
    process.start()
    sender.close()

    def failed(error: str):
        return StudentResult(student, assignment, max_score=course.max_score(assignment),
                             seconds=round(time.monotonic() - start, 1), error=error)

    try:
        if not receiver.poll(limits.seconds):
            _kill_tree(process.pid)
            return failed(f"stopped after the {limits.seconds} s time limit for a notebook")
        return StudentResult.from_dict(receiver.recv())
    except EOFError:  # the process ended without an answer
        process.join(10)
        if process.exitcode == 1 and limits.memory_mb:
            return failed(f"the grading process failed, most likely out of memory under the {limits.memory_mb} MB limit")
        return failed(f"the grading process failed (exit code {process.exitcode}); see logs/{assignment}/{student}.log")
    finally:
        receiver.close()
        process.join(10)
        if process.is_alive():
            _kill_tree(process.pid)


def grade_all(course, assignment: str, students: list[str], jobs: int, limits: Limits,
              progress: Callable[[str], None]) -> list:
    """Grade *students* with up to *jobs* workers at once; results in the order of *students*."""
    results, failures, started = {}, 0, time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_in_worker, course, assignment, s, limits): s for s in students}
        for done, future in enumerate(as_completed(futures), 1):
            result = future.result()
            results[result.student] = result
            failures += bool(result.error)
            status = f"ERROR {result.error}" if result.error else f"{result.score:g}/{result.max_score:g}"
            progress(f"[{done}/{len(students)}] {assignment} {result.student}: {status} ({result.seconds:.0f} s)"
                     f" | {len(students) - done} left, {failures} failed, {time.monotonic() - started:.0f} s elapsed")
    return [results[s] for s in students]
