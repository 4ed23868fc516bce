import pytest

from autograder import config


@pytest.fixture(autouse=True)
def _no_real_course(monkeypatch, tmp_path_factory):
    # Tests never touch ./course or a configured gradebook: each gets a throwaway course folder.
    monkeypatch.setenv("COURSE_DIR", str(tmp_path_factory.mktemp("course")))
    monkeypatch.delenv("COURSE_DB_URL", raising=False)
    monkeypatch.delenv("COURSE_SANDBOX", raising=False)
    # The repository's own schedule, and no real student repository to publish into.
    monkeypatch.delenv("COURSE_SCHEDULE", raising=False)
    monkeypatch.delenv("COURSE_PUBLISH_DIR", raising=False)


@pytest.fixture(autouse=True, scope="session")
def _always_sandboxed():
    # Hostile submissions are graded here, some in module-wide fixtures: never without the sandbox,
    # whatever the shell says. (A test that means to grade unsandboxed sets COURSE_SANDBOX=off itself.)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("COURSE_SANDBOX", raising=False)
        yield


@pytest.fixture(scope="session")
def data_root():
    """The verified data folder `make install` fills; its absence is a failure, not a skip."""
    root = config.data_dir()
    if not (root / "mnist").is_dir():
        pytest.fail(f"no data in {root}: run `make data MIRROR=<folder>` (part of `make install`)")
    return root
