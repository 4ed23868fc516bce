"""Where grading jobs run: one interface, and a first implementation on this machine.

An executor takes jobs (``autograder.job.Job``, each with the folder its result goes to) and yields
each job with its ``JobResult`` as soon as it is done. It never touches the gradebook or the
course folder: the coordinator (``autograder.grading``) records results as they come back.

``LocalExecutor`` runs up to N jobs at once, each in a fresh worker process forked from a server
that has the grading code imported already (a new interpreter per job would spend seconds on
imports). A worker that exceeds its time, dies, or cannot start costs only its own job, which
comes back with an error; nothing it started survives it (its sandboxes die with it).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Iterable, Iterator, Protocol

import psutil

from .job import Job, JobResult, run_job

# Beyond the notebook's own limit: starting the kernel, collecting evidence, measuring models.
GRACE_SECONDS = 120


class Executor(Protocol):
    def run(self, work: Iterable[tuple[Job, Path]]) -> Iterator[tuple[Job, JobResult]]:
        """Carry out every (job, result folder); yield each as it finishes, in any order."""


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["autograder.job"])
    return context


def _work(environment: dict, job_json: str, result: str) -> None:
    # The fork server's environment is that of the moment it started; use the caller's, now.
    os.environ.clear()
    os.environ.update(environment)
    run_job(Job.from_json(job_json), Path(result))


def _kill_tree(pid: int) -> None:
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


class LocalExecutor:
    def __init__(self, jobs: int):
        self.jobs = max(1, jobs)
        self._live: set[int] = set()
        self._lock = threading.Lock()

    def run(self, work: Iterable[tuple[Job, Path]]) -> Iterator[tuple[Job, JobResult]]:
        context = _context()
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        try:
            futures = {pool.submit(self._one, context, job, result): job for job, result in work}
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            with self._lock:
                for pid in list(self._live):  # interrupted: nothing may outlive the batch
                    _kill_tree(pid)
            pool.shutdown(wait=True, cancel_futures=True)

    def _one(self, context, job: Job, result: Path) -> JobResult:
        process = context.Process(target=_work, args=(dict(os.environ), job.to_json(), str(result)),
                                  name=f"grade-{job.student}", daemon=False)
        process.start()
        with self._lock:
            self._live.add(process.pid)
        limit = 2 * job.limits.seconds + GRACE_SECONDS if job.limits.seconds else None
        process.join(limit)
        try:
            if process.is_alive():
                _kill_tree(process.pid)
                return self._failed(result, f"stopped after the {job.limits.seconds} s time limit for a notebook")
            if process.exitcode != 0 or not (result / "result.json").is_file():
                code = process.exitcode
                reason = f"killed by signal {-code}" if code and code < 0 else f"exit code {code}"
                if code == -signal.SIGKILL:
                    reason += ", most likely out of memory"
                return self._failed(result, f"the grading process failed ({reason}); see {result / 'kernel.log'}")
            return JobResult.read(result)
        finally:
            with self._lock:
                self._live.discard(process.pid)

    @staticmethod
    def _failed(result: Path, error: str) -> JobResult:
        outcome = JobResult(error=error)
        outcome.write(result)
        return outcome
