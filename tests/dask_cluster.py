"""A real Dask cluster for the tests: `dask scheduler` and `dask worker` processes from
the project's environment, on 127.0.0.1, stopped when the test ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

DASK = str(Path(sys.executable).parent / "dask")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    address: str
    folder: Path
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def add_worker(self, name: str, env: dict[str, str] | None = None) -> None:
        """One worker process, one thread, no nanny (killing it removes the worker)."""
        log = (self.folder / f"{name}.log").open("wb")
        self.workers[name] = subprocess.Popen(
            [DASK, "worker", self.address, "--name", name, "--nthreads", "1", "--nworkers",
             "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
             "--local-directory", str(self.folder / name)],
            env=env or dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_for(self, count: int, timeout: float = 120) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout)

    def kill_worker(self, name: str) -> None:
        proc = self.workers[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextmanager
def dask_cluster(folder: Path, workers: int = 0, env: dict[str, str] | None = None
                 ) -> Iterator[Cluster]:
    """A scheduler on a free 127.0.0.1 port and ``workers`` workers (w0, w1, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (folder / "scheduler.log").open("wb")
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=folder)
    cluster = Cluster(f"tcp://127.0.0.1:{port}", folder)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if scheduler.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dask scheduler did not start:\n" +
                                   (folder / "scheduler.log").read_text(errors="replace"))
            time.sleep(0.2)
        for i in range(workers):
            cluster.add_worker(f"w{i}", env)
        if workers:
            cluster.wait_for(workers)
        yield cluster
    finally:
        for proc in cluster.workers.values():
            _stop(proc)
        _stop(scheduler)
