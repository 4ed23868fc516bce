"""Grades and feedback back to the LMS, in the files its own import pages read and write.

* **Canvas** (Grades, Import): a copy of the gradebook CSV Canvas exported (Grades, Export) with one
  column per graded assignment. A column whose header is the assignment id, or Canvas' own
  ``<name> (<id>)`` for it, is filled; otherwise a column is added (Canvas then creates that
  assignment) with its points on the ``Points Possible`` row. Every other column and row is kept.
  A student is the row whose ``ID`` is the Canvas user id ``make collect`` read from the file name
  of the submission, else whose ``SIS Login ID`` is the login it was filed under.
* **Moodle** (Assignment, View all submissions, Upload grading worksheet): the assignment's grading
  worksheet with ``Grade`` (on the worksheet's ``Maximum Grade``) and ``Feedback comments`` filled
  for each ``Participant N`` that ``make collect`` filed as ``moodle-N``; and the zip that "Upload
  multiple feedback files in a zip" takes: each student's HTML feedback in the folder that student's
  submission came in (``<Full name>_<N>_assignsubmission_file_``), which is how Moodle matches them.

Nothing is guessed: a graded student with no row, and a row with no graded student, are listed on
screen and in a side file (``<output>.unmatched.txt``). Written answers not graded yet leave that
student's cell as it was, with a note (or refuse the export, ``pending="refuse"``). The score is
nbgrader's after late penalties. Re-running on the same files writes the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.intake.collect import CANVAS, MOODLE_FOLDER

POINTS_POSSIBLE = "Points Possible"
# Columns Canvas computes itself (read-only on import): new assignment columns go before them.
CANVAS_COMPUTED = re.compile(r"^(Current|Unposted Current|Final|Unposted Final) (Points|Score|Grade)$")
PARTICIPANT = re.compile(r"^Participant (\d+)$")
PENDING = ("note", "refuse")
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so the same feedback gives the same zip


class LmsError(ValueError):
    """The LMS file cannot be filled as asked; nothing was written."""


@dataclass(frozen=True)
class Grade:
    student: str
    assignment: str
    score: float            # after late penalties
    max_score: float
    waiting: tuple[str, ...] = ()  # written answers no person has graded yet
    summary: str = ""       # one line for the student: score per test, the tests lost


@dataclass
class Outcome:
    path: Path
    filled: list[str] = field(default_factory=list)           # "<assignment> <student>"
    unknown: list[str] = field(default_factory=list)          # graded, but no row in the LMS file
    missing: list[str] = field(default_factory=list)          # a row in the LMS file, nothing graded
    pending: list[str] = field(default_factory=list)          # written answers still to grade
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{len(self.filled)} grade(s) written to {self.path}"]
        for title, items in (("graded, but not in the LMS file (nothing written for them)", self.unknown),
                             ("in the LMS file, but nothing graded", self.missing),
                             ("written answers not graded yet: cell left as it was (make formgrader)", self.pending)):
            if items:
                out += [f"{len(items)} {title}:"] + [f"  {item}" for item in items]
        return out + self.notes

    def write_side_file(self) -> Path:
        side = self.path.with_name(self.path.stem + ".unmatched.txt")
        side.write_text("\n".join(self.lines()[1:]) + "\n")
        return side


def _read_csv(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel and Canvas may write a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise LmsError(f"{path}: cannot read it as a UTF-8 CSV file ({exc})") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise LmsError(f"{path}: empty")
    return rows


def _write_csv(rows: list[list[str]], destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def _number(value: float) -> str:
    return f"{value:.2f}"


def _refuse_pending(grades: list[Grade], pending: str) -> None:
    if pending not in PENDING:
        raise LmsError(f"pending must be one of {', '.join(PENDING)}, not {pending!r}")
    waiting = [f"{g.assignment} {g.student}: {', '.join(g.waiting)}" for g in grades if g.waiting]
    if pending == "refuse" and waiting:
        raise LmsError("written answers are not graded yet (make formgrader), so nothing was exported:\n  "
                       + "\n  ".join(waiting))


def _placed(outcome: Outcome, grade: Grade, row: int | None, graded_rows: set[int]) -> bool:
    """Note where *grade* goes; True if its cell is to be written (it has a row, and no written answer waits)."""
    if row is None:
        outcome.unknown.append(f"{grade.assignment} {grade.student}")
        return False
    graded_rows.add(row)
    if grade.waiting:
        outcome.pending.append(f"{grade.assignment} {grade.student}: {', '.join(grade.waiting)}")
        return False
    return True


# --- Canvas --------------------------------------------------------------------------------------

def canvas_user_ids(collected: dict[str, str]) -> dict[str, str]:
    """Student -> Canvas user id, from what ``make collect`` filed (student -> member in the zip)."""
    ids = {}
    for student, member in collected.items():
        match = CANVAS.match(PurePosixPath(member).name)
        if match:
            ids[student] = match["user"]
    return ids


def fill_canvas(gradebook: Path, grades: list[Grade], user_ids: dict[str, str], destination: Path,
                *, pending: str = "note") -> Outcome:
    """A copy of Canvas' *gradebook* export with a column per assignment of *grades* filled."""
    _refuse_pending(grades, pending)
    rows = _read_csv(gradebook)
    header = rows[0]
    for needed in ("Student", "ID", "SIS Login ID"):
        if needed not in header:
            raise LmsError(f"{gradebook}: no {needed!r} column: is this the CSV Canvas exports from Grades?")
    id_column, login_column = header.index("ID"), header.index("SIS Login ID")
    rows = [row + [""] * (len(header) - len(row)) for row in rows]
    header = rows[0]
    points_row = next((i for i, row in enumerate(rows[1:], 1) if row[0].strip() == POINTS_POSSIBLE), None)
    # Student rows carry a Canvas user id; "Points Possible" and Canvas' "Manual Posting" row do not.
    student_rows = [i for i, row in enumerate(rows[1:], 1) if row[id_column].strip().isdigit()]
    by_id = {rows[i][id_column].strip(): i for i in student_rows}
    by_login = {rows[i][login_column].strip().lower(): i for i in student_rows if rows[i][login_column].strip()}

    outcome = Outcome(destination)
    if not grades:
        outcome.notes.append("nothing graded yet (make autograde): no column was added or filled")
    for assignment in sorted({g.assignment for g in grades}):
        column = _canvas_column(header, assignment)
        if column is None:
            column = next((i for i, name in enumerate(header) if CANVAS_COMPUTED.match(name)), len(header))
            header.insert(column, assignment)
            for i, row in enumerate(rows[1:], 1):
                row.insert(column, "")
            if points_row is not None:
                rows[points_row][column] = _number(max(g.max_score for g in grades if g.assignment == assignment))
            outcome.notes.append(f"new column {assignment!r}: Canvas creates this assignment when it imports the file")
        graded_rows = set()
        for grade in sorted((g for g in grades if g.assignment == assignment), key=lambda g: g.student):
            row = by_id.get(user_ids.get(grade.student, "")) or by_login.get(grade.student.lower())
            if not _placed(outcome, grade, row, graded_rows):
                continue
            rows[row][column] = _number(grade.score)
            outcome.filled.append(f"{assignment} {grade.student}")
        outcome.missing += [f"{assignment} {rows[i][0]} (ID {rows[i][id_column]})"
                            for i in student_rows if i not in graded_rows]
    _write_csv(rows, destination)
    return outcome


def _canvas_column(header: list[str], assignment: str) -> int | None:
    for i, name in enumerate(header):
        if name == assignment or re.fullmatch(rf"{re.escape(assignment)}\b.* \(\d+\)", name):
            return i
    return None


# --- Moodle --------------------------------------------------------------------------------------

def fill_moodle_worksheet(worksheet: Path, grades: list[Grade], destination: Path, *, pending: str = "note") -> Outcome:
    """A copy of one assignment's Moodle grading *worksheet* with Grade and Feedback comments filled."""
    _refuse_pending(grades, pending)
    if len({g.assignment for g in grades}) > 1:
        raise LmsError("a Moodle grading worksheet belongs to one assignment: pass ASSIGNMENT=id")
    rows = _read_csv(worksheet)
    header = rows[0]
    for needed in ("Identifier", "Grade"):
        if needed not in header:
            raise LmsError(f"{worksheet}: no {needed!r} column: is this the assignment's grading worksheet?")
    if "Feedback comments" not in header:
        header.append("Feedback comments")
    rows = [row + [""] * (len(header) - len(row)) for row in rows]
    header = rows[0]
    ident, grade_column = header.index("Identifier"), header.index("Grade")
    maximum = header.index("Maximum Grade") if "Maximum Grade" in header else None
    comments = header.index("Feedback comments")
    by_student = {f"moodle-{m[1]}": i for i, row in enumerate(rows[1:], 1) if (m := PARTICIPANT.match(row[ident].strip()))}

    outcome, graded = Outcome(destination), set()
    for grade in sorted(grades, key=lambda g: g.student):
        row = by_student.get(grade.student)
        if not _placed(outcome, grade, row, graded):
            continue
        scale = 1.0
        if maximum is not None and rows[row][maximum].strip():
            try:
                moodle_max = float(rows[row][maximum])
            except ValueError:
                raise LmsError(f"{worksheet}: Maximum Grade {rows[row][maximum]!r} is not a number") from None
            scale = moodle_max / grade.max_score if grade.max_score else 1.0
        rows[row][grade_column] = _number(grade.score * scale)
        rows[row][comments] = grade.summary + (f" (scaled to {rows[row][maximum]} points in Moodle)" if scale != 1 else "")
        outcome.filled.append(f"{grade.assignment} {grade.student}")
    outcome.missing += [f"{rows[i][ident]} ({rows[i][1] if len(rows[i]) > 1 else ''})"
                        for i in sorted(by_student.values()) if i not in graded]
    _write_csv(rows, destination)
    return outcome


def moodle_feedback_zip(feedback: dict[str, Path], collected: dict[str, str], destination: Path) -> Outcome:
    """The zip for Moodle's "upload multiple feedback files in a zip": student -> feedback HTML, each
    filed in the folder that student's submission came in."""
    outcome = Outcome(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for student, html in sorted(feedback.items()):
            member = collected.get(student)
            folder = PurePosixPath(member).parts[0] if member and len(PurePosixPath(member).parts) > 1 else None
            if folder is None or not MOODLE_FOLDER.match(folder):
                outcome.unknown.append(f"{student}: not collected from a Moodle download, so no folder to file it in")
                continue
            info = zipfile.ZipInfo(f"{folder}/{html.name}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, html.read_bytes())
            outcome.filled.append(student)
    return outcome


def read_collected(path: Path) -> dict[str, str]:
    """Student -> the zip member ``make collect`` filed, from its record *path* ({} if nothing was collected)."""
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text()).get("collected", {}))


def grades_from_export(rows: list[dict[str, str]], results: dict[tuple[str, str], object]) -> list[Grade]:
    """Grades from nbgrader's CSV (``Course.export_grades``: score after late penalties, and
    ``manual_grading``: "" where nothing was handed in) and each student's result, for the summary."""
    grades = []
    for row in rows:
        if not row.get("manual_grading"):
            continue  # no submission: nothing to send, and the LMS row is reported as missing
        key = (row["assignment"], row["student_id"])
        waiting = tuple(row["manual_grading"][len("missing:"):].split()) if row["manual_grading"].startswith("missing") else ()
        score, max_score = float(row["score"] or 0), float(row["max_score"] or 0)
        grades.append(Grade(row["student_id"], row["assignment"], score, max_score, waiting,
                            feedback_summary(results.get(key), score, max_score)))
    return grades


def feedback_summary(result, score: float, max_score: float) -> str:
    """A short text for the LMS' comment box: the score, the tests lost, every test's points, a late penalty."""
    text = f"{score:g}/{max_score:g} points."
    if result is None:
        return text
    lost = [f"{t.grade_id} {t.points:g}/{t.max_points:g}" for t in result.tests if t.points < t.max_points]
    text += f" Lost: {', '.join(lost)}." if lost else " Every test passed."
    text += " Per test: " + ", ".join(f"{t.grade_id} {t.points:g}/{t.max_points:g}" for t in result.tests) + "."
    if getattr(result, "late_penalty", 0):
        text += f" Late: {result.late_penalty:g} points off."
    return text + " Details in the feedback file."
