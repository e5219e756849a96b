"""The real formgrader, served by a real Jupyter server over the course folder.

Does a grader opening the formgrader see each question's autograded score, as
evalround recorded it? And does its grading page show the hidden-check result?
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evalround.grading import grade
from evalround.notebook import fill_answers
from evalround.variant import build_variant

from browser import JupyterServer, jupyter
from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow


@pytest.fixture()
def formgrader(course, tmp_path: Path) -> Iterator[JupyterServer]:
    with jupyter(course.root, tmp_path / "server") as server:
        yield server
    assert b"Unwritable directory" not in server.log.read_bytes()


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
