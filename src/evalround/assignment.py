"""Assign: one variant per candidate and exercise, recorded, and one bundle per candidate.

Steps: compile each exercise into ``source/`` and let nbgrader generate ``release/``
(once per exercise, identical test cells for every candidate); then for each
candidate derive the variant, record its parameters, data hashes and key on the
grader's side, inject the public parameters into the release notebook with
papermill, and write the bundle.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import multiprocessing
import shutil
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from tqdm import tqdm

from evalround import nbgrader_adapter
from evalround.bundle import BundleExercise, bundle_files, write_bundle
from evalround.course import (
    Candidate,
    Course,
    CourseError,
    assignment_record_path,
    write_atomic,
)
from evalround.deadline import Deadline, save_deadline
from evalround.exercise import Exercise, load_exercise
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


def prepare_exercise(course: Course, exercise: Exercise, now: datetime | None = None
                     ) -> datetime:
    """Compile the exercise into source/ and run nbgrader generate_assignment if needed;
    return when the exercise was first assigned in the course (``now`` the first time,
    then as recorded, so its bundles keep their bytes and dates).

    Regenerating an assignment rewrites the cells nbgrader stored, so it is refused
    once anyone has been graded on the old version.
    """
    slug = exercise.slug
    compiled = compile_source(
        exercise.manifest, exercise.notebook(), where=str(exercise.folder / "notebook.ipynb")
    )
    raw = nbformat.writes(compiled).encode()
    digest = hashlib.sha256(raw).hexdigest()
    record = assignment_record_path(course, slug)
    release_nb = course.release_dir(slug) / notebook_name(slug)
    recorded = json.loads(record.read_text()) if record.exists() else {}
    first = (datetime.fromisoformat(recorded["assigned_at"]) if "assigned_at" in recorded
             else (now or datetime.now(timezone.utc)).replace(microsecond=0))
    if recorded and release_nb.exists():
        if recorded["source_sha256"] == digest:
            if "assigned_at" not in recorded:  # a record from before dates were kept
                write_atomic(record, json.dumps({**recorded, "assigned_at": first.isoformat()}))
            return first
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
    write_atomic(record, json.dumps({"source_sha256": digest, "exercise_id": exercise.manifest.id,
                                     "folder": str(exercise.folder.resolve()),
                                     "assigned_at": first.isoformat()}))
    return first


def assigned_versions(course: Course, slug: str) -> dict[str, list[str]]:
    """Which candidates got which version of an exercise (version -> candidate ids).
    Variants recorded before versions were kept are listed under ``"unrecorded"``."""
    out: dict[str, list[str]] = {}
    for cid in course.assigned(slug):
        version = course.load_variant(slug, cid).get("exercise_version") or "unrecorded"
        out.setdefault(version, []).append(cid)
    return out


def check_version(course: Course, exercise: Exercise, new_version: bool) -> None:
    """Refuse to hand out variants of an edited exercise beside the old ones, unless told:
    candidates of two versions had different data and keys, so their scores differ in
    meaning."""
    earlier = {v: ids for v, ids in assigned_versions(course, exercise.slug).items()
               if v != exercise.version}
    if earlier and not new_version:
        got = "; ".join(f"{len(ids)} candidate{'s' if len(ids) != 1 else ''} "
                        f"({', '.join(sorted(ids)[:3])}{', ...' if len(ids) > 3 else ''}) "
                        f"got version {v}" for v, ids in sorted(earlier.items()))
        raise CourseError(
            f"exercise {exercise.slug} changed since it was assigned in {course.root} "
            f"({got}; it is now version {exercise.version}). New candidates would get "
            f"different data and a different key, and their scores would not compare with "
            f"the earlier ones. Pass --new-version to assign the new version anyway (the "
            f"report keeps the versions apart), or restore the exercise's files.")


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
    check_against_record(course, variant, data, key)
    return variant, data, key


def check_against_record(course: Course, variant: Variant, data: VariantData, key: AnswerKey
                         ) -> None:
    """Refuse a variant that differs from the one recorded when it was first assigned."""
    exercise_slug, candidate_id = variant.exercise_slug, variant.candidate_id
    path = course.variant_path(exercise_slug, candidate_id)
    if path.exists():
        recorded = course.load_variant(exercise_slug, candidate_id)
        if recorded["files_sha256"] != data.sha256 or recorded["key_sha256"] != key.sha256:
            raise CourseError(
                f"candidate {candidate_id}, exercise {exercise_slug}: the variant no longer "
                f"matches the record made when it was assigned ({path}). The exercise's "
                f"generator or answers changed since; the candidate's data would differ "
                f"from what they received."
            )


@functools.cache
def _exercise_at(folder: str) -> Exercise:
    return load_exercise(Path(folder))


def _build_in_worker(folder: str, secret: bytes, candidate_id: str
                     ) -> tuple[Variant, VariantData, AnswerKey]:
    return build_variant(_exercise_at(folder), secret, candidate_id)


@contextlib.contextmanager
def _variants(course: Course, exercises: list[Exercise], candidates: list[Candidate],
              jobs: int) -> Iterator[Iterator[tuple[Variant, VariantData, AnswerKey]]]:
    """Every (candidate, exercise) variant, in that order; ``jobs`` processes build them.

    The workers start before any progress bar or other thread does. Where the platform
    can fork, they fork; elsewhere they are spawned, which re-imports the caller's main
    module (guard scripts with ``if __name__ == "__main__"``).
    """
    pairs = [(c.id, e) for c in candidates for e in exercises]
    if jobs <= 1 or len(pairs) < 2 * jobs:
        yield (build_variant(exercise, course.secret, cid) for cid, exercise in pairs)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        yield pool.map(
            _build_in_worker,
            [str(e.folder) for _, e in pairs],
            [course.secret] * len(pairs),
            [cid for cid, _ in pairs],
            chunksize=2,
        )


def assign(
    course: Course,
    exercises: list[Exercise],
    candidates: Iterable[Candidate],
    progress: bool = True,
    jobs: int = 1,
    new_version: bool = False,
    deadline: Deadline | None = None,
    now: datetime | None = None,
) -> list[Assignment]:
    """Give every candidate a variant of every exercise, and write their bundles.

    ``jobs`` processes generate the variants' data; records and bundles are written
    here, in candidate order. An exercise edited since earlier candidates got it is
    refused unless ``new_version`` (see ``check_version``). A ``deadline`` is recorded
    for every exercise (in the course's records and as the gradebook's duedate) and
    written into each README. Each bundle's files are dated with when their exercise
    was first assigned in the course (``now``, default the current time, the first
    time), so assigning again gives the same bytes.
    """
    candidates = list(candidates)
    for exercise in exercises:
        check_version(course, exercise, new_version)
    dates: dict[str, datetime] = {}
    for exercise in exercises:
        if progress:
            print(f"assign: compiling {exercise.slug} (nbgrader generate_assignment)...",
                  file=sys.stderr, flush=True)
        dates[exercise.slug] = prepare_exercise(course, exercise, now)
        if deadline is not None:
            save_deadline(course, exercise.slug, deadline)
            nbgrader_adapter.set_due_date(course.root, exercise.slug, deadline.due)
    releases = {e.slug: release_notebook(course, e.slug) for e in exercises}
    known = course.candidates()
    known.update({c.id: c for c in candidates})
    course.save_candidates(known)
    nbgrader_adapter.ensure_students(course.root, {c.id: c.first_last for c in candidates})
    out: list[Assignment] = []
    with _variants(course, exercises, candidates, jobs) as built:
        bar = tqdm(candidates, desc="assign", unit="candidate", disable=not progress)
        for candidate in bar:
            parts: list[BundleExercise] = []
            labels: dict[str, str] = {}
            for exercise in exercises:
                variant, data, key = next(built)
                check_against_record(course, variant, data, key)
                course.save_variant(variant, data.sha256, key, exercise.version)
                notebook = inject_parameters(releases[exercise.slug],
                                             variant.injected_parameters)
                parts.append(BundleExercise(exercise.manifest, notebook, data.files))
                labels[exercise.slug] = variant.variant_id
            path = write_bundle(course.bundle_dir(), candidate, bundle_files(
                candidate, parts, deadline.text() if deadline else "",
                deadline.contact if deadline else "",
                deadline.penalty.text() if deadline and deadline.penalty else ""), dates)
            out.append(Assignment(candidate, path, labels))
    return out
