"""Grading reads each variant back from what assign recorded, never a stale one."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from evalround.assignment import assign, variant_for
from evalround.course import Candidate, Course, CourseError, init_course
from evalround.exercise import Exercise, load_exercise
from evalround.recorded_variant import bundle_path, recorded_variant
from evalround.variant import build_variant

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def assigned_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("recorded")
    shutil.copytree(REPO / "exercises" / "_template", top / "bank" / "_template")
    course = init_course(top / "course", secret=b"recorded")
    exercise = load_exercise(top / "bank" / "_template")
    assign(course, [exercise], [Candidate("ann"), Candidate("ben")], progress=False)
    return top


@pytest.fixture()
def assigned(assigned_once: Path, tmp_path: Path) -> tuple[Course, Exercise]:
    """A course assigned the template exercise, a copy of its own for each test."""
    shutil.copytree(assigned_once, tmp_path / "copy")
    return Course(tmp_path / "copy" / "course"), load_exercise(tmp_path / "copy" / "bank" /
                                                               "_template")


def _same(got, built) -> None:  # type: ignore[no-untyped-def]
    assert got[0] == built[0]
    assert got[1].files == built[1].files
    assert got[2].values == built[2].values and got[2].sha256 == built[2].sha256


def test_an_untouched_variant_is_read_back_as_a_rebuild_gives_it(assigned):
    """Are the recorded variant's parameters, data bytes and key those a rebuild gives?"""
    course, exercise = assigned
    for cid in ("ann", "ben"):
        got = recorded_variant(course, exercise, cid)
        assert got is not None
        _same(got, build_variant(exercise, course.secret, cid))


def test_an_edited_exercise_is_rebuilt_not_read_back(assigned):
    """After an author edits the exercise (a new version), is the record left unused and
    the variant rebuilt, checked against the record?"""
    course, exercise = assigned
    before = exercise.version
    generator = exercise.folder / "generator.py"
    generator.write_text(generator.read_text() + "\n# an author's edit\n")
    edited = load_exercise(exercise.folder)
    assert edited.version != before
    assert recorded_variant(course, edited, "ann") is None
    _same(variant_for(course, edited, "ann"), build_variant(edited, course.secret, "ann"))


def test_a_changed_secret_never_reuses_the_record(assigned):
    """With another course secret, is the record left unused, and the mismatch refused?"""
    course, exercise = assigned
    (course.records / "secret").write_text(b"another secret".hex())
    assert recorded_variant(course, exercise, "ann") is None
    with pytest.raises(CourseError, match="no longer matches the record"):
        variant_for(course, exercise, "ann")


def test_a_changed_or_missing_bundle_is_rebuilt(assigned):
    """When a bundle's data file differs from the recorded hash, or the bundle is gone,
    is the variant rebuilt with the data the candidate received?"""
    course, exercise = assigned
    path = bundle_path(course, "ann")
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    data = [name for name in members if "/data/" in name]
    assert data
    members[data[0]] = members[data[0]] + b"0,0\n"
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    assert recorded_variant(course, exercise, "ann") is None
    _same(variant_for(course, exercise, "ann"), build_variant(exercise, course.secret, "ann"))
    bundle_path(course, "ben").unlink()
    assert recorded_variant(course, exercise, "ben") is None
    _same(variant_for(course, exercise, "ben"), build_variant(exercise, course.secret, "ben"))


def test_a_changed_key_in_the_record_is_never_used(assigned):
    """Is a record whose key no longer hashes to its key hash left unused (and refused)?"""
    course, exercise = assigned
    path = course.variant_path(exercise.slug, "ann")
    record = json.loads(path.read_text())
    name = sorted(record["key"])[0]
    record["key"][name] = "forged"
    path.write_text(json.dumps(record))
    assert recorded_variant(course, exercise, "ann") is None
    _same(variant_for(course, exercise, "ann"), build_variant(exercise, course.secret, "ann"))
