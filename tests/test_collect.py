"""LMS bulk downloads (Canvas and Moodle zips) filed as submissions, with nothing dropped silently."""

import datetime as dt
import json
import subprocess
import sys
import zipfile

import nbformat
import pytest
from nbgrader.utils import parse_utc

from autograder.collect import collect_zip, parse_member
from autograder.course import Course
from autograder.notebooks import compose_submission, read_notebook, released_notebook, solution_answers

A01 = "01-perceptrons"
NAME = released_notebook(A01).name


def _notebook(marker: str) -> bytes:
    nb = compose_submission(A01, solution_answers(A01))
    nb.metadata["marker"] = marker  # tells the versions apart after filing
    return nbformat.writes(nb).encode()


def _zip(path, members: dict) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, (data, when) in members.items():
            info = zipfile.ZipInfo(name, date_time=when)
            zf.writestr(info, data)


MAY = (2026, 5, 1, 12, 0, 0)
LATER = (2026, 5, 2, 9, 30, 0)

CANVAS = {
    "smithj_12345_777001_01-perceptrons.ipynb": (_notebook("smith first"), MAY),
    "smithj_12345_777002_01-perceptrons-1.ipynb": (_notebook("smith resubmitted"), MAY),  # Canvas' re-submission suffix
    "doea_LATE_23456_777003_homework.ipynb": (_notebook("doe late"), LATER),
    "leeb_34567_777004_Untitled.ipynb": (_notebook("lee old"), MAY),
    "leeb_34567_777005_Untitled.ipynb": (_notebook("lee new"), LATER),  # same name, newer time stamp
    "smithj_12345_777006_notes.txt": (b"my notes", MAY),
    "homework.ipynb": (_notebook("nobody"), MAY),
    "__MACOSX/._homework.ipynb": (b"junk", MAY),
}

MOODLE = {
    "Jane Roe_1001_assignsubmission_file_/01-perceptrons.ipynb": (_notebook("roe"), MAY),
    "Max Mustermann_1002_assignsubmission_file_/Kopie von 01-perceptrons.ipynb": (_notebook("max"), LATER),
    "Max Mustermann_1002_assignsubmission_file_/scratch.py": (b"print(1)", LATER),
}


def _marker(course, student):
    return read_notebook(course.submission_dir(student, A01) / NAME).metadata["marker"]


def test_canvas_zip_keeps_the_latest_and_reports_the_rest(tmp_path, monkeypatch):
    schedule_file = tmp_path / "schedule.toml"
    schedule_file.write_text('timezone = "Europe/Berlin"\n')
    monkeypatch.setenv("COURSE_SCHEDULE", str(schedule_file))
    archive = tmp_path / "canvas.zip"
    _zip(archive, CANVAS)
    course = Course(tmp_path / "course")
    report = collect_zip(archive, course, A01, NAME)
    assert set(report.collected) == {"smithj", "doea", "leeb"}
    assert _marker(course, "smithj") == "smith resubmitted" and _marker(course, "leeb") == "lee new"
    assert _marker(course, "doea") == "doe late"
    assert set(report.superseded) == {"smithj", "leeb"}
    assert sorted(report.unmatched) == ["homework.ipynb", "smithj_12345_777006_notes.txt"]
    stamp = (course.submission_dir("leeb", A01) / "timestamp.txt").read_text().strip()
    # The zip's local time, in the course's time zone, which nbgrader turns into UTC.
    assert stamp == "2026-05-02 09:30:00+02:00"
    assert parse_utc(stamp) == dt.datetime(2026, 5, 2, 7, 30)
    saved = json.loads((course.root / "collect" / f"{A01}.json").read_text())
    assert saved["unmatched"] == report.unmatched and "homework.ipynb" in report.summary()


def test_moodle_zip_files_one_folder_per_student(tmp_path):
    archive = tmp_path / "moodle.zip"
    _zip(archive, MOODLE)
    course = Course(tmp_path / "course")
    report = collect_zip(archive, course, A01, NAME)
    assert set(report.collected) == {"moodle-1001", "moodle-1002"}
    assert _marker(course, "moodle-1002") == "max"
    assert report.unmatched == ["Max Mustermann_1002_assignsubmission_file_/scratch.py"]
    assert course.students(A01) == ["moodle-1001", "moodle-1002"]


def test_a_second_collection_replaces_the_first(tmp_path):
    course = Course(tmp_path / "course")
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    _zip(first, {"smithj_12345_1_a.ipynb": (_notebook("one"), MAY)})
    _zip(second, {"smithj_12345_2_b.ipynb": (_notebook("two"), LATER)})
    collect_zip(first, course, A01, NAME)
    collect_zip(second, course, A01, NAME)
    assert _marker(course, "smithj") == "two"
    assert [p.name for p in course.submission_dir("smithj", A01).glob("*.ipynb")] == [NAME]


@pytest.mark.parametrize("name, student", [
    ("abc_1_2_x.ipynb", "abc"), ("ABC_LATE_1_2_x-3.ipynb", "abc"),
    ("A B_99_assignsubmission_file_/x.ipynb", "moodle-99"), ("x.ipynb", None), ("a_b_c.ipynb", None)])
def test_parse_member(name, student):
    parsed = parse_member(zipfile.ZipInfo(name, date_time=MAY))
    assert (parsed.student if parsed else None) == student


def test_cli_collect_and_unreadable_zip(tmp_path):
    archive = tmp_path / "moodle.zip"
    _zip(archive, MOODLE)
    env_run = lambda *args: subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,  # noqa: E731
                                           env={**__import__("os").environ, "COURSE_DIR": str(tmp_path / "course")})
    done = env_run("collect", A01, str(archive))
    assert done.returncode == 0 and "2 students collected" in done.stdout and "scratch.py" in done.stdout
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    done = env_run("collect", A01, str(tmp_path / "broken.zip"))
    assert done.returncode == 2 and "not a readable zip" in done.stderr
