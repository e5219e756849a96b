"""Shared fixtures: the template exercise and a course assigned to a few candidates."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalround.assignment import assign
from evalround.course import Candidate, Course, init_course
from evalround.exercise import Exercise, load_exercise

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def template() -> Exercise:
    return load_exercise(REPO / "exercises" / "_template")


@pytest.fixture()
def course(tmp_path: Path, template: Exercise) -> Course:
    """A course with the template assigned to alice, bob and carol."""
    course = init_course(tmp_path / "course", secret=b"test-secret")
    assign(course, [template], [Candidate("alice", "Alice A"), Candidate("bob"),
                                Candidate("carol")], progress=False)
    return course


@pytest.fixture(scope="session")
def postgres():  # type: ignore[no-untyped-def]
    """A real PostgreSQL server (tests/pg.py), started once per test process."""
    from pg import running_server

    with running_server() as server:
        yield server


@pytest.fixture()
def pg_url(postgres) -> str:  # type: ignore[no-untyped-def]
    """The URL of a fresh, empty database on that server."""
    return str(postgres.new_database())
