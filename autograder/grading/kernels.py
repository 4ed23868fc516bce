"""A Jupyter kernel started inside the sandbox, as nbclient and nbgrader's Execute expect one.

The kernel talks to the grader over ZeroMQ sockets on Unix-socket files in a runtime folder that
is bound into the sandbox (its network namespace has no usable TCP), is interrupted by a message
on its control channel (a signal to bubblewrap would not reach a process in another session), and
always runs this environment's own interpreter: whatever kernel name a submission claims, no
other program is started.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from autograder.grading import sandbox


class SandboxedKernelManager(AsyncKernelManager):
    """Start the kernel with *spec* (``sandbox.Spec``); ``sandboxed=False`` runs it unconfined."""

    def __init__(self, spec: sandbox.Spec, runtime: Path, log: Path, sandboxed: bool = True, **kwargs):
        runtime.mkdir(parents=True, exist_ok=True)
        super().__init__(transport="ipc", ip=str(runtime / "kernel"), connection_file=str(runtime / "connection.json"),
                         **kwargs)
        self.spec, self.log_path, self.sandboxed = spec, log, sandboxed
        self.sandbox_groups: sandbox.SandboxGroups | None = None
        self._log = None
        if sandboxed:
            spec.writable.append((runtime, str(runtime)))

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="grading kernel", language="python", interrupt_mode="message",
                          metadata={"supported_encryption": ["curve"]})

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        argv = super().format_kernel_cmd(extra_arguments)
        return sandbox.command(self.spec, argv) if self.sandboxed else argv

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.sandbox_groups = sandbox.SandboxGroups(self.spec.limits.processes if self.sandboxed else None,
                                                  self.spec.limits.memory_mb if self.sandboxed else None)
        kw.update(stdout=self._log, stderr=self._log, stdin=None,
                  preexec_fn=sandbox.preexec(self.spec.limits, self.sandbox_groups))
        if self.sandboxed:
            kw["env"] = sandbox.minimal_host_environment()
        else:  # the same environment the sandbox would give, with the grader's own paths
            kw["env"] = {**sandbox.environment(self.spec), "HOME": str(self.spec.scratch), "TMPDIR": str(self.spec.scratch)}
            kw["cwd"] = str(self.spec.scratch)
        await super()._async_launch_kernel(kernel_cmd, **kw)

    def oom_killed(self) -> int:
        """Processes of this kernel's sandbox killed for its memory limit (read before release)."""
        return self.sandbox_groups.oom_killed() if self.sandbox_groups is not None else 0

    def kill_now(self) -> None:
        """Kill the kernel and everything it started, from any thread (the wall-clock limit)."""
        provisioner = self.provisioner
        process = getattr(provisioner, "process", None)
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.sandbox_groups is not None:
            self.sandbox_groups.close()

    def release(self) -> None:
        """After shutdown: nothing of the sandbox may be left running."""
        self.kill_now()
        if self._log is not None:
            self._log.close()
            self._log = None
