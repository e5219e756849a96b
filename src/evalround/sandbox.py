"""The sandbox a submission runs in: bubblewrap, a throw-away uid, and hard limits.

Inside, the candidate's code sees its own working copy (``/submission``), the job's
control folder (``/control``), a small private ``/tmp``, and read-only copies of the
system libraries, the Python installation and evalround's own package. It sees no
network, no course folder, no answer key, no gradebook and no other submission.

Limits: CPU time (per cell and per notebook, counted over every process in the
sandbox; the runner interrupts a cell and the grader kills the sandbox when a budget is
spent), a wall-clock backstop far above it, CPU seconds, address space and open files
per process, file size, and the process count (``RLIMIT_NPROC`` under a uid of its own,
and a cgroup where one can be made). The cgroup also caps the sandbox at its share of
the cores (one by default: ``cpu.cfs_quota_us`` on cgroup v1, ``cpu.max`` on v2), so a
submission's busy processes cost its own CPU budget, not a neighbour's time.
``_kernel_runner`` applies the limits and drops to the sandbox uid before any candidate
code runs.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import evalround

SUBMISSION = "/submission"
CONTROL = "/control"
FIRST_UID = 61000
UID_SLOTS = 1000
_ETC = ("passwd", "group", "hosts", "nsswitch.conf", "localtime", "ld.so.cache",
        "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts", "mime.types")
_SYSTEM = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin")


class SandboxUnavailable(RuntimeError):
    """No sandbox can run here: grading refuses unless the operator allows it."""


@dataclass(frozen=True)
class SandboxSpec:
    """Where a job lives on the host, and the uid it runs as (None: the caller's own)."""

    workdir: Path
    control: Path
    uid: int | None


# Each grading process starts at its own place, so two graders rarely share a uid.
_slots = itertools.count(int.from_bytes(os.urandom(2), "big") % UID_SLOTS)
_slot_lock = threading.Lock()


def next_uid() -> int | None:
    """A uid no other running sandbox uses, when we are root; else None (stay as we are)."""
    if os.geteuid() != 0:
        return None
    with _slot_lock:
        return FIRST_UID + next(_slots) % UID_SLOTS


def package_dir() -> Path:
    """The evalround package running here (the sandbox sees it at the same path)."""
    return Path(evalround.__file__).resolve().parent


def readonly_paths() -> list[Path]:
    """What the sandbox may read: the Python installation and evalround's package."""
    paths = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.exec_prefix), package_dir()}
    # A venv's python is a symlink into the base installation: follow it.
    paths.add(Path(os.path.realpath(sys.executable)).parent.parent)
    ordered = sorted(p.resolve() for p in paths if p.exists())
    out: list[Path] = []
    for path in ordered:
        if not any(path.is_relative_to(kept) for kept in out):
            out.append(path)
    return out


def _ancestors(path: Path) -> list[Path]:
    return [p for p in reversed(path.parents) if p != Path("/")]


def bwrap_command(spec: SandboxSpec, argv: list[str], tmp_bytes: int,
                  env: dict[str, str]) -> list[str]:
    """The bubblewrap command line that runs ``argv`` inside the sandbox."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    cmd = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
    if spec.uid is not None:
        # Root outside: keep only what the runner needs to drop to the sandbox uid.
        cmd += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        cmd += ["--unshare-user"]
    # /tmp first: a bind under /tmp (a checkout or venv there) must land on top of it.
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    for system in _SYSTEM:
        path = Path(system)
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), system]
        elif path.is_dir():
            cmd += ["--ro-bind", system, system]
    for name in _ETC:
        etc = Path("/etc") / name
        if etc.exists():
            cmd += ["--ro-bind", str(etc), str(etc)]
    made: set[Path] = {Path(s) for s in _SYSTEM} | {Path("/etc"), Path("/tmp")}
    for path in readonly_paths():
        if any(path.is_relative_to(s) for s in _SYSTEM if Path(s).is_dir()):
            continue
        for parent in _ancestors(path):
            if parent not in made:
                cmd += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--bind", str(spec.workdir), SUBMISSION,
            "--bind", str(spec.control), CONTROL,
            "--chdir", SUBMISSION]
    for key, value in sorted(env.items()):
        cmd += ["--setenv", key, value]
    return [*cmd, "--", *argv]


def rootless_refusal() -> str | None:
    """Why candidates' code must not run here as this user, or None (we are root).

    Without root, bubblewrap can only run the kernel under the grader's own uid, in a
    user namespace: there it could read and rewrite the runner's control files, follow
    a link out of its working copy and run without a process or memory limit. Until a
    rootless mode is as safe as the root one, grading refuses and says what to do.
    """
    if os.geteuid() == 0:
        return None
    return (
        f"evalround grade runs candidates' code in its sandbox only as root: as a "
        f"non-root user (uid {os.geteuid()}) the kernel would run under your own uid, "
        f"where it can rewrite the grader's control files and read outside its working "
        f"copy, so that mode is not safe yet. Run it as root (for example "
        f"`sudo evalround grade`): each kernel then runs under a throw-away uid of its "
        f"own. --unsandboxed grades without any sandbox, for submissions you trust"
    )


@cache
def probe() -> str | None:
    """Why the sandbox cannot run here, or None when it can (checked once)."""
    if not sys.platform.startswith("linux"):
        return f"no sandbox on {sys.platform}: bubblewrap needs Linux"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed (`make install` installs it)"

    with tempfile.TemporaryDirectory(prefix="evalround-probe-") as tmp:
        work, control = Path(tmp, "w"), Path(tmp, "c")
        work.mkdir()
        control.mkdir()
        spec = SandboxSpec(work, control, None)
        cmd = bwrap_command(spec, [sys.executable, "-c", "print('ok')"], 1 << 20,
                            {"PATH": "/usr/bin:/bin"})
        try:
            out = subprocess.run(cmd, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap cannot start: {exc}"
        if out.returncode != 0 or out.stdout.strip() != b"ok":
            err = out.stderr.decode("utf-8", "replace").strip()[:300]
            return f"bubblewrap cannot start here: {err or 'exit ' + str(out.returncode)}"
    return None


def prepare_dirs(spec: SandboxSpec) -> None:
    """Give the working copy to the sandbox uid; keep the control folder the runner's."""
    if spec.uid is None:
        return
    os.chmod(spec.control, 0o700)
    for root, _dirs, files in os.walk(spec.workdir):
        os.chown(root, spec.uid, spec.uid)
        for name in files:
            os.chown(os.path.join(root, name), spec.uid, spec.uid, follow_symlinks=False)


_swept: set[Path] = set()
GROUP_PREFIX = "evalround-"


def _sweep(base: Path) -> None:
    """Remove groups a killed grader left behind (empty, and older than a minute), and
    the ones kept under ``evalround/`` before each group sat at the top of its hierarchy."""
    with _slot_lock:
        if base in _swept:
            return
        _swept.add(base)
    legacy = base / "evalround"
    with contextlib.suppress(OSError):
        old = list(legacy.iterdir()) if legacy.is_dir() else []
        for child in [*base.glob(GROUP_PREFIX + "*"), *old]:
            with contextlib.suppress(OSError):
                if child.is_dir() and time.time() - child.stat().st_mtime > 60:
                    child.rmdir()


class Cgroup:
    """A cgroup v1 or v2 group bounding the whole sandbox's memory, processes and cores,
    and counting its CPU time.

    Each group sits at the top of its hierarchy (``evalround-NAME``), so under
    contention a sandbox gets the share of one ordinary process (``cpu.shares`` 1024 on
    v1, ``cpu.weight`` 100 on v2), as a kernel outside any sandbox would.

    Best effort: where no cgroup can be made (no permission, no controller), the
    per-process limits still hold and the runner counts CPU time over the sandbox's
    processes itself. ``enter_prefix`` is a shell prefix that moves the process into
    the group before it execs bubblewrap.
    """

    PERIOD_US = 100_000

    def __init__(self, name: str, memory_bytes: int, processes: int,
                 cores: float = 1.0) -> None:
        self.paths: list[Path] = []
        self._usage: tuple[Path, str] | None = None
        quota = max(1000, int(cores * self.PERIOD_US))
        root = Path("/sys/fs/cgroup")
        candidates: list[tuple[Path, dict[str, str]]] = [
            (root / "memory", {"memory.limit_in_bytes": str(memory_bytes)}),
            (root / "pids", {"pids.max": str(processes)}),
            (root / "cpu", {"cpu.cfs_period_us": str(self.PERIOD_US),
                            "cpu.cfs_quota_us": str(quota)}),
            (root / "cpuacct", {}),
        ]
        if (root / "cgroup.controllers").exists():
            candidates = [(root, {"memory.max": str(memory_bytes), "pids.max": str(processes),
                                  "cpu.max": f"{quota} {self.PERIOD_US}"})]
        seen: set[Path] = set()
        for base, settings in candidates:
            if not base.is_dir() or base.resolve() in seen:
                continue  # cpu and cpuacct are often one hierarchy under two names
            seen.add(base.resolve())
            _sweep(base)
            # At the top of the hierarchy, beside every other process's group: each
            # sandbox then weighs as one process does. Under a shared parent, all the
            # sandboxes together would weigh as one, and a busy machine would give a
            # whole cohort the CPU share of a single process.
            path = base / (GROUP_PREFIX + name)
            try:
                path.mkdir(parents=True, exist_ok=True)
                for key, value in settings.items():
                    (path / key).write_text(value)
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            self.paths.append(path)
            if (path / "cpuacct.usage").exists():
                self._usage = (path / "cpuacct.usage", "v1")
            elif (path / "cpu.stat").exists() and base == root:
                self._usage = (path / "cpu.stat", "v2")

    def cpu_seconds(self) -> float | None:
        """CPU time used by every process that ever ran in the group, or None (no group)."""
        if self._usage is None:
            return None
        path, kind = self._usage
        try:
            text = path.read_text()
            if kind == "v1":
                return int(text.strip()) / 1e9
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
        except (OSError, ValueError):
            return None
        return None

    def enter_prefix(self) -> list[str]:
        if not self.paths:
            return []
        writes = " && ".join(f"echo $$ > {p / 'cgroup.procs'}" for p in self.paths)
        return ["/bin/sh", "-c", f'{writes} && exec "$@"', "sh"]

    def close(self) -> None:
        for path in self.paths:
            procs = path / "cgroup.procs"
            with contextlib.suppress(OSError):
                for pid in procs.read_text().split():
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(pid), 9)
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)
