"""Grades and feedback in the files Canvas and Moodle import, on the golden samples in tests/lms/
(what the LMS exports, see its README): right row, right column, nothing guessed, same bytes again.
The round trip from a graded class is in tests/test_course.py."""

import csv
import zipfile
from pathlib import Path

import pytest

from autograder.reporting import lms

GOLDEN = Path(__file__).parent / "lms"
A01 = "01-perceptrons"


def _grades(**scores):
    return [lms.Grade(student, A01, score, 21.0, waiting, f"{score:g}/21 points.")
            for student, (score, waiting) in scores.items()]


def _rows(path):
    with path.open(newline="") as stream:
        return list(csv.reader(stream))


def test_canvas_fills_its_own_column_and_keeps_everything_else(tmp_path):
    grades = _grades(smithj=(17.0, ()), reference=(21.0, ()), blank=(0.0, ("written-1",)), stranger=(5.0, ()))
    out = lms.fill_canvas(GOLDEN / "canvas_gradebook.csv", grades, {"smithj": "12345"}, tmp_path / "canvas.csv")
    before, after = _rows(GOLDEN / "canvas_gradebook.csv"), _rows(tmp_path / "canvas.csv")
    column = before[0].index("01-perceptrons (4101)")
    assert after[0] == before[0] and after[1] == before[1], "header and Points Possible row unchanged"
    by_login = {row[3]: row for row in after[2:]}
    assert by_login["smithj"][column] == "17.00" and by_login["reference"][column] == "21.00"
    assert by_login["blank"][column] == "" and out.pending == [f"{A01} blank: written-1"]
    assert out.unknown == [f"{A01} stranger"]
    assert f"{A01} Absent, Nora (ID 20009)" in out.missing and f"{A01} Student, Test (ID 99999)" in out.missing
    # Every other cell is as Canvas wrote it.
    for old, new in zip(before, after):
        assert old[:column] + old[column + 1:] == new[:column] + new[column + 1:]
    again = lms.fill_canvas(GOLDEN / "canvas_gradebook.csv", grades, {"smithj": "12345"}, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "canvas.csv").read_bytes() and again.filled == out.filled


def test_canvas_matches_the_user_id_before_the_login(tmp_path):
    # Filed as "jsmith" (the name in Canvas' file name) but Canvas' user 12345, whose login is smithj.
    out = lms.fill_canvas(GOLDEN / "canvas_gradebook.csv", _grades(jsmith=(9.0, ())), {"jsmith": "12345"},
                          tmp_path / "canvas.csv")
    rows = _rows(tmp_path / "canvas.csv")
    assert out.filled == [f"{A01} jsmith"] and rows[2][rows[0].index("01-perceptrons (4101)")] == "9.00"


def test_canvas_gets_a_new_column_for_an_assignment_it_does_not_have(tmp_path):
    grades = [lms.Grade("reference", "02-linear-regression", 14.0, 16.0)]
    out = lms.fill_canvas(GOLDEN / "canvas_gradebook.csv", grades, {}, tmp_path / "canvas.csv")
    rows = _rows(tmp_path / "canvas.csv")
    column = rows[0].index("02-linear-regression")
    assert rows[0][column + 1] == "Current Points", "before Canvas' read-only totals"
    assert rows[1][column] == "16.00" and rows[3][column] == "14.00" and "creates this assignment" in out.notes[0]
    assert all(len(row) == len(rows[0]) for row in rows)


def test_pending_written_answers_can_refuse_the_export(tmp_path):
    with pytest.raises(lms.LmsError, match="written-2"):
        lms.fill_canvas(GOLDEN / "canvas_gradebook.csv", _grades(blank=(0.0, ("written-2",))), {},
                        tmp_path / "canvas.csv", pending="refuse")
    assert not (tmp_path / "canvas.csv").exists()


def test_a_file_that_is_not_a_canvas_export_is_refused(tmp_path):
    (tmp_path / "other.csv").write_text("name,score\nann,3\n")
    with pytest.raises(lms.LmsError, match="CSV Canvas exports"):
        lms.fill_canvas(tmp_path / "other.csv", _grades(ann=(3.0, ())), {}, tmp_path / "out.csv")


def test_moodle_worksheet_grade_and_comments_on_its_own_scale(tmp_path):
    grades = _grades(**{"moodle-1001": (21.0, ()), "moodle-1002": (10.5, ()), "moodle-2000": (3.0, ())})
    out = lms.fill_moodle_worksheet(GOLDEN / "moodle_worksheet.csv", grades, tmp_path / "moodle.csv")
    before, after = _rows(GOLDEN / "moodle_worksheet.csv"), _rows(tmp_path / "moodle.csv")
    header = after[0]
    assert header == before[0]
    rows = {row[0]: row for row in after[1:]}
    assert rows["Participant 1001"][header.index("Grade")] == "100.00"
    assert rows["Participant 1002"][header.index("Grade")] == "50.00"
    assert rows["Participant 1002"][header.index("Feedback comments")].startswith("10.5/21 points.")
    assert rows["Participant 1003"] == before[3], "no submission: the row is left as Moodle wrote it"
    assert out.unknown == [f"{A01} moodle-2000"] and out.missing == ["Participant 1003 (Ann Other)"]
    assert rows["Participant 1001"][header.index("Last modified (grade)")] == "-"


def test_moodle_feedback_zip_files_each_student_in_their_own_folder(tmp_path):
    feedback = {}
    for student in ("moodle-1001", "moodle-1002", "smithj"):
        path = tmp_path / "feedback" / student / A01 / f"{A01}.html"
        path.parent.mkdir(parents=True)
        path.write_text(f"<html>{student}</html>")
        feedback[student] = path
    collected = {"moodle-1001": "Jane Roe_1001_assignsubmission_file_/01-perceptrons.ipynb",
                 "moodle-1002": "Max Mustermann_1002_assignsubmission_file_/Kopie von 01-perceptrons.ipynb",
                 "smithj": "smithj_12345_777002_01-perceptrons-1.ipynb"}
    out = lms.moodle_feedback_zip(feedback, collected, tmp_path / "feedback.zip")
    with zipfile.ZipFile(tmp_path / "feedback.zip") as archive:
        members = {info.filename: archive.read(info).decode() for info in archive.infolist()}
    assert members == {"Jane Roe_1001_assignsubmission_file_/01-perceptrons.html": "<html>moodle-1001</html>",
                       "Max Mustermann_1002_assignsubmission_file_/01-perceptrons.html": "<html>moodle-1002</html>"}
    assert out.unknown == ["smithj: not collected from a Moodle download, so no folder to file it in"]
    first = (tmp_path / "feedback.zip").read_bytes()
    lms.moodle_feedback_zip(feedback, collected, tmp_path / "feedback.zip")
    assert (tmp_path / "feedback.zip").read_bytes() == first, "the same feedback, the same zip"


def test_make_grades_passes_the_lms_files_through(tmp_path):
    """The Makefile's variables reach the command: an empty course fills nothing and says so."""
    import os
    import subprocess

    from autograder import config

    env = {**os.environ, "COURSE_DIR": str(tmp_path / "course")}
    canvas = subprocess.run(["make", "-s", "grades", "LMS=canvas", f"GRADEBOOK={GOLDEN / 'canvas_gradebook.csv'}"],
                            cwd=config.REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert canvas.returncode == 0, canvas.stderr
    assert "0 grade(s) written to" in canvas.stdout and "nothing graded yet" in canvas.stdout
    assert (tmp_path / "course" / "lms" / "canvas-canvas_gradebook.csv").is_file()
    moodle = subprocess.run(["make", "-s", "grades", "LMS=moodle", f"WORKSHEET={GOLDEN / 'moodle_worksheet.csv'}"],
                            cwd=config.REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert moodle.returncode != 0 and "ASSIGNMENT=id" in moodle.stderr
