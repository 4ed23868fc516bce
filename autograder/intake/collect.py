"""File an LMS bulk download (a zip) as nbgrader submissions: submitted/<student>/<assignment>/.

Two naming conventions are understood (the same job as ``nbgrader zip_collect`` with a
FileNameCollectorPlugin regex, plus Moodle's folders and a report of what was left over):

* **Canvas**: ``<login>[_LATE]_<user id>_<submission id>_<file name>``, where Canvas appends
  ``-1``, ``-2``, ... to the file name of a re-submission;
* **Moodle**: ``<Full Name>_<participant id>_assignsubmission_file_/<file name>`` (a folder per student).

Only what the LMS writes identifies a student: a Moodle member by its *top* folder alone (whatever
folders a student's own upload holds below it, named like anyone's), a Canvas member by its file
name at the top of the archive (Canvas downloads are flat, so a name found inside a folder is
nobody's). A student id is a plain name (letters, digits, ``.@+-``), never a path. A member with an
unreadable time stamp is filed with a note instead of a lateness, and a member larger than
``config.notebook_limit_mb()`` (declared or actual: it is copied as a stream with a byte limit, so a
zip bomb costs at most that) is refused with a note. Nothing is written outside ``submitted/`` and
``collect/``.

The student id is the Canvas login or ``moodle-<participant id>``. When a student has several
notebooks in the archive, the latest is kept: the highest re-submission number, then the newest
time stamp stored in the zip (local time of the course, ``schedule.toml``'s time zone). Every file in the archive ends up either filed or listed as unmatched
or superseded in the report; nothing is dropped silently. The time stamp is written to
``timestamp.txt``, where nbgrader reads it for late-submission penalties.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from autograder import config
from autograder.authoring import schedule

CANVAS = re.compile(r"^(?P<login>[^_/]+)(?:_(?P<late>LATE))?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
CANVAS_RESUBMISSION = re.compile(r"-(\d+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_(?:file|onlinetext)_?$")
# A student id becomes a folder name: a plain name, never ".." or anything with a separator.
STUDENT_ID = re.compile(r"^[a-z0-9][a-z0-9.@+-]*$")
COPY_CHUNK = 1 << 20


@dataclass
class Submission:
    student: str
    member: str           # path inside the zip
    timestamp: dt.datetime | None  # None: the zip's time stamp is not a date
    attempt: int = 0       # Canvas re-submission number
    late: bool = False


@dataclass
class CollectReport:
    assignment: str
    collected: dict[str, str] = field(default_factory=dict)    # student -> file in the zip that was filed
    superseded: dict[str, list[str]] = field(default_factory=dict)  # student -> older files not filed
    unmatched: list[str] = field(default_factory=list)          # files no convention explains
    notes: dict[str, str] = field(default_factory=dict)         # file in the zip -> what was wrong with it

    def summary(self) -> str:
        lines = [f"{self.assignment}: {len(self.collected)} students collected"]
        for student, older in sorted(self.superseded.items()):
            lines.append(f"  {student}: kept {self.collected[student]}, superseded {', '.join(older)}")
        for member, note in sorted(self.notes.items()):
            lines.append(f"  {member}: {note}")
        if self.unmatched:
            lines.append(f"  {len(self.unmatched)} file(s) could not be matched to a student:")
            lines += [f"    {name}" for name in self.unmatched]
        return "\n".join(lines)


def _zip_time(info: zipfile.ZipInfo) -> dt.datetime | None:
    try:
        return dt.datetime(*info.date_time)
    except ValueError:  # a DOS date of zero, or a damaged entry
        return None


def parse_member(info: zipfile.ZipInfo) -> Submission | None:
    """Who handed in this zip member, or None if no convention explains its name."""
    path = PurePosixPath(info.filename)
    stamp = _zip_time(info)
    if len(path.parts) >= 2:
        folder = MOODLE_FOLDER.match(path.parts[0])
        return Submission(f"moodle-{folder['participant']}", info.filename, stamp) if folder else None
    canvas = CANVAS.match(path.name)
    if canvas and STUDENT_ID.match(canvas["login"].lower()):
        stem = PurePosixPath(canvas["file"]).stem
        attempt = CANVAS_RESUBMISSION.search(stem)
        return Submission(canvas["login"].lower(), info.filename, stamp, int(attempt[1]) if attempt else 0,
                          bool(canvas["late"]))
    return None


def _copy_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int) -> bool:
    """Copy a member to *target* as a stream; False (and nothing left behind) past *limit* bytes,
    whatever the member declares."""
    written = 0
    partial = target.with_name(target.name + ".part")
    try:
        with zf.open(info) as source, partial.open("wb") as sink:
            while chunk := source.read(COPY_CHUNK):
                written += len(chunk)
                if written > limit:
                    return False
                sink.write(chunk)
        partial.replace(target)
        return True
    finally:
        partial.unlink(missing_ok=True)


def collect_zip(archive: Path, course, assignment: str, notebook_name: str) -> CollectReport:
    """File every student's latest notebook from *archive* under *course*; return what happened."""
    report = CollectReport(assignment)
    calendar = schedule.load()
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, FileNotFoundError) as exc:
        raise ValueError(f"{archive}: not a readable zip file ({exc})") from None
    limit = config.notebook_limit_mb() * 1024 * 1024
    with zf:
        candidates: dict[str, list[Submission]] = {}
        for info in zf.infolist():
            if info.is_dir() or "__MACOSX" in info.filename:
                continue
            if PurePosixPath(info.filename).name.startswith("."):
                report.unmatched.append(info.filename)
                continue
            submission = parse_member(info) if info.filename.lower().endswith(".ipynb") else None
            if submission is None:
                report.unmatched.append(info.filename)
                continue
            if info.file_size > limit:
                report.notes[info.filename] = (f"refused: {info.file_size / 2**20:.0f} MB, the limit is "
                                               f"{limit // 2**20} MB (COURSE_NOTEBOOK_LIMIT_MB)")
                continue
            candidates.setdefault(submission.student, []).append(submission)
        for student, submissions in sorted(candidates.items()):
            submissions.sort(key=lambda s: (s.attempt, s.timestamp or dt.datetime.min, s.member))
            folder = course.submission_dir(assignment=assignment, student=student)
            folder.mkdir(parents=True, exist_ok=True)
            while submissions:
                latest = submissions.pop()
                try:
                    filed = _copy_capped(zf, zf.getinfo(latest.member), folder / (notebook_name + ".new"), limit)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:  # damaged member
                    report.notes[latest.member] = f"refused: the zip entry cannot be read ({exc})"
                    continue
                if not filed:
                    report.notes[latest.member] = (f"refused: more than {limit // 2**20} MB once unpacked "
                                                   f"(COURSE_NOTEBOOK_LIMIT_MB)")
                    continue
                for old in folder.glob("*.ipynb"):
                    old.unlink()  # a new collection replaces an older one
                (folder / (notebook_name + ".new")).replace(folder / notebook_name)
                stamp_file = folder / "timestamp.txt"
                if latest.timestamp is None:
                    stamp_file.unlink(missing_ok=True)
                    report.notes[latest.member] = "filed without a time stamp: the zip's date is unreadable, so lateness is not recorded"
                else:
                    # With its UTC offset: nbgrader would read a bare time as UTC.
                    stamp_file.write_text(calendar.local_time(latest.timestamp).isoformat(sep=" ") + "\n")
                report.collected[student] = latest.member
                if submissions:
                    report.superseded[student] = [s.member for s in submissions]
                break
            if student not in report.collected and not any(folder.iterdir()):
                folder.rmdir()  # nothing filed: leave no empty submission behind
                if not any(folder.parent.iterdir()):
                    folder.parent.rmdir()
    path = course.layout.collected(assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(report), indent=2) + "\n")
    return report
