"""A candidate's variant read back from what ``assign`` recorded, instead of rebuilt.

Grading needs each candidate's data files and key. Rebuilding them runs the exercise's
generator and reference solution again (0.3 to 1 s of CPU per submission, the largest
part of evalround's own grading overhead). ``assign`` already wrote both: the data into
the candidate's bundle, the key (and the hashes of every data file) into
``.evalround/variants/<exercise>/<candidate>.json``.

They are used only when a rebuild would give the same bytes, which holds when:

- the record was made by this version of the exercise (a digest of all its files:
  generator, answers, notebook ...; an author's edit makes a new version);
- the record's seed is the one the course secret gives now, and its public and hidden
  parameters are the ones that seed samples (a changed secret gives another seed);
- the bundle's data files are exactly the recorded ones, by SHA-256, and the recorded
  key hashes to the recorded key hash.

Otherwise ``recorded_variant`` returns None and the caller rebuilds the variant and
checks it against the record, as before.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from evalround.course import Course, CourseError
from evalround.exercise import Exercise
from evalround.variant import DATA_DIR, AnswerKey, Variant, VariantData, sampled_variant


def bundle_path(course: Course, candidate_id: str) -> Path:
    return course.bundle_dir() / f"{candidate_id}.zip"


def _bundle_data(path: Path, candidate_id: str, slug: str, names: list[str]
                 ) -> dict[str, bytes] | None:
    prefix = f"{candidate_id}/{slug}/{DATA_DIR}/"
    try:
        with zipfile.ZipFile(path) as zf:
            held = {n[len(prefix):] for n in zf.namelist() if n.startswith(prefix)}
            if held != set(names):
                return None
            return {name: zf.read(prefix + name) for name in sorted(names)}
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return None


def recorded_variant(course: Course, exercise: Exercise, candidate_id: str
                     ) -> tuple[Variant, VariantData, AnswerKey] | None:
    """The variant, its data and key as assigned, when a rebuild would give the same
    bytes (see the module docstring); else None."""
    slug = exercise.slug
    try:
        record = course.load_variant(slug, candidate_id)
    except (CourseError, OSError, ValueError):
        return None
    if record.get("exercise_version") != exercise.version:
        return None
    variant = sampled_variant(exercise, course.secret, candidate_id)
    if (record.get("seed") != str(variant.seed) or record.get("variant_id") != variant.variant_id
            or record.get("public") != variant.public or record.get("hidden") != variant.hidden):
        return None
    hashes = record.get("files_sha256")
    if not isinstance(hashes, dict) or not hashes:
        return None
    files = _bundle_data(bundle_path(course, candidate_id), candidate_id, slug, list(hashes))
    if files is None:
        return None
    data = VariantData(files=files)
    if data.sha256 != hashes:
        return None
    key = AnswerKey(values=record.get("key"))  # type: ignore[arg-type]
    if not isinstance(key.values, dict) or key.sha256 != record.get("key_sha256"):
        return None
    return variant, data, key

