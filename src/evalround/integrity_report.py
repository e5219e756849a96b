"""The course edge of ``integrity``: read every candidate's key, answers, code and prose,
flag shared answers, keep dismissals, and write ``reports/integrity.csv``.

A flag never changes a score. A hiring manager can dismiss one with a reason; the
dismissal and every later change of mind are appended to the course's database
(``evalround.store``: ``.evalround/rubric.sqlite`` by default), never rewritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat

from evalround.assignment import notebook_name
from evalround.course import Course, CourseError
from evalround.exercise import Exercise
from evalround.integrity import KINDS, Flag, code_similarity, key_matches, text_similarity
from evalround.notebook import answer_body, answer_cell_sources, grade_id, unanswered
from evalround.reports_csv import csv_text, write_csv

CSV_COLUMNS = ("candidate", "exercise", "kind", "other_candidate", "evidence", "strength",
               "dismissed", "dismissed_reason")


@dataclass(frozen=True)
class Dismissal:
    candidate: str
    exercise: str
    kind: str
    other_candidate: str
    reason: str
    by: str
    at: str
    dismissed: bool = True


def _legacy_path(course: Course) -> Path:
    # where dismissals were appended before they moved into the course's database
    return course.records / "integrity-dismissals.jsonl"


def dismissal_history(course: Course) -> list[Dismissal]:
    """Every dismissal and change of mind, oldest first, from the course's database
    (``evalround.store``) after any kept in the older ``integrity-dismissals.jsonl``."""
    from sqlalchemy import select

    from evalround import store

    out: list[Dismissal] = []
    legacy = _legacy_path(course)
    if legacy.exists():
        out += [Dismissal(**json.loads(line))
                for line in legacy.read_text(encoding="utf-8").splitlines() if line.strip()]
    url = store.course_url(course.root)
    if store.is_sqlite(url) and not (course.records / store.RECORDS_FILE).exists():
        return out
    t = store.dismissals
    with store.transaction(url) as conn:
        out += [Dismissal(r.candidate, r.exercise, r.kind, r.other_candidate, r.reason,
                          r.decided_by, r.at, bool(r.dismissed))
                for r in conn.execute(select(t).order_by(t.c.id))]
    return out


def dismissals(course: Course) -> dict[tuple[str, str, str, str], Dismissal]:
    """The latest word on each flag (a later entry replaces an earlier one)."""
    return {(d.candidate, d.exercise, d.kind, d.other_candidate): d
            for d in dismissal_history(course)}


def dismiss(course: Course, candidate: str, exercise: str, kind: str, other: str,
            reason: str, by: str, undo: bool = False) -> Dismissal:
    """Dismiss a flag (or take a dismissal back) with a reason; the history is kept."""
    from sqlalchemy import insert

    from evalround import store

    if kind not in KINDS:
        raise CourseError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    if not reason.strip():
        raise CourseError("a dismissal needs a reason (--reason)")
    if not by.strip():
        raise CourseError("say who dismisses the flag (--by)")
    entry = Dismissal(candidate, exercise, kind, other, reason.strip(), by.strip(),
                      datetime.now(timezone.utc).isoformat(timespec="seconds"),
                      dismissed=not undo)
    course.records.mkdir(parents=True, exist_ok=True)
    with store.transaction(store.course_url(course.root)) as conn:
        conn.execute(insert(store.dismissals).values(
            candidate=entry.candidate, exercise=entry.exercise, kind=entry.kind,
            other_candidate=entry.other_candidate, reason=entry.reason, decided_by=entry.by,
            at=entry.at, dismissed=entry.dismissed))
    return entry


def _notebook(path: Path) -> nbformat.NotebookNode | None:
    return nbformat.read(path, as_version=4) if path.exists() else None


def _answer_code(nb: nbformat.NotebookNode, exercise: Exercise) -> list[str]:
    wanted = {q.answer_cell_id for q in exercise.manifest.auto_questions}
    return [src for gid, src in answer_cell_sources(nb).items() if gid in wanted]


def _prose(nb: nbformat.NotebookNode, exercise: Exercise) -> str:
    wanted = {q.id for q in exercise.manifest.written_questions}
    return "\n".join(answer_body(c.source) for c in nb.cells if grade_id(c) in wanted
                     and c.cell_type == "markdown" and not unanswered(c.source))


def exercise_flags(course: Course, exercise: Exercise) -> list[Flag]:
    """Every flag of one exercise's graded submissions."""
    from evalround.grading import load_record

    slug = exercise.slug
    keys: dict[str, dict[str, Any]] = {}
    answers: dict[str, dict[str, Any]] = {}
    code: dict[str, list[str]] = {}
    prose: dict[str, str] = {}
    for cid in course.assigned(slug):
        key = course.load_variant(slug, cid).get("key")
        if isinstance(key, dict):
            keys[cid] = key
        record = load_record(course, slug, cid)
        if record is None:
            continue
        answers[cid] = record.answers
        nb = _notebook(course.autograded_dir(cid, slug) / notebook_name(slug))
        if nb is not None:
            code[cid] = _answer_code(nb, exercise)
            prose[cid] = _prose(nb, exercise)
    release = _notebook(course.release_dir(slug) / notebook_name(slug))
    stub = _answer_code(release, exercise) if release is not None else []
    quoted = [c.source for c in release.cells if c.cell_type == "markdown"] if release else []
    quoted += [str(i["criterion"]) for items in exercise.rubric.values() for i in items]
    flags = key_matches(exercise.manifest, keys, answers, slug)
    flags += code_similarity(code, stub, slug)
    flags += text_similarity(prose, quoted, slug)
    return sorted(flags, key=lambda f: (f.candidate, KINDS.index(f.kind), -f.strength))


def write_integrity(course: Course, exercises: list[Exercise], out: Path
                    ) -> tuple[Path, list[Flag]]:
    """``out/integrity.csv``: one row per flag, with any dismissal. Returns the flags."""
    flags = [f for e in exercises for f in exercise_flags(course, e)]
    said = dismissals(course)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "integrity.csv"
    rows = []
    for f in flags:
        d = said.get((f.candidate, f.exercise, f.kind, f.other_candidate))
        gone = d is not None and d.dismissed
        rows.append([f.candidate, f.exercise, f.kind, f.other_candidate, f.evidence,
                     f"{f.strength:.4f}", "yes" if gone else "no",
                     csv_text(d.reason) if gone and d else ""])
    write_csv(path, CSV_COLUMNS, rows)
    return path, flags


KIND_WORDS = {"key_match": "answers equal to another candidate's key",
              "code_similarity": "answer code alike", "text_similarity": "written answers alike"}


def flag_line(flag: Flag, with_candidate: bool = False) -> str:
    """One line for a scorecard or the cohort page; a flag never changes a score."""
    who = f"{flag.candidate} ({flag.exercise}): " if with_candidate else ""
    return (f"{who}possible shared answer with {flag.other_candidate}: "
            f"{KIND_WORDS.get(flag.kind, flag.kind)} ({flag.evidence})")


def open_flags(course: Course, flags: list[Flag]) -> list[Flag]:
    """The flags no one has dismissed."""
    said = dismissals(course)
    return [f for f in flags
            if not (d := said.get((f.candidate, f.exercise, f.kind, f.other_candidate)))
            or not d.dismissed]
