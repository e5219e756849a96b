"""Preview: one variant as the candidate and the grader will see it, for an author.

``preview`` writes a folder an author opens in JupyterLab:

- ``candidate/``: the bundle exactly as the candidate gets it (notebook, data, README);
- ``reference/<slug>.ipynb``: the candidate's notebook with the reference solution in
  every answer cell, executed on that variant's data;
- ``key.json``: the answer key;
- ``rubric.md``: every written question's rubric, filled with the variant's numbers;
- ``planted.md``: what the generator planted and how strongly (its hidden parameters,
  ``planted()`` sizes), and what each known mistake would answer on this variant.

It never writes into a course: a preview from ``--seed`` builds the variant in a
throw-away course; one from ``--candidate --course`` rebuilds the candidate's variant
from the course secret without touching the course folder.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from evalround import notebook as nbtools
from evalround.assignment import notebook_name, prepare_exercise, release_notebook
from evalround.bundle import BundleExercise, bundle_files
from evalround.course import Candidate, Course, CourseError, init_course
from evalround.exercise import Exercise
from evalround.scoring import rubric_text, score_answers
from evalround.variant import Variant, VariantData, build_variant

PREVIEW_CANDIDATE = "preview"


@dataclass(frozen=True)
class Preview:
    """Where a preview was written, and what it holds."""

    folder: Path
    candidate_notebook: Path
    reference_notebook: Path
    key: dict[str, Any]
    planted: dict[str, float]


def preview_seed_secret(seed: int) -> bytes:
    return f"evalround-preview/{seed}".encode()


def preview(exercise: Exercise, out: Path, seed: int | None = None,
            course: Course | None = None, candidate: str | None = None,
            execute: bool = True) -> Preview:
    """Write the preview of one variant into ``out`` (created; must not hold files)."""
    if out.exists() and any(out.iterdir()):
        raise CourseError(f"{out} is not empty: preview writes into a new folder")
    slug = exercise.slug
    if course is not None:
        if candidate is None:
            raise CourseError("--course needs --candidate: whose variant to preview")
        if candidate not in course.assigned(slug):
            raise CourseError(f"candidate {candidate} has no variant of {slug} in "
                              f"{course.root}")
        release = release_notebook(course, slug)
        secret, cid = course.secret, candidate
        return _write(exercise, out, secret, cid, release, execute)
    with tempfile.TemporaryDirectory(prefix="evalround-preview-") as tmp:
        scratch = init_course(Path(tmp) / "course", secret=preview_seed_secret(seed or 0))
        prepare_exercise(scratch, exercise)
        release = release_notebook(scratch, slug)
        return _write(exercise, out, scratch.secret, PREVIEW_CANDIDATE, release, execute)


def _write(exercise: Exercise, out: Path, secret: bytes, cid: str, release: NotebookNode,
           execute: bool) -> Preview:
    slug = exercise.slug
    variant, data, key = build_variant(exercise, secret, cid)
    notebook = nbtools.inject_parameters(release, variant.injected_parameters)
    files = bundle_files(Candidate(cid), [BundleExercise(exercise.manifest, notebook,
                                                          data.files)])
    candidate_dir = out / "candidate"
    for name, raw in files.items():
        path = candidate_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    reference_dir = out / "reference" / slug
    shutil.copytree(candidate_dir / slug / "data", reference_dir / "data")
    reference = _with_solutions(exercise, notebook)
    reference_path = reference_dir / notebook_name(slug)
    if execute:
        _execute(reference, reference_dir)
    nbformat.write(reference, reference_path)
    (out / "key.json").write_text(json.dumps(key.values, indent=1, sort_keys=True) + "\n")
    (out / "rubric.md").write_text(_rubric(exercise, key.values))
    planted = exercise.planted({"public": variant.public, "hidden": variant.hidden})
    (out / "planted.md").write_text(_planted(exercise, variant, data, key.values, planted))
    return Preview(out, candidate_dir / slug / notebook_name(slug), reference_path,
                   dict(key.values), planted)


def _with_solutions(exercise: Exercise, notebook: NotebookNode) -> NotebookNode:
    """The candidate's notebook with the reference solution in every answer cell."""
    from evalround.notebook import compile_source

    source = compile_source(exercise.manifest, exercise.notebook(),
                            where=str(exercise.folder / "notebook.ipynb"))
    solutions = nbtools.solution_code(source)
    reference = nbformat.from_dict(notebook)
    for cell in reference.cells:
        gid = nbtools.grade_id(cell)
        if gid in solutions and gid is not None and gid.endswith("_answer"):
            cell.source = solutions[gid]
    return reference


def _execute(nb: NotebookNode, cwd: Path) -> None:
    """Run the author's own reference solution (not candidate code) where it lies."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(cwd)}}).execute()


def _rubric(exercise: Exercise, key: dict[str, Any]) -> str:
    parts = [f"# Rubric of {exercise.slug}, filled for this variant\n"]
    for q in exercise.manifest.written_questions:
        parts.append(rubric_text(q, exercise.rubric[q.id], key) + "\n")
    return "\n".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _planted(exercise: Exercise, variant: Variant, data: VariantData, key: dict[str, Any],
             planted: dict[str, float]) -> str:
    lines = [f"# What is planted in this variant of {exercise.slug}", "",
             "Hidden parameters (they never leave the grader's side):", "", "```json",
             json.dumps(variant.hidden, indent=1, sort_keys=True), "```", ""]
    if planted:
        lines += ["Size of each planted phenomenon (`planted()` in generator.py):", ""]
        lines += [f"- `{name}`: {size:.4g}" for name, size in planted.items()]
        lines.append("")
    frames = data.frames()
    public = dict(variant.injected_parameters)
    judged = {q.id for q in exercise.manifest.judgement_questions}
    if judged:
        lines += [f"Judgement questions: {', '.join(sorted(judged))}.", ""]
    lines += ["What each known mistake answers on this variant, and what it keeps:", ""]
    for name, approach in exercise.wrong_approaches.items():
        answers = exercise.approach(frames, public, (name,))
        scores = score_answers(exercise.manifest, key, answers)
        changed = approach.fn(frames, public)
        kept = ", ".join(f"{q} {scores[q].points:g}/{scores[q].max_points:g}"
                         for q in approach.loses)
        what = approach.description or name
        lines.append(f"- **{name}**: {what}. Keeps {kept}.")
        for field, value in changed.items():
            lines.append(f"  - `{field}` = {_value(value)} (true: {_value(key.get(field))})")
    lines += ["", "Personas on this variant:", ""]
    for persona, wrong in exercise.personas.items():
        scores = score_answers(exercise.manifest, key,
                               exercise.approach(frames, public, tuple(wrong)))
        total = sum(s.points for s in scores.values())
        lines.append(f"- persona **{persona}** would score {total:g} of "
                     f"{sum(s.max_points for s in scores.values()):g} autograded points")
    return "\n".join(lines) + "\n"
