"""Reduce every error output of a feedback notebook to its last line ("AssertionError: why").

A full traceback could walk through code the student should not see; the message written for the
student is the last line, and that is kept.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor


class ShortTracebacks(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
