"""Stock nbgrader against this project's trusted grading, on the same notebooks, in one run.

    .venv/bin/python scripts/benchmark_parallel.py single [ASSIGNMENT ...] [--repeat N]
    .venv/bin/python scripts/benchmark_parallel.py class  [ASSIGNMENT ...] [--jobs N]
    .venv/bin/python scripts/benchmark_parallel.py cluster [ASSIGNMENT ...] [--workers 1 2]

* ``single``: one reference notebook, graded by stock ``nbgrader autograde`` (nbgrader's own Execute in
  a plain kernel, no sandbox, no judges) and by ``nbgrader autograde`` through this repository's
  configuration (a sandboxed job, evidence collected, models measured in their own sandbox, verdicts
  made outside). Alternated ``--repeat`` times; the overhead is the difference of the medians.
* ``class``: 8 submissions (4 reference, 2 partly right from samples/, 2 blank), graded serially by
  stock ``nbgrader autograde`` and by ``Course.autograde`` at its default settings (what
  ``make autograde`` runs). Both must give the same scores.
* ``cluster``: the same 8 submissions on a Dask cluster of N single-threaded workers (each its own
  ``dask worker`` process, as on separate machines), for each N given; plus the per-job overhead of
  the cluster (a task carrying a real job's notebook and returning a real result's bytes, without
  grading), and what those numbers imply for 50 workers and 1 000 submissions.

Both sides use the same course folder layout, gradebook and generated assignment; generation is
not timed. Stock nbgrader still runs the hidden cells (which only record evidence), so it is given
test inputs too. Prints Markdown tables for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from course_kernel import evidence as kernel_evidence

from autograder import config
from autograder.course import Course
from autograder.grading import checks
from autograder.notebooks import compose_submission, read_answers, released_notebook, solution_answers

SUBMISSIONS = 8

STOCK_CONFIG = """
from autograder.grading.nbgrader_settings import nbgrader_config
from nbgrader.converters import Autograde

c = get_config()
c.merge(nbgrader_config())
# Stock: nbgrader's own autograde pipeline (Execute in a plain kernel), nothing of this project's.
c.Autograde.autograde_preprocessors = Autograde.class_traits()["autograde_preprocessors"].default()
c.Execute.timeout = 300
"""


def submissions(assignment: str, count: int) -> dict[str, dict]:
    reference = solution_answers(assignment)
    if count == 1:
        return {"reference-0": reference}
    samples = sorted((config.SAMPLES_DIR / assignment).glob("*.py"))
    partial = read_answers(samples[0]) if samples else reference
    plan = {f"reference-{i}": reference for i in range(4)}
    plan |= {f"partial-{i}": partial for i in range(2)}
    plan |= {f"blank-{i}": {} for i in range(2)}
    return plan


def course_with(root: Path, assignment: str, count: int) -> Course:
    course = Course(root, database=f"sqlite:///{root}/gradebook.db")
    for student, answers in submissions(assignment, count).items():
        folder = course.submission_dir(assignment=assignment, student=student)
        folder.mkdir(parents=True)
        nbformat.write(compose_submission(assignment, answers), folder / released_notebook(assignment).name)
    course.generate(assignment)
    return course


def _environment(course: Course, **extra) -> dict:
    return {**os.environ, "COURSE_DIR": str(course.root), "COURSE_DB_URL": course.db_url,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **extra}


def stock(course: Course, assignment: str) -> float:
    """Stock nbgrader, from a folder whose nbgrader_config.py keeps nbgrader's own pipeline."""
    here = course.root / "stock-config"
    here.mkdir(exist_ok=True)
    (here / "nbgrader_config.py").write_text(STOCK_CONFIG)
    challenge, recorded = course.root / "challenge", course.root / "stock-evidence"
    challenge.mkdir(exist_ok=True)
    for test_id, inputs in checks.for_assignment(assignment).challenges(1).items():
        (challenge / f"{test_id}.json").write_text(json.dumps(kernel_evidence.encode(inputs)))
    env = _environment(course, COURSE_CHALLENGE_DIR=str(challenge), COURSE_EVIDENCE_DIR=str(recorded),
                       PYTHONPATH=str(config.REPO_ROOT))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], cwd=here, env=env,
                   check=True, capture_output=True)
    return time.perf_counter() - start


def trusted(course: Course, assignment: str) -> float:
    """`nbgrader autograde` through this repository's configuration: sandboxed job, verdicts outside."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], cwd=config.REPO_ROOT,
                   env=_environment(course), check=True, capture_output=True)
    return time.perf_counter() - start


def single(assignments: list[str], repeat: int) -> None:
    print(f"machine: {os.cpu_count()} cores; one reference notebook; stock and trusted alternated {repeat} times\n")
    print("| assignment | stock nbgrader autograde | trusted (sandbox + verdicts) | overhead | scores |")
    print("|---|---:|---:|---:|---|")
    for assignment in assignments:
        times = {"stock": [], "trusted": []}
        scores = set()
        for _ in range(repeat):
            for name, run in (("stock", stock), ("trusted", trusted)):
                with tempfile.TemporaryDirectory() as tmp:
                    course = course_with(Path(tmp), assignment, 1)
                    times[name].append(run(course, assignment))
                    scores.add((name, tuple(r.score for r in course.results(assignment))))
        a, b = statistics.median(times["stock"]), statistics.median(times["trusted"])
        runs = lambda name: ", ".join(f"{t:.1f}" for t in times[name])  # noqa: E731
        print(f"| {assignment} | {a:.1f} s ({runs('stock')}) | {b:.1f} s ({runs('trusted')}) | {100 * (b - a) / a:+.0f} % | "
              f"{sorted(scores)} |", flush=True)


def whole_class(assignments: list[str], jobs: int | None) -> None:
    print(f"machine: {os.cpu_count()} cores; {SUBMISSIONS} submissions per assignment; "
          f"jobs={jobs or config.jobs()} ({'given' if jobs else 'the default'})\n")
    print("| assignment | stock nbgrader, serial | make autograde (trusted, parallel) | speed-up | same scores |")
    print("|---|---:|---:|---:|---|")
    for assignment in assignments:
        with tempfile.TemporaryDirectory() as serial_dir, tempfile.TemporaryDirectory() as parallel_dir:
            serial = course_with(Path(serial_dir), assignment, SUBMISSIONS)
            serial_seconds = stock(serial, assignment)
            serial_scores = {r.student: r.score for r in serial.results(assignment)}
            parallel = course_with(Path(parallel_dir), assignment, SUBMISSIONS)
            start = time.perf_counter()
            results = parallel.autograde(assignment, jobs=jobs, generate=False,
                                         progress=lambda m: print("  " + m, file=sys.stderr))
            parallel_seconds = time.perf_counter() - start
            same = serial_scores == {r.student: r.score for r in results}
        print(f"| {assignment} | {serial_seconds:.1f} s | {parallel_seconds:.1f} s | "
              f"{serial_seconds / parallel_seconds:.2f}× | {'yes' if same else 'NO'} |", flush=True)


def _start_cluster(folder: Path, workers: int) -> tuple[Path, list]:
    dask = str(Path(sys.executable).parent / "dask")
    scheduler_file = folder / "scheduler.json"
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", str(scheduler_file)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)]
    while not scheduler_file.exists():
        time.sleep(0.1)
    for i in range(workers):
        processes.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                                           "--memory-limit", "0", "--no-dashboard", "--name", f"w{i}",
                                           "--local-directory", str(folder / f"w{i}")],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client
    with Client(scheduler_file=str(scheduler_file)) as client:
        client.wait_for_workers(workers, timeout=120)
        client.run(lambda: __import__("autograder.grading.job_runner"))  # imported once per worker, as a long-lived worker has
    return scheduler_file, processes


def _echo(job_json: str, version: str, result_bytes: bytes) -> bytes:
    return result_bytes


def cluster(assignments: list[str], worker_counts: list[int]) -> None:
    from autograder.grading.executor import DaskExecutor, pack
    from autograder.grading.job_contract import Job
    from autograder.version import course_version

    import psutil
    print(f"machine: {os.cpu_count()} cores; {SUBMISSIONS} submissions per assignment on N `dask worker` processes\n")
    print("| assignment | workers | wall time | jobs' own time (sum) | throughput | same scores |")
    print("|---|---:|---:|---:|---:|---|")
    overheads = []
    for assignment in assignments:
        expected = None
        for workers in worker_counts:
            with tempfile.TemporaryDirectory() as tmp:
                scheduler_file, processes = _start_cluster(Path(tmp), workers)
                try:
                    course = course_with(Path(tmp) / "course", assignment, SUBMISSIONS)
                    with DaskExecutor(scheduler=str(scheduler_file)) as executor:
                        start = time.perf_counter()
                        results = course.autograde(assignment, generate=False, executor=executor,
                                                   progress=lambda m: print("  " + m, file=sys.stderr))
                        wall = time.perf_counter() - start
                        scores = {r.student: r.score for r in results}
                        expected = expected or scores
                        if workers == worker_counts[-1]:  # per-job overhead: real payloads, no grading
                            job = Job(assignment, "x", nbformat.writes(compose_submission(
                                assignment, solution_answers(assignment))), seed=1)
                            folder = course.layout.job_result(assignment=assignment, student=results[0].student)
                            payload, version = pack(folder), course_version()
                            client = executor.ready()
                            for _ in range(40):
                                mark = time.perf_counter()
                                client.submit(_echo, job.to_json(), version, payload, pure=False).result()
                                overheads.append(time.perf_counter() - mark)
                            print(f"  payloads: job {len(job.to_json()) / 1e3:.0f} kB, result {len(payload) / 1e3:.0f} kB",
                                  file=sys.stderr)
                    own = sum(r.seconds for r in results)
                    print(f"| {assignment} | {workers} | {wall:.1f} s | {own:.1f} s | {SUBMISSIONS / wall * 60:.1f} per minute | "
                          f"{'yes' if scores == expected else 'NO'} |", flush=True)
                finally:
                    for process in processes:
                        for member in psutil.Process(process.pid).children(recursive=True) + [psutil.Process(process.pid)]:
                            try:
                                member.kill()
                            except psutil.NoSuchProcess:
                                pass
    median = statistics.median(overheads)
    print(f"\nper-job overhead of the cluster (submit, transfer both ways, return; 40 round trips): "
          f"median {1000 * median:.0f} ms, max {1000 * max(overheads):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["single", "class", "cluster"])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=None, help="default: what make autograde uses")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="cluster sizes to measure")
    args = parser.parse_args()
    if args.mode == "single":
        single(args.assignments or ["01-perceptrons", "04-mnist"], args.repeat)
    elif args.mode == "class":
        whole_class(args.assignments or ["01-perceptrons"], args.jobs)
    else:
        cluster(args.assignments or ["01-perceptrons"], args.workers)


if __name__ == "__main__":
    main()
