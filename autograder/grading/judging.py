"""Decide every test of one graded notebook from its job result, outside the student's kernel.

The judges (``autograder.grading.checks``) get the evidence each hidden test recorded and the facts the
model sandbox found, and raise ``Failed`` with a message for the student. Whatever else goes wrong
while judging one test (evidence of the wrong shape, a value nobody expected) fails that test
alone, with a message, and never the batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from course_kernel.evidence import FormatError

from autograder.grading import checks as registry, evidence_reader
from autograder.grading.checks.base import Evidence, Failed, ModelReport
from autograder.grading.job_contract import MODELS


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str | None = None


MISSING = ("the hidden test recorded nothing: it did not run to the end (see the error above it, if any), "
           "or its evidence was removed")


def warm_up() -> None:
    """Import what judging and recording need (scikit-learn takes seconds) while the first jobs run."""
    import nbgrader.converters  # noqa: F401
    import sklearn.datasets  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.model_selection  # noqa: F401


def model_reports(result: Path, test_id: str, wanted: dict[str, tuple[str, ...]]) -> dict[str, ModelReport]:
    reports = {}
    for key, labels in wanted.items():
        folder = result / MODELS / test_id / key
        if not (folder / "facts.json").is_file():
            continue
        try:
            facts = json.loads(evidence_reader.read_regular(folder / "facts.json", 16 << 20))
        except (OSError, ValueError, evidence_reader.Refused) as exc:
            reports[key] = ModelReport(error=f"unreadable facts ({exc})")
            continue
        predictions = {}
        for label in labels:
            if (folder / f"{label}.npy").is_file():
                try:
                    predictions[label] = evidence_reader.load_array(folder / f"{label}.npy")
                except (OSError, ValueError, evidence_reader.Refused):
                    pass
        reports[key] = ModelReport(facts=facts, predictions=predictions, error=facts.get("error"))
    return reports


def judge(assignment: str, result: Path, seed: int) -> dict[str, Verdict]:
    """A verdict for every test the assignment's checks know."""
    checks = registry.for_assignment(assignment)
    challenges = checks.challenges(seed)
    verdicts = {}
    for test_id, test in checks.tests.items():
        try:
            values = evidence_reader.load(result, test_id)
            if values is None:
                raise Failed(MISSING)
            test.judge(Evidence(test_id, values, model_reports(result, test_id, test.models)),
                       challenges.get(test_id, {}))
            verdicts[test_id] = Verdict(True)
        except Failed as failure:
            verdicts[test_id] = Verdict(False, str(failure))
        except (FormatError, evidence_reader.Refused) as exc:
            verdicts[test_id] = Verdict(False, f"the grader could not read what this test recorded ({exc})")
        except Exception as exc:  # noqa: BLE001 - evidence no judge foresaw fails its own test, nothing more
            verdicts[test_id] = Verdict(False, f"the grader could not check the recorded answer "
                                               f"({type(exc).__name__}: {str(exc)[:200]})")
    return verdicts
