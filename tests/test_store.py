"""One database for everything graders write: SQLite files by default, PostgreSQL with
``evalround init --db``, against a real PostgreSQL server (tests/pg.py)."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

from evalround import integrity_report, nbgrader_adapter, store
from evalround.assignment import assign, notebook_name
from evalround.cli import main
from evalround.course import Candidate, Course, init_course
from evalround.exercise import Exercise
from evalround.rubric import Mark, RubricStore, apply_items

# rubric.sqlite as evalround wrote it before the store moved to SQLAlchemy
OLD_SCHEMA = """
CREATE TABLE marks (
    exercise TEXT NOT NULL, candidate TEXT NOT NULL, question TEXT NOT NULL,
    grader TEXT NOT NULL, items TEXT NOT NULL, comment TEXT NOT NULL, marked_at TEXT NOT NULL,
    PRIMARY KEY (exercise, candidate, question, grader));
CREATE TABLE mark_history (
    exercise TEXT NOT NULL, candidate TEXT NOT NULL, question TEXT NOT NULL,
    grader TEXT NOT NULL, items TEXT NOT NULL, comment TEXT NOT NULL, marked_at TEXT NOT NULL,
    replaced_at TEXT NOT NULL);
CREATE TABLE item_points (
    exercise TEXT NOT NULL, item TEXT NOT NULL, points REAL NOT NULL, changed_at TEXT NOT NULL,
    PRIMARY KEY (exercise, item));
CREATE TABLE written (
    exercise TEXT NOT NULL, candidate TEXT NOT NULL, question TEXT NOT NULL,
    score REAL NOT NULL, PRIMARY KEY (exercise, candidate, question));
"""


def _count(url: str, table: str) -> int:
    engine = sa.create_engine(store.normalize_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() or 0)
    finally:
        engine.dispose()


def test_an_existing_sqlite_course_keeps_its_marks_and_history(tmp_path: Path) -> None:
    """Does a course whose rubric.sqlite predates the store read as before, history in
    its order, and go on recording after it?"""
    course = init_course(tmp_path / "c", secret=b"x")
    with sqlite3.connect(course.records / "rubric.sqlite") as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO marks VALUES ('template', 'bob', 'w1', 'rhea', '[\"w1-tail\"]',"
                   " 'third', '2026-01-03')")
        for items, comment, at in (('[]', "first", "2026-01-01"),
                                   ('["w1-users"]', "second", "2026-01-02")):
            db.execute("INSERT INTO mark_history VALUES ('template', 'bob', 'w1', 'rhea', ?, ?,"
                       " ?, 'later')", (items, comment, at))
        db.execute("INSERT INTO item_points VALUES ('template', 'w1-tail', 0.5, 'then')")
    records = RubricStore(course)
    assert records.url == f"sqlite:///{course.records / 'rubric.sqlite'}"
    assert records.marks("template") == [Mark("template", "bob", "w1", "rhea", ("w1-tail",),
                                              "third", "2026-01-03")]
    assert records.points("template") == {"w1-tail": 0.5}
    records.save_mark(Mark("template", "bob", "w1", "rhea", ("w1-users",), "fourth"))
    assert [(m.comment, m.items) for m, _ in records.history("template")] == [
        ("first", ()), ("second", ("w1-users",)), ("third", ("w1-tail",))]
    assert not (course.root / "gradebook.db").exists()


def test_init_refuses_a_database_that_is_not_postgresql(tmp_path: Path, capsys) -> None:
    """Does --db name what it takes when given an SQLite URL, and make no course?"""
    assert main(["init", str(tmp_path / "c"), "--db", "sqlite:///x.db"]) == 2
    assert "give a PostgreSQL URL" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_init_refuses_a_server_it_cannot_reach(tmp_path: Path, capsys) -> None:
    """Does --db on an unreachable server fail before making the course, naming the
    database without its password?"""
    url = f"postgresql://grader:hunter2@/hiring?host={tmp_path / 'nosocket'}"
    assert main(["init", str(tmp_path / "c"), "--db", url]) == 2
    err = capsys.readouterr().err
    assert "cannot use the database postgresql+psycopg://grader:***@/hiring" in err
    assert "hunter2" not in err
    assert not (tmp_path / "c").exists()


def test_init_with_db_puts_the_gradebook_and_records_on_the_server(
        tmp_path: Path, postgres, pg_url: str, template: Exercise, capsys) -> None:
    """After `init --db`, do assign, grade-record writes, marks and dismissals all land in
    PostgreSQL, with no gradebook.db and no rubric.sqlite in the course folder; and is the
    database one course's only?"""
    assert main(["init", str(tmp_path / "c"), "--db", pg_url]) == 0
    course = Course(tmp_path / "c")
    assert nbgrader_adapter.db_url(course.root) == store.normalize_url(pg_url)
    assert RubricStore(course).url == store.normalize_url(pg_url)
    assert _count(pg_url, "alembic_version") == 1  # nbgrader's schema version recorded
    assign(course, [template], [Candidate("alice"), Candidate("bob")], progress=False)
    assert _count(pg_url, "student") == 2
    _record_blank_grades(course, template, ["alice", "bob"])
    apply_items(course, template, "alice", "w1", "rhea", ["w1-tail"], "Tail named.")
    assert _count(pg_url, "marks") == 1
    integrity_report.dismiss(course, "alice", "template", "key_match", "bob", "same team",
                             "hm")
    assert _count(pg_url, "integrity_dismissals") == 1
    assert [d.reason for d in integrity_report.dismissal_history(course)] == ["same team"]
    held = nbgrader_adapter.grade(course.root, "template", "template",
                                  course.student_id("alice"), "w1")  # blind: by code
    assert held is not None and (held.manual_score, held.comment) == (1.0, "Tail named.")
    assert not (course.root / "gradebook.db").exists()
    assert not (course.records / "rubric.sqlite").exists()
    # the database is chosen once, and holds one course
    assert main(["init", str(course.root), "--db", pg_url]) == 0
    capsys.readouterr()
    assert main(["init", str(course.root), "--db", postgres.new_database()]) == 2
    assert "names another database than --db" in capsys.readouterr().err
    assert main(["init", str(tmp_path / "other"), "--db", pg_url]) == 2
    assert "already holds a course's grades" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def _record_blank_grades(course: Course, exercise: Exercise, candidates: list[str]) -> None:
    """Gradebook rows for each candidate, as `grade` writes them (no kernel needed here:
    the release notebook stands in for the graded one, every check scores 0)."""
    from datetime import datetime, timezone

    release = nbformat.read(course.release_dir(exercise.slug) / notebook_name(exercise.slug),
                            as_version=4)
    auto = {q.id: 0.0 for q in exercise.manifest.auto_questions}
    for cid in candidates:
        nbgrader_adapter.record_autograde(course.root, exercise.slug, course.student_id(cid),
                                          exercise.slug, auto, release,
                                          datetime.now(timezone.utc))


@pytest.mark.slow
def test_eight_graders_at_once_lose_no_mark_and_no_history(
        tmp_path: Path, pg_url: str, template: Exercise) -> None:
    """8 graders mark 50 answers each at the same time, then re-mark 10 each: is every
    mark there, every replaced mark in the history, and the gradebook's score of each
    answer the mean of all 8 graders' final marks?"""
    assert main(["init", str(tmp_path / "c"), "--db", pg_url]) == 0
    course = Course(tmp_path / "c")
    cands = [f"c{i:02d}" for i in range(50)]
    assign(course, [template], [Candidate(c) for c in cands], progress=False)
    _record_blank_grades(course, template, cands)
    graders = [f"g{i}" for i in range(8)]
    choices = [[], ["w1-tail"], ["w1-users"], ["w1-tail", "w1-users"]]

    def first(i: int, cid: int) -> list[str]:
        return choices[(i + cid) % 4]

    def second(i: int, cid: int) -> list[str]:
        return choices[(i + cid + 1) % 4]

    def redone(i: int) -> list[int]:
        return [(i * 5 + k) % 50 for k in range(10)]

    def grader(i: int) -> None:
        for n, cid in enumerate(cands):
            apply_items(course, template, cid, "w1", graders[i], first(i, n), f"{i}:{n}")
        for n in redone(i):
            apply_items(course, template, cands[n], "w1", graders[i], second(i, n),
                        f"{i}:{n} again")

    with ThreadPoolExecutor(max_workers=8) as pool:
        for done in [pool.submit(grader, i) for i in range(8)]:
            done.result()

    records = RubricStore(course)
    marks = {(m.candidate, m.grader): m for m in records.marks("template")}
    assert len(marks) == 50 * 8
    history = records.history("template")
    assert len(history) == 8 * 10
    assert sorted((m.candidate, m.grader, m.comment) for m, _ in history) == sorted(
        (cands[n], graders[i], f"{i}:{n}") for i in range(8) for n in redone(i))
    book = course.by_candidate(nbgrader_adapter.grades(course.root, "template", "template"))
    for n, cid in enumerate(cands):
        final = []
        for i, g in enumerate(graders):
            applied = second(i, n) if n in redone(i) else first(i, n)
            assert set(marks[(cid, g)].items) == set(applied), (cid, g)
            final.append(float(len(applied)))  # each item is worth 1 point
        assert book[cid]["w1"].manual_score == pytest.approx(sum(final) / 8), cid


def test_the_demo_takes_a_fresh_server_course_but_never_a_database_with_grades(
        tmp_path: Path, pg_url: str) -> None:
    """May a course just made with `init --db` become the demo, and does the demo refuse
    it once its database holds someone's students?"""
    from evalround.course import CourseError
    from evalround.demo import reset_demo_course

    root = tmp_path / "c"
    assert main(["init", str(root), "--db", pg_url]) == 0
    nbgrader_adapter.ensure_students(root, {"zed": {"first_name": "Zed"}})
    with pytest.raises(CourseError, match="already holds grades; the demo will not clear"):
        reset_demo_course(root)
    assert _count(pg_url, "student") == 1
    assert (root / ".evalround" / "secret").exists()
