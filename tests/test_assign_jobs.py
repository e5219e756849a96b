"""assign --jobs: the variants built in worker processes give the same bytes."""

from __future__ import annotations

from datetime import datetime, timezone

from evalround.assignment import assign
from evalround.course import Candidate, init_course


def test_bundles_and_records_are_the_same_bytes_with_workers_or_without(tmp_path, template):
    """Assigned with two worker processes (which build while nbgrader compiles) and with
    none, are every bundle and every variant record byte for byte the same?"""
    when = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    cands = [Candidate(f"c{i}") for i in range(5)]
    courses = {}
    for jobs in (1, 2):
        course = init_course(tmp_path / f"jobs{jobs}", secret=b"same inputs")
        assign(course, [template], cands, progress=False, jobs=jobs, now=when)
        courses[jobs] = course
    for cand in cands:
        one, two = (c.bundle_dir() / f"{cand.id}.zip" for c in (courses[1], courses[2]))
        assert one.read_bytes() == two.read_bytes(), cand.id
        one, two = (c.variant_path("template", cand.id) for c in (courses[1], courses[2]))
        assert one.read_bytes() == two.read_bytes(), cand.id


def test_candidates_join_the_gradebook_in_one_go_and_keep_what_is_known(tmp_path):
    """Does ``ensure_students`` add new candidates and update the known ones (a name given
    later) in one transaction, leaving the others' fields as they were?"""
    from evalround import nbgrader_adapter

    course = init_course(tmp_path / "c", secret=b"s")
    nbgrader_adapter.ensure_students(course.root, {"ann": {"first_name": "Ann"}, "bo": {}})
    nbgrader_adapter.ensure_students(course.root, {
        "bo": {"first_name": "Bo", "last_name": "Berg", "email": ""},
        "cy": {"email": "cy@example.org"}})
    with nbgrader_adapter.gradebook(course.root) as gb:
        got = {s.id: (s.first_name, s.last_name, s.email) for s in gb.students}
    assert got == {"ann": ("Ann", None, None), "bo": ("Bo", "Berg", None),
                   "cy": (None, None, "cy@example.org")}
