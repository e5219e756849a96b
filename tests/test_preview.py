"""evalround preview: one variant, as the candidate and the grader will see it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
import pytest

from evalround.cli import main
from evalround.exercise import discover_exercises
from evalround.preview import PREVIEW_CANDIDATE, preview, preview_seed_secret
from evalround.validation import leaked_values
from evalround.variant import build_variant

from browser import chromium, jupyter, screenshot_path

EXERCISES = discover_exercises()


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("slug", sorted(EXERCISES))
def test_preview_of_every_exercise_runs_the_reference_and_fills_the_rubric(tmp_path, slug):
    """Does a preview hold the bundle, an error-free reference run, the key and the filled
    rubric of the variant its seed names, with no key value in the candidate's files?"""
    exercise = EXERCISES[slug]
    made = preview(exercise, tmp_path / "pv", seed=5)
    _, _, key = build_variant(exercise, preview_seed_secret(5), PREVIEW_CANDIDATE)
    assert json.loads((made.folder / "key.json").read_text()) == key.values
    ran = nbformat.read(made.reference_notebook, as_version=4)
    assert _errors(ran) == []
    assert sum(1 for c in ran.cells if c.cell_type == "code" and c.get("execution_count"))
    candidate_files = {str(p.relative_to(made.folder / "candidate")): p.read_bytes()
                       for p in (made.folder / "candidate").rglob("*") if p.is_file()}
    assert f"{slug}/{slug}.ipynb" in candidate_files
    assert leaked_values(exercise.manifest.answer_fields, key.values, candidate_files) == []
    rubric = (made.folder / "rubric.md").read_text()
    for q in exercise.manifest.written_questions:
        assert f"Rubric for {q.id.upper()}" in rubric
    assert "{" not in rubric.replace("{}", "")  # every placeholder filled
    planted = (made.folder / "planted.md").read_text()
    for name in exercise.wrong_approaches:
        assert f"**{name}**" in planted


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_preview_of_a_candidate_changes_no_course(course, template, tmp_path, capsys):
    """Does previewing a course's candidate show their own variant and leave every file
    of the course as it was?"""
    before = _tree_digest(course.root)
    out = tmp_path / "bob-preview"
    code = main(["preview", "template", "--course", str(course.root), "--candidate", "bob",
                 "--out", str(out), "--no-execute"])
    assert code == 0, capsys.readouterr()
    assert _tree_digest(course.root) == before
    assert json.loads((out / "key.json").read_text()) == course.load_variant("template",
                                                                             "bob")["key"]
    assert "open it with: jupyter lab" in capsys.readouterr().out


def test_preview_refuses_what_it_cannot_do(course, tmp_path, capsys):
    """Are a non-empty output folder and an unknown candidate refused with the reason?"""
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["preview", "template", "--out", str(out), "--no-execute"]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"
    assert main(["preview", "template", "--course", str(course.root), "--candidate", "zed",
                 "--out", str(tmp_path / "z"), "--no-execute"]) == 2
    assert "candidate zed has no variant of template" in capsys.readouterr().err
    assert main(["preview", "template", "--candidate", "bob"]) == 2
    assert "--candidate needs --course" in capsys.readouterr().err


@pytest.mark.slow
def test_a_preview_opens_in_jupyterlab(tmp_path):
    """Does the author see the executed reference notebook, outputs and all, in JupyterLab?"""
    made = preview(EXERCISES["triage-eval"], tmp_path / "pv", seed=2)
    work = tmp_path / "lab"
    with jupyter(made.folder, work, app="jupyterlab") as lab, chromium() as page:
        rel = made.reference_notebook.relative_to(made.folder)
        page.goto(lab.url(f"/lab/tree/{rel}?reset"))
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        panel.locator(".jp-Cell").first.wait_for()
        panel.get_by_text("public checks passed").first.wait_for()
        page.screenshot(path=str(screenshot_path("preview-triage-eval-reference")))
        assert panel.locator(".jp-OutputArea-output").count() > 0
