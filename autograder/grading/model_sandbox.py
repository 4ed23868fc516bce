"""Measure the models a notebook recorded, in a sandbox of their own (``model_evaluator.py``).

The evaluator starts with the job and imports Keras while the student's notebook runs; once the
kernel is gone, the recorded model files and the grader's input arrays are copied into a requests
folder it sees read-only, and it is told to measure them **one at a time**: before each model is
loaded its answer folder is empty, and each model's answers are read back (as untrusted files) and
copied out of its reach before the next is loaded. So a model whose graph writes files (a crafted
SavedModel) can neither change another model's file or inputs nor forge another model's answers
(and ``model_evaluator`` refuses such graphs anyway). It sees nothing else: not the student's
scratch folder, not the labels, not the data files.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.grading import evidence_reader, sandbox

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
        self.exchange = workdir / "exchange"     # the sandbox's only writable folder: answers go to out/
        self.requests = workdir / "requests"     # models, inputs and requests.json, read-only inside
        self.answers = workdir / "answers"       # each answer, copied here before the next model loads
        for folder in (self.exchange, self.requests, self.answers):
            folder.mkdir(parents=True)
        self.log = open(log, "ab")
        self._pending = b""
        script = str(EVALUATOR) if not sandboxed else "/opt/grader/model_evaluator.py"
        argv = [sys.executable, script, str(self.exchange), str(self.requests)]
        spec = sandbox.Spec(scratch=self.exchange, limits=limits,
                            read_only=[(EVALUATOR, "/opt/grader/model_evaluator.py"), (self.requests, str(self.requests))])
        self.processes = sandbox.SandboxGroups(limits.processes if sandboxed else None, limits.memory_mb if sandboxed else None)
        command = sandbox.command(spec, argv) if sandboxed else argv
        environment = sandbox.minimal_host_environment() if sandboxed else {**sandbox.environment(spec),
                                                                             "HOME": str(self.exchange)}
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                        env=environment, cwd=self.exchange, text=True,
                                        preexec_fn=sandbox.preexec(limits, self.processes))

    def evaluate(self, requests: list[Request], timeout: float | None) -> dict[str, Path]:
        """Run the requests one by one; return request id -> folder of its answers (facts.json,
        <input set>.npy), each read back before the next model was loaded. Requests left when the
        time is up get no answer."""
        answers: dict[str, Path] = {}
        if not requests:
            self.close()
            return answers
        entries = write_requests(self.requests, requests)
        deadline = time.monotonic() + timeout if timeout else None
        try:
            for request, entry in zip(requests, entries):
                out = self.exchange / "out"
                shutil.rmtree(out, ignore_errors=True)  # nothing an earlier model left can pass for an answer
                self.process.stdin.write(f"go {entry['id']}\n")
                self.process.stdin.flush()
                if not self._wait_for(f"done {entry['id']}", deadline):
                    break
                answer = self.answers / entry["id"]
                keep_answers(out / entry["id"], answer, list(request.inputs))
                answers[request.id] = answer
        except (BrokenPipeError, OSError):
            pass  # the evaluator died: the rest have no answer, and their tests say so
        finally:
            self.close()
        return answers

    def _wait_for(self, expected: str, deadline: float | None) -> bool:
        """Read the evaluator's lines (from the descriptor itself, so nothing waits in a buffer
        that select cannot see) until *expected*; False at the deadline or when it ends."""
        fd = self.process.stdout.fileno()
        while True:
            lines = self._pending.split(b"\n")
            for number, line in enumerate(lines[:-1]):
                if line.strip() == expected.encode():
                    self._pending = b"\n".join(lines[number + 1:])
                    return True
            self._pending = lines[-1][-4096:]
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return False
            chunk = os.read(fd, 65536)
            if not chunk:
                return False  # the evaluator ended
            self._pending += chunk

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.communicate("quit\n", timeout=5)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                self.process.kill()
                self.process.wait()
        self.processes.close()
        self.log.close()


def write_requests(folder: Path, requests: list[Request]) -> list[dict]:
    """Copy models and inputs into *folder* with ``requests.json``; return its entries (ids r0, r1, ...)."""
    listed, saved = [], set()
    for number, request in enumerate(requests):
        entry = {"id": f"r{number}", "model": None, "export": None, "inputs": {}}
        if request.model is not None:
            shutil.copyfile(request.model, folder / f"r{number}.keras")
            entry["model"] = str(folder / f"r{number}.keras")
        if request.export is not None:
            shutil.copytree(request.export, folder / f"r{number}.export")
            entry["export"] = str(folder / f"r{number}.export")
        for label, arrays in request.inputs.items():
            names = [f"input-{label}-{index}.npy" for index in range(len(arrays))]
            for name, array in zip(names, arrays):
                if name not in saved:  # one copy of each input set, however many models use it
                    np.save(folder / name, np.asarray(array), allow_pickle=False)
                    saved.add(name)
            entry["inputs"][label] = [str(folder / name) for name in names]
        listed.append(entry)
    (folder / "requests.json").write_text(json.dumps(listed))
    return listed


def keep_answers(answers: Path, destination: Path, labels: list[str]) -> None:
    """Copy one request's answers into the job result, read as untrusted files."""
    destination.mkdir(parents=True, exist_ok=True)
    try:
        facts = json.loads(evidence_reader.read_regular(answers / "facts.json", MAX_FACTS_BYTES))
        if not isinstance(facts, dict):
            raise ValueError("facts are not an object")
    except (OSError, ValueError, evidence_reader.Refused) as exc:
        facts = {"error": f"the model sandbox gave no usable answer ({exc})"}
    for label in labels:
        try:
            np.save(destination / f"{label}.npy", evidence_reader.load_array(answers / f"{label}.npy"), allow_pickle=False)
        except (OSError, ValueError, evidence_reader.Refused):
            pass
    (destination / "facts.json").write_text(json.dumps(facts))
