"""schedule.toml: release and due dates, read strictly; due dates reach the gradebook, and a late
submission collected from an LMS zip is marked late (and, under a "zero" policy, scores 0)."""

import datetime as dt
import zipfile

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import config
from autograder.authoring import schedule
from autograder.course import Course
from autograder.grading import nbgrader_settings
from autograder.grading.sandbox import Limits
from autograder.intake.collect import collect_zip
from autograder.notebooks import compose_submission, released_notebook, solution_answers

A01, A02 = config.assignments()[:2]
UTC = dt.timezone.utc


def write(tmp_path, text: str):
    path = tmp_path / "schedule.toml"
    path.write_text(text)
    return path


def test_the_repositorys_schedule_is_valid_and_complete():
    calendar = schedule.load()
    assert set(calendar.dates) == set(config.assignments()), "every assignment has its dates"
    assert all(d.release and d.due for d in calendar.dates.values())
    releases = [calendar.of(a).release for a in config.assignments()]
    assert releases == sorted(releases), "released in course order"


def test_local_times_dates_alone_and_order(tmp_path):
    calendar = schedule.load(write(tmp_path, f'timezone = "Europe/Berlin"\nlate_penalty = "zero"\n'
                                             f'[{A01}]\nrelease = 2027-03-01T09:00:00\ndue = 2027-03-12\n'
                                             f'[{A02}]\nrelease = 2027-03-08T09:00:00+00:00\n'))
    assert calendar.late_penalty == "zero"
    assert schedule.as_utc(calendar.of(A01).release) == dt.datetime(2027, 3, 1, 8, 0), "09:00 in Berlin is 08:00 UTC"
    assert calendar.of(A01).due.time() == dt.time(23, 59, 59), "a date alone means the end of that day"
    assert schedule.as_utc(calendar.of(A02).release) == dt.datetime(2027, 3, 8, 9, 0), "an explicit offset is kept"
    assert calendar.released_by(dt.datetime(2027, 3, 5, tzinfo=UTC)) == [A01]
    assert calendar.released_by(dt.datetime(2027, 3, 9, tzinfo=UTC)) == [A01, A02]
    assert calendar.next_release(dt.datetime(2027, 3, 5, tzinfo=UTC))[0] == A02
    assert calendar.of("not-scheduled") == schedule.Dates()


@pytest.mark.parametrize("text, message", [
    ('[99-nothing]\ndue = 2027-01-01\n', "is not an assignment"),
    ('timezone = "Mars/Olympus"\n', "unknown timezone"),
    ('late_penalty = "half"\n', "late_penalty must be one of none, zero"),
    (f'[{A01}]\ndue = "next Friday"\n', "must be a date"),
    (f'[{A01}]\nopens = 2027-01-01\n', "only release = and due ="),
    (f'[{A01}]\nrelease = 2027-02-01\ndue = 2027-01-01\n', "due before it is released"),
    ('[broken\n', "not valid TOML"),
])
def test_a_bad_schedule_names_its_fault(tmp_path, text, message):
    with pytest.raises(schedule.ScheduleError, match=message):
        schedule.load(write(tmp_path, text))


def test_no_schedule_file_means_no_dates(tmp_path):
    calendar = schedule.load(tmp_path / "absent.toml")
    assert calendar.dates == {} and calendar.late_penalty == "none"


def test_due_dates_reach_the_gradebook_and_the_policy_nbgraders_config(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_SCHEDULE", str(write(
        tmp_path, f'timezone = "Australia/Melbourne"\nlate_penalty = "zero"\n[{A01}]\ndue = 2027-03-12T23:59:00\n')))
    course = Course(tmp_path / "course")
    course.generate(A01)
    with Gradebook(course.db_url, "default_course") as gb:
        assert gb.find_assignment(A01).duedate == dt.datetime(2027, 3, 12, 12, 59), "stored as UTC (AEDT is +11)"
    assert nbgrader_settings.nbgrader_config(tmp_path / "course").LateSubmissionPlugin.penalty_method == "zero"


@pytest.mark.slow
def test_a_late_submission_from_the_lms_is_marked_late_and_penalised(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_SCHEDULE", str(write(
        tmp_path, f'timezone = "Europe/Berlin"\nlate_penalty = "zero"\n[{A01}]\ndue = 2026-05-01T23:59:00\n')))
    reference = nbformat.writes(compose_submission(A01, solution_answers(A01)))
    archive = tmp_path / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # zip times are the LMS's local wall clock
        zf.writestr(zipfile.ZipInfo("ontime_101_201_a.ipynb", date_time=(2026, 5, 1, 23, 30, 0)), reference)
        zf.writestr(zipfile.ZipInfo("late_102_202_a.ipynb", date_time=(2026, 5, 2, 0, 30, 0)), reference)
    course = Course(tmp_path / "course")
    collect_zip(archive, course, A01, released_notebook(A01).name)
    results = {r.student: r for r in course.autograde(A01, progress=lambda m: None, jobs=2,
                                                       limits=Limits(seconds=300, memory_mb=None, processes=512))}
    assert results["ontime"].score == 17 and results["ontime"].max_score == 21
    assert results["late"].score == 0, "the same notebook, handed in half an hour late, scores 0 under 'zero'"
    assert results["late"].note().startswith("late by 0:31:00 (-17 points)")
    assert not results["ontime"].note().startswith("late")
    assert course.results(A01)[0].late_penalty == 17, "the table and the report read the same from the gradebook"
    with Gradebook(course.db_url, "default_course") as gb:
        assert gb.find_submission(A01, "ontime").total_seconds_late == 0
        assert gb.find_submission(A01, "late").total_seconds_late == 31 * 60
