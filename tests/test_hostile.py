"""A batch of broken and hostile submissions, graded together in parallel under tight limits.

Each submission either earns exactly what its honest work deserves or gets a clear recorded
error; none of them stops the batch, and every student appears in the results and the table.
(Attempts on the grader itself, with before/after hashes of everything, are in test_redteam.py.)
(Edited and deleted test cells, and Colab-stripped notebooks, are in test_course.py and
test_colab.py; tampering with Keras methods in test_assignments.py.)
"""

import json
import shutil

import nbformat
import psutil
import pytest

from autograder.course import Course
from autograder.grading.results import grade_table
from autograder.grading.sandbox import Limits
from autograder.notebooks import compose_submission, released_notebook, solution_answers

# Grades notebooks; and measures the host's shared memory and disk around its batch, which only means
# something with nothing else running (conftest.py orders it after the background class batches).
pytestmark = [pytest.mark.slow, pytest.mark.alone]

A01, A02 = "01-perceptrons", "02-linear-regression"
NAME = released_notebook(A01).name
FULL = 17
REFERENCE = solution_answers(A01)
EX1 = "ex1-threshold-unit"


def _with(cell: str, extra: str) -> dict:
    """The reference answers with *extra* code appended to one answer cell."""
    return {**REFERENCE, cell: REFERENCE[cell] + "\n" + extra}


def _duplicated_cells():
    nb = compose_submission(A01, REFERENCE)
    test = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "test-heaviside")
    answer = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == EX1)
    for index in (test, answer):  # the copy right below the original, same grade id, its own cell id
        copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[index])))
        copy["id"] = f"{copy['id']}-copy"
        nb.cells.insert(index + 1 if index == test else index + 1, copy)
        test += index < test
    return nb


def _with_cell(source: str):
    nb = compose_submission(A01, REFERENCE)
    nb.cells.insert(3, nbformat.v4.new_code_cell(source))
    return nb


# student -> (what is in the folder, expected score or None for an error, text the error must contain)
HOSTILE = {
    "reference": (REFERENCE, FULL, None),
    "two-notebooks": (REFERENCE, FULL, None),  # plus a scratch notebook, which is named but not graded
    "corrupt-json": (b'{"cells": [', None, "not a Jupyter notebook"),
    "empty-file": (b"", None, "empty"),
    "other-assignment": (compose_submission(A02, solution_answers(A02)), None, "notebook of 02-linear-regression"),
    "sys-exit": (_with(EX1, "import sys\nsys.exit()"), FULL, None),
    "kernel-crash": (_with(EX1, "import os\nos._exit(1)"), None, "kernel died"),
    # Grows until the memory limit stops it with MemoryError; the answer above it still counts.
    "memory-bomb": (_with(EX1, "_hog = []\ntry:\n    while True:\n        _hog.append(bytearray(2 ** 27))\n"
                                "finally:\n    del _hog"), FULL, None),
    # Three processes of 1.2 GB, each below the 3 GB per-process limit, together over the job's 3 GB:
    # killed at the job's limit, alone, and said so (once graded 17/21 while holding 3.6 GB).
    "memory-bomb-processes": (_with(EX1, "import os, time\n_kids = []\nfor _ in range(3):\n    _pid = os.fork()\n"
                                         "    if _pid == 0:\n        _hog = b'x' * (1200 << 20)\n        time.sleep(20)\n"
                                         "        os._exit(0)\n    _kids.append(_pid)\n"
                                         "for _pid in _kids:\n    os.waitpid(_pid, 0)"),
                              None, "used more than 3072 MB of memory"),
    # Five files of 100 MB, each below any file-size limit, 500 MB in all on the grader's disk: stopped
    # at the job's disk quota (this batch: 300 MB) and said so.
    "disk-filler": (_with(EX1, "for _i in range(5):\n    with open(f'filler-{_i}', 'wb') as _f:\n"
                               "        for _ in range(100):\n            _f.write(b'x' * (1 << 20))"),
                    None, "wrote more than 300 MB of files"),
    # Tries to fill the sandbox's root, /dev and /etc (once unsized tmpfs on the host's shared memory,
    # 960 MB outside every limit): read-only, so each write is refused and the honest answer counts.
    "root-filler": (_with(EX1, "for _path in ('/filler', '/dev/filler', '/etc/filler'):\n    try:\n"
                               "        with open(_path, 'wb') as _f:\n            for _ in range(300):\n"
                               "                _f.write(b'x' * (1 << 20))\n    except OSError as _exc:\n"
                               "        print('refused', _path, _exc.errno)"), FULL, None),
    # Six busy processes for 3 s: they share this job's CPU share with each other, and the job is graded.
    "cpu-hog": (_with(EX1, "import os, time\n_kids = []\nfor _ in range(6):\n    _pid = os.fork()\n"
                           "    if _pid == 0:\n        _end = time.time() + 3\n        while time.time() < _end:\n"
                           "            pass\n        os._exit(0)\n    _kids.append(_pid)\n"
                           "for _pid in _kids:\n    os.waitpid(_pid, 0)"), FULL, None),
    "endless-loop": ({**REFERENCE, EX1: "while True:\n    pass"}, FULL - 2, None),
    # Swallows the interrupt the cell timeout sends; nbclient gives up on the kernel after a second timeout.
    "stubborn-loop": ({**REFERENCE, EX1: "while True:\n    try:\n        while True:\n            pass\n"
                                         "    except KeyboardInterrupt:\n        pass"}, None, "would not stop"),
    "huge-output": (_with(EX1, "for _i in range(200_000):\n    print('x' * 80)"), FULL, None),
    # 60 MB printed by one cell: cut as it arrives, at the output limit, in the worker (this batch: 1 MB).
    "output-flood": (_with(EX1, "for _i in range(60):\n    print('x' * 1_000_000)"), FULL, None),
    # A 5 MB cell: refused at intake, before anything parses it (once 40 s and 1.9 GB of the coordinator's).
    "huge-cell": (_with_cell("# " + "x" * (5 << 20)), None, "the limit is 1024 KB a cell"),
    "duplicated-cells": (_duplicated_cells(), FULL, None),
    # Reaches for the grader's checks to switch one off: they are not in the sandbox, and the
    # verdict is made outside it anyway. It earns what its (worse) iris answer earns.
    "rewrites-checks": ({**REFERENCE, "ex5-iris": REFERENCE["ex5-iris"].replace("eta0=1,", "eta0=0.5,")
                         + "\ntry:\n    import autograder.grading.checks.perceptrons as _checks\n"
                           "    _checks.sgd_equivalence = lambda *a: None\nexcept ImportError:\n    pass"},
                        FULL - 1, None),
    # Swallows every exception, so failing cells show no error: the blank exercise 1 records no
    # evidence, and its tests still fail.
    "hides-failures": ({**{k: v for k, v in REFERENCE.items() if k != EX1},
                        "ex2-gates": "get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)\n"
                                     + REFERENCE["ex2-gates"]}, FULL - 2, None),
    # Returns what the visible test expects for its one input instead of computing H(z); the
    # threshold unit built on it is right but inherits the wrong H, so both tests fail.
    "hard-coded": ({**REFERENCE, EX1: REFERENCE[EX1].replace("return (np.asarray(z) >= 0).astype(int)",
                                                             "return np.zeros(np.shape(z), int) if np.ndim(z) == 2 else np.array([0, 1, 1])")},
                   FULL - 2, None),
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    # The cell limit applies to honest cells too: 5 s was exceeded by them on a loaded machine; the
    # slowest honest cell of 01 takes about 2 s on a quiet one.
    course = Course(root, database=f"sqlite:///{root}/gradebook.db", timeout=15)
    for student, (content, _, _) in HOSTILE.items():
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        name = "my homework (2).ipynb" if student == "reference" else NAME  # any single notebook name works
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            nbformat.write(content if isinstance(content, nbformat.NotebookNode) else compose_submission(A01, content),
                           folder / name)
    # A second notebook beside the graded one is not graded, but named in the result.
    (course.submission_dir(assignment=A01, student="two-notebooks") / "scratch.ipynb").write_text("{}")
    lines = []
    before = _host(root)
    results = course.autograde(A01, progress=lines.append, jobs=3, limits=Limits(seconds=100, memory_mb=3072, processes=512,
                                                                                  output_kb=1024, disk_mb=300))
    return course, {r.student: r for r in results}, lines, (before, _host(root))


def _host(root) -> dict[str, int]:
    """What a job could leave behind on the grader: shared memory (tmpfs), disk, and memory in use (what the
    kernel cannot hand out again: a memory bomb's process left alive would hold GBs of it)."""
    memory = psutil.virtual_memory()
    return {"shared memory": memory.shared, "disk": shutil.disk_usage(root).used,
            "memory not available": memory.total - memory.available}


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_each_hostile_submission_gets_its_due(batch, student):
    course, results, _, _ = batch
    _, score, message = HOSTILE[student]
    result = results[student]
    if score is None:
        assert result.error and message in result.error, result
        assert result.score == 0 and course.errors(A01)[student] == result.error
    else:
        assert result.error is None and result.score == score, grade_table([result])
        assert result.max_score == FULL + 4, "duplicated cells must not add points (4: the written answers)"


def test_an_endless_loop_costs_its_own_cell_and_the_rest_is_graded(batch):
    """The cell limit interrupts exercise 1's loop: its two tests fail, every cell after it is graded."""
    _, results, _, _ = batch
    lost = {t.grade_id for t in results["endless-loop"].tests if not t.written and t.points < t.max_points}
    assert lost == {"test-heaviside", "test-threshold-unit"}, grade_table([results["endless-loop"]])


def test_nobody_is_lost_and_progress_is_shown(batch):
    course, results, lines, _ = batch
    assert set(results) == set(HOSTILE) == {r.student for r in course.results(A01)}
    assert len(lines) == len(HOSTILE) and lines[-1].startswith(f"[{len(HOSTILE)}/{len(HOSTILE)}]")
    assert "0 left" in lines[-1] and "failed" in lines[-1]
    table = grade_table(course.results(A01))
    assert all(student in table for student in HOSTILE)


def test_code_reaching_for_the_grader_is_noted_for_review(batch):
    _, results, _, _ = batch
    assert any(note.startswith("review:") and "autograder" in note for note in results["rewrites-checks"].notes)
    assert any(note.startswith("review:") and "set_custom_exc" in note for note in results["hides-failures"].notes)


def test_files_not_graded_are_named(batch):
    _, results, _, _ = batch
    assert "not graded: scratch.ipynb" in results["two-notebooks"].notes
    assert "graded 'my homework (2).ipynb' as 01-perceptrons.ipynb" in results["reference"].notes


def test_no_kernel_outlives_the_batch(batch):
    leftovers = [p for p in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
    assert not leftovers, leftovers


def test_an_output_flood_is_cut_where_it_is_collected(batch):
    course, results, _, _ = batch
    graded = (course.root / "autograded" / "output-flood" / A01 / NAME).read_text()
    assert "output truncated by the grader: this cell printed more than 1024 KB" in graded
    assert len(graded) < 4_000_000


def test_huge_output_is_cut_in_the_graded_notebook(batch):
    course, _, _, _ = batch
    graded = (course.root / "autograded" / "huge-output" / A01 / NAME).read_text()
    assert len(graded) < 2_000_000, "nbgrader's LimitOutput keeps the graded notebook small"


def test_the_root_dev_and_etc_are_read_only(batch):
    course, _, _, _ = batch
    graded = (course.root / "autograded" / "root-filler" / A01 / NAME).read_text()
    assert all(f"refused {path} 30" in graded for path in ("/filler", "/dev/filler", "/etc/filler")), \
        "each write should fail with EROFS (30)"


def test_the_host_gets_its_memory_and_disk_back(batch):
    """The disk filler wrote 300 MB, the memory bombs held GBs, the root filler tried 900 MB: none of it
    stays once the batch is graded (the course folder keeps only results and graded notebooks)."""
    _, _, _, (before, after) = batch
    grown = {what: (after[what] - before[what]) >> 20 for what in before}
    # Memory in use moves with this process's own growth and the page cache's accounting: 1 GB of slack,
    # against the 1.2-3 GB a surviving memory bomb would hold.
    allowed = {"shared memory": 100, "disk": 100, "memory not available": 1024}
    assert all(grown[what] < allowed[what] for what in grown), f"MB more than before the batch: {grown}"
