"""Assign: one variant per candidate and exercise, recorded, and one bundle per candidate.

Steps: compile each exercise into ``source/`` and let nbgrader generate ``release/``
(once per exercise, identical test cells for every candidate); then for each
candidate derive the variant, record its parameters, data hashes and key on the
grader's side, inject the public parameters into the release notebook with
papermill, and write the bundle.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from tqdm import tqdm

from evalround import nbgrader_adapter
from evalround.bundle import BundleExercise, bundle_files, write_bundle
from evalround.course import Candidate, Course, CourseError, write_atomic
from evalround.exercise import Exercise
from evalround.notebook import compile_source, inject_parameters
from evalround.variant import AnswerKey, Variant, VariantData, build_variant


@dataclass(frozen=True)
class Assignment:
    """What ``assign`` produced for one candidate."""

    candidate: Candidate
    bundle: Path
    variants: dict[str, str]  # exercise slug -> variant id


def default_data_dir(exercise: Exercise) -> Path:
    return exercise.folder.parent.parent / "data" / exercise.slug


def notebook_name(exercise: str) -> str:
    return f"{exercise}.ipynb"


def prepare_exercise(course: Course, exercise: Exercise) -> None:
    """Compile the exercise into source/ and run nbgrader generate_assignment if needed.

    Regenerating an assignment rewrites the cells nbgrader stored, so it is refused
    once anyone has been graded on the old version.
    """
    slug = exercise.slug
    compiled = compile_source(
        exercise.manifest, exercise.notebook(), where=str(exercise.folder / "notebook.ipynb")
    )
    raw = nbformat.writes(compiled).encode()
    digest = hashlib.sha256(raw).hexdigest()
    record = course.records / "assignments" / f"{slug}.json"
    release_nb = course.release_dir(slug) / notebook_name(slug)
    if record.exists() and release_nb.exists():
        previous = json.loads(record.read_text())["source_sha256"]
        if previous == digest:
            return
        if nbgrader_adapter.submission_count(course.root, slug) > 0:
            raise CourseError(
                f"exercise {slug} changed since it was first assigned in {course.root}, and "
                f"submissions are already in the gradebook. Regenerating it would grade "
                f"earlier candidates against a different notebook. Start a new course."
            )
    source = course.source_dir(slug)
    source.mkdir(parents=True, exist_ok=True)
    write_atomic(source / notebook_name(slug), raw)
    defaults = default_data_dir(exercise)
    if defaults.is_dir():
        target = source / "data"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(defaults, target)
    nbgrader_adapter.generate_assignment(course.root, slug)
    write_atomic(record, json.dumps({"source_sha256": digest, "exercise_id": exercise.manifest.id}))


def release_notebook(course: Course, exercise: str) -> NotebookNode:
    path = course.release_dir(exercise) / notebook_name(exercise)
    if not path.exists():
        raise CourseError(f"{path} is missing: run `evalround assign` for {exercise} first")
    return nbformat.read(path, as_version=4)


def variant_for(
    course: Course, exercise: Exercise, candidate_id: str
) -> tuple[Variant, VariantData, AnswerKey]:
    """The candidate's variant, checked against what was recorded when it was assigned."""
    variant, data, key = build_variant(exercise, course.secret, candidate_id)
    path = course.variant_path(exercise.slug, candidate_id)
    if path.exists():
        recorded = course.load_variant(exercise.slug, candidate_id)
        if recorded["files_sha256"] != data.sha256 or recorded["key_sha256"] != key.sha256:
            raise CourseError(
                f"candidate {candidate_id}, exercise {exercise.slug}: the variant no longer "
                f"matches the record made when it was assigned ({path}). The exercise's "
                f"generator or answers changed since; the candidate's data would differ "
                f"from what they received."
            )
    return variant, data, key


def assign(
    course: Course,
    exercises: list[Exercise],
    candidates: Iterable[Candidate],
    progress: bool = True,
) -> list[Assignment]:
    """Give every candidate a variant of every exercise, and write their bundles."""
    candidates = list(candidates)
    for exercise in exercises:
        prepare_exercise(course, exercise)
    releases = {e.slug: release_notebook(course, e.slug) for e in exercises}
    known = course.candidates()
    known.update({c.id: c for c in candidates})
    course.save_candidates(known)
    nbgrader_adapter.ensure_students(course.root, {c.id: c.first_last for c in candidates})
    out: list[Assignment] = []
    for candidate in tqdm(candidates, desc="assign", unit="candidate", disable=not progress):
        parts: list[BundleExercise] = []
        labels: dict[str, str] = {}
        for exercise in exercises:
            variant, data, key = variant_for(course, exercise, candidate.id)
            course.save_variant(variant, data.sha256, key)
            notebook = inject_parameters(releases[exercise.slug], variant.injected_parameters)
            parts.append(BundleExercise(exercise.manifest, notebook, data.files))
            labels[exercise.slug] = variant.variant_id
        path = write_bundle(course.bundle_dir(), candidate, bundle_files(candidate, parts))
        out.append(Assignment(candidate, path, labels))
    return out
