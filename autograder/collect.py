"""File an LMS bulk download (a zip) as nbgrader submissions: submitted/<student>/<assignment>/.

Two naming conventions are understood (the same job as ``nbgrader zip_collect`` with a
FileNameCollectorPlugin regex, plus Moodle's folders and a report of what was left over):

* **Canvas**: ``<login>[_LATE]_<user id>_<submission id>_<file name>``, where Canvas appends
  ``-1``, ``-2``, ... to the file name of a re-submission;
* **Moodle**: ``<Full Name>_<participant id>_assignsubmission_file_/<file name>`` (a folder per student).

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

from . import schedule

CANVAS = re.compile(r"^(?P<login>[^_/]+)(?:_(?P<late>LATE))?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$")
CANVAS_RESUBMISSION = re.compile(r"-(\d+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assignsubmission_(?:file|onlinetext)_?$")


@dataclass
class Submission:
    student: str
    member: str           # path inside the zip
    timestamp: dt.datetime
    attempt: int = 0       # Canvas re-submission number
    late: bool = False


@dataclass
class CollectReport:
    assignment: str
    collected: dict[str, str] = field(default_factory=dict)    # student -> file in the zip that was filed
    superseded: dict[str, list[str]] = field(default_factory=dict)  # student -> older files not filed
    unmatched: list[str] = field(default_factory=list)          # files no convention explains

    def summary(self) -> str:
        lines = [f"{self.assignment}: {len(self.collected)} students collected"]
        for student, older in sorted(self.superseded.items()):
            lines.append(f"  {student}: kept {self.collected[student]}, superseded {', '.join(older)}")
        if self.unmatched:
            lines.append(f"  {len(self.unmatched)} file(s) could not be matched to a student:")
            lines += [f"    {name}" for name in self.unmatched]
        return "\n".join(lines)


def parse_member(info: zipfile.ZipInfo) -> Submission | None:
    """Who handed in this zip member, or None if no convention explains its name."""
    path = PurePosixPath(info.filename)
    stamp = dt.datetime(*info.date_time)
    if len(path.parts) >= 2:
        folder = MOODLE_FOLDER.match(path.parts[-2])
        if folder:
            return Submission(f"moodle-{folder['participant']}", info.filename, stamp)
    canvas = CANVAS.match(path.name)
    if canvas:
        stem = PurePosixPath(canvas["file"]).stem
        attempt = CANVAS_RESUBMISSION.search(stem)
        return Submission(canvas["login"].lower(), info.filename, stamp, int(attempt[1]) if attempt else 0,
                          bool(canvas["late"]))
    return None


def collect_zip(archive: Path, course, assignment: str, notebook_name: str) -> CollectReport:
    """File every student's latest notebook from *archive* under *course*; return what happened."""
    report = CollectReport(assignment)
    calendar = schedule.load()
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, FileNotFoundError) as exc:
        raise ValueError(f"{archive}: not a readable zip file ({exc})") from None
    with zf:
        candidates: dict[str, list[Submission]] = {}
        for info in zf.infolist():
            if info.is_dir() or PurePosixPath(info.filename).name.startswith(".") or "__MACOSX" in info.filename:
                continue
            submission = parse_member(info) if info.filename.lower().endswith(".ipynb") else None
            if submission is None:
                report.unmatched.append(info.filename)
                continue
            candidates.setdefault(submission.student, []).append(submission)
        for student, submissions in sorted(candidates.items()):
            submissions.sort(key=lambda s: (s.attempt, s.timestamp, s.member))
            latest = submissions[-1]
            folder = course.submission_dir(student, assignment)
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("*.ipynb"):
                old.unlink()  # a new collection replaces an older one
            (folder / notebook_name).write_bytes(zf.read(latest.member))
            # With its UTC offset: nbgrader would read a bare time as UTC.
            stamp = calendar.local_time(latest.timestamp).isoformat(sep=" ")
            (folder / "timestamp.txt").write_text(stamp + "\n")
            report.collected[student] = latest.member
            if len(submissions) > 1:
                report.superseded[student] = [s.member for s in submissions[:-1]]
    path = course.root / "collect" / f"{assignment}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(report), indent=2) + "\n")
    return report
