"""Where grading jobs run: on Dask, from a cluster on this machine to one of many machines.

An executor takes jobs (``autograder.grading.job_contract.Job``, each with the folder its result goes to) and yields
each job with its ``JobResult`` as soon as it is done. It never touches the gradebook or the course
folder: the coordinator (``autograder.grading.batch``) judges and records results as they come back.

``DaskExecutor`` sends each job to a Dask worker as plain data (the job's JSON and the course
version) and gets the job's result folder back as a zip, so workers need only the installed course
environment and the verified data: no shared filesystem, no gradebook. With no scheduler configured
(``COURSE_SCHEDULER``) it starts a local cluster, one single-threaded worker process per job slot,
forked from a server that has the grading code imported already. A worker whose course version differs
refuses the job; a job whose worker dies is retried on another up to ``RETRIES`` times, then recorded
as an error; a notebook's own time limit is enforced by ``run_job``. The cluster is handed only as
many jobs as it has threads to start them (the rest wait here): Dask charges a worker's death to every
task assigned to it, so a classmate queued behind a notebook that kills its worker would otherwise
use up its retries without ever running. A worker killed mid-job cannot clean up; the next job on
that machine removes the folders of jobs whose process is gone.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import os
import shutil
import tempfile
import threading
import uuid
import zipfile
from collections import deque
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Protocol

import dask
import distributed
import distributed.utils
import psutil
from distributed import Client, KilledWorker, LocalCluster, as_completed

from autograder import config
from autograder.grading.job_contract import Job, JobResult
from autograder.grading.job_runner import run_job
from autograder.layout import disk_full, job_result
from autograder.version import CourseVersionMismatch, course_version, require_same

# Times a job may lose its worker (killed, out of memory, machine gone) before it is recorded as an error.
RETRIES = 2
# Worker settings for grading: long tasks of their own processes, nothing for Dask's profiler to learn.
# (Give remote workers the same through DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False etc.)
QUIET_WORKERS = {"distributed.worker.profile.enabled": False,
                 "distributed.admin.system-monitor.interval": "2s",
                 "distributed.worker.memory.monitor-interval": "2s",
                 "distributed.admin.tick.interval": "500ms"}
# A result folder holds an executed notebook, evidence and model predictions: megabytes, not more.
MAX_RESULT_BYTES = 512 * 1024 * 1024
# A job's folder on a worker: the prefix, then the worker's process id (so an orphan can be told).
JOB_FOLDER_PREFIX = "course-job-"


class ClusterUnavailable(RuntimeError):
    """The local cluster could not start, or the configured scheduler could not be reached."""


class Executor(Protocol):
    def run(self, work: Iterable[tuple[Job, Path]]) -> Iterator[tuple[Job, JobResult]]:
        """Carry out every (job, result folder); yield each as it finishes, in any order."""


def grade_on_worker(job_json: str, version: str) -> bytes:
    """A Dask task: grade one job on this worker and return its result folder, zipped."""
    require_same(version)
    remove_orphaned_job_folders()
    with tempfile.TemporaryDirectory(prefix=f"{JOB_FOLDER_PREFIX}{os.getpid()}-") as scratch:
        result = job_result(Path(scratch))
        run_job(Job.from_json(job_json), result, workdir=Path(scratch))
        return pack(result)


def remove_orphaned_job_folders(folder: Path | None = None) -> list[Path]:
    """Remove the job folders in *folder* (the temporary folder) whose worker process is gone."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{JOB_FOLDER_PREFIX}*"):
        pid = path.name[len(JOB_FOLDER_PREFIX):].split("-")[0]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def pack(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def unpack(packed: bytes, folder: Path) -> None:
    """Write a packed result folder into *folder*: regular files only, each inside it."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        if sum(member.file_size for member in archive.infolist()) > MAX_RESULT_BYTES:
            raise ValueError("the result is larger than a grading result can be")
        for member in archive.infolist():
            name = PurePosixPath(member.filename)
            if member.is_dir() or name.is_absolute() or ".." in name.parts:
                continue
            target = folder.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))


def _local_cluster(jobs: int) -> LocalCluster:
    # Workers forked from a server that imported the grading code once, not spawned (each spawned worker
    # would import nbgrader, NumPy and nbclient again: seconds of CPU per worker, on the same two cores).
    dask.config.set({"distributed.worker.multiprocessing-method": "forkserver",
                     "distributed.scheduler.allowed-failures": RETRIES,
                     # A worker takes a task only when a thread is free for it (see DaskExecutor.run).
                     "distributed.scheduler.worker-saturation": 1.0})
    # Monitoring costs CPU that the notebooks need on a small machine: Dask's profiler samples every
    # worker's stack 100 times a second, and the system monitors poll several times a second.
    dask.config.set(QUIET_WORKERS)
    distributed.utils.get_mp_context().set_forkserver_preload(["distributed", "autograder.grading.job_runner"])
    # The scheduler's web server (its dashboard, or JSON and an API that can retire workers when bokeh is
    # absent) on loopback, at a free port: by default it takes port 8787 and, with a dashboard, every interface.
    # The workers get this process's environment as it is now (the fork server's dates from its start).
    return LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, memory_limit=0,
                        dashboard_address="127.0.0.1:0", worker_dashboard_address=None, silence_logs=logging.ERROR,
                        env=dict(os.environ))


class DaskExecutor:
    """Jobs on a Dask cluster: an existing one (*scheduler*: an address or a scheduler file), else a
    local cluster of *jobs* workers, started in the background as soon as this is made."""

    def __init__(self, jobs: int | None = None, scheduler: str | None = None):
        self.jobs = max(1, jobs or config.jobs())
        self.scheduler = scheduler if scheduler is not None else config.scheduler()
        self.cluster: LocalCluster | None = None
        self.client: Client | None = None
        self._failure: BaseException | None = None
        self._connecting = threading.Thread(target=self._connect, name="dask-connect", daemon=True)
        self._connecting.start()

    def _connect(self) -> None:
        try:
            if not self.scheduler:
                self.cluster = _local_cluster(self.jobs)
                self.client = Client(self.cluster, set_as_default=False)
            elif Path(self.scheduler).is_file():
                self.client = Client(scheduler_file=self.scheduler, set_as_default=False, timeout="30s")
            else:
                self.client = Client(self.scheduler, set_as_default=False, timeout="30s")
        except BaseException as exc:  # noqa: BLE001 - reported by run(), in the caller's thread
            self._failure = exc

    def ready(self) -> Client:
        self._connecting.join()
        if self._failure is not None or self.client is None:
            where = self.scheduler or "a local cluster"
            raise ClusterUnavailable(f"could not start grading on {where}: {self._failure}") from self._failure
        return self.client

    def describe(self) -> str:
        """Where the jobs run, for the instructor: workers, and the dashboard if one is running."""
        client = self.ready()
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
        where = f"local Dask cluster, {len(workers)} workers" if self.cluster else \
            f"Dask scheduler {client.scheduler.address}, {len(workers)} workers"
        if self.cluster is None or importlib.util.find_spec("bokeh"):
            where += f"; dashboard: {client.dashboard_link}"
        return where

    def run(self, work: Iterable[tuple[Job, Path]]) -> Iterator[tuple[Job, JobResult]]:
        """Take each job as *work* produces it, hand the cluster as many as it has threads (from the
        moment it is up, so that starting it and preparing the first jobs overlap) and the next as
        each one finishes; yield results as they finish."""
        version = course_version()
        futures, waiting = {}, deque()
        finished = None

        def submit(client: Client) -> None:
            nonlocal finished
            if finished is None:
                finished = as_completed(loop=client.loop)
            while waiting and len(futures) < self._capacity(client):
                job, result = waiting.popleft()
                future = client.submit(grade_on_worker, job.to_json(), version, pure=False,
                                       key=f"grade-{job.assignment}-{job.student}-{uuid.uuid4().hex[:8]}")
                futures[future] = (job, result)
                finished.add(future)

        try:
            for item in work:
                waiting.append(item)
                if not self._connecting.is_alive():
                    submit(self.ready())
            client = self.ready()
            submit(client)
            for future in finished or ():
                job, result = futures.pop(future)
                submit(client)  # a thread is free: the next job may start
                yield job, self._collect(future, result)
        finally:  # interrupted: nothing of this batch keeps running on the cluster
            if self.client is not None:
                self.client.cancel([f for f in futures if not f.done()])
            if self.cluster is not None:  # the local workers' machine is this one
                remove_orphaned_job_folders()

    @staticmethod
    def _capacity(client: Client) -> int:
        """Jobs the cluster can run at once: its worker threads (at least one, so a cluster whose
        workers are all restarting still gets a job to wait for)."""
        workers = client.scheduler_info(n_workers=-1).get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    @staticmethod
    def _collect(future, result: Path) -> JobResult:
        try:
            unpack(future.result(), result)
            return JobResult.read(result)
        except CourseVersionMismatch as exc:
            error = str(exc)
        except OSError as exc:
            if disk_full(exc):  # the coordinator's disk, not the job: grading stops (grading.grade)
                raise
            error = f"the grading worker failed ({type(exc).__name__}: {exc})"
        except KilledWorker:
            error = (f"the worker grading it died {RETRIES + 1} times (out of memory, killed, or its machine was lost); "
                     "not retried further")
        except Exception as exc:  # noqa: BLE001 - one job's failure, whatever it is, is that job's error
            error = f"the grading worker failed ({type(exc).__name__}: {exc})"
        outcome = JobResult(error=error)
        outcome.write(result)
        return outcome

    def close(self) -> None:
        self._connecting.join()
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> "DaskExecutor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
