"""What an instructor sees while a class is graded: lines in a log, a live bar on a terminal."""

import io

from autograder.reporting.progress import GradingProgress

LINES = ["[1/3] 01-perceptrons ann: 17/17 (7 s) | 2 left, 0 failed, 7 s elapsed, about 14 s left",
         "[2/3] 01-perceptrons bob: ERROR corrupt (0 s) | 1 left, 1 failed, 7 s elapsed, about 4 s left",
         "[3/3] 01-perceptrons cy: 5/17 (8 s) | 0 left, 1 failed, 15 s elapsed"]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_in_a_log_each_line_is_printed_as_it_is():
    log = io.StringIO()
    progress = GradingProgress(log)
    progress.start("01-perceptrons", 3)
    for line in LINES:
        progress(line)
    progress.stop()
    assert log.getvalue().splitlines() == LINES


def test_on_a_terminal_a_bar_counts_done_and_failed_below_the_lines():
    screen = Terminal()
    progress = GradingProgress(screen)
    progress.start("01-perceptrons", 3)
    for line in LINES:
        progress(line)
    progress.stop()
    shown = screen.getvalue()
    assert all(line.split(" | ")[0] in shown for line in LINES), "every student's line is shown"
    assert "3/3" in shown and "1 failed" in shown and "01-perceptrons" in shown
