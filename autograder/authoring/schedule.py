"""The term's calendar: when each assignment is released to students and when it is due.

Read from ``schedule.toml`` at the repository root (or ``COURSE_SCHEDULE``). Times there are local to
the course's ``timezone``; here they are aware datetimes. Due dates go into nbgrader's gradebook
(``Course.generate``), release dates decide what ``make publish`` publishes, and the same time zone
reads the time stamps of an LMS download (``collect``), which are local times.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autograder import config

PENALTIES = ("none", "zero")  # nbgrader's LateSubmissionPlugin methods


class ScheduleError(ValueError):
    """The schedule file cannot be used; the message names the file and what is wrong in it."""


@dataclass(frozen=True)
class Dates:
    release: dt.datetime | None = None
    due: dt.datetime | None = None


@dataclass(frozen=True)
class Schedule:
    timezone: ZoneInfo
    late_penalty: str
    dates: dict[str, Dates]

    def of(self, assignment: str) -> Dates:
        return self.dates.get(assignment, Dates())

    def released_by(self, moment: dt.datetime) -> list[str]:
        """Assignments whose release time has come at *moment*, in course order."""
        return [a for a, d in sorted(self.dates.items()) if d.release is not None and d.release <= moment]

    def next_release(self, moment: dt.datetime) -> tuple[str, dt.datetime] | None:
        upcoming = sorted((d.release, a) for a, d in self.dates.items() if d.release is not None and d.release > moment)
        return (upcoming[0][1], upcoming[0][0]) if upcoming else None

    def local_time(self, naive: dt.datetime) -> dt.datetime:
        """A wall-clock time of the course (an LMS time stamp) as an aware datetime."""
        return naive.replace(tzinfo=self.timezone)


def schedule_file() -> Path:
    return Path(os.environ.get("COURSE_SCHEDULE", config.REPO_ROOT / "schedule.toml"))


def load(path: Path | None = None, known: list[str] | None = None) -> Schedule:
    """The schedule in *path*; every table must name a known assignment and hold only dates."""
    path = Path(path or schedule_file())
    known = known if known is not None else config.assignments()
    if not path.is_file():
        return Schedule(ZoneInfo("UTC"), "none", {})
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScheduleError(f"{path}: not valid TOML ({exc})") from None
    try:
        zone = ZoneInfo(str(raw.pop("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(f"{path}: unknown timezone ({exc})") from None
    penalty = raw.pop("late_penalty", "none")
    if penalty not in PENALTIES:
        raise ScheduleError(f"{path}: late_penalty must be one of {', '.join(PENALTIES)}, not {penalty!r}")
    dates = {}
    for assignment, table in raw.items():
        if assignment not in known:
            raise ScheduleError(f"{path}: [{assignment}] is not an assignment; known: {', '.join(known)}")
        if not isinstance(table, dict) or set(table) - {"release", "due"}:
            raise ScheduleError(f"{path}: [{assignment}] may hold only release = and due = dates")
        dates[assignment] = Dates(**{key: _aware(value, zone, path, f"{assignment}.{key}") for key, value in table.items()})
        if dates[assignment].release and dates[assignment].due and dates[assignment].due < dates[assignment].release:
            raise ScheduleError(f"{path}: {assignment} is due before it is released")
    return Schedule(zone, penalty, dates)


def _aware(value, zone: ZoneInfo, path: Path, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, dt.date):  # a date alone: the end of that day
        return dt.datetime.combine(value, dt.time(23, 59, 59), tzinfo=zone)
    raise ScheduleError(f"{path}: {where} must be a date or a date and time, not {value!r}")


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Naive UTC, the way nbgrader stores due dates and time stamps."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
