"""Reading what a hidden test recorded, as the grader must: as untrusted bytes from a hostile folder.

After the student's sandbox is gone, ``collect`` copies the evidence out of its scratch folder into
the job's result: only regular files, opened without following symbolic links, under size caps,
each parsed as JSON (no ``NaN`` literals, no pickles: arrays are base64 of a whitelisted numeric
dtype) before it is kept. Anything else is left behind and noted. ``load`` reads the kept evidence
back for the judges.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder.grading.job_contract import EVIDENCE
from course_kernel.evidence import FormatError, ModelReference, decode

MAX_EVIDENCE_BYTES = 64 << 20       # one test's JSON
MAX_TOTAL_BYTES = 512 << 20         # everything one job keeps, models included
MAX_MODEL_BYTES = 256 << 20         # one saved model
MAX_EXPORT_FILES = 200              # files in one exported SavedModel
MODEL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}\.(keras|export)$")


class Refused(ValueError):
    """A file the grader will not read, and why."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of *path* if it is a regular file (not a link, FIFO or device) of at most *limit* bytes."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as exc:  # ELOOP: a symbolic link
        raise Refused(f"{path.name}: not a regular file ({exc.strerror})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"{path.name}: not a regular file")
        if info.st_size > limit:
            raise Refused(f"{path.name}: {info.st_size} bytes, more than the {limit} allowed")
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise Refused(f"{path.name}: more than the {limit} bytes allowed")
        return data
    finally:
        os.close(descriptor)


def _real_directory(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def parse(data: bytes) -> dict[str, Any]:
    """One test's evidence: a JSON object of named values in the course_kernel.evidence format."""
    def no_constants(name: str):
        raise FormatError(f"{name} is not JSON")

    try:
        raw = json.loads(data.decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise FormatError(f"not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise FormatError("evidence is a JSON object of named values")
    values = decode(raw)
    if not isinstance(values, dict):
        raise FormatError("evidence is a JSON object of named values")
    return values


def model_references(values: Any):
    """Every (key, ModelReference) in *values*, top-level keys only: models are recorded by name."""
    if isinstance(values, dict):
        for key, value in values.items():
            if isinstance(value, ModelReference):
                yield key, value


@dataclass
class Collected:
    test_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def collect(scratch: Path, test_ids: set[str], destination: Path) -> Collected:
    """Copy the evidence of *test_ids* out of *scratch* into *destination*; refuse anything odd."""
    source, collected = scratch / EVIDENCE, Collected()
    if not os.path.lexists(source):
        return collected
    if not _real_directory(source):
        collected.notes.append("the evidence folder was replaced by something else; nothing was read from it")
        return collected
    budget = MAX_TOTAL_BYTES
    for name in sorted(os.listdir(source)):
        test_id = name[:-5] if name.endswith(".json") else None
        if test_id is None or name.startswith("."):
            continue
        if test_id not in test_ids:
            collected.notes.append(f"evidence for an unknown test {test_id!r} was ignored")
            continue
        try:
            data = read_regular(source / name, min(MAX_EVIDENCE_BYTES, budget))
            values = parse(data)
            models = _collect_models(source / test_id, values, destination / "models" / test_id, budget - len(data))
        except (Refused, FormatError, OSError) as exc:
            collected.notes.append(f"evidence of {test_id} refused: {exc}")
            continue
        budget -= len(data) + models
        (destination / EVIDENCE).mkdir(parents=True, exist_ok=True)
        (destination / EVIDENCE / name).write_bytes(data)
        collected.test_ids.append(test_id)
    return collected


def _collect_models(folder: Path, values: dict, destination: Path, budget: int) -> int:
    """Copy the model files *values* refer to; return the bytes copied."""
    copied = 0
    for _, reference in model_references(values):
        for name in (reference.file, reference.export):
            if name is None:
                continue
            if not MODEL_NAME.match(name) or not _real_directory(folder):
                raise Refused(f"model {name!r} is not where the recorder saves models")
            if name.endswith(".keras"):
                data = read_regular(folder / name, min(MAX_MODEL_BYTES, budget - copied))
                destination.mkdir(parents=True, exist_ok=True)
                (destination / name).write_bytes(data)
                copied += len(data)
            else:
                copied += _copy_tree(folder / name, destination / name, budget - copied)
    return copied


def _copy_tree(source: Path, destination: Path, budget: int) -> int:
    """A SavedModel folder: regular files and folders only, within the budget."""
    if not _real_directory(source):
        raise Refused(f"{source.name}: not a folder")
    copied, files = 0, 0
    for root, folders, names in os.walk(source, followlinks=False):
        relative = Path(root).relative_to(source)
        for folder in folders:
            if not _real_directory(Path(root) / folder):
                raise Refused(f"{source.name}: holds a link")
        for name in names:
            files += 1
            if files > MAX_EXPORT_FILES:
                raise Refused(f"{source.name}: more than {MAX_EXPORT_FILES} files")
            data = read_regular(Path(root) / name, min(MAX_MODEL_BYTES, budget - copied))
            (destination / relative).mkdir(parents=True, exist_ok=True)
            (destination / relative / name).write_bytes(data)
            copied += len(data)
    return copied


# --- reading it back, for the judges ------------------------------------------------------------

def load(result: Path, test_id: str) -> dict[str, Any] | None:
    """The evidence *test_id* recorded, as collected into the job's *result*; None if it recorded none."""
    path = result / EVIDENCE / f"{test_id}.json"
    if not path.is_file():
        return None
    return parse(read_regular(path, MAX_EVIDENCE_BYTES))


def load_array(path: Path, limit: int = MAX_MODEL_BYTES) -> np.ndarray:
    """An ``.npy`` file written by the model sandbox: plain numbers only, never pickles."""
    import io

    array = np.load(io.BytesIO(read_regular(path, limit)), allow_pickle=False)
    if array.dtype.kind not in "biuf":
        raise Refused(f"{path.name}: not an array of numbers")
    return array


def remove_tree(path: Path) -> None:
    """Remove a folder a sandbox wrote into, whatever permissions it left behind."""
    def make_writable(function, name, _):
        try:
            os.chmod(Path(name).parent, 0o700)
            os.chmod(name, 0o700)
        except OSError:
            pass
        function(name)

    if os.path.lexists(path):
        shutil.rmtree(path, onerror=lambda function, name, info: _retry(make_writable, function, name, info))


def _retry(handler, function, name, info) -> None:
    try:
        handler(function, name, info)
    except OSError:
        pass
