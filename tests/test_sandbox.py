"""The sandbox itself: what a process inside sees, cannot reach, cannot keep running, cannot exceed.

Each test runs a few lines of Python in a real bubblewrap sandbox, as grading does, and looks at
what happened from outside.
"""

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import psutil
import pytest

from autograder import config, sandbox

SECRET = "postgresql://grader:s3cret-password@127.0.0.1:5432/gradebook"


def run(tmp_path, code, **limits):
    scratch = tmp_path / "scratch"
    scratch.mkdir(exist_ok=True)
    spec = sandbox.Spec(scratch=scratch, limits=sandbox.Limits(**{"processes": 64, "memory_mb": 4096, **limits}))
    return sandbox.run(spec, [sys.executable, "-c", textwrap.dedent(code)], timeout=120, capture_output=True, text=True)


def test_inside_only_the_runtime_and_the_scratch_folder_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DB_URL", SECRET)
    secret_home = tmp_path / "home"
    secret_home.mkdir()
    (secret_home / "notes.txt").write_text("exam answers")
    done = run(tmp_path, f"""
        import os, sys
        from pathlib import Path
        print(sorted(os.environ))
        print(open("/proc/self/environ", "rb").read())
        print(open("/proc/1/environ", "rb").read() if os.access("/proc/1/environ", os.R_OK) else b"")
        for path in [{str(config.REPO_ROOT / "autograder")!r}, {str(config.REPO_ROOT / "solutions")!r},
                     {str(config.course_dir())!r}, {str(secret_home)!r}, "/root", "/work"]:
            print(path, Path(path).exists() and sorted(os.listdir(path)))
        """)
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout and "COURSE_DB_URL" not in done.stdout
    for line in done.stdout.splitlines()[3:]:
        path, seen = line.split(" ", 1)
        assert seen in ("False", "[]") or path in ("/root", "/work"), line
        assert "autograder" not in seen and "solutions" not in seen and "notes.txt" not in seen, line


def test_nothing_outside_the_scratch_folder_can_be_written(tmp_path):
    done = run(tmp_path, f"""
        import sys
        from pathlib import Path
        results = []
        for path in [Path(sys.prefix) / "pwned.py", Path(sys.base_prefix) / "pwned.py", Path("/usr/pwned"),
                     Path({str(config.REPO_ROOT / "autograder" / "pwned.py")!r}),
                     # bubblewrap's own unsized tmpfs mounts: the host's memory, outside every limit
                     Path("/filler"), Path("/dev/filler"), Path("/etc/filler"), Path("/opt-filler"),
                     Path("/tmp/ok"), Path("ok")]:
            try:
                path.write_text("x")
                results.append(f"{{path}}: written")
            except OSError as exc:
                results.append(f"{{path}}: {{exc.strerror}}")
        print("\\n".join(results))
        """)
    lines = done.stdout.splitlines()
    assert lines[-2].endswith("written") and lines[-1].endswith("written"), "its /tmp and its scratch folder"
    assert not any(line.endswith("written") for line in lines[:-2]), done.stdout
    assert not (config.REPO_ROOT / "autograder" / "pwned.py").exists()


def test_no_network_not_even_the_graders_loopback(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(5)
    port = server.getsockname()[1]
    connections = []
    threading.Thread(target=lambda: connections.append(_accept(server)), daemon=True).start()
    done = run(tmp_path, f"""
        import socket
        for host in ("127.0.0.1", "localhost", "8.8.8.8"):
            try:
                socket.create_connection((host, {port}), timeout=3)
                print(host, "connected")
            except OSError as exc:
                print(host, type(exc).__name__)
        """)
    time.sleep(1)
    assert "connected" not in done.stdout and done.stdout.count("\n") == 3, done.stdout + done.stderr
    assert connections in ([], [None]), "the grader's server never heard from the sandbox"
    server.close()


def _accept(server):
    try:
        return server.accept()
    except OSError:
        return None


def test_nothing_the_sandbox_starts_outlives_it(tmp_path):
    marker = f"outlive-{os.getpid()}"
    done = run(tmp_path, f"""
        import os, subprocess, sys
        if os.fork() == 0:           # double fork, new session: a daemon
            os.setsid()
            if os.fork() == 0:
                os.execv("/bin/sleep", ["sleep", "300", "{marker}"])
            os._exit(0)
        subprocess.Popen(["nohup", "/bin/sleep", "300", "{marker}"], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("started")
        """)
    assert "started" in done.stdout, done.stderr
    time.sleep(1)
    survivors = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    assert not survivors, survivors


def test_a_fork_bomb_stops_at_the_process_limit(tmp_path):
    done = run(tmp_path, """
        import os, time
        children = 0
        try:
            for _ in range(1000):
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                children += 1
        except OSError as exc:
            print("stopped", children, type(exc).__name__)
        """, processes=40)
    assert "stopped" in done.stdout, done.stdout + done.stderr
    assert int(done.stdout.split()[1]) < 40


def test_memory_and_file_size_are_limited(tmp_path):
    done = run(tmp_path, """
        try:
            hog = bytearray(2 * 1024 ** 3)
            print("allocated")
        except MemoryError:
            print("memory refused")
        try:
            with open("big", "wb") as stream:
                stream.write(b"x" * (20 * 1024 ** 2))
            print("written")
        except OSError as exc:
            print("file refused", exc.errno)
        """, memory_mb=1024, file_mb=8)
    assert "memory refused" in done.stdout and "file refused 27" in done.stdout, done.stdout + done.stderr


def test_a_sandbox_that_cannot_start_is_reported_with_the_fix(tmp_path, monkeypatch):
    sandbox.check(tmp_path)  # works here
    monkeypatch.setattr(sandbox, "bwrap", lambda: "/nonexistent/bwrap")
    with pytest.raises(sandbox.SandboxUnavailable, match="COURSE_SANDBOX=off"):
        sandbox.check(tmp_path)


@pytest.mark.parametrize("value, on", [("on", True), ("off", False), ("OFF", False), ("", True), ("no", None)])
def test_the_only_way_out_is_an_explicit_off(monkeypatch, value, on):
    monkeypatch.setenv("COURSE_SANDBOX", value)
    if on is None:
        with pytest.raises(sandbox.SandboxUnavailable):
            sandbox.enabled()
    else:
        assert sandbox.enabled() is on
    monkeypatch.delenv("COURSE_SANDBOX")
    assert sandbox.enabled()


def test_bubblewrap_comes_with_the_install():
    assert subprocess.run([sandbox.bwrap(), "--version"], capture_output=True, text=True).stdout.startswith("bubblewrap")
