"""Run one hidden test and its judge in this process, the way a grading job does, but without a kernel.

The test's hidden code (from the source notebook) runs against a namespace of the student's objects
with the grader's challenge, its evidence is collected exactly as from a sandbox, the models it
recorded are measured by the model evaluator's own functions, and the judge decides. So these
tests exercise the real chain, only faster than through nbgrader (tests/test_assignments.py).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from pathlib import Path

from course_kernel import evidence as kernel_evidence

from autograder.grading import checks as registry, evidence_reader, job_contract, judging, model_evaluator, model_sandbox, sandbox
from autograder.grading.job_runner import measure_models
from autograder.notebooks import nbgrader_meta, read_notebook, source_notebook


def hidden_code(assignment: str, test_id: str) -> str:
    for cell in read_notebook(source_notebook(assignment)).cells:
        if nbgrader_meta(cell).get("grade_id") == test_id:
            return cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
    raise KeyError(test_id)


class InProcessEvaluator:
    """model_sandbox.Evaluator's contract, answered by model_evaluator's functions in this process."""

    def __init__(self, work: Path):
        self.exchange, self.requests = work / "exchange", work / "requests"
        self.exchange.mkdir(parents=True)
        self.requests.mkdir(parents=True)

    def evaluate(self, requests, timeout):
        answers = {}
        for request, entry in zip(requests, model_sandbox.write_requests(self.requests, requests)):
            out = self.exchange / "out" / entry["id"]
            key = _request_key(entry)
            if key in _MEASURED:
                out.mkdir(parents=True, exist_ok=True)
                for name, content in _MEASURED[key].items():
                    (out / name).write_bytes(content)
            else:
                model_evaluator.evaluate(self.exchange, entry)
                if key is not None:
                    _MEASURED[key] = {path.name: path.read_bytes() for path in out.iterdir()}
            answers[request.id] = out
        return answers

    def close(self):
        pass


# The judge tests call the verdict many times on the same models with one answer changed, and every call
# records the models again and has them measured: the same file, the same inputs, the same answer (the
# measurement is deterministic). So each distinct request is measured once per pytest process, keyed on
# what the evaluator reads: the model's config and weights (not the save date in its metadata), a
# SavedModel's files, the input arrays.
_MEASURED: dict[str, dict[str, bytes]] = {}  # key -> the answer folder's files (facts.json, one .npy per input set)


def _request_key(entry: dict) -> str | None:
    digest = hashlib.sha256()
    try:
        if entry["model"]:
            with zipfile.ZipFile(entry["model"]) as archive:
                for name in sorted(archive.namelist()):
                    if name != "metadata.json":
                        digest.update(name.encode() + b"\0" + hashlib.sha256(archive.read(name)).digest())
        if entry["export"]:
            for path in sorted(Path(entry["export"]).rglob("*")):
                if path.is_file():
                    digest.update(str(path.relative_to(entry["export"])).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    except (OSError, zipfile.BadZipFile):
        return None  # measured as it is, every time: the evaluator reports what is wrong with it
    for label, files in sorted(entry["inputs"].items()):
        digest.update(label.encode())
        for name in files:
            digest.update(hashlib.sha256(Path(name).read_bytes()).digest())
    return digest.hexdigest()


def _run_hidden_test(assignment: str, test_id: str, namespace: dict, tmp_path: Path, monkeypatch,
                     seed: int) -> tuple[Path, Path]:
    """Run *test_id*'s hidden code on *namespace* with the grader's challenge, and collect its
    evidence as a job does; return (the job's folder, its result folder)."""
    checks = registry.for_assignment(assignment)
    work = Path(tempfile.mkdtemp(prefix=f"job-{test_id}-", dir=tmp_path))
    scratch, challenge, result = work / "scratch", work / "challenge", work / "result"
    for folder in (scratch, challenge, result):
        folder.mkdir()
    for name, inputs in checks.challenges(seed).items():
        (challenge / f"{name}.json").write_text(json.dumps(kernel_evidence.encode(inputs)))
    monkeypatch.setenv(kernel_evidence.CHALLENGE_DIR_VARIABLE, str(challenge))
    monkeypatch.setenv(kernel_evidence.EVIDENCE_DIR_VARIABLE, str(scratch / job_contract.EVIDENCE))
    monkeypatch.setattr(kernel_evidence, "_recorded", {})
    exec(hidden_code(assignment, test_id), dict(namespace))
    evidence_reader.collect(scratch, set(checks.tests), result)
    return work, result


def judge(assignment: str, test_id: str, namespace: dict, tmp_path: Path, monkeypatch, seed: int = 1,
          sandboxed_models: bool = False) -> judging.Verdict:
    """The verdict on *test_id* for the student objects in *namespace*. Models are measured in this
    process, unless *sandboxed_models*: then by the real model sandbox, as in grading."""
    work, result = _run_hidden_test(assignment, test_id, namespace, tmp_path, monkeypatch, seed)
    evaluator = (model_sandbox.Evaluator(work, sandbox.Limits(memory_mb=8192, processes=512), work / "log", sandboxed=True)
                 if sandboxed_models else InProcessEvaluator(work))
    measure_models(registry.for_assignment(assignment), result, evaluator, timeout=600)
    return judging.judge(assignment, result, seed)[test_id]


def model_report(model, tmp_path: Path, **inputs) -> "judging.ModelReport":
    """What the model evaluator reports about a Keras *model*, with predictions on each named input set."""
    work = Path(tempfile.mkdtemp(prefix="model-", dir=tmp_path))
    model.save(work / "model.keras")
    request = model_sandbox.Request("t/model", work / "model.keras", None,
                             {label: list(arrays) if isinstance(arrays, (list, tuple)) else [arrays]
                              for label, arrays in inputs.items()})
    answers = InProcessEvaluator(work).evaluate([request], None)
    model_sandbox.keep_answers(answers["t/model"], work / "result" / "models" / "t" / "model", list(inputs))
    return judging.model_reports(work / "result", "t", {"model": tuple(inputs)})["model"]


def recorded(assignment: str, test_id: str, namespace: dict, tmp_path: Path, monkeypatch, seed: int = 1) -> dict:
    """What *test_id*'s hidden code records for the student objects in *namespace*, read back as the
    judge gets it (for tests that vary the evidence itself)."""
    _, result = _run_hidden_test(assignment, test_id, namespace, tmp_path, monkeypatch, seed)
    return evidence_reader.load(result, test_id)


def quick_fit(model, X, y, *, epochs: int, batch_size: int, validation_data=None, **fit_options):
    """``model.fit(X, y, epochs=…, batch_size=…)`` for the small trainings of these tests: the same steps on
    the same data, reshuffled every epoch, fed as a ``tf.data`` pipeline made once. Keras builds a new input
    pipeline around NumPy arrays at every epoch, which on a few hundred rows costs more than the epoch."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((X, y)).shuffle(len(X), seed=0, reshuffle_each_iteration=True)
    if validation_data is not None:
        validation_data = tf.data.Dataset.from_tensor_slices(tuple(validation_data)).batch(1024)
    return model.fit(data.batch(batch_size), epochs=epochs, validation_data=validation_data, shuffle=False, **fit_options)
