"""Execution: run a rebuilt submission and bring back its answers.

The notebook runs in a child process (``evalround._kernel_runner``) in a working copy
that holds only the notebook and the variant's data. ``NotebookRunner`` is the seam
where a sandbox wraps that child; ``LocalRunner`` runs it as a plain process.
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

NOTEBOOK_NAME = "submission.ipynb"


@dataclass(frozen=True)
class ExecutionResult:
    """The executed notebook, the raw answers, and why the run failed, if it did."""

    notebook: NotebookNode
    answers: dict[str, Any]
    failure: str | None
    seconds: float


@dataclass(frozen=True)
class Limits:
    """Bounds on one submission's run."""

    cell_timeout: int = 60
    total_timeout: int = 600


class NotebookRunner(Protocol):
    """Runs a notebook in ``workdir`` and returns its answers."""

    name: str

    def run(
        self, nb: NotebookNode, workdir: Path, answer_names: list[str], limits: Limits
    ) -> ExecutionResult: ...


class LocalRunner:
    """Runs the kernel as a child process of the grader, with no sandbox."""

    name = "unsandboxed"

    def command(self, job_path: Path, workdir: Path) -> list[str]:
        return [sys.executable, "-m", "evalround._kernel_runner", str(job_path)]

    def run(
        self, nb: NotebookNode, workdir: Path, answer_names: list[str], limits: Limits
    ) -> ExecutionResult:
        workdir.mkdir(parents=True, exist_ok=True)
        nb_path = workdir / NOTEBOOK_NAME
        nbformat.write(nb, nb_path)
        control = workdir.parent / f".{workdir.name}.control"
        control.mkdir(exist_ok=True)
        job: dict[str, Any] = {
            "notebook": str(nb_path),
            "output": str(control / "executed.ipynb"),
            "result": str(control / "result.json"),
            "answer_names": answer_names,
            "marker": "@@evalround-" + secrets.token_hex(16) + "@@",
            "cell_timeout": limits.cell_timeout,
        }
        job_path = control / "job.json"
        job_path.write_text(json.dumps(job))
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
        start = time.monotonic()
        proc = subprocess.Popen(
            self.command(job_path, workdir),
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        failure: str | None = None
        try:
            _, stderr = proc.communicate(timeout=limits.total_timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            failure = f"the notebook did not finish within {limits.total_timeout} s"
            stderr = b""
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        seconds = time.monotonic() - start
        result_path = Path(job["result"])
        if failure is None and not result_path.exists():
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            failure = "the grading process stopped without a result: " + " | ".join(tail)
        if failure is not None:
            return ExecutionResult(nb, {}, failure, seconds)
        result = json.loads(result_path.read_text())
        executed = nbformat.read(job["output"], as_version=4)
        return ExecutionResult(executed, result["answers"], result["failure"], seconds)
