"""The real formgrader, served by a real Jupyter server over the course folder.

Does a grader opening the formgrader see each question's autograded score, as
evalround recorded it? And does its grading page show the hidden-check result?
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalround.grading import grade
from evalround.notebook import fill_answers
from evalround.variant import build_variant

from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow
TOKEN = "evalround-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str) -> bytes:
        request = urllib.request.Request(self.base + path,
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=20) as response:
            body: bytes = response.read()
            return body

    def json(self, path: str) -> Any:
        return json.loads(self.get(path))


@pytest.fixture()
def formgrader(course, tmp_path: Path) -> Iterator[Server]:
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
         f"--port={port}", f"--ServerApp.token={TOKEN}",
         f"--ServerApp.root_dir={course.root}"],
        cwd=course.root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    server = Server(port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.get("/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((tmp_path / "server.log").read_text()[-2000:]) from None
                time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    assert b"Unwritable directory" not in (tmp_path / "server.log").read_bytes()


def test_formgrader_shows_each_questions_autograded_score(course, template, formgrader):
    values = dict(build_variant(template, course.secret, "alice")[2].values)
    submit(course, "alice", fill_answers(bundle_notebook(course, "alice"), template.manifest,
                                         values, {"w1": "An answer."}))
    submit(course, "bob", bundle_notebook(course, "bob"))
    records = {r.candidate: r for r in grade(course, [template], progress=False)}

    rows = formgrader.json("/formgrader/api/submitted_notebooks/template/template")
    by_student = {r["student"]: r for r in rows}
    assert set(by_student) == {"alice", "bob"}
    for student, record in records.items():
        row = by_student[student]
        assert row["code_score"] == record.auto_points
        grades = formgrader.json(f"/formgrader/api/grades?submission_id={row['id']}")
        auto = {g["name"]: g["auto_score"] for g in grades if g["cell_type"] == "code"}
        assert auto == record.scores
    assert by_student["alice"]["needs_manual_grade"] is True  # w1 waits for a grader
    assert by_student["bob"]["needs_manual_grade"] is False  # left blank: scored 0

    page = formgrader.get(f"/formgrader/submissions/{by_student['alice']['id']}/").decode()
    assert 'class="score tabbable" id="q1"' in page
    assert "Hidden checks (evalround): 2 / 2 points" in page
    assert "Rubric for W1" in page and "w1-tail" in page
