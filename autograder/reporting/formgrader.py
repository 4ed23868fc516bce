"""``make formgrader``: nbgrader's formgrader in JupyterLab, on this course, for the written answers.

The server runs from the repository root, so nbgrader reads ``nbgrader_config.py`` there (the same
course folder and gradebook as ``make autograde``), and serves the folder above the course, which
nbgrader requires to contain it. It listens on 127.0.0.1 only, with a token we choose, so the
address printed can be opened at once (from another machine: an SSH tunnel to that port).
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from autograder import config


class FormgraderError(RuntimeError):
    """The formgrader cannot start; the message says why."""


@dataclass
class Formgrader:
    process: subprocess.Popen
    url: str      # the formgrader page, token included
    base: str     # http://127.0.0.1:PORT
    token: str

    def stop(self) -> None:
        """JupyterLab and everything it started (its own session): asked to stop, then killed."""
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            try:
                self.process.wait(timeout=grace)
                os.killpg(self.process.pid, 0)  # the server is gone: anything left of its session?
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                break
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _die_with_parent() -> None:
    """In the server's process, before it runs: its own session, and SIGTERM when we die, however we die."""
    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)


def command(course: Path, port: int, token: str) -> list[str]:
    return [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={course.parent}",
            f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
            # CI and containers run as root; Jupyter refuses that unless told (it executes nothing of students').
            *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else [])]


def start(course: Path | None = None, port: int = 8888, token: str | None = None, log: Path | None = None,
          wait: float = 120) -> Formgrader:
    """Start JupyterLab with the formgrader on *course* (default: the course folder) and return once
    the formgrader page answers. The server's log goes to *log* (default: <course>/formgrader.log)."""
    course = Path(course or config.course_dir()).resolve()
    gradebook = config.db_url(course)
    if gradebook.startswith("sqlite:///") and not Path(gradebook.removeprefix("sqlite:///")).exists():
        raise FormgraderError(f"no gradebook in {course}: nothing has been autograded there yet (run make autograde)")
    token = token or secrets.token_hex(24)
    env = {**os.environ, "COURSE_DIR": str(course)}
    (course / "exchange").mkdir(exist_ok=True)  # nbgrader logs an unwritable exchange as critical otherwise
    log = Path(log or course / "formgrader.log")
    with log.open("wb") as stream:
        process = subprocess.Popen(command(course, port, token), cwd=config.REPO_ROOT, env=env,
                                   stdout=stream, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    base = f"http://127.0.0.1:{port}"
    server = Formgrader(process, f"{base}/formgrader?token={token}", base, token)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            last = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise FormgraderError(f"JupyterLab stopped at start (exit {process.returncode}); its log {log} ends:\n  "
                                  + "\n  ".join(last))
        try:
            with urllib.request.urlopen(f"{base}/formgrader/manage_assignments?token={token}", timeout=5) as reply:
                if reply.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    server.stop()
    raise FormgraderError(f"the formgrader did not answer on {base} within {wait:.0f} s")


class _Stopped(Exception):
    pass


def _stop(signum, frame):
    raise _Stopped(signum)


def serve(course: Path | None = None, port: int = 8888) -> int:
    """``make formgrader``: start, print the address, run until Ctrl-C, SIGTERM or SIGHUP (a closed
    terminal, a process manager), and take the server down with it in every case."""
    # SIGINT too, explicitly: a process started in the background inherits SIGINT ignored, and Python then
    # never raises KeyboardInterrupt, so Ctrl-C (or a supervisor's SIGINT) would leave the server running.
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    server = None
    try:
        server = start(course, port)
        print(f"formgrader: {server.url}\n(the server's log: {Path(course or config.course_dir()) / 'formgrader.log'}; "
              "Ctrl-C stops it)", flush=True)
        return server.process.wait()
    except (KeyboardInterrupt, _Stopped):
        return 0
    finally:
        if server is not None:
            server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
