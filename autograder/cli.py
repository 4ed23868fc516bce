"""``python -m autograder``: a thin command line over the library functions.

    grade PATH [--assignment A] [--json]   grade one notebook file, no course folder needed
    data fetch [--mirror DIR] | verify     fill / check the data folder
    release [A ...]                        regenerate notebooks/ from solutions/
    collect A ZIP                          file an LMS bulk download (Canvas, Moodle) as submissions
    autograde [A ...] [--jobs N] [--regrade]  grade everything in the course's submitted/ folder (on Dask)
    feedback [A ...] [--lms moodle]        HTML feedback for autograded submissions (and Moodle's feedback zip)
    grades [--output CSV] [--lms canvas --gradebook CSV | --lms moodle --worksheet CSV --assignment A]
                                           export the gradebook as CSV, and fill the LMS's own import file
    similarity A [A ...]                   flag pairs of submissions whose own code is alike (never a grade)
    table [A ...]                          print the grade table
    report [A ...] [--output HTML]         instructor report: scores, pass rate per test, times, errors
    demo [A ...]                           grade the bundled samples in a throwaway course
    publish [A ...] [--to DIR]             commit the student repository's files into its clone DIR
    formgrader [--port N]                  JupyterLab with nbgrader's formgrader, to grade written answers
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from pathlib import Path

from autograder import config
from autograder.dataset_files import DataError
from autograder.grading.sandbox import SandboxUnavailable

NOT_READY = (DataError, SandboxUnavailable)
EXIT_UNUSABLE = 2      # this file cannot be graded
EXIT_NOT_READY = 3     # nothing can be graded here yet (data or sandbox missing)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command](args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    grade = sub.add_parser("grade", help="autograde one notebook file")
    grade.add_argument("path")
    grade.add_argument("--assignment", help="assignment id (default: recognised from the notebook)")
    grade.add_argument("--json", action="store_true", help="print JSON instead of a table")
    grade.add_argument("--timeout", type=int, help="seconds per cell (default: COURSE_CELL_TIMEOUT)")

    data = sub.add_parser("data", help="fetch or verify the data sets")
    data.add_argument("action", choices=["fetch", "verify"])
    data.add_argument("--mirror", help="folder holding a copy of the data sets (default: COURSE_DATA_MIRROR, else download)")

    collect = sub.add_parser("collect", help="file an LMS bulk download (zip) as submissions")
    collect.add_argument("assignment")
    collect.add_argument("zip", type=Path)

    autograde = sub.add_parser("autograde", help="autograde every submission in the course folder")
    autograde.add_argument("assignments", nargs="*", help="default: all")
    autograde.add_argument("--jobs", type=int,
                           help="workers of the local cluster (default: COURSE_JOBS, else one more than the cores)")
    autograde.add_argument("--regrade", action="store_true",
                           help="grade again even submissions already graded from the same files and course version")

    report = sub.add_parser("report", help="write the instructor's HTML report")
    report.add_argument("assignments", nargs="*", help="default: all")
    report.add_argument("--output", default=None, help="default: <course>/report.html")

    feedback = sub.add_parser("feedback", help="generate HTML feedback")
    feedback.add_argument("assignments", nargs="*", help="default: all")
    feedback.add_argument("--lms", choices=["moodle"], help="also write the zip Moodle's feedback-files upload takes")

    for name, text in [("release", "regenerate notebooks/ from solutions/"),
                       ("similarity", "flag pairs of submissions with similar code"),
                       ("table", "print the grade table"),
                       ("demo", "grade the bundled sample submissions in a throwaway course")]:
        p = sub.add_parser(name, help=text)
        p.add_argument("assignments", nargs="*", help="default: all")

    publish = sub.add_parser("publish", help="build the student repository in its clone and commit (never push)")
    publish.add_argument("assignments", nargs="*",
                         help="ids or numbers, published on top of those already there (default: the schedule's)")
    publish.add_argument("--to", type=Path, help="the clone of the student repository (default: COURSE_PUBLISH_DIR)")

    formgrader = sub.add_parser("formgrader", help="serve nbgrader's formgrader on 127.0.0.1 for written answers")
    formgrader.add_argument("--port", type=int, default=8888)

    grades = sub.add_parser("grades", help="export grades as CSV")
    grades.add_argument("--output", default=None, help="default: <course>/grades.csv")
    grades.add_argument("--lms", choices=["canvas", "moodle"], help="also fill the LMS's import file")
    grades.add_argument("--gradebook", type=Path, help="Canvas: the gradebook CSV exported from Canvas")
    grades.add_argument("--worksheet", type=Path, help="Moodle: the assignment's grading worksheet CSV")
    grades.add_argument("--assignment", help="Moodle: the assignment the worksheet belongs to")
    grades.add_argument("--pending", choices=["note", "refuse"], default="note",
                        help="written answers not graded yet: leave that cell as it was with a note (default), "
                             "or refuse to export")

    return parser


def _assignments(args) -> list[str]:
    known = config.assignments()
    unknown = [a for a in args.assignments if a not in known]
    if unknown:
        raise SystemExit(f"unknown assignment(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return args.assignments or known


def _cmd_grade(args) -> int:
    from autograder.grading.results import grade_table
    from autograder.notebooks import SubmissionError
    from autograder.single import as_json, grade_file

    try:
        result = grade_file(args.path, args.assignment, args.timeout)
    except SubmissionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except NOT_READY as exc:
        print(f"error: nothing was graded: {exc}", file=sys.stderr)
        return EXIT_NOT_READY
    print(json.dumps(as_json(result), indent=2) if args.json else grade_table([result]))
    return 0


def _cmd_data(args) -> int:
    from autograder import dataset_files

    try:
        if args.action == "fetch":
            mirror = Path(args.mirror) if args.mirror else config.data_mirror()
            dataset_files.fetch(mirror=mirror)
            dataset_files.build_caches()
        else:
            for entry in dataset_files.manifest():
                dataset_files.verify(entry)
                print(f"ok  {entry.path}")
            print(f"ok  {dataset_files.verify_california_cache().relative_to(config.data_dir())}")
    except dataset_files.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"data folder: {config.data_dir()}")
    return 0


def _cmd_release(args) -> int:
    from autograder.course import Course

    for assignment in _assignments(args):
        Course(release=config.NOTEBOOKS_DIR).generate(assignment)
        print(f"released {assignment} -> {config.NOTEBOOKS_DIR / assignment}")
    return 0


def _cmd_autograde(args) -> int:
    from autograder.course import Course
    from autograder.grading.batch import DiskFull
    from autograder.grading.executor import ClusterUnavailable, DaskExecutor
    from autograder.grading.results import grade_table
    from autograder.reporting.progress import GradingProgress

    from autograder.grading.preflight import require_ready

    course = Course()
    progress = GradingProgress()
    try:  # before a cluster starts, an assignment is generated or the gradebook is written
        require_ready([assignment for assignment in _assignments(args) if course.students(assignment)])
    except NOT_READY as exc:
        print(f"error: nothing was graded: {exc}", file=sys.stderr)
        return EXIT_NOT_READY
    with DaskExecutor(args.jobs) as executor:
        try:
            for assignment in _assignments(args):
                students = course.students(assignment)
                if not students:
                    print(f"{assignment}: no submissions in {course.root / 'submitted'}")
                    continue
                print(f"{assignment}: {len(students)} submissions on {executor.describe()}", flush=True)
                progress.start(assignment, len(students))
                try:
                    results = course.autograde(assignment, progress=progress, executor=executor, regrade=args.regrade)
                finally:
                    progress.stop()
                print(grade_table(results))
        except NOT_READY as exc:
            print(f"error: nothing was graded: {exc}", file=sys.stderr)
            return EXIT_NOT_READY
        except (ClusterUnavailable, DiskFull) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_NOT_READY
    return 0


def _cmd_collect(args) -> int:
    from autograder.course import Course
    from autograder.intake.collect import collect_zip
    from autograder.notebooks import source_notebook

    if args.assignment not in config.assignments():
        raise SystemExit(f"unknown assignment {args.assignment}; known: {', '.join(config.assignments())}")
    course = Course()
    try:
        report = collect_zip(args.zip, course, args.assignment, source_notebook(args.assignment).name)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(report.summary())
    print(f"report: {course.root / 'collect' / (args.assignment + '.json')}")
    return 0


def _cmd_report(args) -> int:
    from autograder.course import Course
    from autograder.reporting.report import write_report

    course = Course()
    path = write_report(course, _assignments(args), Path(args.output) if args.output else course.root / "report.html")
    print(f"report: {path}")
    return 0


def _cmd_feedback(args) -> int:
    from autograder.course import Course

    course = Course()
    for assignment in _assignments(args):
        paths = course.feedback(assignment)
        for path in paths:
            print(f"feedback: {path}")
        if args.lms == "moodle":
            outcome = course.moodle_feedback(assignment, paths)
            print(f"moodle feedback zip: {outcome.path} ({len(outcome.filled)} students)")
            for line in outcome.unknown:
                print(f"  not in the zip: {line}")
    return 0


def _cmd_similarity(args) -> int:
    from autograder.course import Course
    from autograder.intake.similarity import summary

    course = Course()
    for assignment in _assignments(args):
        pairs = course.similarity(assignment)
        print(summary(assignment, pairs))
        print(f"similarity report: {course.layout.similarity(assignment)}")
    return 0


def _cmd_table(args) -> int:
    from autograder.course import Course
    from autograder.grading.results import grade_table
    from autograder.intake.similarity import summary

    course = Course()
    for assignment in _assignments(args):
        print(f"\n{assignment}\n{grade_table(course.results(assignment))}")
        if pairs := course.similar_pairs(assignment):
            print(summary(assignment, pairs))
    return 0


def _cmd_grades(args) -> int:
    from autograder.course import Course, GradeError

    course = Course()
    try:
        path = course.export_grades(Path(args.output) if args.output else course.root / "grades.csv")
    except GradeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"grades: {path}")
    with path.open(newline="") as stream:
        waiting = sum(row["manual_grading"].startswith("missing") for row in csv.DictReader(stream))
    if waiting:
        print(f"{waiting} submission(s) still have written answers to grade (column manual_grading): make formgrader")
    return _lms_grades(course, args) if args.lms else 0


def _lms_grades(course, args) -> int:
    from autograder.reporting.lms import LmsError

    try:
        if args.lms == "canvas":
            if not args.gradebook:
                raise LmsError("which Canvas gradebook? export it from Canvas (Grades, Export) and pass GRADEBOOK=file.csv")
            outcome = course.export_canvas(args.gradebook, _assignments(argparse.Namespace(assignments=[])),
                                           pending=args.pending)
        else:
            if not args.worksheet or not args.assignment:
                raise LmsError("which worksheet, of which assignment? pass WORKSHEET=file.csv ASSIGNMENT=id")
            outcome = course.export_moodle(args.worksheet, _assignments(argparse.Namespace(assignments=[args.assignment]))[0],
                                           pending=args.pending)
    except LmsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print("\n".join(outcome.lines()))
    return 0


def _cmd_formgrader(args) -> int:
    from autograder.reporting.formgrader import FormgraderError, serve

    try:
        return serve(port=args.port)
    except FormgraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE


def _cmd_demo(args) -> int:
    """Grade the samples of every assignment in a throwaway course, then check the outcome: the
    demo is the instructor's smoke test, so a reference short of full marks fails it."""
    from autograder.authoring.samples import EXPECTED, file_samples
    from autograder.course import Course
    from autograder.grading.preflight import require_ready
    from autograder.grading.results import grade_table
    from autograder.intake.similarity import summary as similarity_summary
    from autograder.reporting.report import write_report

    root = config.course_dir() / "demo"
    shutil.rmtree(root, ignore_errors=True)
    # Its own SQLite file, whatever COURSE_DB_URL says: the demo never touches a real gradebook.
    course = Course(root, database=f"sqlite:///{root / 'gradebook.db'}")
    problems = []
    try:
        require_ready(_assignments(args))  # before anything is filed or printed as being graded
        for assignment in _assignments(args):
            students = file_samples(course, assignment)
            print(f"\n== {assignment}: grading {len(students)} sample submissions in {root}")
            results = course.autograde(assignment, students)
            print(f"\n{grade_table(results)}")
            for path in course.feedback(assignment):
                print(f"feedback: {path}")
            print(similarity_summary(assignment, course.similarity(assignment)))
            problems += [f"{assignment} {r.student}: {problem}" for r in results
                         if (problem := EXPECTED[r.student](r)) is not None]
    except NOT_READY as exc:
        print(f"error: nothing was graded: {exc}", file=sys.stderr)
        return EXIT_NOT_READY
    print(f"grades: {course.export_grades(root / 'grades.csv')}")
    print(f"report: {write_report(course, _assignments(args), root / 'report.html')}")
    if problems:
        print("\nthe demo did not come out as it must:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    print("\ndemo ok: every reference earned every autograded point (its written answers wait for a person), "
          "every blank release 0, every partial sample its known score")
    return 0


def _cmd_publish(args) -> int:
    import datetime as dt

    from autograder.authoring import publish, schedule
    from autograder.course import stale_releases

    folder = args.to or config.publish_dir()
    if folder is None:
        print("error: where is the clone of the student repository? pass --to DIR or set COURSE_PUBLISH_DIR "
              "(make publish PUBLISH_DIR=...)", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        if not args.assignments:
            calendar, now = schedule.load(), dt.datetime.now(dt.timezone.utc)
            print(f"released by {schedule.schedule_file().name}: {', '.join(calendar.released_by(now)) or 'none yet'}")
            if (upcoming := calendar.next_release(now)) is not None:
                print(f"next: {upcoming[0]} on {upcoming[1]:%a %d %b %Y, %H:%M} ({calendar.timezone.key})")
        print(publish.publish(folder, args.assignments, stale_releases=stale_releases).summary())
    except (publish.PublishError, schedule.ScheduleError) as exc:
        print(f"error: nothing was published: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    return 0


# Each subcommand and the function that runs it, in one place a reader can grep.
COMMANDS = {
    "grade": _cmd_grade,
    "data": _cmd_data,
    "release": _cmd_release,
    "autograde": _cmd_autograde,
    "collect": _cmd_collect,
    "report": _cmd_report,
    "feedback": _cmd_feedback,
    "similarity": _cmd_similarity,
    "table": _cmd_table,
    "grades": _cmd_grades,
    "formgrader": _cmd_formgrader,
    "demo": _cmd_demo,
    "publish": _cmd_publish,
}
