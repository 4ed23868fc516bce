"""Carry out one grading job (``job_contract.Job``): the notebook in a sandboxed kernel, its evidence
collected, its models measured in a sandbox of their own, the outcome written to the result folder
the contract describes.

The student's code runs only in the kernel's sandbox and the models only in theirs; this process
decides nothing. Verdicts are made from the result folder by ``judging``, by whoever holds the
gradebook.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import Execute

from course_kernel import data as course_data
from course_kernel import evidence as kernel_evidence

from autograder import config
from autograder.grading import checks as registry, evidence_reader, model_sandbox, sandbox
from autograder.grading.job_contract import EVIDENCE, EXECUTED, KERNEL_LOG, MODELS, Job, JobResult
from autograder.grading.kernels import SandboxedKernelManager

COURSE_KERNEL = Path(kernel_evidence.__file__).parent


def data_binds(assignment: str) -> list[tuple[Path, str]]:
    """The data folders an assignment's notebook loads, bound read-only at their own paths."""
    root = config.data_dir()
    folders = [root / name for name in registry.for_assignment(assignment).datasets]
    if "california-housing" in registry.for_assignment(assignment).datasets:
        folders.append(course_data.california_cache(root).parent)
    return [(folder, str(folder)) for folder in folders if folder.is_dir()]


def _matplotlib_config(folder: Path) -> Path:
    """A writable matplotlib folder holding a font list built once per machine: without it, every
    sandbox (whose home is empty) would spend half a second rebuilding it."""
    cache = Path.home() / ".cache" / "ann-keras-course" / f"matplotlib-{sys.version_info.major}{sys.version_info.minor}"
    if not any(cache.glob("fontlist-*.json")):
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env={**os.environ, "MPLCONFIGDIR": str(cache)},
                       capture_output=True, timeout=300)
    shutil.copytree(cache, folder)
    return folder


def run_job(job: Job, result: Path, workdir: Path | None = None) -> JobResult:
    """Carry out *job*, writing everything it produced into the folder *result*; its sandboxes'
    folders are made in *workdir* (default: the temporary folder) and removed at the end."""
    start = time.monotonic()
    outcome = JobResult(sandboxed=job.sandboxed)
    checks = registry.for_assignment(job.assignment)
    evidence_reader.remove_tree(result)  # a result is always of one run
    work = Path(tempfile.mkdtemp(prefix="grading-", dir=workdir))
    evaluator = None
    try:
        scratch, challenge = work / "scratch", work / "challenge"
        scratch.mkdir()
        challenge.mkdir()
        for test_id, inputs in checks.challenges(job.seed).items():
            (challenge / f"{test_id}.json").write_text(json.dumps(kernel_evidence.encode(inputs)))
        (scratch / f"{job.assignment}.ipynb").write_text(job.notebook)  # the student's own copy
        fonts = _matplotlib_config(work / "matplotlib")
        result.mkdir(parents=True, exist_ok=True)
        log = result / KERNEL_LOG

        if checks.wants_models():  # warms up (imports Keras) while the notebook runs
            evaluator = model_sandbox.Evaluator(work, job.limits, log, sandboxed=job.sandboxed)
        spec = sandbox.Spec(
            scratch=scratch,
            read_only=[(COURSE_KERNEL, str(COURSE_KERNEL)), (challenge, str(challenge)), *data_binds(job.assignment)],
            writable=[(fonts, str(fonts))],
            env={"MPLCONFIGDIR": str(fonts),course_data.DATA_DIR_VARIABLE: str(config.data_dir()),
                 kernel_evidence.CHALLENGE_DIR_VARIABLE: str(challenge),
                 kernel_evidence.EVIDENCE_DIR_VARIABLE: str(scratch / EVIDENCE),
                 "PYTHONPATH": str(COURSE_KERNEL.parent), "NBGRADER_EXECUTION": "autograde"},
            limits=job.limits)
        executed, outcome.error = _execute(job, spec, work / "runtime", log, outcome.timings)
        (result / EXECUTED).write_text(nbformat.writes(executed))

        mark = time.monotonic()
        collected = evidence_reader.collect(scratch, set(checks.tests), result)
        outcome.notes += collected.notes
        # Colab gives a notebook no folder to write into beside itself; say when it wrote there anyway.
        left = sorted(set(os.listdir(scratch)) - {f"{job.assignment}.ipynb", EVIDENCE})
        if left:
            outcome.notes.append(f"the notebook wrote beside itself: {', '.join(left[:5])}")
        outcome.timings["collect"] = round(time.monotonic() - mark, 2)
        if evaluator is not None:
            mark = time.monotonic()
            measure_models(checks, result, evaluator, job.limits.seconds)
            outcome.timings["models"] = round(time.monotonic() - mark, 2)
    except sandbox.SandboxUnavailable as exc:
        outcome.error = str(exc)
    finally:
        if evaluator is not None:
            evaluator.close()
        evidence_reader.remove_tree(work)
    outcome.seconds = round(time.monotonic() - start, 1)
    outcome.write(result)
    return outcome


def _execute(job: Job, spec: sandbox.Spec, runtime: Path, log: Path, timings: dict) -> tuple:
    """Run the notebook in a sandboxed kernel; return (executed notebook, error or None)."""
    nb = nbformat.reads(job.notebook, as_version=4)
    manager = SandboxedKernelManager(spec, runtime, log, sandboxed=job.sandboxed)
    executor = CappedExecute(timeout=job.cell_timeout, interrupt_on_timeout=True,
                             extra_arguments=["--HistoryManager.hist_file=:memory:"])
    executor.output_limit = (job.limits.output_kb or 0) * 1024
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        manager.kill_now()

    timer = threading.Timer(job.limits.seconds, stop) if job.limits.seconds else None
    over_quota, finished = threading.Event(), threading.Event()
    quota = (job.limits.disk_mb or 0) << 20
    # Everything the sandbox can write on the grader's disk: scratch, the kernel's runtime folder and the
    # matplotlib folder, all in the job's folder (its /tmp and /dev/shm are memory, in its cgroup).
    watched = spec.scratch.parent

    def watch_disk() -> None:
        while not finished.wait(DISK_POLL_SECONDS):
            if folder_bytes(watched) > quota:
                over_quota.set()
                manager.kill_now()
                return

    watchdog = threading.Thread(target=watch_disk, name="disk-quota", daemon=True) if quota else None
    mark = time.monotonic()
    error = None
    try:
        if timer:
            timer.start()
        if watchdog:
            watchdog.start()
        executor.preprocess(nb, {"metadata": {"path": str(spec.scratch)}}, km=manager)
    except DeadKernelError as exc:
        error = _explain(f"DeadKernelError: {exc}", job.cell_timeout, job.limits.memory_mb)
    except Exception as exc:  # noqa: BLE001 - nbclient's other failures: the student's kernel, not the batch
        error = _explain(f"{type(exc).__name__}: {exc}", job.cell_timeout, job.limits.memory_mb)
    finally:
        finished.set()
        if timer:
            timer.cancel()
        killed = manager.oom_killed()
        peak = manager.sandbox_groups.peak_mb() if manager.sandbox_groups is not None else None
        manager.release()
    if peak is not None:  # what the kernel's sandbox held at most, resident and tmpfs (docs/benchmarks.md)
        timings["kernel_memory_peak_mb"] = round(peak, 1)
    if killed:  # one of its processes (perhaps the kernel) was killed at the job's memory limit
        error = (f"used more than {job.limits.memory_mb} MB of memory (COURSE_MEMORY_LIMIT_MB, all of the notebook's "
                 f"processes together); {killed} of its processes killed, so it was not graded")
    if over_quota.is_set():
        error = (f"wrote more than {job.limits.disk_mb} MB of files (COURSE_DISK_LIMIT_MB); stopped there, "
                 "so it was not graded")
    if timed_out.is_set():
        error = f"stopped after the {job.limits.seconds} s time limit for a notebook"
    timings["notebook"] = round(time.monotonic() - mark, 2)
    return nb, error


DISK_POLL_SECONDS = 0.5


def folder_bytes(folder: Path) -> int:
    """Disk space the files under *folder* take (allocated blocks, so sparse files count as written)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


class CappedExecute(Execute):
    """nbgrader's Execute, keeping at most ``output_limit`` bytes of each cell's outputs: what is
    printed past that is dropped as it arrives (with one note saying so), so a flood costs neither
    the worker's memory nor the coordinator's. Errors are always kept (the verdicts read them),
    their text cut to a few KB."""

    output_limit = 0  # bytes; 0: no limit
    ERROR_TEXT = 4096

    def output(self, outs, msg, display_id, cell_index):
        if not self.output_limit:
            return super().output(outs, msg, display_id, cell_index)
        content = msg.get("content", {})
        if msg.get("msg_type") == "error":
            content["evalue"] = str(content.get("evalue", ""))[:self.ERROR_TEXT]
            content["traceback"] = [str(line)[:self.ERROR_TEXT] for line in content.get("traceback", [])[-50:]]
            return super().output(outs, msg, display_id, cell_index)
        used = getattr(self, "_output_used", {})
        self._output_used = used
        size = len(json.dumps(content, default=str))
        if used.get(cell_index, 0) + size > self.output_limit:
            if used.get(cell_index, 0) <= self.output_limit:
                used[cell_index] = self.output_limit + 1
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"\n[output truncated by the grader: this cell printed more than "
                         f"{self.output_limit // 1024} KB (COURSE_OUTPUT_LIMIT_KB)]\n"))
            return None
        used[cell_index] = used.get(cell_index, 0) + size
        return super().output(outs, msg, display_id, cell_index)


def _explain(message: str, cell_timeout: int, memory_mb: int | None = None) -> str:
    """nbclient's exception names, in words an instructor can act on."""
    if "Timeout waiting for IOPub output" in message.splitlines()[0]:
        return ("the grader stopped receiving the notebook's output in time (an output flood, or a kernel that "
                "stopped answering); nothing after that point was graded: " + message.splitlines()[0][:300])
    if "before replying to kernel_info" in message or "didn't respond" in message:
        limit = f" under the {memory_mb} MB memory limit (COURSE_MEMORY_LIMIT_MB)" if memory_mb else ""
        return f"the kernel could not start{limit}: " + message.splitlines()[0][:300]
    if "DeadKernelError" in message or "Kernel died" in message:
        return ("the kernel died while running the notebook (os._exit, a crash, or out of memory); "
                "nothing after that point was graded: " + message.splitlines()[0][:300])
    if "CellTimeoutError" in message or "TimeoutError" in message:
        return (f"a cell ran past the {cell_timeout} s cell time limit and would not stop when interrupted; "
                "nothing after it was graded")
    return message.splitlines()[0][:500]


def measure_models(checks, result: Path, evaluator: model_sandbox.Evaluator, timeout: float | None) -> None:
    """Evaluate every model the judges want, on the input sets they name; answers go into *result*.

    A model recorded by several tests (the same weights saved twice) is loaded and run once, on the
    union of the input sets those tests want."""
    wanted: dict[str, list[tuple[str, tuple[str, ...]]]] = {}   # model identity -> [(test/key, labels)]
    files: dict[str, tuple[Path | None, Path | None]] = {}
    for test_id, test in checks.tests.items():
        if not test.models:
            continue
        try:
            values = evidence_reader.load(result, test_id)
        except (evidence_reader.Refused, ValueError):
            values = None
        references = dict(evidence_reader.model_references(values)) if values else {}
        folder = result / MODELS / test_id
        for key, labels in test.models.items():
            reference = references.get(key)
            model = folder / reference.file if reference and reference.file and (folder / reference.file).is_file() else None
            export = folder / reference.export if reference and reference.export and (folder / reference.export).is_dir() else None
            if model is None and export is None:
                continue
            identity = _identity(model, export)
            files[identity] = (model, export)
            wanted.setdefault(identity, []).append((f"{test_id}/{key}", labels))
    requests = [model_sandbox.Request(identity, *files[identity], _inputs(checks, {l for _, ls in uses for l in ls}))
                for identity, uses in wanted.items()]
    answers = evaluator.evaluate(requests, timeout=timeout or None)
    for identity, uses in wanted.items():
        for use, labels in uses:
            destination = result / MODELS / use
            if identity in answers:
                model_sandbox.keep_answers(answers[identity], destination, list(labels))
            else:
                destination.mkdir(parents=True, exist_ok=True)
                (destination / "facts.json").write_text(json.dumps({"error": "the model sandbox did not finish in time"}))


def _identity(model: Path | None, export: Path | None) -> str:
    """Equal for the same model saved twice: a .keras file's members but its time-stamped metadata."""
    digest = hashlib.sha256()
    if model is not None:
        try:
            with zipfile.ZipFile(model) as archive:
                for member in sorted(archive.infolist(), key=lambda m: m.filename):
                    if member.filename != "metadata.json":
                        digest.update(f"{member.filename}:{member.CRC}:{member.file_size};".encode())
        except (zipfile.BadZipFile, OSError):
            digest.update(model.read_bytes())
    if export is not None:
        digest.update(str(export).encode())  # exported models are not shared between tests
    return digest.hexdigest()[:24]


_inputs_cache: dict[tuple[str, str], list] = {}


def _inputs(checks, labels: set[str]) -> dict[str, list]:
    """The input sets named *labels*, loaded once per process from the verified data."""
    inputs = {}
    for label in sorted(labels):
        key = (checks.assignment, label)
        if key not in _inputs_cache:
            loaded = checks.input_sets[label]()
            _inputs_cache[key] = list(loaded) if isinstance(loaded, (list, tuple)) else [loaded]
        inputs[label] = _inputs_cache[key]
    return inputs
