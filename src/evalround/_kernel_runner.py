"""Runs one notebook in a fresh kernel and writes its outputs and answers.

Invoked as ``python -m evalround._kernel_runner JOB.json`` by ``evalround.execution``,
inside the grading working copy (and, with a sandbox, inside the sandbox). It only
executes: it never sees the key, and evalround scores outside this process.
"""

from __future__ import annotations

import inspect
import json
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from evalround.scoring import coerce_answer


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


def run(job: dict[str, Any]) -> dict[str, Any]:
    nb = nbformat.read(job["notebook"], as_version=4)
    names: list[str] = job["answer_names"]
    marker: str = job["marker"]
    nb.cells.append(nbformat.v4.new_code_cell(source=extraction_source(names, marker)))
    client = NotebookClient(
        nb,
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
    nbformat.write(nb, job["output"])
    return {
        "answers": answers or {},
        "failure": failure,
        "seconds": round(time.monotonic() - start, 3),
    }


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    result = run(job)
    Path(job["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
