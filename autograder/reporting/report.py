"""The instructor's report: one HTML page over the latest autograding run of each assignment.

Per assignment: the score distribution, the pass rate of every test (hardest first: which hidden
tests students fail most), the grading time per notebook, and every submission that could not be
graded, with the reason, and the pairs ``make similarity`` flagged. Grades made without a sandbox
(``COURSE_SANDBOX=off``) are called out.
Reads ``results/<assignment>.json``, which ``Course.autograde`` writes.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from pathlib import Path


def _png(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _histogram(scores: list[float], max_score: float, title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    figure, axis = plt.subplots(figsize=(5, 2.6))
    axis.hist(scores, bins=min(20, max(1, int(max_score)) + 1), range=(0, max_score), color="#4878a8", rwidth=0.9)
    axis.set(xlabel="score", ylabel="students", title=title)
    axis.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axis.grid(axis="y", alpha=0.3)
    image = _png(figure)
    plt.close(figure)
    return image


def pass_rates(results) -> list[tuple[str, float, int, float]]:
    """(test, pass rate, students graded, points) for every test, lowest pass rate first."""
    graded = [r for r in results if not r.error and r.tests]
    rates = {}
    for result in graded:
        for test in result.tests:
            if test.needs_grading:  # a written answer nobody has graded yet has passed or failed nothing
                continue
            passed, total, points = rates.get(test.grade_id, (0, 0, test.max_points))
            rates[test.grade_id] = (passed + test.passed, total + 1, points)
    rows = [(grade_id, passed / total, total, points) for grade_id, (passed, total, points) in rates.items()]
    return sorted(rows, key=lambda row: (row[1], row[0]))


def similarity_section(pairs: list[dict[str, str]]) -> str:
    """The pairs ``make similarity`` flagged, if it ran: for a person to read, never a grade."""
    e = html.escape
    if not pairs:
        return "<h3>Similar code</h3><p>no pairs flagged (or <code>make similarity</code> has not run)</p>"
    rows = "".join(f"<tr><td>{e(p['first'])}</td><td>{e(p['second'])}</td>"
                   f"<td>{max(float(p['share_of_first']), float(p['share_of_second'])):.0%}</td></tr>" for p in pairs)
    return (f'<h3>Similar code</h3><p class="warn">{len(pairs)} pair(s) of submissions share most of their own code '
            "(side by side in similarity/&lt;assignment&gt;.html). Flagged for you to read; no grade was changed.</p>"
            f"<table><tr><th>student</th><th>student</th><th>shared</th></tr>{rows}</table>")


def assignment_section(assignment: str, results) -> str:
    e = html.escape
    graded = [r for r in results if not r.error]
    errors = [r for r in results if r.error]
    max_score = max((r.max_score for r in results), default=0)
    scores = [r.score for r in graded]
    parts = [f"<h2>{e(assignment)}</h2>"]
    if scores:
        parts.append(
            f"<p>{len(results)} submissions: {len(graded)} graded, {len(errors)} not gradable. "
            f"Score (of {max_score:g}): mean {statistics.mean(scores):.1f}, median {statistics.median(scores):g}, "
            f"min {min(scores):g}, max {max(scores):g}; {sum(s == max_score for s in scores)} full marks.</p>")
        parts.append(_histogram(scores, max_score, f"{assignment}: score distribution"))
    written = [t for r in graded for t in r.tests if t.written]
    if written:
        waiting = [r for r in graded if r.ungraded_written]
        parts.append(f"<p>Written answers: {len(written) - sum(t.needs_grading for t in written)} of {len(written)} "
                     f"graded by a person. " + (
                         f'<span class="warn">{len(waiting)} submission(s) still have ungraded written answers '
                         f"(scores above count them as 0): run <code>make formgrader</code>.</span>" if waiting else
                         "All graded.") + "</p>")
    unsandboxed = [r.student for r in graded if not r.sandboxed]
    if unsandboxed:
        parts.append(f'<p class="warn">{len(unsandboxed)} grade(s) made <b>unsandboxed</b> (COURSE_SANDBOX=off): '
                     f"{e(', '.join(unsandboxed))}. Their notebooks ran with the grader's own rights.</p>")
    parts.append("<h3>Pass rate per test (hardest first)</h3><table><tr><th>test</th><th>points</th>"
                 "<th>passed</th><th>pass rate</th></tr>")
    for grade_id, rate, total, points in pass_rates(results):
        bar = f'<span class="bar" style="width:{rate * 200:.0f}px"></span>'
        parts.append(f"<tr><td>{e(grade_id)}</td><td>{points:g}</td><td>{round(rate * total)}/{total}</td>"
                     f"<td>{bar} {rate:.0%}</td></tr>")
    parts.append("</table>")
    seconds = sorted((r.seconds, r.student) for r in results)
    if seconds:
        parts.append(f"<h3>Grading time per notebook</h3><p>median {statistics.median(s for s, _ in seconds):.0f} s, "
                     f"total {sum(s for s, _ in seconds):.0f} s; slowest: "
                     + ", ".join(f"{e(student)} {s:.0f} s" for s, student in reversed(seconds[-5:])) + "</p>")
    parts.append(f"<h3>Not gradable ({len(errors)})</h3>")
    if errors:
        parts.append("<table><tr><th>student</th><th>reason</th></tr>"
                     + "".join(f"<tr><td>{e(r.student)}</td><td>{e(r.error)}</td></tr>" for r in errors) + "</table>")
    else:
        parts.append("<p>none</p>")
    notes = [r for r in results if r.notes]
    if notes:
        parts.append("<h3>Notes</h3><ul>" + "".join(
            f"<li>{e(r.student)}: {e('; '.join(r.notes))}</li>" for r in notes) + "</ul>")
    return "\n".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 60em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
td, th { border-bottom: 1px solid #ddd; padding: 0.2em 0.8em; text-align: left; }
.bar { display: inline-block; height: 0.8em; background: #4878a8; }
.warn { background: #fff3cd; padding: 0.5em; }
"""


def write_report(course, assignments: list[str], destination: Path) -> Path:
    sections = []
    for assignment in assignments:
        results = course.last_run(assignment, refreshed=True)  # manual grades made since count
        if results:
            sections.append(assignment_section(assignment, results) + similarity_section(course.similar_pairs(assignment)))
    body = "\n".join(sections) or "<p>No assignment has been autograded yet: run <code>make autograde</code>.</p>"
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>Grading report</title>"
                           f"<style>{STYLE}</style></head><body><h1>Grading report</h1>\n{body}\n</body></html>\n")
    return destination
