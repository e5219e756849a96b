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
