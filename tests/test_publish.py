"""`make publish`: the student repository holds what students may see and nothing else, is released week
by week, commits only what changed, and refuses bad input without changing anything."""

import ast
import json
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder import config
from autograder.authoring import publish
from autograder.course import stale_releases
from autograder.notebooks import nbgrader_meta, read_notebook, released_notebook, source_notebook

ASSIGNMENTS = config.assignments()
A01, A02, A03 = ASSIGNMENTS[:3]
STUDENT_FILES = {"README.md", "LICENSE", "requirements.txt"}
# Modules the notebooks import that are not packages of their own on PyPI, and the names they go by there.
STANDARD = set(sys.stdlib_module_names) | {"course_kernel"}  # course_kernel: optional, offline course machines only
ON_PYPI = {"sklearn": "scikit-learn", "keras_tuner": "keras-tuner"}


def git(folder, *args) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def clone(tmp_path):
    """A fresh clone of an empty public repository, as an instructor would make it."""
    folder = tmp_path / "student"
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    return folder


def commits(folder) -> int:
    return int(git(folder, "rev-list", "--count", "HEAD"))


def files(folder) -> set[str]:
    return set(git(folder, "ls-files").split())


def published_lines(folder) -> set[str]:
    """Every line students can read: README, licence, requirements and each notebook cell."""
    lines = set()
    for path in files(folder):
        if path.endswith(".ipynb"):
            text = "\n".join(cell.source for cell in read_notebook(folder / path).cells)
        else:
            text = (folder / path).read_text()
        lines |= {line.strip() for line in text.splitlines()}
    return lines


def secret_lines(assignment) -> set[str]:
    """The lines of every solution region and hidden test in the source, that the source does not also
    show outside them (a line such as `import numpy as np` in the set-up cell is no secret)."""
    secret, public = set(), set()
    region = None
    for cell in read_notebook(source_notebook(assignment)).cells:
        meta = nbgrader_meta(cell)
        whole_cell_answer = meta.get("solution") and "### BEGIN SOLUTION" not in cell.source
        for line in cell.source.splitlines():
            marker = re.match(r"\s*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)", line)
            if marker:
                region = marker[2] if marker[1] == "BEGIN" else None
                continue
            (secret if region or whole_cell_answer else public).add(line.strip())
    return {line for line in secret - public if line}


def checks_lines() -> set[str]:
    """Distinctive lines of the grader's sources: its hidden inputs and judges."""
    lines = set()
    for path in (config.REPO_ROOT / "autograder").rglob("*.py"):
        lines |= {line.strip() for line in path.read_text().splitlines() if len(line.strip()) >= 30}
    return lines


def test_the_published_tree_holds_only_what_students_may_see(clone):
    result = publish.publish(clone, [A01, A02])
    assert result.commit and files(clone) == STUDENT_FILES | {
        f"notebooks/{a}/{released_notebook(a).name}" for a in (A01, A02)}
    seen = published_lines(clone)
    for assignment in ASSIGNMENTS:
        leaked = secret_lines(assignment) & seen
        assert not leaked, f"solution or hidden-test lines of {assignment} were published: {sorted(leaked)[:5]}"
    release = {line.strip() for a in ASSIGNMENTS for cell in read_notebook(released_notebook(a)).cells
               for line in cell.source.splitlines()}
    leaked = (checks_lines() - release) & seen
    assert not leaked, f"lines of the grader's sources were published: {sorted(leaked)[:5]}"
    for notebook in [p for p in files(clone) if p.endswith(".ipynb")]:
        assert (clone / notebook).read_bytes() == (config.REPO_ROOT / notebook).read_bytes(), "the release, unchanged"
    assert (clone / "LICENSE").read_bytes() == (config.REPO_ROOT / "LICENSE").read_bytes()


def test_the_secret_lines_are_really_looked_for():
    # The check above must be able to fail: the source's answer lines are found in the source itself.
    secret = secret_lines(A01)
    assert len(secret) > 20 and "NOT_W, NOT_B = np.array([-1.0]), 0.5" in secret
    source_lines = {line.strip() for cell in read_notebook(source_notebook(A01)).cells for line in cell.source.splitlines()}
    assert secret <= source_lines
    assert any("record(" in line for line in secret), "hidden-test lines count as secret too"


def _links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_every_badge_and_link_resolves_to_a_published_file(clone):
    publish.publish(clone, ASSIGNMENTS)
    colab = f"https://colab.research.google.com/github/{config.STUDENT_REPOSITORY}/blob/{config.GITHUB_BRANCH}/"
    checked = 0
    for path in sorted(files(clone)):
        if path.endswith(".ipynb"):
            text = "\n".join(c.source for c in read_notebook(clone / path).cells if c.cell_type == "markdown")
        elif path.endswith(".md"):
            text = (clone / path).read_text()
        else:
            continue
        for target in _links(text):
            if target == publish.BADGE:
                continue  # the badge's picture, served by Colab
            assert target.startswith(colab) or "://" not in target, f"{path} links outside the student repository: {target}"
            relative = target.removeprefix(colab)
            assert (clone / relative).is_file(), f"{path} links to {target}, which is not in the published tree"
            checked += 1
    # Each notebook's own badge, plus the README's notebook link, badge and licence link.
    assert checked == len(ASSIGNMENTS) * 3 + 1


def test_staged_release_one_commit_per_step_and_nothing_unreleased(clone):
    first = publish.publish(clone, ["01"])
    assert first.added == [A01] and commits(clone) == 1
    second = publish.publish(clone, ["01", A02])  # a number, then an id
    assert second.added == [A02] and commits(clone) == 2
    assert {p.split("/")[1] for p in files(clone) if p.startswith("notebooks/")} == {A01, A02}
    readme = (clone / "README.md").read_text()
    assert A02 in readme and all(a not in readme for a in ASSIGNMENTS[2:]), "the README lists only what is released"
    assert all(a not in "".join(published_lines(clone)) for a in ASSIGNMENTS[2:]), "nothing unreleased appears"
    again = publish.publish(clone, [A02.split("-")[0]])  # 01 stays published
    assert again.commit is None and again.assignments == [A01, A02] and commits(clone) == 2


@pytest.fixture
def edit_release(tmp_path, monkeypatch):
    """A copy of notebooks/ in place of the real one, and a way to add a sentence to one of its notebooks."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(config.NOTEBOOKS_DIR, notebooks)
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", notebooks)

    def edit(assignment, sentence):
        nb = read_notebook(released_notebook(assignment))
        nb.cells[1].source += f"\n\n{sentence}"
        nbformat.write(nb, released_notebook(assignment))
    return edit


def test_changing_one_released_notebook_makes_one_commit_touching_only_it(clone, edit_release):
    publish.publish(clone, [A01, A02])
    edit_release(A02, "A clarified sentence.")
    result = publish.publish(clone, [A01, A02])
    assert commits(clone) == 2 and result.changed == [f"notebooks/{A02}/{released_notebook(A02).name}"]
    assert git(clone, "show", "--name-only", "--format=", "HEAD").split() == result.changed
    assert "A clarified sentence." in (clone / result.changed[0]).read_text()


def test_a_stale_release_is_refused(clone, edit_release):
    edit_release(A01, "Edited by hand.")
    with pytest.raises(publish.PublishError, match=f"out of date for {A01}: run `make release`"):
        publish.publish(clone, [A01], stale_releases=stale_releases)
    assert not files(clone) and not list(clone.iterdir())[1:], "nothing was written"


def test_the_schedule_decides_what_is_published(clone, tmp_path, monkeypatch):
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(f'timezone = "UTC"\n[{A01}]\nrelease = 2027-03-01T09:00:00\ndue = 2027-03-12\n'
                        f'[{A02}]\nrelease = 2027-03-08T09:00:00\n')
    monkeypatch.setenv("COURSE_SCHEDULE", str(schedule))
    import datetime as dt
    now = dt.datetime(2027, 3, 5, tzinfo=dt.timezone.utc)
    result = publish.publish(clone, None, now=now)
    assert result.assignments == [A01]
    assert "Fri 12 Mar 2027, 23:59 (UTC)" in (clone / "README.md").read_text(), "the due date is shown"
    later = publish.publish(clone, None, now=now + dt.timedelta(days=7))
    assert later.added == [A02] and commits(clone) == 2


def _unchanged(folder, before: str) -> None:
    assert git(folder, "rev-parse", "HEAD") == before
    assert git(folder, "status", "--porcelain", "--untracked-files=all") == ""


def test_unknown_assignment_changes_nothing(clone):
    publish.publish(clone, [A01])
    before = git(clone, "rev-parse", "HEAD")
    with pytest.raises(publish.PublishError, match="unknown assignment '07'.*known: 01-perceptrons"):
        publish.publish(clone, ["02", "07"])
    _unchanged(clone, before)


def test_a_folder_that_is_no_working_copy_is_refused(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "keep.txt").write_text("mine")
    with pytest.raises(publish.PublishError, match="not a git working copy"):
        publish.publish(plain, [A01])
    assert [p.name for p in plain.iterdir()] == ["keep.txt"]
    with pytest.raises(publish.PublishError, match="does not exist"):
        publish.publish(tmp_path / "missing", [A01])
    with pytest.raises(publish.PublishError, match="inside this \\(private\\) repository"):
        publish.publish(config.REPO_ROOT, [A01])
    inner = plain / "inner"  # a folder inside some other working copy is not a clone of its own
    subprocess.run(["git", "init", "-q", str(plain)], check=True)
    inner.mkdir()
    with pytest.raises(publish.PublishError, match="not a git working copy"):
        publish.publish(inner, [A01])


def test_uncommitted_changes_are_refused_and_kept(clone):
    publish.publish(clone, [A01])
    before = git(clone, "rev-parse", "HEAD")
    (clone / "README.md").write_text("my own edit")
    (clone / "draft.txt").write_text("untracked")
    with pytest.raises(publish.PublishError, match="uncommitted changes"):
        publish.publish(clone, [A01, A02])
    assert (clone / "README.md").read_text() == "my own edit" and (clone / "draft.txt").is_file()
    assert git(clone, "rev-parse", "HEAD") == before


def test_cli_publishes_and_says_how_to_push(clone):
    run = lambda *args: subprocess.run([sys.executable, "-m", "autograder", "publish", *args],  # noqa: E731
                                       capture_output=True, text=True)
    done = run("01", "--to", str(clone))
    assert done.returncode == 0, done.stderr
    assert f"git -C {clone} push origin HEAD:main" in done.stdout and commits(clone) == 1
    done = run("01", "--to", str(clone))
    assert done.returncode == 0 and "no commit" in done.stdout and commits(clone) == 1
    done = run("99", "--to", str(clone))
    assert done.returncode == 2 and "nothing was published: unknown assignment '99'" in done.stderr
    done = run("01")
    assert done.returncode == 2 and "COURSE_PUBLISH_DIR" in done.stderr


def _imported_modules(assignment) -> set[str]:
    modules = set()
    for cell in read_notebook(released_notebook(assignment)).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module.split(".")[0])
    return modules


def _pins(path) -> dict[str, str]:
    return dict(line.strip().split("==") for line in path.read_text().splitlines()
                if line.strip() and not line.startswith("#"))


def test_student_requirements_cover_every_import_at_the_graders_versions():
    student = _pins(publish.STUDENT_DIR / "requirements.txt")
    grader = {name.lower(): version for name, version in _pins(config.REPO_ROOT / "requirements.txt").items()}
    needed = {ON_PYPI.get(m, m) for a in ASSIGNMENTS for m in _imported_modules(a)} - STANDARD
    assert needed and needed <= set(student), f"student/requirements.txt lacks {sorted(needed - set(student))}"
    assert "jupyterlab" in student, "students can run the notebooks locally"
    for name, version in student.items():
        assert grader.get(name) == version, f"{name}: students get {version}, the grader runs {grader.get(name)}"


def test_published_readme_names_every_released_assignment_once(clone):
    publish.publish(clone, ASSIGNMENTS)
    readme = (clone / "README.md").read_text()
    for assignment in ASSIGNMENTS:
        assert readme.count(f"({config.colab_url(assignment, released_notebook(assignment).name)})") == 1
    assert json.loads((clone / f"notebooks/{A03}/{released_notebook(A03).name}").read_text())["cells"]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_published_notebook_runs_alone_down_to_its_first_answer(assignment, clone, tmp_path, data_root, monkeypatch):
    """What a student sees first: the notebook, alone in an empty folder, runs from the top to its first
    answer cell. The kernel has the student requirements (at the grader's versions, as the test above
    proves) and not the course package: its data come from the official loaders, whose download caches
    are seeded here because this machine is offline. MNIST is the exception: Keras accepts no cached copy
    but its own (see data/README.md), so 04 loads it the way course machines do."""
    from nbclient import NotebookClient

    publish.publish(clone, [assignment])
    nb = read_notebook(clone / f"notebooks/{assignment}/{released_notebook(assignment).name}")
    first_answer = next(i for i, cell in enumerate(nb.cells) if nbgrader_meta(cell).get("solution"))
    nb.cells = nb.cells[:first_answer]
    if assignment != "04-mnist":  # and the official loaders did the loading
        nb.cells.append(nbformat.v4.new_code_cell("import sys\nassert 'course_kernel.data' not in sys.modules"))
    folder = tmp_path / "colab"
    folder.mkdir()
    for name in [n for n in __import__("os").environ if n.startswith("COURSE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if assignment != "04-mnist":
        hidden = tmp_path / "no_course_package" / "course_kernel"
        hidden.mkdir(parents=True)
        (hidden / "__init__.py").write_text("raise ImportError('not installed in a student environment')\n")
        monkeypatch.setenv("PYTHONPATH", str(hidden.parent))
    else:
        monkeypatch.setenv("COURSE_DATA_DIR", str(data_root))
    keras_home = tmp_path / "keras"
    shutil.copytree(data_root / "fashion-mnist", keras_home / "datasets" / "fashion-mnist")
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    shutil.copytree(data_root / "scikit_learn_data", tmp_path / "scikit_learn_data")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "scikit_learn_data"))
    client = NotebookClient(nb, timeout=config.cell_timeout(), kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    client.execute()
    outputs = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Traceback" not in outputs and "Error" not in outputs, outputs[-2000:]
    assert list(folder.iterdir()) == [], "the notebook wrote nothing beside itself"
