"""The similarity detector on its own (no grading): what it compares, what it flags, what it costs.
The flagged pairs of a graded class (and the report, the table) are in tests/test_course.py."""

from autograder import config
from autograder.intake import similarity
from autograder.notebooks import compose_submission, read_answers, solution_answers

A01 = "01-perceptrons"


def _codes(**answers):
    scaffold = similarity.scaffold_sources(A01)
    return {student: similarity.answer_code(compose_submission(A01, cells), scaffold) for student, cells in answers.items()}


def test_a_renamed_reordered_copy_is_flagged_and_the_reference_and_blank_are_not():
    partial = read_answers(config.SAMPLES_DIR / A01 / "partial.py")
    copied = read_answers(config.SAMPLES_DIR / A01 / "copied.py")
    codes = _codes(partial=partial, copied=copied, reference=solution_answers(A01), blank={}, other_blank={})
    assert codes["blank"] == "" and codes["reference"] != ""
    pairs = similarity.compare(codes, similarity.boilerplate_code(A01))
    assert [(p.first, p.second) for p in pairs] == [("copied", "partial")]
    assert pairs[0].share > 0.8 and pairs[0].tokens >= similarity.MIN_TOKENS
    assert "<mark>" in pairs[0].first_html


def test_student_code_is_escaped_in_the_report(tmp_path):
    hostile = "<script>alert(1)</script>"
    partial = read_answers(config.SAMPLES_DIR / A01 / "partial.py")
    marked = {k: v + f"\n# {hostile}\nx = '{hostile}'" for k, v in partial.items()}
    pairs = similarity.compare(_codes(a=marked, b=marked), similarity.boilerplate_code(A01))
    page = similarity.write_html(A01, pairs, 2, tmp_path / "s.html").read_text()
    assert pairs and "<script>" not in page and "&lt;script&gt;" in page


def test_a_notebook_stuffed_with_code_is_compared_only_up_to_the_cap():
    stuffed = {"ex1-threshold-unit": "\n".join(f"value_{i} = {i} * 2 + 1" for i in range(200_000))}
    codes = _codes(stuffed=stuffed, other=stuffed)
    assert len(codes["stuffed"]) == similarity.MAX_CODE_CHARS, "what is compared is capped"
    [pair] = similarity.compare(codes, similarity.boilerplate_code(A01))
    assert pair.share == 1.0


def test_the_same_class_gives_the_same_pairs_in_every_process():
    """copydetect hashes k-grams with Python's hash(), which PYTHONHASHSEED changes per process."""
    import json
    import os
    import subprocess
    import sys

    script = ("import json; from tests.test_similarity import _pairs; print(json.dumps(_pairs()))")
    runs = {subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": seed},
                           cwd=config.REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            for seed in ("1", "2", "3")}
    assert len(runs) == 1, runs
    assert ["copied", "partial"] in [pair[:2] for pair in json.loads(runs.pop())]


def _pairs():
    partial = read_answers(config.SAMPLES_DIR / A01 / "partial.py")
    copied = read_answers(config.SAMPLES_DIR / A01 / "copied.py")
    written = {k: v.replace("z", "value") for k, v in partial.items()}
    pairs = similarity.compare(_codes(partial=partial, copied=copied, written=written), similarity.boilerplate_code(A01))
    return [(p.first, p.second, round(p.share_first, 6), round(p.share_second, 6), p.tokens) for p in pairs]
