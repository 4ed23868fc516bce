"""Build the student repository: what students may see, and nothing else.

This repository holds every answer (``solutions/``) and every hidden test (``autograder/grading/checks/``), so it
stays private. Students open the notebooks in Colab from a separate, public repository; ``make publish``
writes its working copy (``COURSE_PUBLISH_DIR``, a clone of it) and commits there, never pushing:

    README.md                  the student README (student/README.md.j2): assignments, badges, due dates
    LICENSE                    this repository's licence
    requirements.txt           student/requirements.txt, for working locally
    notebooks/<a>/<a>.ipynb    nbgrader's release of each assignment published so far

The notebooks are the committed release (``notebooks/``), which ``make release`` generates from
``solutions/`` with nbgrader; publishing refuses a release that is stale. Assignments, once published,
stay published: each run publishes the ones asked for (or those the schedule has released) on top.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import jinja2

from autograder import config
from autograder.authoring import schedule
from autograder.notebooks import read_notebook, released_notebook

STUDENT_DIR = config.REPO_ROOT / "student"
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
# Used only when the working copy has no git identity of its own.
FALLBACK_IDENTITY = ("ANN with Keras course", "course@localhost")


class PublishError(ValueError):
    """Publishing cannot go ahead; nothing was changed. The message says what to do."""


@dataclass
class Published:
    folder: Path
    assignments: list[str]                                 # published after this run
    added: list[str] = field(default_factory=list)         # newly published by this run
    changed: list[str] = field(default_factory=list)       # files the commit touches
    commit: str | None = None                              # None: nothing changed, no commit

    def summary(self) -> str:
        if self.commit is None:
            return f"{self.folder}: already up to date ({', '.join(self.assignments) or 'no assignments'}); no commit"
        return "\n".join([f"{self.folder}: committed {self.commit[:12]} ({len(self.changed)} files)",
                          *[f"  {path}" for path in self.changed],
                          f"push it with:  git -C {self.folder} push origin HEAD:{config.GITHUB_BRANCH}"])


def resolve(requested: list[str], known: list[str] | None = None) -> list[str]:
    """Assignment ids from what an instructor types: the id itself or its number ("01")."""
    known = known if known is not None else config.assignments()
    found = []
    for name in requested:
        matches = [a for a in known if a == name or a.split("-")[0] == name]
        if len(matches) != 1:
            raise PublishError(f"unknown assignment {name!r}; known: {', '.join(known)}")
        found.append(matches[0])
    return sorted(set(found))


def normalised_release(path: Path) -> dict:
    """A release notebook without what may differ between two generations of it."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    nb["metadata"].pop("language_info", None)
    for cell in nb["cells"]:
        cell.pop("execution_count", None)
        cell.pop("outputs", None)
    return nb


def _title(assignment: str) -> str:
    """The notebook's own title: its first heading, without the "Assignment NN —" prefix."""
    for cell in read_notebook(released_notebook(assignment)).cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].split("—", 1)[-1].strip()
    return assignment


def _due(calendar: schedule.Schedule, assignment: str) -> str:
    due = calendar.of(assignment).due
    return f"{due:%a %d %b %Y, %H:%M} ({calendar.timezone.key})" if due else "—"


def student_readme(assignments: list[str], calendar: schedule.Schedule, repository: str) -> str:
    rows = [{"number": a.split("-")[0], "title": _title(a), "due": _due(calendar, a),
             "path": f"notebooks/{a}/{released_notebook(a).name}",
             "colab": config.colab_url(a, released_notebook(a).name, repository)} for a in assignments]
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(STUDENT_DIR), keep_trailing_newline=True,
                                     undefined=jinja2.StrictUndefined)
    return environment.get_template("README.md.j2").render(assignments=rows, badge=BADGE)


def student_tree(assignments: list[str], calendar: schedule.Schedule,
                 repository: str = config.STUDENT_REPOSITORY) -> dict[str, bytes]:
    """Every file of the student repository, by path: the whole list of what students may see."""
    tree = {
        "README.md": student_readme(assignments, calendar, repository).encode(),
        "LICENSE": (config.REPO_ROOT / "LICENSE").read_bytes(),
        "requirements.txt": (STUDENT_DIR / "requirements.txt").read_bytes(),
    }
    for assignment in assignments:
        tree[f"notebooks/{assignment}/{released_notebook(assignment).name}"] = released_notebook(assignment).read_bytes()
    return tree


def _git(folder: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise PublishError(f"git {' '.join(args)} failed in {folder}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def check_working_copy(folder: Path) -> None:
    """A clean git working copy of its own, outside this repository; otherwise a PublishError."""
    clone = "clone the public student repository there first (git clone <its URL> <folder>)"
    if not folder.is_dir():
        raise PublishError(f"{folder} does not exist: {clone}")
    if folder == config.REPO_ROOT or config.REPO_ROOT in folder.parents:
        raise PublishError(f"{folder} is inside this (private) repository; publish into a clone of the public one")
    top = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != folder:
        raise PublishError(f"{folder} is not a git working copy (of its own): {clone}")
    dirty = _git(folder, "status", "--porcelain", "--untracked-files=all")
    if dirty.strip():
        raise PublishError(f"{folder} has uncommitted changes; commit or discard them first:\n{dirty.rstrip()}")


def published_assignments(folder: Path, known: list[str] | None = None) -> list[str]:
    """Assignments the working copy already publishes."""
    known = known if known is not None else config.assignments()
    tracked = _git(folder, "ls-files", "notebooks").split()
    return sorted({path.split("/")[1] for path in tracked if path.count("/") >= 2} & set(known))


def publish(folder: Path | str, requested: list[str] | None = None, *, now: dt.datetime | None = None,
            stale_releases: Callable[[list[str]], list[str]] | None = None) -> Published:
    """Publish *requested* assignments (default: those the schedule has released by *now*) on top of
    those already published, and commit if anything changed. Checks everything before writing,
    including, given *stale_releases* (``course.stale_releases``: generating is the commands' job, not
    authoring's), that the committed release is what nbgrader generates from solutions/ now."""
    folder = Path(folder).resolve()
    calendar = schedule.load()
    wanted = resolve(requested) if requested else calendar.released_by(now or dt.datetime.now(dt.timezone.utc))
    check_working_copy(folder)
    already = published_assignments(folder)
    assignments = sorted(set(already) | set(wanted))
    stale = stale_releases(assignments) if stale_releases is not None else []
    if stale:
        raise PublishError(f"notebooks/ is out of date for {', '.join(stale)}: run `make release` and commit it first")
    tree = student_tree(assignments, calendar)

    has_head = subprocess.run(["git", "-C", str(folder), "rev-parse", "--verify", "-q", "HEAD"],
                              capture_output=True).returncode == 0
    for path in _git(folder, "ls-files", "-z").split("\0"):
        if path and path not in tree:
            (folder / path).unlink()
    for path, content in tree.items():
        target = folder / path
        if not target.is_file() or target.read_bytes() != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    _git(folder, "add", "-A")
    changed = _git(folder, "diff", "--cached", "--name-only").split("\n") if has_head else sorted(tree)
    changed = [path for path in changed if path]
    result = Published(folder, assignments, added=sorted(set(assignments) - set(already)), changed=changed)
    if not changed:
        return result
    message = (f"Publish {', '.join(result.added)}" if result.added
               else "Update " + ", ".join(sorted({p.split('/')[1] if p.startswith('notebooks/') else p for p in changed})))
    identity = [] if _git(folder, "config", "user.email", check=False).strip() else [
        "-c", f"user.name={FALLBACK_IDENTITY[0]}", "-c", f"user.email={FALLBACK_IDENTITY[1]}"]
    done = subprocess.run(["git", "-C", str(folder), *identity, "commit", "-q", "-m", message],
                          capture_output=True, text=True, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    if done.returncode != 0:
        _restore(folder, has_head, tree)
        raise PublishError(f"git commit failed in {folder}, nothing was changed: {done.stderr.strip()}")
    result.commit = _git(folder, "rev-parse", "HEAD").strip()
    return result


def _restore(folder: Path, has_head: bool, tree: dict[str, bytes]) -> None:
    """Put the working copy back as it was before a failed commit."""
    if has_head:
        _git(folder, "reset", "-q", "--hard", "HEAD", check=False)
        _git(folder, "clean", "-q", "-fd", check=False)
        return
    _git(folder, "rm", "-r", "-q", "--cached", ".", check=False)
    for path in tree:
        (folder / path).unlink(missing_ok=True)
