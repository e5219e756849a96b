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
"""

from __future__ import annotations

import sys

# jsonschema (imported by nbformat) loads rfc3987_syntax's grammar when it is
# installed: a second of start-up per submission, for a URI format check the runner
# never makes. Without it, jsonschema skips that one format.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import ast
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
                 **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
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

    async def _private(self, code: str, expressions: dict[str, str] | None = None
                       ) -> dict[str, Any]:
        """A silent request of the grader's own: no output, no history, no cell hooks."""
        assert self.kc is not None
        msg_id = self.kc.execute(code, silent=True, store_history=False,
                                 user_expressions=expressions or {}, allow_stdin=False)
        deadline = time.monotonic() + float(self.timeout or 60)
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise Empty
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=remaining))
            except Empty:
                await self._async_check_alive()
                raise KernelUnresponsive(
                    f"the kernel did not answer the grader within {self.timeout} s") from None
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
        timeout=job["cell_timeout"],
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(Path(job["notebook"]).parent)}},
    )
    failure = None
    start = time.monotonic()
    try:
        client.execute()
    except DeadKernelError:
        failure = "the kernel died (the notebook exited or crashed the kernel)"
    except KernelUnresponsive as exc:
        failure = str(exc)
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
