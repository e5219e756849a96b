"""Grading fanned out over a Dask cluster: each submission's sandboxed run on a worker.

``evalround grade --scheduler tcp://HOST:PORT``. The grading machine rebuilds each
submission and lays out its working copy as for local grading (``grading.prepare``:
the notebook with its public parameters, and its variant's data). ``DaskRunner`` sends
exactly those files to a worker of the cluster (``dask.distributed``), which runs them
in the same sandbox as local grading (``execution.SandboxRunner``, bubblewrap) and sends
back the executed notebook and the answers. Keys, scoring and every gradebook write stay
on the grading machine: a worker never sees a key.

A worker where the sandbox cannot start refuses the job (``WorkerRefused``) rather than
run candidates' code unsandboxed; ``connect`` checks every worker before the first job.
When a worker dies mid-run, the scheduler runs that job again on another worker, and the
grading machine writes the one result it gets back: nothing is graded twice or lost.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat
from nbformat import NotebookNode

from evalround import sandbox
from evalround.execution import ExecutionResult, Limits, SandboxRunner
from evalround.sandbox import SandboxUnavailable


class WorkerRefused(SandboxUnavailable):
    """A worker has no working sandbox, so it will not run candidates' code."""


def _here() -> str:
    from distributed import get_worker

    try:
        return str(get_worker().address)
    except ValueError:
        return "this process"


def worker_sandbox() -> str | None:
    """On a worker: why its sandbox cannot run, or None when it can."""
    return sandbox.probe()


def run_on_worker(notebook: str, files: dict[str, bytes], answer_names: list[str],
                  limits: Limits) -> dict[str, Any]:
    """On a worker: run one rebuilt notebook, with its data files, in the sandbox."""
    reason = sandbox.probe()
    if reason is not None:
        raise WorkerRefused(f"worker {_here()} refuses to run candidates' code: {reason}")
    with tempfile.TemporaryDirectory(prefix="evalround-worker-") as tmp:
        workdir = Path(tmp) / f"run-{uuid.uuid4().hex[:8]}"
        workdir.mkdir()
        for name, content in files.items():
            rel = PurePosixPath(name)
            if rel.is_absolute() or ".." in rel.parts:
                raise ValueError(f"job file {name!r} is outside its working copy")
            path = workdir.joinpath(*rel.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        result = SandboxRunner().run(nbformat.reads(notebook, as_version=4), workdir,
                                     answer_names, limits)
    return {"notebook": nbformat.writes(result.notebook), "answers": result.answers,
            "failure": result.failure, "seconds": result.seconds, "worker": _here(),
            "overloaded": result.overloaded}


class DaskRunner:
    """A ``NotebookRunner`` whose runs happen on the workers of a Dask cluster."""

    name = SandboxRunner.name  # every run is in the workers' bubblewrap sandbox

    def __init__(self, client: Any) -> None:
        self.client = client

    @classmethod
    def connect(cls, address: str, timeout: float = 30) -> DaskRunner:
        """Connect to the scheduler at ``address`` and check that every worker has a
        sandbox; raise ``SandboxUnavailable`` naming those that do not."""
        from distributed import Client

        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConnectionError(f"no Dask scheduler answers at {address}: {exc}") from None
        runner = cls(client)
        try:
            runner.check_workers(timeout)
        except BaseException:
            client.close()
            raise
        return runner

    def check_workers(self, timeout: float = 30) -> None:
        self.client.wait_for_workers(1, timeout=timeout)
        refused = {addr: why for addr, why in self.client.run(worker_sandbox).items() if why}
        if refused:
            lines = "; ".join(f"worker {addr}: {why}" for addr, why in sorted(refused.items()))
            raise SandboxUnavailable(
                f"{len(refused)} of the cluster's workers cannot sandbox candidates' code "
                f"({lines}). Install bubblewrap there, or stop those workers.")

    @property
    def slots(self) -> int:
        """How many runs the cluster's workers take at once (their threads)."""
        workers = self.client.scheduler_info(n_workers=-1).get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def run(self, nb: NotebookNode, workdir: Path, answer_names: list[str], limits: Limits
            ) -> ExecutionResult:
        from distributed import KilledWorker

        files = {p.relative_to(workdir).as_posix(): p.read_bytes()
                 for p in sorted(workdir.rglob("*")) if p.is_file() and not p.is_symlink()}
        future = self.client.submit(run_on_worker, nbformat.writes(nb), files, answer_names,
                                    limits, pure=False, key=f"evalround-run-{uuid.uuid4().hex}")
        try:
            out = future.result()
        except KilledWorker as exc:
            # The job took workers down with it as many times as the scheduler allows.
            raise ConnectionError(
                f"{workdir.parent.name}/{workdir.name}: every worker that ran it died "
                f"({exc}); not graded") from None
        finally:
            future.release()
        return ExecutionResult(nbformat.reads(out["notebook"], as_version=4),
                               dict(out["answers"]), out["failure"], float(out["seconds"]),
                               overloaded=bool(out.get("overloaded")))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> DaskRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
