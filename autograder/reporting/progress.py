"""Progress of a grading run, as the instructor sees it.

The grading loop reports one line per finished submission (``[done/total] student: score | left,
failed, elapsed, time left``). On a terminal those lines scroll above a live progress bar (done, left,
failed, elapsed, estimated time left); in a log or CI they are printed as they are.
"""

from __future__ import annotations

import re
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

_FAILED = re.compile(r"(\d+) failed")


class GradingProgress:
    """A callable for ``Course.autograde(progress=...)``: one bar per assignment on a terminal."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self._bar: Progress | None = None
        self._task = None

    def start(self, assignment: str, total: int) -> None:
        if not self.live or total == 0:
            return
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                             TextColumn("left"), TimeRemainingColumn(), console=Console(file=self.stream))
        self._task = self._bar.add_task(assignment, total=total, failed=0)
        self._bar.start()

    def __call__(self, line: str) -> None:
        if self._bar is None:
            print(line, file=self.stream, flush=True)
            return
        self._bar.console.print(line, markup=False, highlight=False)
        failed = _FAILED.search(line)
        self._bar.update(self._task, advance=1, failed=int(failed[1]) if failed else 0)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
