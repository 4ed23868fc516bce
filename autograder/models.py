"""Measure the models a notebook recorded, in a sandbox of their own (``model_evaluator.py``).

The evaluator starts with the job and imports Keras while the student's notebook runs; once the
kernel is gone, the recorded model files and the grader's input arrays are copied into its
exchange folder and it is told to go. It sees nothing else: not the student's scratch folder, not
the labels, not the data files. Its answers (facts and predictions) are read back as untrusted
files and kept in the job's result, where the judges read them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import evidence, sandbox

EVALUATOR = Path(__file__).with_name("model_evaluator.py")
MAX_FACTS_BYTES = 16 << 20


@dataclass
class Request:
    id: str                        # names the folder of its answers
    model: Path | None             # a .keras file among the collected evidence
    export: Path | None            # a SavedModel folder among the collected evidence
    inputs: dict[str, list[np.ndarray]]


class Evaluator:
    """One model sandbox for one job (or a plain process with ``sandboxed=False``)."""

    def __init__(self, workdir: Path, limits: sandbox.Limits, log: Path, sandboxed: bool = True):
        self.exchange = workdir / "exchange"
        self.exchange.mkdir(parents=True)
        self.log = open(log, "ab")
        argv = [sys.executable, str(EVALUATOR) if not sandboxed else "/opt/grader/model_evaluator.py", str(self.exchange)]
        spec = sandbox.Spec(scratch=self.exchange, read_only=[(EVALUATOR, "/opt/grader/model_evaluator.py")],
                            limits=limits)
        self.processes = sandbox.ProcessLimit(limits.processes if sandboxed else None)
        command = sandbox.command(spec, argv) if sandboxed else argv
        environment = sandbox.minimal_host_environment() if sandboxed else {**sandbox.environment(spec),
                                                                             "HOME": str(self.exchange)}
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                        env=environment, cwd=self.exchange, text=True,
                                        preexec_fn=sandbox.preexec(limits, self.processes))

    def evaluate(self, requests: list[Request], timeout: float | None) -> dict[str, Path]:
        """Run every request; return request id -> folder of its answers (facts.json, <input set>.npy)."""
        if not requests:
            self.close()
            return {}
        answers = write_requests(self.exchange, requests)
        try:
            self.process.communicate("go\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            return {}
        finally:
            self.close()
        return answers

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.communicate("quit\n", timeout=5)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                self.process.kill()
                self.process.wait()
        self.processes.close()
        self.log.close()


def write_requests(exchange: Path, requests: list[Request]) -> dict[str, Path]:
    """Copy models and inputs into *exchange* with ``requests.json``; return request id -> answer folder."""
    listed, answers, saved = [], {}, set()
    for number, request in enumerate(requests):
        entry = {"id": f"r{number}", "model": None, "export": None, "inputs": {}}
        if request.model is not None:
            shutil.copyfile(request.model, exchange / f"r{number}.keras")
            entry["model"] = f"r{number}.keras"
        if request.export is not None:
            shutil.copytree(request.export, exchange / f"r{number}.export")
            entry["export"] = f"r{number}.export"
        for label, arrays in request.inputs.items():
            names = [f"input-{label}-{index}.npy" for index in range(len(arrays))]
            for name, array in zip(names, arrays):
                if name not in saved:  # one copy of each input set, however many models use it
                    np.save(exchange / name, np.asarray(array), allow_pickle=False)
                    saved.add(name)
            entry["inputs"][label] = names
        listed.append(entry)
        answers[request.id] = exchange / "out" / entry["id"]
    (exchange / "requests.json").write_text(json.dumps(listed))
    return answers


def keep_answers(answers: Path, destination: Path, labels: list[str]) -> None:
    """Copy one request's answers into the job result, read as untrusted files."""
    destination.mkdir(parents=True, exist_ok=True)
    try:
        facts = json.loads(evidence.read_regular(answers / "facts.json", MAX_FACTS_BYTES))
        if not isinstance(facts, dict):
            raise ValueError("facts are not an object")
    except (OSError, ValueError, evidence.Refused) as exc:
        facts = {"error": f"the model sandbox gave no usable answer ({exc})"}
    for label in labels:
        try:
            np.save(destination / f"{label}.npy", evidence.load_array(answers / f"{label}.npy"), allow_pickle=False)
        except (OSError, ValueError, evidence.Refused):
            pass
    (destination / "facts.json").write_text(json.dumps(facts))
