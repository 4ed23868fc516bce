"""The end-of-run check (tests/conftest.py) fails a run that leaves a process behind, and names it."""

import subprocess
import sys

from autograder import config


def test_a_run_that_leaves_a_process_behind_fails(tmp_path):
    (tmp_path / "test_leaky.py").write_text(
        "import subprocess, sys\n"
        "def test_starts_a_server_and_forgets_it():\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  # leaked-on-purpose'],\n"
        "                     start_new_session=True)\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_leaky.py")],
                          capture_output=True, text=True, cwd=config.REPO_ROOT, timeout=120)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "processes outlived the test run" in done.stdout and "leaked-on-purpose" in done.stdout
    assert "1 passed" in done.stdout, "the test itself passed: the check failed the run"
