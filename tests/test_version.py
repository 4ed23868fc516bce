"""The course version covers everything a grade depends on: a changed hidden test, grading code, a
release notebook, a pin or the data manifest gives another version, so `make autograde` grades
everyone again instead of keeping grades made under the old one."""

import shutil

import pytest

from autograder import config, version


@pytest.fixture
def course_copy(tmp_path, monkeypatch):
    """The version's inputs copied, so that one can be edited."""
    for name in ("solutions", "notebooks"):
        shutil.copytree(config.REPO_ROOT / name, tmp_path / name)
    for name in ("requirements.txt", "data/manifest.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(config.REPO_ROOT / name, tmp_path / name)
    monkeypatch.setattr(config, "SOLUTIONS_DIR", tmp_path / "solutions")
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", tmp_path / "notebooks")
    monkeypatch.setattr(config, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(config, "DATA_MANIFEST", tmp_path / "data" / "manifest.json")
    return tmp_path


def test_the_same_files_give_the_same_version(course_copy):
    assert version.course_version() == version.course_version()


@pytest.mark.parametrize("edit", ["solutions/01-perceptrons/01-perceptrons.ipynb", "notebooks/02-linear-regression/02-linear-regression.ipynb",
                                  "requirements.txt", "data/manifest.json"])
def test_each_input_changes_the_version(course_copy, edit):
    before = version.course_version()
    path = course_copy / edit
    text = path.read_text()
    # In a solution notebook: an instructor correcting a hidden test (once missed: grades went stale).
    edited = text.replace('record(\\"test-perceptron-rule\\"', 'record( \\"test-perceptron-rule\\"', 1) \
        if edit.startswith("solutions/") else text + "\n"
    assert edited != text
    path.write_text(edited)
    assert version.course_version() != before, edit
