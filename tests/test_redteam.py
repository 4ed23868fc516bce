"""Red team: submissions that attack the grader instead of answering, graded as a class would be.

Every attacker answers the exercises the same, partly wrong way and adds an attack; a grade is
only worth something if each still earns exactly its honest score (the twins without an attack
are graded in the same batch to prove what that is). Around the batch: a victim graded before it,
a server on 127.0.0.1, a secret in the grader's environment and in the instructor's home, and
before/after hashes of the repository, the data and the course folder (all but the attackers'
own results). The attacks come in the classes of docs/security.md:

* reading or writing outside the scratch folder: the repository's sources and checks, solutions/,
  the gradebook, another student's submission, the instructor's home; by absolute and relative
  path, symbolic link, and paths derived from the interpreter's and a library's location;
* the network: the server the test starts, and a PostgreSQL port;
* processes that try to outlive grading (double fork, new session, nohup), a fork bomb;
* patching libraries, the evidence recorder and the import system, by attribute assignment,
  module namespaces, setattr spelled indirectly, an import hook and ctypes;
* forged evidence: wrong types, a pickle, a huge file, a symbolic link, evidence for a test whose
  cell failed;
* the kernel's environment holding a secret of the instructor's;
* answers shaped for a judge that checks less than the exercise says (a perceptron rule that
  only gets the end state right, an empty array where two numbers belong; infinite weights fail a
  visible test first, so tests/checks/test_evidence_variants.py tries them on the judges);
* a hostile LMS download: folders named like classmates', a zero date, a zip bomb, path names.

(A model graph that forges other models' answers is 03's: tests/test_assignments.py; a notebook
that gets its worker killed, tests/test_distributed.py.)
"""

import hashlib
import os
import socket
import textwrap
import threading

import nbformat
import psutil
import pytest

from autograder import config
from autograder.course import Course
from autograder.grading import sandbox
from autograder.grading.results import grade_table
from autograder.grading.sandbox import Limits
from autograder.notebooks import compose_submission, released_notebook, solution_answers

pytestmark = pytest.mark.slow

A01 = "01-perceptrons"
NAME = released_notebook(A01).name
REFERENCE = solution_answers(A01)
SECRET = "s3cret-instructor-token"
MARKER = f"redteam-{os.getpid()}"
REPO = str(config.REPO_ROOT)
SOLUTION = f"solutions/{A01}/{NAME}"

# Two honest bases, each one point short of full marks: NOT is wrong in one, the Heaviside step's
# value at zero in the other.
WRONG_NOT = {**REFERENCE, "ex2-gates": REFERENCE["ex2-gates"].replace("np.array([-1.0]), 0.5", "np.array([1.0]), -0.5")}
WRONG_H = {**REFERENCE, "ex1-threshold-unit": REFERENCE["ex1-threshold-unit"].replace(">= 0", "> 0")}
assert WRONG_NOT != REFERENCE and WRONG_H != REFERENCE


def attack(base: dict, cell: str, code: str) -> dict:
    """*base* with *code* appended to the answer *cell*, its own failures caught and printed."""
    wrapped = "try:\n" + textwrap.indent(textwrap.dedent(code).strip(), "    ") + \
              "\nexcept BaseException as _failure:\n    print('attack failed:', type(_failure).__name__, _failure)"
    return {**base, cell: base[cell] + "\n\n" + wrapped}


def reads_solutions(paths: str) -> str:
    """Try each path; if one is readable, run the reference answer of exercise 2 (fixing NOT)."""
    return f"""
        import json, sys, os
        from pathlib import Path
        import numpy, course_kernel
        os.symlink("/", "root")
        for _path in {paths}:
            try:
                _cells = json.loads(Path(_path).read_text())["cells"]
            except Exception as _error:
                print("cannot read", _path, type(_error).__name__)
                continue
            _code = [''.join(c["source"]) for c in _cells if c.get("metadata", {{}}).get("nbgrader", {{}}).get("grade_id") == "ex2-gates"][0]
            exec(_code.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""))
            print("READ", _path)
        """


def forge(test: str, content: str) -> str:
    return f"""
        from pathlib import Path
        import os, pickle
        _file = Path(os.environ["COURSE_EVIDENCE_DIR"]) / "{test}.json"
        _file.unlink(missing_ok=True)
        {content}
        """


def plan(course_root, home, port) -> dict:
    solution_paths = "[" + ", ".join([
        repr(f"{REPO}/{SOLUTION}"),                                   # absolute
        repr("../" * 12 + f"{REPO.lstrip('/')}/{SOLUTION}"),          # relative
        f"Path(sys.prefix).parent / {SOLUTION!r}",                    # from the interpreter's location
        f"Path(course_kernel.__file__).parents[1] / {SOLUTION!r}",    # from the course package's location
        f"Path(numpy.__file__).parents[5] / {SOLUTION!r}",            # from a library's location
        repr(f"root/{REPO.lstrip('/')}/{SOLUTION}"),                  # through a symbolic link to /
    ]) + "]"
    fake_record = """
        def _fake_record(test_id, **values):  # what a forger can write without the answer
            from pathlib import Path
            import json, os
            Path(os.environ["COURSE_EVIDENCE_DIR"]).mkdir(exist_ok=True)
            (Path(os.environ["COURSE_EVIDENCE_DIR"]) / f"{test_id}.json").write_text(
                json.dumps({"outputs": [[0, 1, 1]], "batch": [0] * 20, "single": 0}))
        """
    return {
        # -- outside the scratch folder --------------------------------------------------------------
        "read-solutions": (WRONG_NOT, "ex2-gates", reads_solutions(solution_paths), 16),
        "write-repository": (WRONG_NOT, "ex1-threshold-unit", f"""
            import sys, course_kernel
            from pathlib import Path
            for _path in ["{REPO}/autograder/grading/checks/perceptrons.py", Path(course_kernel.__file__).parent / "evidence.py",
                          Path(sys.prefix) / "lib/python3.11/site-packages/numpy/__init__.py",
                          "{REPO}/solutions/{A01}/{NAME}", "{REPO}/data/manifest.json"]:
                try:
                    Path(_path).write_text("raise SystemExit  # pwned")
                    print("WROTE", _path)
                except OSError as _error:
                    print("cannot write", _path, _error.strerror)
            """, 16),
        "gradebook-and-victim": (WRONG_NOT, "ex1-threshold-unit", f"""
            import sqlite3, os
            try:
                _db = sqlite3.connect("{course_root}/gradebook.db")
                _db.execute("UPDATE grade SET auto_score = 0")
                _db.commit()
                print("ZEROED")
            except Exception as _error:
                print("no gradebook", type(_error).__name__)
            for _path in ["{course_root}/submitted/victim/{A01}/{NAME}", "{course_root}/autograded/victim/{A01}/{NAME}"]:
                try:
                    os.remove(_path)
                    print("DELETED", _path)
                except OSError as _error:
                    print("cannot delete", _error.strerror)
            """, 16),
        "instructor-home": (WRONG_NOT, "ex1-threshold-unit", f"""
            from pathlib import Path
            for _path in ["{home}/secret.txt", str(Path.home() / "secret.txt")]:
                try:
                    print("READ", Path(_path).read_text())
                except OSError as _error:
                    print("cannot read", _error.strerror)
            try:
                Path("{home}/pwned").write_text("x")
            except OSError as _error:
                print("cannot write", _error.strerror)
            """, 16),
        # -- network ---------------------------------------------------------------------------------
        "network": (WRONG_NOT, "ex1-threshold-unit", f"""
            import socket
            for _port in ({port}, 5432):
                try:
                    socket.create_connection(("127.0.0.1", _port), timeout=3).sendall(b"hello")
                    print("CONNECTED", _port)
                except OSError as _error:
                    print("no connection", _port, type(_error).__name__)
            """, 16),
        # -- processes -------------------------------------------------------------------------------
        "outlive": (WRONG_NOT, "ex1-threshold-unit", f"""
            import os, subprocess
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv("/bin/sleep", ["sleep", "600", "{MARKER}"])
                os._exit(0)
            subprocess.Popen(["nohup", "/bin/sleep", "600", "{MARKER}"], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            """, 16),
        "fork-bomb": (WRONG_NOT, "ex1-threshold-unit", """
            import os, signal, time
            _children = []
            try:
                for _ in range(5000):
                    _pid = os.fork()
                    if _pid == 0:
                        time.sleep(600)
                        os._exit(0)
                    _children.append(_pid)
            except OSError:
                print("FORKS", len(_children))
            finally:  # then tidy up, so that the rest of the notebook can run
                for _pid in _children:
                    os.kill(_pid, signal.SIGKILL)
                    os.waitpid(_pid, 0)
            """, 16),
        # -- patching --------------------------------------------------------------------------------
        "patch-libraries": (WRONG_H, "ex1-threshold-unit", """
            import numpy, sklearn.linear_model
            numpy.array_equal = lambda *a, **k: True
            setattr(numpy, "allclose", lambda *a, **k: True)
            sklearn.linear_model.Perceptron.score = lambda *a, **k: 1.0
            """, 16),
        "patch-recorder": (WRONG_H, "ex1-threshold-unit", fake_record + """
            import sys, importlib
            _module = importlib.import_module("course_kernel" + "." + "evidence")
            vars(_module)["record"] = _fake_record
            getattr(__builtins__, "setattr", setattr)(sys.modules["course_kernel.evidence"], "rec" + "ord", _fake_record)
            """, 16),
        "import-hook": (WRONG_H, "ex1-threshold-unit", fake_record + """
            import sys, types, importlib.abc, importlib.machinery
            class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
                def find_spec(self, name, path, target=None):
                    if name == "course_kernel.evidence":
                        return importlib.machinery.ModuleSpec(name, self)
                def create_module(self, spec):
                    module = types.ModuleType(spec.name)
                    module.record, module.challenge = _fake_record, lambda test_id: {"z": [], "X": [[0.0]], "w": [0.0], "b": 0.0}
                    return module
                def exec_module(self, module):
                    pass
            sys.meta_path.insert(0, _Finder())
            sys.modules.pop("course_kernel.evidence", None)
            """, 16),
        "ctypes": (WRONG_H, "ex1-threshold-unit", fake_record + """
            import ctypes, sys
            import course_kernel.evidence
            _set = ctypes.pythonapi.PyDict_SetItem
            _set.argtypes = [ctypes.py_object, ctypes.py_object, ctypes.py_object]
            _set(sys.modules["course_kernel.evidence"].__dict__, "record", _fake_record)
            _set(sys.modules["course_kernel.evidence"].__dict__, "challenge", lambda test_id: {"z": []})
            """, 16),
        "hide-failures": (WRONG_H, "ex1-threshold-unit", """
            get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)
            """, 16),
        # -- forged evidence (written by a later cell, after the hidden test recorded) ----------------
        "forge-types": (WRONG_H, "ex6-activations", forge("test-heaviside", '_file.write_text(\'{"outputs": "all correct"}\')'), 16),
        "forge-pickle": (WRONG_H, "ex6-activations", forge("test-heaviside", "_file.write_bytes(pickle.dumps({'outputs': []}))"), 16),
        "forge-huge": (WRONG_H, "ex6-activations", forge("test-heaviside",
                                                         "_file.write_text('{\"outputs\": [' + '0, ' * 40_000_000 + '0]}')"), 16),
        "forge-symlink": (WRONG_H, "ex6-activations", forge("test-heaviside", "os.symlink('/etc/passwd', _file)"), 16),
        # OR is missing, so its test cell fails before recording; evidence written in advance must not count.
        "evidence-not-run": ({**REFERENCE, "ex2-gates": REFERENCE["ex2-gates"].replace("OR_W, OR_B = np.array([1.0, 1.0]), -0.5", "")},
                             "ex1-threshold-unit", """
            from pathlib import Path
            import os, json
            Path(os.environ["COURSE_EVIDENCE_DIR"]).mkdir(exist_ok=True)
            (Path(os.environ["COURSE_EVIDENCE_DIR"]) / "test-or-gate.json").write_text(
                json.dumps({"weights": [1.0, 1.0], "bias": -0.5}))
            """, 16),
        # -- answers shaped for a lax judge (each once passed) -----------------------------------------
        # Examples visited in reverse and the mistakes left after each epoch counted: right end state,
        # wrong rule; loses the rule's 2 points (exercise 3b reports what this rule did, and keeps its point).
        "perceptron-end-state": (REFERENCE, "ex3-perceptron-rule", """
            def train_perceptron(X, y, learning_rate=1.0, max_epochs=50):
                X, y = np.asarray(X, dtype=float)[::-1], np.asarray(y)[::-1]
                w, b, errors = np.zeros(X.shape[1]), 0.0, []
                for _ in range(max_epochs):
                    for x_i, y_i in zip(X, y):
                        update = learning_rate * (y_i - int(x_i @ w + b >= 0))
                        w, b = w + update * x_i, b + update
                    errors.append(int(np.sum((X @ w + b >= 0).astype(int) != y)))
                    if errors[-1] == 0:
                        break
                return w, b, errors
            """, 15),
        # sigmoid overflows at -800; an empty (0, 2) array once passed the extreme-input check.
        "empty-extreme": (REFERENCE, "ex6-activations", """
            _sigmoid = sigmoid
            def sigmoid(z):
                z = np.asarray(z, dtype=float)
                return np.zeros((0, 2)) if np.abs(z).max(initial=0) > 700 else _sigmoid(z)
            """, 15),
        # -- the environment -------------------------------------------------------------------------
        "environment": (WRONG_NOT, "ex1-threshold-unit", """
            import os
            print(sorted(os.environ.items()))
            for _path in ("/proc/self/environ", "/proc/1/environ", "/proc/1/cmdline"):
                try:
                    print(_path, open(_path, "rb").read())
                except OSError as _error:
                    print(_path, _error.strerror)
            """, 16),
    }


# What the suite itself writes into the repository while this batch runs on the other xdist worker: pytest's cache
# and test_formgrader.py's screenshot (for a person to look at after CI). Hypothesis writes elsewhere (conftest.py).
SUITE_OUTPUT = {".pytest_cache", "test-artifacts"}


def _digest(root, skip=()) -> dict[str, str]:
    found = {}
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if f not in {".git", ".venv", "__pycache__", "course", *SUITE_OUTPUT}]
        for name in files:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root)
            if not any(part in relative.split(os.sep) for part in skip) and os.path.isfile(path):
                found[relative] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return found


def _installed() -> dict[str, str]:
    """The parts of the environment an attack on the grader would go for."""
    import numpy

    import course_kernel
    paths = [numpy.__file__, course_kernel.__file__, *sorted(str(p) for p in config.REPO_ROOT.glob(".venv/lib/python3.11/site-packages/*.pth"))]
    return {p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    # These attacks are real: unsandboxed, they would rewrite this repository's files.
    assert sandbox.enabled(), "the red team only runs with the sandbox on"
    root = tmp_path_factory.mktemp("redteam")
    home = tmp_path_factory.mktemp("instructor-home")
    (home / "secret.txt").write_text(SECRET)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    heard = []
    threading.Thread(target=lambda: heard.extend(_serve(server)), daemon=True).start()
    course = Course(root, database=f"sqlite:///{root}/gradebook.db")
    folder = course.submission_dir(assignment=A01, student="victim")
    folder.mkdir(parents=True)
    nbformat.write(compose_submission(A01, REFERENCE), folder / NAME)
    [victim] = course.autograde(A01, progress=lambda m: None)
    assert victim.score == 17, grade_table([victim])

    attacks = plan(root, home, server.getsockname()[1])
    students = {name: attack(base, cell, code) for name, (base, cell, code, _) in attacks.items()}
    students |= {"honest-not": WRONG_NOT, "honest-heaviside": WRONG_H}
    for student, answers in students.items():
        folder = course.submission_dir(assignment=A01, student=student)
        folder.mkdir(parents=True)
        nbformat.write(compose_submission(A01, answers), folder / NAME)
    before = {"repository": _digest(config.REPO_ROOT), "data": _digest(config.data_dir()), "installed": _installed(),
              "course": _digest(root, skip=set(students) | {"gradebook.db", "results", "jobs"})}
    environment = {"COURSE_DB_URL": f"postgresql://grader:{SECRET}@127.0.0.1:5432/db", "API_TOKEN": SECRET,
                   "HOME": str(home)}
    saved = {k: os.environ.get(k) for k in environment}
    os.environ.update(environment)
    try:
        results = {r.student: r for r in course.autograde(A01, list(students), progress=lambda m: None, jobs=2,
                                                          generate=False, limits=Limits(seconds=120, memory_mb=4096,
                                                                                        processes=128, file_mb=256))}
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    after = {"repository": _digest(config.REPO_ROOT), "data": _digest(config.data_dir()), "installed": _installed(),
             "course": _digest(root, skip=set(students) | {"gradebook.db", "results", "jobs"})}
    server.close()
    return course, attacks, results, before, after, heard, home


def _serve(server):
    heard = []
    try:
        while True:
            heard.append(server.accept()[1])
    except OSError:
        return heard


@pytest.mark.parametrize("student", ["honest-not", "honest-heaviside"])
def test_the_honest_twins_earn_what_the_attackers_must(batch, student):
    _, _, results, *_ = batch
    assert results[student].score == 16 and not results[student].error


def test_every_attack_earns_exactly_its_honest_score(batch):
    _, attacks, results, *_ = batch
    wrong = {name: (results[name].score, expected, results[name].error)
             for name, (_, _, _, expected) in attacks.items() if results[name].score != expected or results[name].error}
    assert not wrong, grade_table([results[name] for name in wrong])


def test_nothing_outside_the_attackers_own_results_changed(batch):
    course, _, _, before, after, _, home = batch
    for part in before:
        assert before[part] == after[part], f"{part} changed"
    assert not (home / "pwned").exists()
    victim = course.result(assignment=A01, student="victim")
    assert victim.score == 17 and (course.submission_dir(assignment=A01, student="victim") / NAME).is_file()


def test_the_network_was_never_reached(batch):
    *_, heard, _ = batch
    assert heard == []


def test_no_process_outlived_the_batch(batch):
    survivors = [p for p in psutil.process_iter(["cmdline"]) if MARKER in " ".join(p.info["cmdline"] or [])]
    assert not survivors


def _printed(course, student) -> str:
    """Everything the student's kernel printed, as the autograded notebook and the feedback keep it."""
    nb = nbformat.read(course.root / "autograded" / student / A01 / NAME, as_version=4)
    return "".join(output.get("text", "") for cell in nb.cells for output in cell.get("outputs", []))


def test_the_fork_bomb_hit_the_limit(batch):
    course, *_ = batch
    forks = int(_printed(course, "fork-bomb").split("FORKS ")[1].split()[0])
    assert forks < 128


def test_attacks_saw_nothing_they_looked_for(batch):
    course, attacks, *_ = batch
    for name in attacks:
        printed = _printed(course, name)
        for found in ("READ ", "WROTE ", "ZEROED", "DELETED ", "CONNECTED ", SECRET):
            assert found not in printed, f"{name}: {found.strip()}"
    assert "COURSE_EVIDENCE_DIR" in _printed(course, "environment"), "the attack did print the kernel's environment"
    assert "cannot read" in _printed(course, "read-solutions") and "cannot write" in _printed(course, "write-repository")


def test_a_hostile_lms_download_changes_no_classmate(tmp_path, monkeypatch):
    """One student's folder holding folders named like classmates' (Moodle) and Canvas names, a
    member with a zero date, a zip bomb and path-like names: each classmate's filed notebook is
    byte for byte what it was, nothing lands outside submitted/ and collect/, and the run ends."""
    import zipfile

    from autograder.intake.collect import collect_zip

    monkeypatch.setenv("COURSE_NOTEBOOK_LIMIT_MB", "1")
    course = Course(tmp_path / "course")
    honest = nbformat.writes(compose_submission(A01, REFERENCE)).encode()
    first = tmp_path / "first.zip"
    with zipfile.ZipFile(first, "w") as zf:
        for folder in ("Jane Roe_1001_assignsubmission_file_", "Max Muster_1002_assignsubmission_file_"):
            zf.writestr(f"{folder}/{NAME}", honest)
    collect_zip(first, course, A01, NAME)
    before = _digest(course.root / "submitted")
    evil = tmp_path / "evil.zip"
    mine = "Eve Evil_1003_assignsubmission_file_"
    with zipfile.ZipFile(evil, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{mine}/Jane Roe_1001_assignsubmission_file_/{NAME}", b"{}")
        zf.writestr(f"{mine}/x/Max Muster_1002_assignsubmission_file_/{NAME}", b"{}")
        zf.writestr(f"{mine}/smithj_1_2_{NAME}", b"{}")
        zf.writestr(zipfile.ZipInfo(f"{mine}/late.ipynb", date_time=(1980, 0, 0, 0, 0, 0)), b"{}")
        zf.writestr(f"{mine}/bomb.ipynb", b" " * (64 << 20))
        zf.writestr(f"../../{NAME}", b"{}")
        zf.writestr(f".._1_2_{NAME}", b"{}")
    report = collect_zip(evil, course, A01, NAME)
    after = _digest(course.root / "submitted")
    assert {k: v for k, v in after.items() if not k.startswith("moodle-1003")} == before
    assert set(report.collected) == {"moodle-1003"}
    assert sorted(p.name for p in course.root.iterdir()) == ["collect", "submitted"]
    assert not (tmp_path / NAME).exists()
