"""Every command, link and path the README and the guides in docs/ name is real: a `make` target the
Makefile has, a file or folder that exists, a link that leads somewhere."""

import re

import pytest

from autograder import config

DOCS = [config.REPO_ROOT / "README.md", *sorted((config.REPO_ROOT / "docs").glob("*.md"))]
# Paths the docs name that are made at run time, not committed.
RUNTIME = ("course/", "data/files", ".venv", "test-artifacts", "../ann-keras-notebooks", "../shared")
PATH = re.compile(r"`((?:autograder|course_kernel|tests|scripts|docs|solutions|notebooks|samples|student|data|\.ci)"
                  r"/[A-Za-z0-9_./<>*-]*)`")


def _targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (config.REPO_ROOT / "Makefile").read_text(), re.M))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_make_command_is_a_target(doc):
    named = set(re.findall(r"\bmake ([a-z][a-z-]+)", doc.read_text()))
    if doc.name == "README.md":
        assert {"demo", "test"} <= named, "the README's two commands"
    assert not named - _targets(), f"{doc.name} names make targets the Makefile lacks: {sorted(named - _targets())}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_leads_somewhere(doc):
    text = doc.read_text()
    links = [target.split("#")[0] for target in re.findall(r"\]\(([^)\s]+)\)", text)
             if not target.startswith(("http://", "https://", "#", "mailto:"))]
    missing = [link for link in links if link and not (doc.parent / link).exists()]
    assert not missing, f"{doc.name} links to {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_path_named_exists(doc):
    missing = []
    for path in PATH.findall(doc.read_text()):
        if "<" in path or "*" in path or path.startswith(RUNTIME):
            continue  # a pattern (solutions/<assignment>/), or something made at run time
        if not (config.REPO_ROOT / path.rstrip("/.")).exists():
            missing.append(path)
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


def test_the_readme_is_a_short_front_door():
    lines = (config.REPO_ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 110, f"README.md has {len(lines)} lines: move the detail into docs/"


def test_the_limits_the_readme_states_are_the_defaults():
    stated = dict(re.findall(r"`COURSE_([A-Z_]+)=(\d+)`", (config.REPO_ROOT / "README.md").read_text()))
    assert len(stated) >= 8, f"the README's instructor part states the limits: found {sorted(stated)}"
    wrong = {name: value for name, value in stated.items() if int(value) != getattr(config, f"DEFAULT_{name}")}
    assert not wrong, f"the README states limits that are not the defaults in autograder/config.py: {wrong}"
