"""Execution: run a rebuilt submission and bring back its answers.

The notebook runs in a child process (``evalround._kernel_runner``) in a working copy
that holds only the notebook and the variant's data. ``NotebookRunner`` is the seam:
``SandboxRunner`` runs that child under bubblewrap (``evalround.sandbox``);
``LocalRunner`` runs it as a plain process, only when the operator allows it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import nbformat
from nbformat import NotebookNode

from evalround import sandbox

NOTEBOOK_NAME = "submission.ipynb"


@dataclass(frozen=True)
class ExecutionResult:
    """The executed notebook, the raw answers, and why the run failed, if it did."""

    notebook: NotebookNode
    answers: dict[str, Any]
    failure: str | None
    seconds: float
    # stopped by the wall-clock backstop on a busy machine: not a score, graded again
    overloaded: bool = False


@dataclass(frozen=True)
class Limits:
    """Bounds on one submission's run.

    ``cell_timeout`` and ``total_timeout`` are budgets of **CPU time** (seconds), counted
    over every process in the sandbox: a cell is interrupted when it has used its
    budget, the notebook is stopped when it has used its own. A busy machine slows a
    run but never spends its budget. Wall-clock time only backstops them, at
    ``backstop_factor`` times the budget: a run stopped there on a loaded machine is not
    graded (``ExecutionResult.overloaded``) and is graded again by the next ``grade``.
    """

    cell_timeout: int = 60  # CPU seconds per cell
    total_timeout: int = 600  # CPU seconds per notebook
    backstop_factor: int = 10  # wall-clock backstop = factor x the CPU budget
    cpu_cores: float = 1.0  # the sandbox's share of the machine's cores (cgroup quota)
    cpu_seconds: int = 600
    memory_bytes: int = 3 << 30  # address space per process, and the whole sandbox's memory
    processes: int = 96  # processes and threads under the sandbox uid
    file_bytes: int = 64 << 20  # largest file the notebook may write
    open_files: int = 256
    output_bytes: int = 8 << 20  # cell output kept in the graded notebook
    tmp_bytes: int = 128 << 20  # the sandbox's private /tmp

    def rlimits(self) -> dict[str, int]:
        return {"cpu_seconds": self.cpu_seconds, "memory_bytes": self.memory_bytes,
                "file_bytes": self.file_bytes, "open_files": self.open_files}


class NotebookRunner(Protocol):
    """Runs a notebook in ``workdir`` and returns its answers."""

    name: str

    def run(
        self, nb: NotebookNode, workdir: Path, answer_names: list[str], limits: Limits
    ) -> ExecutionResult: ...


# Thread-count knobs: one submission stays on one core, so a cohort can use them all.
_QUIET_ENV = {"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1",
              "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def machine_overloaded() -> bool:
    """Whether more work waits for the cores than there are cores (1-minute load)."""
    try:
        return os.getloadavg()[0] >= (os.cpu_count() or 1)
    except OSError:
        return True


def _write_private(path: Path, text: str) -> None:
    """Readable by the runner's user only: the job holds the answer-dump marker."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


class LocalRunner:
    """Runs the kernel as a child process of the grader, with no sandbox.

    Per-process limits still apply, but the code can read anything the grader can.
    """

    name = "unsandboxed"

    def launch(self, job: dict[str, Any], workdir: Path, control: Path, limits: Limits
               ) -> tuple[list[str], dict[str, str], Path | None, Any]:
        """The command, its environment, its working directory and a cleanup handle."""
        job.update(notebook=str(workdir / NOTEBOOK_NAME), output=str(control / "executed.ipynb"),
                   result=str(control / "result.json"), rlimits=limits.rlimits())
        _write_private(control / "job.json", json.dumps(job))
        cmd = [sys.executable, "-m", "evalround._kernel_runner", str(control / "job.json")]
        return cmd, {**os.environ, **_QUIET_ENV}, workdir, None

    def finish(self, handle: Any) -> None:
        """Release what ``launch`` set up."""

    def cpu_seconds(self, handle: Any) -> float | None:
        """CPU time the run has used so far, where the grader can count it."""
        return None

    def _watch(self, proc: subprocess.Popen[bytes], handle: Any, limits: Limits,
               start: float) -> tuple[str | None, bool]:
        """Wait for the run: (why it was stopped or None, whether that is no score).

        The runner itself stops a cell or the notebook when its CPU budget is spent;
        here the grader also kills a run past its CPU budget (with a cell's grace) where
        it can count it, and any run past the wall-clock backstop.
        """
        backstop = limits.total_timeout * limits.backstop_factor
        while True:
            try:
                proc.wait(timeout=0.5)
                return None, False
            except subprocess.TimeoutExpired:
                pass
            used = self.cpu_seconds(handle)
            if used is not None and used > limits.total_timeout + limits.cell_timeout:
                return (f"the notebook used up its CPU time budget ({limits.total_timeout} s)",
                        False)
            if time.monotonic() - start >= backstop:
                cpu = "" if used is None else f" after {used:.0f} s of CPU time"
                if machine_overloaded():
                    return (f"not graded: the grading machine was overloaded (the run was "
                            f"stopped at its {backstop} s wall-clock backstop{cpu})", True)
                return (f"the notebook did not finish within its {backstop} s wall-clock "
                        f"backstop{cpu}", False)

    def run(
        self, nb: NotebookNode, workdir: Path, answer_names: list[str], limits: Limits
    ) -> ExecutionResult:
        workdir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, workdir / NOTEBOOK_NAME)
        control = workdir.parent / f".{workdir.name}.control"
        control.mkdir(exist_ok=True)
        job: dict[str, Any] = {
            "answer_names": answer_names,
            "marker": "@@evalround-" + secrets.token_hex(16) + "@@",
            "cell_timeout": limits.cell_timeout,
            "total_timeout": limits.total_timeout,
            "backstop_factor": limits.backstop_factor,
            "output_bytes": limits.output_bytes,
        }
        cmd, env, cwd, handle = self.launch(job, workdir, control, limits)
        start = time.monotonic()
        failure: str | None = None
        overloaded = False
        # To a file, not a pipe: the kernel inherits it, and whatever it writes there is
        # bounded by the file-size limit instead of piling up in the grader's memory.
        log_path = control / "stderr.log"
        try:
            with log_path.open("wb") as log:
                proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                        stderr=log, start_new_session=True)
            try:
                failure, overloaded = self._watch(proc, handle, limits, start)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                if failure is not None:
                    proc.wait()
        finally:
            self.finish(handle)
        with log_path.open("rb") as log:
            log.seek(max(0, log_path.stat().st_size - 4000))
            stderr = log.read()
        seconds = time.monotonic() - start
        result_path = control / "result.json"
        # The runner opens result.json before any notebook code runs: empty, it died.
        if failure is None and (not result_path.exists() or result_path.stat().st_size == 0):
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            failure = "the grading process stopped without a result: " + " | ".join(tail)
        if failure is not None:
            return ExecutionResult(nb, {}, failure, seconds, overloaded)
        executed_path = control / "executed.ipynb"
        try:
            # The runner caps the outputs it keeps; a larger file did not come from it.
            if executed_path.stat().st_size > limits.output_bytes + (64 << 20):
                raise ValueError(f"executed.ipynb is {executed_path.stat().st_size} bytes")
            result = json.loads(result_path.read_text())
            if not isinstance(result, dict):
                raise ValueError("result.json is not a JSON object")
            executed = nbformat.read(executed_path, as_version=4)
        except (OSError, ValueError, RecursionError) as exc:
            return ExecutionResult(nb, {}, f"the run left an unreadable result: {exc}"[:500],
                                   seconds)
        answers = result.get("answers")
        return ExecutionResult(executed, answers if isinstance(answers, dict) else {},
                               result.get("failure"), seconds,
                               result.get("overloaded") is True)


def sandbox_env() -> dict[str, str]:
    """The whole environment of the runner and kernel inside the sandbox. ``PYTHONPATH``
    is the folder this evalround was imported from, so the runner there is this one even
    when the venv would find another (a checkout on PYTHONPATH, a git worktree)."""
    return {**_QUIET_ENV, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYTHONPATH": str(sandbox.package_dir().parent),
            "HOME": "/tmp", "LANG": "C.UTF-8", "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
            "IPYTHONDIR": "/tmp/ipython", "MPLCONFIGDIR": "/tmp/matplotlib",
            "JUPYTER_PLATFORM_DIRS": "1"}


class SandboxRunner(LocalRunner):
    """Runs the kernel under bubblewrap, as a uid of its own, within ``Limits``."""

    name = "bubblewrap"

    def launch(self, job: dict[str, Any], workdir: Path, control: Path, limits: Limits
               ) -> tuple[list[str], dict[str, str], Path | None, Any]:
        spec = sandbox.SandboxSpec(workdir, control, sandbox.next_uid())
        rlimits = limits.rlimits()
        if spec.uid is not None:
            rlimits["processes"] = limits.processes
        job.update(notebook=f"{sandbox.SUBMISSION}/{NOTEBOOK_NAME}",
                   output=f"{sandbox.CONTROL}/executed.ipynb",
                   result=f"{sandbox.CONTROL}/result.json", rlimits=rlimits, uid=spec.uid,
                   whole_namespace=True)
        _write_private(control / "job.json", json.dumps(job))
        sandbox.prepare_dirs(spec)
        env = sandbox_env()
        argv = [sys.executable, "-m", "evalround._kernel_runner", f"{sandbox.CONTROL}/job.json"]
        cmd = sandbox.bwrap_command(spec, argv, limits.tmp_bytes, env)
        group = sandbox.Cgroup(f"{workdir.name}-{secrets.token_hex(4)}",
                               limits.memory_bytes, limits.processes, limits.cpu_cores)
        return [*group.enter_prefix(), *cmd], {"PATH": "/usr/bin:/bin"}, None, group

    def finish(self, handle: Any) -> None:
        handle.close()

    def cpu_seconds(self, handle: Any) -> float | None:
        return handle.cpu_seconds() if isinstance(handle, sandbox.Cgroup) else None


def default_runner(allow_unsandboxed: bool = False) -> NotebookRunner:
    """The sandbox where it can run; without one, only when the operator allows it."""
    reason = sandbox.probe()
    refusal = sandbox.rootless_refusal()
    if reason is None and refusal is None:
        return SandboxRunner()
    if allow_unsandboxed:
        return LocalRunner()
    if refusal is not None:
        raise sandbox.SandboxUnavailable(refusal)
    raise sandbox.SandboxUnavailable(
        f"{reason}. Grading runs candidates' code; without a sandbox it could read the "
        f"answer keys and the gradebook. Install bubblewrap, or pass --unsandboxed to "
        f"grade anyway (each grade is then marked unsandboxed on the scorecards)."
    )
