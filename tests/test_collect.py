"""LMS bulk downloads (Canvas and Moodle zips) filed as submissions, with nothing dropped silently."""

import datetime as dt
import json
import subprocess
import sys
import zipfile

import nbformat
import pytest
from nbgrader.utils import parse_utc

from autograder.course import Course
from autograder.intake.collect import collect_zip, parse_member
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
    return read_notebook(course.submission_dir(assignment=A01, student=student) / NAME).metadata["marker"]


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
    stamp = (course.submission_dir(assignment=A01, student="leeb") / "timestamp.txt").read_text().strip()
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
    assert [p.name for p in course.submission_dir(assignment=A01, student="smithj").glob("*.ipynb")] == [NAME]


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


def test_moodle_students_are_known_by_their_top_folder_only(tmp_path):
    """A folder inside one student's upload, named like a classmate's Moodle folder or a Canvas
    file, files that notebook under its own student, and every classmate keeps their own."""
    archive = tmp_path / "moodle.zip"
    _zip(archive, {
        **MOODLE,
        "Eve Evil_1003_assignsubmission_file_/Jane Roe_1001_assignsubmission_file_/01-perceptrons.ipynb":
            (_notebook("eve as roe"), LATER),
        "Eve Evil_1003_assignsubmission_file_/x/Max Mustermann_1002_assignsubmission_file_/a.ipynb":
            (_notebook("eve as max"), LATER),
        "Eve Evil_1003_assignsubmission_file_/smithj_12345_777001_01-perceptrons.ipynb": (_notebook("eve as smith"), MAY),
        "somewhere/smithj_12345_777001_01-perceptrons.ipynb": (_notebook("nested canvas"), MAY),
    })
    course = Course(tmp_path / "course")
    report = collect_zip(archive, course, A01, NAME)
    assert set(report.collected) == {"moodle-1001", "moodle-1002", "moodle-1003"}
    assert _marker(course, "moodle-1001") == "roe" and _marker(course, "moodle-1002") == "max"
    assert _marker(course, "moodle-1003").startswith("eve as")
    assert len(report.superseded["moodle-1003"]) == 2
    assert "somewhere/smithj_12345_777001_01-perceptrons.ipynb" in report.unmatched
    assert course.students(A01) == ["moodle-1001", "moodle-1002", "moodle-1003"]


def test_a_bad_time_stamp_is_a_note_not_the_end_of_the_run(tmp_path):
    archive = tmp_path / "canvas.zip"
    _zip(archive, {"smithj_12345_777001_a.ipynb": (_notebook("no date"), (1980, 0, 0, 0, 0, 0)),
                   "doea_23456_777003_b.ipynb": (_notebook("doe"), LATER)})
    course = Course(tmp_path / "course")
    report = collect_zip(archive, course, A01, NAME)
    assert set(report.collected) == {"smithj", "doea"}
    assert _marker(course, "smithj") == "no date"
    assert not (course.submission_dir(assignment=A01, student="smithj") / "timestamp.txt").exists()
    assert (course.submission_dir(assignment=A01, student="doea") / "timestamp.txt").exists()
    assert "lateness is not recorded" in report.notes["smithj_12345_777001_a.ipynb"]
    assert "lateness is not recorded" in report.summary()


def test_members_over_the_size_limit_are_refused_as_a_stream(tmp_path, monkeypatch):
    """A zip bomb (a few hundred KB that unpack to 40 MB) is refused by its declared size, and a
    member whose header understates its size is read no further than it declares, then refused
    (its bytes do not check out);
    a classmate in the same archive is filed, and nothing else is written."""
    monkeypatch.setenv("COURSE_NOTEBOOK_LIMIT_MB", "1")
    archive = tmp_path / "bomb.zip"
    bomb = b"{" + b" " * (40 << 20) + b"}"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("bomber_1_2_x.ipynb", date_time=MAY), bomb, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr(zipfile.ZipInfo("liar_3_4_x.ipynb", date_time=MAY), bomb, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr(zipfile.ZipInfo("doea_5_6_x.ipynb", date_time=MAY), _notebook("doe"))
    assert archive.stat().st_size < 1 << 20
    # The liar's central-directory entry claims 1000 bytes (offset 24 of the entry: uncompressed size).
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        liar = zf.getinfo("liar_3_4_x.ipynb")
    entry = data.index(b"PK\x01\x02")
    while data[entry + 46:entry + 46 + len(liar.filename)] != liar.filename.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = (1000).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    course = Course(tmp_path / "course")
    report = collect_zip(archive, course, A01, NAME)
    assert liar.file_size > 1 << 20
    assert set(report.collected) == {"doea"}
    assert "the limit is 1 MB" in report.notes["bomber_1_2_x.ipynb"]
    assert report.notes["liar_3_4_x.ipynb"].startswith("refused")
    assert course.students(A01) == ["doea"]
    written = sum(p.stat().st_size for p in (course.root / "submitted").rglob("*") if p.is_file())
    assert written < 1 << 20


@pytest.mark.parametrize("name", ["../x_1_2_f.ipynb", ".._1_2_f.ipynb", "a/b_1_2_f.ipynb", "-rf_1_2_f.ipynb",
                                  "x/.._1_2_f.ipynb"])
def test_no_member_name_is_a_path_outside_submitted(name):
    assert parse_member(zipfile.ZipInfo(name, date_time=MAY)) is None
