"""Runs one notebook in a fresh kernel and writes its outputs and answers.

Invoked as ``python -m evalround._kernel_runner JOB.json`` by ``evalround.execution``,
inside the grading working copy (and, with a sandbox, inside the sandbox). It only
executes: it never sees the key, and evalround scores outside this process.

How the answers come back, and why no candidate code can add to them:

1. Before any notebook cell, a guard runs silently in the kernel (``GUARD``). In a
   namespace of its own it keeps the builtins, ``sys.settrace`` and a JSON encoder as
   they were then, and registers a ``post_execute`` hook that puts back any builtin a
   cell replaced (the kernel's own code needs them to answer at all), noting its name.
2. After the last cell, the runner asks for the answers with an empty, silent
   ``execute_request`` whose ``user_expressions`` call the guard: no input or AST
   transformer, no ``pre/post_run_cell`` hook and no ``print`` is on that path, and
   the guard first drops tracers, profilers, event hooks and transformers.
3. The reply is parsed here and only the fields asked for are kept, each checked to
   be bounded plain data (``coercion.plain_answers``). A notebook that replaced
   builtins fails, with their names, and a kernel that does not stop when
   interrupted at the cell time limit is ended at once, not at the total limit.

Time limits are budgets of CPU time (``SandboxClock``: every process in the sandbox's
pid namespace, or the runner's own process tree without a sandbox): a busy machine
slows a cell but never spends its budget. A cell still running at the wall-clock
backstop (``backstop_factor`` times its budget) was either idle (asleep, blocked: it
counts as spent) or starved of CPU (its processes waited for a core for longer than
its budget): then the run is "not graded: the grading machine was overloaded".
"""

from __future__ import annotations

import sys

# jsonschema (imported by nbformat) loads rfc3987_syntax's grammar when it is
# installed: a second of start-up per submission, for a URI format check the runner
# never makes. Without it, jsonschema skips that one format.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
# It also imports a library for each other string format it can check, for checks
# nbformat never asks for: the runner process (only it, never a process that imports
# this module) goes without them and starts ~0.1 s sooner.
FORMAT_LIBRARIES = ("rfc3987", "rfc3986_validator", "rfc3339_validator", "fqdn", "idna",
                    "webcolors", "jsonpointer", "uri_template", "isoduration")
if __name__ == "__main__":
    for _name in FORMAT_LIBRARIES:
        sys.modules.setdefault(_name, None)  # type: ignore[arg-type]

import ast
import asyncio
import contextlib
import inspect
import json
import os
import resource
import secrets
import time
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async, run_sync

from evalround.coercion import MAX_TEXT_CHARS, coerce_answer, plain_answers

TRUNCATED_NOTE = "[evalround: output beyond the limit was dropped]\n"

# Runs inside the kernel, before the candidate's first cell, in a namespace of its
# own. ``TOKEN``, ``NAMES`` and ``COERCE`` are filled in by ``guard_source``.
GUARD = r'''
def _install(token, names, coerce_src):
    import builtins, json, sys, threading, types
    from IPython import get_ipython

    ns = {"__builtins__": builtins}
    exec("from typing import Any\n" + coerce_src, ns)
    coerce = ns["coerce_answer"]
    table = builtins.__dict__
    kinds = (type, types.BuiltinFunctionType)
    saved = {k: v for k, v in table.items() if isinstance(v, kinds)}
    replaced = []
    ip = get_ipython()
    user_ns, events = ip.user_ns, ip.events
    settrace, setprofile, thread_trace = sys.settrace, sys.setprofile, threading.settrace
    encode = json.JSONEncoder(ensure_ascii=True, allow_nan=True).encode
    unsupported, type_of = "unsupported", type

    def restore():
        for name, value in saved.items():
            if table.get(name) is not value:
                if name not in replaced:
                    replaced.append(name)
                table[name] = value

    def after_cell(*_args):
        restore()

    def read(cls):
        settrace(None)
        setprofile(None)
        thread_trace(None)
        restore()
        for hooks in list(events.callbacks.values()):
            hooks.clear()
        ip.ast_transformers.clear()
        ip.input_transformers_post.clear()
        out = {}
        for name in names:
            try:
                out[name] = coerce(user_ns.get(name))
            except BaseException as exc:
                out[name] = {unsupported: "reading it raised " + type_of(exc).__name__[:80]}
        return encode({"answers": out, "replaced_builtins": replaced})

    cls = type("EvalroundAnswers" + token, (), {"read": classmethod(read)})
    after_cell.keep = cls  # object.__subclasses__ holds classes weakly
    events.register("post_execute", after_cell)
    sys.modules["_evalround_" + token] = cls


_install(TOKEN, NAMES, COERCE)
'''


def guard_source(token: str, names: list[str]) -> str:
    """The guard cell, run in a private namespace so it leaves no name behind."""
    code = (GUARD.replace("TOKEN", repr(token)).replace("NAMES", repr(names))
            .replace("COERCE", repr(inspect.getsource(coerce_answer))))
    return f'exec({code!r}, {{"__builtins__": __import__("builtins")}})'


def answers_expression(token: str) -> str:
    """Finds the guard's class without any name the notebook could have rebound."""
    return ("[c for c in ().__class__.__base__.__subclasses__() "
            f"if c.__name__ == 'EvalroundAnswers{token}'][0].read()")


class KernelUnresponsive(RuntimeError):
    """The kernel stopped answering: the run is ended now, with this reason."""


class MachineOverloaded(RuntimeError):
    """The wall-clock backstop came while the sandbox waited for a core: no score."""


POLL_SECONDS = 0.25


class SandboxClock:
    """CPU time and run-queue waiting of the processes a run is made of.

    ``whole_namespace``: every process in ``/proc`` (inside the sandbox's pid namespace,
    that is the sandbox: orphans reaped by its init count through ``cutime``); else the
    runner and its descendants. Times of reaped children count through their parent.
    """

    def __init__(self, whole_namespace: bool) -> None:
        self.whole = whole_namespace
        self.root = os.getpid()
        self.tick = float(os.sysconf("SC_CLK_TCK"))

    def _stats(self) -> dict[int, list[str]]:
        stats: dict[int, list[str]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                text = Path("/proc", name, "stat").read_text()
            except OSError:
                continue
            stats[int(name)] = text[text.rfind(")") + 2:].split()
        if self.whole:
            return stats
        kept = {self.root}
        grew = True
        while grew:
            grew = False
            for pid, fields in stats.items():
                if pid not in kept and len(fields) > 1 and int(fields[1]) in kept:
                    kept.add(pid)
                    grew = True
        return {pid: fields for pid, fields in stats.items() if pid in kept}

    def cpu(self) -> float:
        """Seconds of CPU used so far (user and system, reaped children included)."""
        total = 0
        for fields in self._stats().values():
            with contextlib.suppress(IndexError, ValueError):
                total += sum(int(fields[i]) for i in (11, 12, 13, 14))
        return total / self.tick

    def waited(self) -> float:
        """Seconds the live processes' threads spent ready to run, waiting for a core."""
        total = 0
        for pid in self._stats():
            with contextlib.suppress(OSError):
                for task in os.listdir(f"/proc/{pid}/task"):
                    with contextlib.suppress(OSError, IndexError, ValueError):
                        total += int(Path(f"/proc/{pid}/task/{task}/schedstat")
                                     .read_text().split()[1])
        return total / 1e9


RLIMITS = {
    "cpu_seconds": resource.RLIMIT_CPU,
    "memory_bytes": resource.RLIMIT_AS,
    "file_bytes": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "processes": resource.RLIMIT_NPROC,
}


def confine(job: dict[str, Any]) -> None:
    """Apply the job's limits, then drop to the sandbox uid: before any notebook code."""
    for name, value in job.get("rlimits", {}).items():
        resource.setrlimit(RLIMITS[name], (value, value))
    uid = job.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def _size(output: Any) -> int:
    return len(json.dumps(output))


def cap_outputs(nb: Any, limit: int) -> bool:
    """Keep at most ``limit`` bytes of output in the whole notebook, display updates
    included (they rewrite outputs after they were counted); True when some was cut."""
    used = 0
    cut = False
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = []
        for output in outputs:
            size = _size(output)
            if used + size > limit:
                cut = True
                continue
            used += size
            kept.append(output)
        if len(kept) != len(outputs):
            kept.append(nbformat.v4.new_output("stream", name="stderr", text=TRUNCATED_NOTE))
        cell.outputs = kept
    return cut


class GradingClient(NotebookClient):
    """Runs the notebook between the guard and the answer read, within an output budget."""

    def __init__(self, nb: Any, answer_names: list[str], output_bytes: int,
                 clock: SandboxClock | None = None, total_cpu: float | None = None,
                 backstop_factor: int = 10, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.clock = clock or SandboxClock(False)
        self.total_cpu = total_cpu
        self.backstop_factor = max(1, backstop_factor)
        self.answer_names = answer_names
        self.output_budget = output_bytes
        self.output_limit = output_bytes
        self.truncated = False
        self.token = secrets.token_hex(12)
        self.reply_text: str | None = None
        self._interrupted: set[int] = set()

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> Any:
        size = len(json.dumps(msg.get("content", {})))
        self.output_budget -= size
        if self.output_budget < 0:
            if not self.truncated:
                self.truncated = True
                outs.append(nbformat.v4.new_output("stream", name="stderr", text=TRUNCATED_NOTE))
            return None
        return super().output(outs, msg, display_id, cell_index)

    async def _async_handle_timeout(self, timeout: int, cell: Any = None) -> Any:
        # The first time limit interrupts the cell; a kernel still silent one limit later
        # ignores interrupts or cannot answer any more (replaced builtins break its own
        # code): waiting for the total limit would only cost time.
        if id(cell) in self._interrupted:
            raise KernelUnresponsive(
                f"the kernel did not answer after its cell was interrupted at the cell "
                f"time limit ({timeout} s): it ignores interrupts, or the notebook broke "
                f"what the kernel itself needs (such as Python's builtins)")
        self._interrupted.add(id(cell))
        return await super()._async_handle_timeout(timeout, cell)

    async def _async_poll_for_reply(
        self, msg_id: str, cell: Any, timeout: int | None,
        task_poll_output_msg: asyncio.Future[Any], task_poll_kernel_alive: asyncio.Future[Any],
    ) -> dict[str, Any]:
        """Wait for the cell's reply; its time limit is CPU time, not wall-clock time."""
        assert self.kc is not None
        budget = float(timeout or self.timeout or 60)
        cpu0, waited0, wall0 = self.clock.cpu(), self.clock.waited(), time.monotonic()
        while True:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=POLL_SECONDS))
            except Empty:
                await self._async_check_alive()
                used = self.clock.cpu()
                if self.total_cpu is not None and used >= self.total_cpu:
                    raise KernelUnresponsive(
                        f"the notebook used up its CPU time budget ({self.total_cpu:g} s)"
                    ) from None
                spent = used - cpu0 >= budget
                if not spent and time.monotonic() - wall0 >= budget * self.backstop_factor:
                    waited = self.clock.waited() - waited0
                    if waited >= budget:
                        raise MachineOverloaded(
                            f"not graded: the grading machine was overloaded (a cell used "
                            f"{used - cpu0:.1f} s of CPU and waited {waited:.0f} s for a "
                            f"core in {budget * self.backstop_factor:g} s)") from None
                    spent = True  # idle that long (asleep, blocked): its time is up
                if spent:
                    await self._async_handle_timeout(int(budget), cell)
                    cpu0, waited0, wall0 = (self.clock.cpu(), self.clock.waited(),
                                            time.monotonic())
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                with contextlib.suppress(asyncio.TimeoutError, Empty):
                    await asyncio.wait_for(task_poll_output_msg, self.iopub_timeout)
                task_poll_kernel_alive.cancel()
                reply: dict[str, Any] = msg
                return reply

    async def _private(self, code: str, expressions: dict[str, str] | None = None
                       ) -> dict[str, Any]:
        """A silent request of the grader's own: no output, no history, no cell hooks."""
        assert self.kc is not None
        msg_id = self.kc.execute(code, silent=True, store_history=False,
                                 user_expressions=expressions or {}, allow_stdin=False)
        deadline = time.monotonic() + float(self.timeout or 60) * self.backstop_factor
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise Empty
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=remaining))
            except Empty:
                await self._async_check_alive()
                raise KernelUnresponsive(
                    f"the kernel did not answer the grader within "
                    f"{float(self.timeout or 60) * self.backstop_factor:g} s") from None
            if msg["parent_header"].get("msg_id") == msg_id:
                content: dict[str, Any] = msg["content"]
                return content

    async def async_execute(self, reset_kc: bool = False, **kwargs: Any) -> Any:
        self.reset_execution_trackers()
        async with self.async_setup_kernel(**kwargs):
            assert self.kc is not None
            info = await self.async_wait_for_reply(await ensure_async(self.kc.kernel_info()))
            if info is not None and "language_info" in info["content"]:
                self.nb.metadata["language_info"] = info["content"]["language_info"]
            guard = await self._private(guard_source(self.token, self.answer_names))
            if guard.get("status") != "ok":
                raise RuntimeError(f"the grader's guard did not start: {guard.get('evalue')}")
            for index, cell in enumerate(self.nb.cells):
                await self.async_execute_cell(
                    cell, index, execution_count=self.code_cells_executed + 1)
            reply = await self._private("", {"answers": answers_expression(self.token)})
            value = reply.get("user_expressions", {}).get("answers", {})
            if isinstance(value, dict) and value.get("status") == "ok":
                text = value.get("data", {}).get("text/plain")
                self.reply_text = text if isinstance(text, str) else None
            self.set_widgets_metadata()
        return self.nb

    execute = run_sync(async_execute)


def read_reply(text: str | None, names: list[str]) -> tuple[dict[str, Any] | None, list[str]]:
    """The answers asked for and the builtins replaced, from the guard's reply."""
    # Each value is at most MAX_TEXT_CHARS characters, at most 12 bytes each in
    # escaped JSON: anything longer did not come from the guard.
    if text is None or len(text) > len(names) * (12 * MAX_TEXT_CHARS + 1000) + 10_000:
        return None, []
    try:
        raw = json.loads(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None, []
    if not isinstance(raw, dict) or not isinstance(raw.get("answers"), dict):
        return None, []
    replaced = raw.get("replaced_builtins")
    names_replaced = [str(n)[:40] for n in replaced[:20]] if isinstance(replaced, list) else []
    return plain_answers(raw["answers"], names), names_replaced


def run(job: dict[str, Any], output: Any) -> dict[str, Any]:
    nb = nbformat.read(job["notebook"], as_version=4)
    names: list[str] = job["answer_names"]
    limit = int(job.get("output_bytes", 1 << 30))
    client = GradingClient(
        nb,
        names,
        limit,
        clock=SandboxClock(bool(job.get("whole_namespace"))),
        total_cpu=job.get("total_timeout"),
        backstop_factor=int(job.get("backstop_factor", 10)),
        timeout=job["cell_timeout"],
        # a kernel slow to start on a busy machine is not the candidate's doing
        startup_timeout=60 * int(job.get("backstop_factor", 10)),
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(Path(job["notebook"]).parent)}},
    )
    failure = None
    overloaded = False
    start = time.monotonic()
    try:
        client.execute()
    except DeadKernelError:
        failure = "the kernel died (the notebook exited or crashed the kernel)"
    except KernelUnresponsive as exc:
        failure = str(exc)
    except MachineOverloaded as exc:
        failure, overloaded = str(exc), True
    except Exception as exc:  # nbclient raises many kinds; all are a failed run
        failure = f"execution failed: {type(exc).__name__}: {exc}"[:500]
    answers, replaced = read_reply(client.reply_text, names)
    if answers is None and failure is None:
        failure = "the answers could not be read after the notebook ran"
    if replaced and failure is None:
        failure = (f"the notebook replaced Python builtins ({', '.join(replaced)}), which "
                   f"the kernel and the grader rely on: the run fails")
        answers = None
    truncated = cap_outputs(nb, limit) or client.truncated
    if len(json.dumps(nb.metadata)) > limit:
        nb.metadata.pop("widgets", None)  # widget state the notebook left: output too
    nbformat.write(nb, output)
    return {
        "answers": answers or {},
        "failure": failure,
        "output_truncated": truncated,
        "overloaded": overloaded,
        "seconds": round(time.monotonic() - start, 3),

    }


def main() -> None:
    # As the runner's own user: read the job and open the result files, then confine.
    # After the drop, notebook code cannot read the job nor touch these.
    job = json.loads(Path(sys.argv[1]).read_text())
    with open(job["result"], "w", encoding="utf-8") as result_fh, \
            open(job["output"], "w", encoding="utf-8") as output_fh:
        confine(job)
        result = run(job, output_fh)
        json.dump(result, result_fh)


if __name__ == "__main__":
    main()
