"""The grading runner's start-up: every submission pays it, in a fresh process."""

from __future__ import annotations

import subprocess
import sys

from evalround._kernel_runner import FORMAT_LIBRARIES


def test_the_runner_process_skips_jsonschemas_format_libraries(tmp_path):
    """Run as the runner (``python -m``), does the process load nbformat, nbclient and
    jsonschema but none of the string-format libraries jsonschema would load for checks
    nbformat never asks for?"""
    code = f"""
import runpy, sys
sys.argv = ["runner", {str(tmp_path / "no-such-job.json")!r}]
try:
    runpy.run_module("evalround._kernel_runner", run_name="__main__", alter_sys=True)
except FileNotFoundError as exc:
    print("main:", exc.filename.endswith("no-such-job.json"))
names = ("nbformat", "nbclient", "jsonschema", "rfc3987_syntax", *{FORMAT_LIBRARIES!r})
print(sorted(n for n in names if sys.modules.get(n) is not None))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert proc.stdout.splitlines() == ["main: True", "['jsonschema', 'nbclient', 'nbformat']"], \
        proc.stderr


def test_importing_the_runner_leaves_other_modules_importable():
    """Imported into another process (tests, tools), does the runner leave libraries
    such as idna importable there?"""
    code = ("import evalround._kernel_runner, importlib, sys; "
            "importlib.import_module('idna'); print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert proc.stdout.strip() == "ok", proc.stderr
