"""Written answers graded by a person in nbgrader's formgrader, driven in a real browser.

One throwaway course of assignment 01 is graded once. Then Playwright, in Debian's Chromium
(``make browser`` installs it; ``make test`` does so first), opens the formgrader that ``make
formgrader`` starts, reads a written answer beside its rubric, gives points and a comment, and the
tests check that both reach ``make grades`` and the feedback, that no rubric reaches a student, and
that a student's HTML cannot run script in the grader's page.
"""

import csv
import os
import signal
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder import config
from autograder.course import Course
from autograder.reporting import formgrader
from autograder.notebooks import (compose_submission, is_written_answer, nbgrader_meta, read_notebook, released_notebook, solution_answers, source_notebook, split_mark_scheme)
from autograder.grading.preprocessors.rubrics import RERUN_NOTE
from autograder.grading.results import grade_table

pytestmark = pytest.mark.slow  # grades notebooks, starts JupyterLab and a browser

A01 = "01-perceptrons"
NAME = released_notebook(A01).name
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = config.REPO_ROOT / "test-artifacts"

OWN_WORDS = {
    "written-1": "One unit draws one straight line, and XOR's two true corners are diagonal, so no line "
                 "separates them. The hidden layer computes OR and NAND first; their AND is XOR.",
    "written-2": "The step has zero slope, so gradients vanish; the sigmoid always has a slope.",
}
COMMENT = "Clear geometric argument; name the inequality that fails for full rigour."
# A student's written answer and output (displayed, printed, an exception) that would run script in the
# grader's page if rendered raw.
HOSTILE_ANSWER = ('<script>window.__pwned = "markdown script"</script>\n\n'
                  '<img src="x" onerror="window.__pwned = \'markdown img\'">\n\n'
                  '<a href="javascript:window.__pwned = \'link\'" id="evil-link">read more</a>')
HOSTILE_OUTPUT = """from IPython.display import HTML, Javascript, SVG, display
display(HTML('<img src="x" onerror="window.__pwned = \\'html output\\'">'))
display(Javascript('window.__pwned = "javascript output"'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned = "svg"</script></svg>'))
display({"image/png": 'AAAA" onerror="window.__pwned = \\'png attribute\\'', "text/plain": "png"}, raw=True)
print('<img src="x" onerror="window.__pwned = \\'printed\\'">')
raise ValueError('<img src="x" onerror="window.__pwned = \\'traceback\\'">')
"""


def mark_scheme_lines(assignment: str) -> list[str]:
    """Distinctive lines of every rubric of *assignment*, as the source notebook has them."""
    nb = read_notebook(source_notebook(assignment))
    schemes = [split_mark_scheme(cell.source)[1] for cell in nb.cells if is_written_answer(cell)]
    return [re.sub(r"^\* \*\*\d+ points?\*\*: ", "", line)[:60] for scheme in schemes for line in scheme.splitlines()]


def _submissions() -> dict[str, nbformat.NotebookNode]:
    reference = solution_answers(A01)
    code = {k: v for k, v in reference.items() if not k.startswith("written")}
    writer = compose_submission(A01, {**code, **OWN_WORDS})
    deleted = compose_submission(A01, code)
    deleted.cells = [c for c in deleted.cells if nbgrader_meta(c).get("grade_id") != "written-1"]
    colab = compose_submission(A01, {**code, **OWN_WORDS})
    for cell in colab.cells:  # what Colab may do: every nbgrader field gone
        cell.metadata.pop("nbgrader", None)
    hostile = compose_submission(A01, {**code, "written-1": HOSTILE_ANSWER})
    hostile.cells.append(new_code_cell(HOSTILE_OUTPUT))
    return {"reference": compose_submission(A01, reference), "writer": writer, "deleted": deleted,
            "colab": colab, "hostile": hostile}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("formgrader") / "course"
    course = Course(root)
    for student, nb in _submissions().items():
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NAME)
    results = {r.student: r for r in course.autograde(A01, progress=lambda line: None)}
    return course, results


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not CHROMIUM.exists():
        message = "Debian's Chromium is not installed: run `make browser` (make test does it first)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # As the machine notes say: without the background-networking flags Chromium keeps dialling out.
    return {"executable_path": str(CHROMIUM), "args": [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]}


@pytest.fixture
def server(graded, tmp_path):
    course, _ = graded
    running = formgrader.start(course.root, port=_free_port())
    yield running
    running.stop()


def _cli(course: Course, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          env={**os.environ, "COURSE_DIR": str(course.root)}, cwd=config.REPO_ROOT, timeout=600)


def _submission_page(server, course: Course, student: str) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        notebook_id = gb.find_submission_notebook(NAME.removesuffix(".ipynb"), A01, student).id
    return f"{server.base}/formgrader/submissions/{notebook_id}/?index=0"


def _open_submission(page, url: str) -> None:
    """Open a submission in formgrader and wait for its scripts: the fields are in the page's HTML at once, but
    a field saves on change only once formgrader has fetched its grades and comments (formgrade.js binds the
    handlers then). Typing earlier, as a loaded machine lets the test do, is never saved."""
    page.goto(url)
    page.wait_for_selector("#written-1")
    page.wait_for_function("() => typeof formgrader !== 'undefined' && formgrader.grades && formgrader.grades.loaded"
                           " && formgrader.comments && formgrader.comments.loaded", timeout=120_000)


def _save(page, selector: str, value: str) -> None:
    """Type into a formgrader field and leave it; wait for the page's request that stores it."""
    with page.expect_response(lambda r: "/formgrader/api/" in r.url and r.request.method == "PUT") as reply:
        page.fill(selector, value)
        page.press(selector, "Tab")
    assert reply.value.ok, f"formgrader refused to save {selector}: {reply.value.status}"


def test_written_answers_wait_for_a_person_and_the_table_says_so(graded):
    _, results = graded
    reference = results["reference"]
    written = [t for t in reference.tests if t.written]
    assert [t.grade_id for t in written] == ["written-1", "written-2"]
    assert all(t.needs_grading and t.points == 0 for t in written)
    assert reference.score + reference.pending_points == reference.max_score == 21, grade_table([reference])
    table = grade_table([reference])
    assert "?/2" in table and "2 written answers to grade" in table


def test_a_deleted_written_answer_comes_back_empty_with_0_and_a_note(graded):
    _, results = graded
    deleted = results["deleted"]
    written = {t.grade_id: t for t in deleted.tests if t.written}
    assert written["written-1"].points == 0 and not written["written-1"].needs_grading
    assert written["written-2"].points == 0 and not written["written-2"].needs_grading  # left as released
    assert any("written-1" in note for note in deleted.notes), deleted.notes
    assert deleted.score == deleted.max_score - 4


def test_a_colab_stripped_notebook_still_shows_its_written_answers(graded):
    course, results = graded
    colab = results["colab"]
    assert colab.error is None and colab.score + colab.pending_points == colab.max_score, grade_table([colab])
    assert [t.grade_id for t in colab.tests if t.needs_grading] == ["written-1", "written-2"]
    autograded = read_notebook(course.layout.autograded(assignment=A01, student="colab") / NAME)
    answers = {nbgrader_meta(c).get("grade_id"): c.source for c in autograded.cells if is_written_answer(c)}
    assert answers == OWN_WORDS


def test_rubrics_are_beside_the_answers_for_the_grader_only(graded):
    course, _ = graded
    autograded = read_notebook(course.layout.autograded(assignment=A01, student="writer") / NAME)
    texts = [c.source for c in autograded.cells]
    answer = texts.index(OWN_WORDS["written-1"])
    assert "Rubric for `written-1`" in texts[answer + 1], "the rubric follows the answer it grades"
    assert RERUN_NOTE in texts[answer + 1], "the rubric warns that the graded copy is the grader's own run"
    lines = mark_scheme_lines(A01)
    assert lines and all(any(line in text for text in texts) for line in lines)
    feedback = "\n".join(p.read_text() for p in course.feedback(A01))
    release = Path(course.release_dir / A01 / NAME).read_text() + released_notebook(A01).read_text()
    for line in lines:
        assert line not in feedback, f"rubric text in a student's feedback: {line!r}"
        assert line not in release, f"rubric text in the student release: {line!r}"


def test_every_release_and_its_feedback_pipeline_keep_rubrics_out():
    from autograder.grading.preprocessors import HideRubrics, ShowRubrics

    for assignment in config.assignments():
        lines = mark_scheme_lines(assignment)
        assert len(lines) >= 6, f"{assignment}: two or three written questions, each with a rubric"
        release = released_notebook(assignment).read_text()
        assert not [line for line in lines if line in release], assignment
        nb = read_notebook(released_notebook(assignment))
        resources = {"nbgrader": {"assignment": assignment}}
        shown, _ = ShowRubrics().preprocess(nb, resources)
        assert all(any(line in c.source for c in shown.cells) for line in lines), assignment
        hidden, _ = HideRubrics().preprocess(shown, resources)
        assert not [line for c in hidden.cells for line in lines if line in c.source], assignment


def test_a_score_and_comment_given_in_formgrader_reach_the_grades_and_the_feedback(graded, server, page):
    course, results = graded
    page.goto(server.url)
    _open_submission(page, _submission_page(server, course, "writer"))
    body = page.inner_text("body")
    assert OWN_WORDS["written-1"][:40] in body and "Rubric for written-1" in body.replace("`", "")
    assert mark_scheme_lines(A01)[0] in body, "the rubric is on the page, beside the answer"
    _save(page, "#written-1", "2")
    _save(page, "#written-1-comment", COMMENT)
    # Above the cell's points or below zero: formgrader flags the field and stores the nearest valid score.
    _save(page, "#written-2", "5")
    assert page.input_value("#written-2") == "2"
    _save(page, "#written-2", "-1")
    assert page.input_value("#written-2") == "0"
    page.locator("#written-1").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "formgrader.png"), full_page=False)

    exported = _cli(course, "grades")
    assert exported.returncode == 0, exported.stderr
    rows = {row["student_id"]: row for row in csv.DictReader((course.root / "grades.csv").open())}
    auto = results["writer"].score
    assert float(rows["writer"]["score"]) == auto + 2, "2 points for written-1, 0 for written-2"
    assert rows["writer"]["manual_grading"] == "done"
    assert rows["reference"]["manual_grading"] == "missing: written-1 written-2"
    assert "still have written answers to grade" in exported.stdout
    table = _cli(course, "table", A01).stdout
    assert re.search(r"writer\s.*\b2/2\s+0/2\s", table), table

    made = _cli(course, "feedback", A01)
    assert made.returncode == 0, made.stderr
    feedback = (course.root / "feedback" / "writer" / A01 / NAME.replace(".ipynb", ".html")).read_text()
    assert COMMENT in feedback
    assert not [line for line in mark_scheme_lines(A01) if line in feedback]


def test_a_score_outside_the_cells_points_stops_the_export(graded, server):
    """The API formgrader's page calls stores any number; the export refuses it, naming the cell."""
    course, _ = graded
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gb:
        grade = gb.find_grade("written-2", NAME.removesuffix(".ipynb"), A01, "colab")
        grade.manual_score = 7
        gb.db.commit()
    before = (course.root / "grades.csv").read_bytes() if (course.root / "grades.csv").exists() else None
    refused = _cli(course, "grades")
    assert refused.returncode == 2
    assert "colab, 01-perceptrons, written-2: manual score 7 is outside 0..2" in refused.stderr
    after = (course.root / "grades.csv").read_bytes() if (course.root / "grades.csv").exists() else None
    assert after == before, "nothing exported"
    with Gradebook(course.db_url) as gb:
        grade = gb.find_grade("written-2", NAME.removesuffix(".ipynb"), A01, "colab")
        grade.manual_score = None
        gb.db.commit()


def test_a_students_html_cannot_run_script_in_the_graders_page(graded, server, page):
    course, results = graded
    assert results["hostile"].error is None
    page.goto(server.url)
    _open_submission(page, _submission_page(server, course, "hostile"))
    page.wait_for_timeout(1500)  # let any image error handler fire
    assert page.evaluate("window.__pwned") is None, page.evaluate("window.__pwned")
    body = page.inner_text("body")
    assert "<script>" in body and "read more" in body, "the answer is shown, its tags as text"
    page.get_by_text("read more").first.click(no_wait_after=True)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None, page.evaluate("window.__pwned")
    assert page.locator("#written-1").count() == 1, "the grader's page is still there, its score field unique"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what a shell's background job (`cmd &`) inherits


@pytest.mark.parametrize("stop, background", [(signal.SIGTERM, False), (signal.SIGHUP, False), (signal.SIGINT, False),
                                              (signal.SIGINT, True)],
                         ids=["SIGTERM", "SIGHUP", "Ctrl-C", "SIGINT-started-in-background"])
def test_make_formgrader_prints_an_address_that_opens_the_formgrader(graded, stop, background):
    """...and takes its JupyterLab down with it however it is stopped (SIGTERM once left the server
    running, orphaned, still serving the course with its token; SIGINT did nothing to one started with
    SIGINT ignored, as a background job is, before the command handled it itself)."""
    import urllib.request

    import psutil

    course, _ = graded
    process = subprocess.Popen([sys.executable, "-m", "autograder", "formgrader", "--port", str(_free_port())],
                               stdout=subprocess.PIPE, text=True, cwd=config.REPO_ROOT,
                               env={**os.environ, "COURSE_DIR": str(course.root)},
                               preexec_fn=_ignore_sigint if background else None)
    try:
        line = process.stdout.readline()
        assert line.startswith("formgrader: http://127.0.0.1:"), line
        with urllib.request.urlopen(line.split()[1], timeout=30) as reply:
            assert reply.status == 200 and b"formgrade" in reply.read().lower()
        token = line.split("token=")[1].split()[0]
        server = [p for p in psutil.process_iter(["cmdline"]) if token in " ".join(p.info["cmdline"] or [])]
        assert server, "JupyterLab runs with the printed token"
    finally:
        process.send_signal(stop)
        process.wait(timeout=60)
    gone, alive = psutil.wait_procs(server, timeout=30)
    assert not alive, f"JupyterLab outlived make formgrader stopped by {stop.name}"
    with pytest.raises(OSError):
        urllib.request.urlopen(line.split()[1], timeout=5)


def test_make_formgrader_before_any_grading_says_what_to_do(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "formgrader", "--port", str(_free_port())],
                          capture_output=True, text=True, cwd=config.REPO_ROOT, timeout=120,
                          env={**os.environ, "COURSE_DIR": str(tmp_path / "empty-course")})
    assert done.returncode == 2 and "nothing has been autograded there yet (run make autograde)" in done.stderr
