"""Process helpers shared by the tests that start process trees of their own."""

import psutil


def kill_tree(pid: int) -> None:
    """Kill *pid* and every descendant, and wait for them (nothing is left to the end-of-run survivor check)."""
    try:
        family = psutil.Process(pid).children(recursive=True) + [psutil.Process(pid)]
    except psutil.NoSuchProcess:
        return
    for member in family:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)
