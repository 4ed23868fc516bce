"""Points from trusted verdicts only: what the judges decided replaces what the kernel claimed.

For each test cell (nbgrader then scores an error output as 0, anything else as full points):

* a cell that never ran (the kernel stopped before it) gets an error: nothing was tested;
* a cell whose visible asserts or hidden recording failed keeps the kernel's error: the student
  sees why, and a failing visible test costs the points;
* otherwise the judge's verdict decides: a failed verdict adds an ``AssertionError`` with the
  judge's message; a passed one leaves the cell's printed output.

Output a kernel put in a test cell cannot earn anything: standard-error text becomes ordinary
output (it is not a failure) and a value it displayed is dropped (nbgrader would read a number as
partial credit). The notebook's metadata records whether it ran in a sandbox.
"""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.grading import judging
from autograder.grading.job_contract import JobResult, read_job
from autograder.layout import job_result
from autograder.notebooks import nbgrader_meta

NOT_RUN = "this test cell did not run (the kernel stopped before it), so nothing was tested"


def error_output(message: str, name: str = "AssertionError") -> NotebookNode:
    return NotebookNode(output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def apply(cell, verdict: judging.Verdict | None) -> None:
    outputs = []
    for output in cell.get("outputs", []):
        if output.output_type == "execute_result":
            continue
        if output.output_type == "stream" and output.name == "stderr":
            output = NotebookNode({**output, "name": "stdout"})
        outputs.append(output)
    ran = cell.get("execution_count") is not None or outputs
    if not ran:
        outputs.append(error_output(NOT_RUN))
    elif not any(o.output_type == "error" for o in outputs):
        if verdict is None:
            outputs.append(error_output("no trusted check is registered for this test (autograder/grading/checks)"))
        elif not verdict.passed:
            outputs.append(error_output(verdict.message or "failed"))
    cell.outputs = outputs


class ApplyVerdicts(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        folder = Path(resources["autograder"]["job"])
        job = read_job(folder)
        verdicts = judging.judge(job.assignment, job_result(folder), job.seed)
        for cell in nb.cells:
            if cell.cell_type == "code" and nbgrader_meta(cell).get("grade"):
                apply(cell, verdicts.get(nbgrader_meta(cell).get("grade_id")))
        outcome = JobResult.read(job_result(folder))
        nb.metadata["autograder"] = {"sandboxed": outcome.sandboxed, "notes": outcome.notes}
        return nb, resources
