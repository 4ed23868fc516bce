"""Pairs of submissions whose own code is alike, flagged for a person to read: never a grade.

Only what a student wrote is compared: the code of the answer cells (nbgrader's solution cells) of
the notebook that was graded. Everything the release hands out, and the reference answers, are
boilerplate, removed before comparing: 83 of the course's points reward code the text dictates,
which honest students write much alike, and matching it is following the text, not copying.

The fingerprints are copydetect's (a maintained package; winnowed k-grams of tokens, the algorithm
behind MOSS, with every variable, function and class name replaced by one letter and comments and
strings dropped), so renamed variables and reordered functions leave a copy as alike as before.
MOSS itself is a web service (no network here), JPlag and Dolos need a JVM or Node. A pair is
flagged when either side has at least ``THRESHOLD`` of its own fingerprinted tokens in common with
the other and the overlap is at least ``MIN_TOKENS`` long (a few shared lines are not a case).
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.notebooks import (compose_submission, nbgrader_meta, read_notebook, released_notebook, solution_answers)

THRESHOLD = 0.6
# Honest answers of a whole notebook are a few KB; what is compared of one submission stops here, so a
# notebook stuffed with code (intake allows 1 MB per cell) cannot make the comparison of the class slow.
MAX_CODE_CHARS = 100_000
MIN_TOKENS = 60
NOISE = 20        # copydetect's k: token runs shorter than this are never evidence
GUARANTEE = 30    # every shared run this long is found (window = GUARANTEE - NOISE + 1)


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    share_first: float    # of the first's own code, the part found in the second's
    share_second: float
    tokens: int
    first_html: str       # the code, escaped, the shared parts marked
    second_html: str

    @property
    def share(self) -> float:
        return max(self.share_first, self.share_second)


def answer_code(notebook, scaffold: frozenset[str] = frozenset()) -> str:
    """The student's own code: every code answer cell, in notebook order, but those left as the
    release gave them (*scaffold*: "# YOUR CODE HERE" is nobody's code, and two blanks are not a pair)."""
    code = "\n\n".join(cell.source for cell in notebook.cells
                       if cell.cell_type == "code" and nbgrader_meta(cell).get("solution")
                       and cell.source.strip() not in scaffold)
    return code[:MAX_CODE_CHARS]


def scaffold_sources(assignment: str) -> frozenset[str]:
    """The answer cells of the release, as students receive them."""
    release = read_notebook(released_notebook(assignment))
    return frozenset(cell.source.strip() for cell in release.cells
                     if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"))


def boilerplate_code(assignment: str) -> str:
    """What every student starts from or is told to write: the release's code, and the reference
    answers (also joined as ``answer_code`` joins a submission's cells, so that where one answer
    cell meets the next is not taken for a student's own code)."""
    release = read_notebook(released_notebook(assignment))
    reference = compose_submission(assignment, solution_answers(assignment))
    return "\n\n".join([cell.source for cell in release.cells if cell.cell_type == "code"]
                       + list(solution_answers(assignment).values()) + [answer_code(reference)])


def _stable_kgram_hashes(string: str, k: int) -> np.ndarray:
    """copydetect's k-gram hashes, from a BLAKE2 digest instead of Python's hash(), which
    changes with every process (PYTHONHASHSEED): the same class must give the same pairs every run."""
    return np.array([int.from_bytes(hashlib.blake2b(string[i:i + k].encode(), digest_size=8).digest(), "little",
                                    signed=True) for i in range(len(string) - k + 1)], dtype=np.int64)


def compare(codes: dict[str, str], boilerplate: str) -> list[Pair]:
    """Every pair of *codes* (student -> code) above the threshold, most alike first."""
    import copydetect.utils
    from copydetect import CodeFingerprint, compare_files
    from copydetect.utils import highlight_overlap

    copydetect.utils.hashed_kgrams = _stable_kgram_hashes  # the one function copydetect hashes with

    # Every k-gram of the boilerplate (window 1, as copydetect does), not only its winnowed ones.
    base = CodeFingerprint("boilerplate.py", NOISE, 1, fp=io.StringIO(boilerplate))
    prints = {student: CodeFingerprint(f"{student}.py", NOISE, GUARANTEE - NOISE + 1, boilerplate=list(base.hashes),
                                       fp=io.StringIO(code))
              for student, code in sorted(codes.items()) if code.strip()}
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        tokens, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        if tokens < MIN_TOKENS or max(share_a, share_b) < THRESHOLD:
            continue
        marked_a, _ = highlight_overlap(prints[a].raw_code, slices_a, "<mark>", "</mark>", escape_html=True)
        marked_b, _ = highlight_overlap(prints[b].raw_code, slices_b, "<mark>", "</mark>", escape_html=True)
        pairs.append(Pair(a, b, float(share_a), float(share_b), int(tokens), marked_a, marked_b))
    return sorted(pairs, key=lambda p: (-p.share, p.first, p.second))


def write_csv(pairs: list[Pair], destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    with destination.open("w", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["first", "second", "share_of_first", "share_of_second", "shared_tokens"])
        writer.writerows([p.first, p.second, f"{p.share_first:.3f}", f"{p.share_second:.3f}", p.tokens] for p in pairs)
    return destination


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="") as stream:
        return list(csv.DictReader(stream))


def write_html(assignment: str, pairs: list[Pair], compared: int, destination: Path) -> Path:
    """Side by side, the shared parts marked; the students' code is escaped (it is hostile text)."""
    rows = [f"<h2>{html.escape(p.first)} and {html.escape(p.second)}: {p.share_first:.0%} / {p.share_second:.0%} "
            f"shared ({p.tokens} tokens)</h2><div class='pair'><pre>{p.first_html}</pre><pre>{p.second_html}</pre></div>"
            for p in pairs]
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(
        "<!doctype html><meta charset='utf-8'><title>similar code: " + html.escape(assignment) + "</title>"
        "<style>body{font-family:sans-serif;margin:2em}.pair{display:flex;gap:1em}"
        "pre{flex:1;background:#f6f6f6;padding:.5em;overflow:auto;font-size:12px}mark{background:#ffd54f}</style>"
        f"<h1>{html.escape(assignment)}: similar code</h1>"
        f"<p>{compared} submissions compared on the code of their answer cells (the release and the reference "
        f"answers removed as boilerplate); {len(pairs)} pair(s) with at least {THRESHOLD:.0%} of one side's code "
        "in common. This flags code for a person to read; it decides nothing and changes no grade.</p>"
        + "".join(rows))
    return destination


def summary(assignment: str, pairs: list[dict[str, str]] | list[Pair]) -> str:
    """One line per flagged pair, for the grade table and the demo."""
    if not pairs:
        return f"{assignment}: no pairs of submissions with similar code"
    lines = [f"{assignment}: {len(pairs)} pair(s) of submissions with similar code (make similarity; flagged, not graded):"]
    for p in pairs:
        first, second, share = ((p.first, p.second, p.share) if isinstance(p, Pair) else
                                (p["first"], p["second"], max(float(p["share_of_first"]), float(p["share_of_second"]))))
        lines.append(f"  {first} ~ {second}: {share:.0%}")
    return "\n".join(lines)
