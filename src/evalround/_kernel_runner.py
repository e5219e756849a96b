"""Runs one notebook in a fresh kernel and writes its outputs and answers.

Invoked as ``python -m evalround._kernel_runner JOB.json`` by ``evalround.execution``,
inside the grading working copy (and, with a sandbox, inside the sandbox). It only
executes: it never sees the key, and evalround scores outside this process.
"""

from __future__ import annotations

import sys

# jsonschema (imported by nbformat) loads rfc3987_syntax's grammar when it is
# installed: a second of start-up per submission, for a URI format check the runner
# never makes. Without it, jsonschema skips that one format.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import inspect
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from evalround.coercion import coerce_answer


def extraction_source(names: list[str], marker: str) -> str:
    """Code run after the notebook, in the same kernel, to print the answers."""
    return "\n".join(
        [
            "from typing import Any",
            inspect.getsource(coerce_answer),
            "def __evalround_dump():",
            "    import json as _json",
            "    _g = globals()",
            f"    _out = {{n: coerce_answer(_g.get(n)) for n in {names!r}}}",
            f"    print({marker!r} + _json.dumps(_out) + {marker!r})",
            "__evalround_dump()",
        ]
    )


def _parse_answers(cell: Any, marker: str) -> dict[str, Any] | None:
    text = "".join(
        o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
    )
    parts = text.split(marker)
    # The real dump is the last marker-delimited block; earlier ones could be printed
    # by candidate code that guessed the format, and cannot be trusted to come last.
    if len(parts) < 3:
        return None
    try:
        value = json.loads(parts[-2])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


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


class BoundedClient(NotebookClient):
    """Keeps at most ``output_bytes`` of the candidate's output; the last cell (the
    answer dump) is always kept whole."""

    def __init__(self, nb: Any, output_bytes: int, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.output_budget = output_bytes
        self.truncated = False

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> Any:
        if cell_index != len(self.nb.cells) - 1:
            size = len(json.dumps(msg.get("content", {})))
            self.output_budget -= size
            if self.output_budget < 0:
                if not self.truncated:
                    self.truncated = True
                    outs.append(nbformat.v4.new_output(
                        "stream", name="stderr",
                        text="[evalround: output beyond the limit was dropped]\n"))
                return None
        return super().output(outs, msg, display_id, cell_index)


def run(job: dict[str, Any], output: Any) -> dict[str, Any]:
    nb = nbformat.read(job["notebook"], as_version=4)
    names: list[str] = job["answer_names"]
    marker: str = job["marker"]
    nb.cells.append(nbformat.v4.new_code_cell(source=extraction_source(names, marker)))
    client = BoundedClient(
        nb,
        job.get("output_bytes", 1 << 30),
        timeout=job["cell_timeout"],
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        resources={"metadata": {"path": str(Path(job["notebook"]).parent)}},
    )
    failure = None
    start = time.monotonic()
    try:
        client.execute()
    except DeadKernelError:
        failure = "the kernel died (the notebook exited or crashed the kernel)"
    except Exception as exc:  # nbclient raises many kinds; all are a failed run
        failure = f"execution failed: {type(exc).__name__}: {exc}"[:500]
    extraction = nb.cells.pop()
    answers = _parse_answers(extraction, marker)
    if answers is None and failure is None:
        errors = [o.get("ename", "") for o in extraction.get("outputs", [])
                  if o.get("output_type") == "error"]
        failure = "the answers could not be read after the notebook ran" + (
            f" ({', '.join(errors)})" if errors else ""
        )
    nbformat.write(nb, output)
    return {
        "answers": answers or {},
        "failure": failure,
        "output_truncated": client.truncated,
        "seconds": round(time.monotonic() - start, 3),
    }


def main() -> None:
    # As the runner's own user: read the job and open the result files, then confine.
    # After the drop, notebook code cannot read the job (its marker) nor touch these.
    job = json.loads(Path(sys.argv[1]).read_text())
    with open(job["result"], "w", encoding="utf-8") as result_fh, \
            open(job["output"], "w", encoding="utf-8") as output_fh:
        confine(job)
        result = run(job, output_fh)
        json.dump(result, result_fh)


if __name__ == "__main__":
    main()
