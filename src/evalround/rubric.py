"""Rubric grading: graders apply rubric items to written answers, and the score follows.

nbgrader has no rubric model, so evalround keeps one beside the gradebook, in the
course's database (``evalround.store``: ``.evalround/rubric.sqlite`` by default):

- ``marks``: which items one grader applied to one written answer, with a comment;
- ``mark_history``: every mark a later save replaced (nothing a grader did is lost);
- ``item_points``: an item's points where the hiring team changed them from rubric.yaml;
- ``written``: the score evalround last wrote into the gradebook for each answer;
- ``replaced_scores``: every score typed into the formgrader by hand that a forced
  rubric score replaced, with its comment.

A written answer's score is the sum of the applied items' points, clipped to the
question's points. When several graders mark the same answer (calibration), the
gradebook gets the mean of their scores, and only once as many graders as the course
wants per answer (``Course.graders_per_answer``) have marked it, so that no grader sees
another's score or comment in the formgrader before giving their own. That score is
written into nbgrader's gradebook as the cell's manual score, so the formgrader and
stock ``nbgrader export`` show the same totals. A manual score someone typed into the
formgrader by hand is never replaced silently: ``RubricConflict`` names it, unless the
caller forces it.

The pure part (items, scores, blind codes) is at the top; the store and the gradebook
writes are below it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from evalround import nbgrader_adapter, store
from evalround.course import Course, CourseError
from evalround.exercise import Exercise, Question

STORE_NAME = store.RECORDS_FILE
GRADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class RubricError(Exception):
    """A rubric operation was refused; the message says which answer and why."""


class RubricConflict(RubricError):
    """The gradebook holds a manual score set by hand that the rubric would replace."""


# -- the pure part -------------------------------------------------------------------


@dataclass(frozen=True)
class RubricItem:
    """One observable criterion of a written question, worth ``points``."""

    id: str
    question: str
    points: float
    criterion: str  # with {placeholders} for the candidate's own numbers

    def text(self, key: Mapping[str, Any]) -> str:
        """The criterion with this candidate's numbers filled in."""
        return " ".join(_fill(self.criterion, key).split())


def _fill(template: str, key: Mapping[str, Any]) -> str:
    try:
        return template.format(**key)
    except (KeyError, IndexError, ValueError):
        # No key (say, an unassigned preview): show the placeholders as they are.
        return "".join(lit + (f"{{{name}}}" if name else "")
                       for lit, name, _, _ in string.Formatter().parse(template))


def rubric_items(exercise: Exercise, points: Mapping[str, float] | None = None
                 ) -> dict[str, list[RubricItem]]:
    """Written question id -> its items, with ``points`` overriding rubric.yaml's."""
    points = points or {}
    return {
        q.id: [
            RubricItem(id=str(raw["id"]), question=q.id,
                       points=float(points.get(str(raw["id"]), raw["points"])),
                       criterion=str(raw["criterion"]))
            for raw in exercise.rubric[q.id]
        ]
        for q in exercise.manifest.written_questions
    }


def mark_score(items: Sequence[RubricItem], applied: Iterable[str], most: float) -> float:
    """Points for the applied items, clipped to 0..``most`` (the question's points)."""
    by_id = {i.id: i for i in items}
    total = sum(by_id[a].points for a in set(applied) if a in by_id)
    return round(min(max(total, 0.0), most), 4)


def consensus(scores: Sequence[float]) -> float:
    """The gradebook score of an answer several graders marked: their mean."""
    if not scores:
        raise ValueError("no scores")
    return round(sum(scores) / len(scores), 4)


def checklists(items: Mapping[str, Sequence[RubricItem]], marks: Iterable[Mark]
               ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Candidate -> written question -> its items, each earned when at least half of the
    graders who marked the answer applied it. Criteria stay unfilled (no key numbers)."""
    by_answer: dict[tuple[str, str], list[Mark]] = {}
    for m in marks:
        by_answer.setdefault((m.candidate, m.question), []).append(m)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for (cid, qid), answer_marks in sorted(by_answer.items()):
        out.setdefault(cid, {})[qid] = [
            {"id": i.id, "points": i.points, "criterion": i.criterion,
             "earned": 2 * sum(i.id in m.items for m in answer_marks) >= len(answer_marks)}
            for i in items.get(qid, [])
        ]
    return out


def blind_code(secret: bytes, exercise: str, candidate: str) -> str:
    """A stable code for one submission that does not reveal the candidate."""
    digest = hmac.new(secret, f"blind:{exercise}:{candidate}".encode(), hashlib.sha256)
    return "S-" + digest.hexdigest()[:6].upper()


DESK = "/evalround/desk"


def desk_path(exercise: str, code: str) -> str:
    """The grading-desk page of one submission, relative to the server's base URL."""
    return f"{DESK}/{quote(exercise)}/{quote(code)}"


def check_grader(grader: str) -> str:
    grader = grader.strip()
    if not GRADER_NAME.match(grader):
        raise RubricError(
            f"grader name {grader!r} is not usable: use letters, digits, '.', '_', '-' or '@' "
            f"(at most 64), such as 'rhea' or 'sam.k'"
        )
    return grader


# -- the store -----------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """The items one grader applied to one written answer."""

    exercise: str
    candidate: str
    question: str
    grader: str
    items: tuple[str, ...]
    comment: str = ""
    marked_at: str = ""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _mark(row: Any) -> Mark:
    return Mark(row.exercise, row.candidate, row.question, row.grader,
                tuple(json.loads(row.items)), row.comment, row.marked_at)


class RubricStore:
    """The rubric records of one course, in the course's database (``evalround.store``:
    ``.evalround/rubric.sqlite`` by default); safe for many graders at once."""

    def __init__(self, course: Course, _conn: Connection | None = None) -> None:
        self.course = course
        self.url = store.course_url(course.root)
        self._conn = _conn

    def exists(self) -> bool:
        """Whether the records were ever written (an SQLite file not made yet: no)."""
        return not store.is_sqlite(self.url) or (self.course.records / store.RECORDS_FILE
                                                 ).exists()

    @contextmanager
    def _db(self) -> Iterator[Connection]:
        if self._conn is not None:
            yield self._conn
            return
        self.course.records.mkdir(parents=True, exist_ok=True)
        with store.transaction(self.url) as conn:
            yield conn

    @contextmanager
    def locked(self, exercise: str, candidate: str, question: str) -> Iterator[RubricStore]:
        """This store inside one transaction that holds the lock of one answer: marks
        saved and the score written meanwhile cannot interleave with another grader's."""
        if self._conn is not None:
            yield self
            return
        self.course.records.mkdir(parents=True, exist_ok=True)
        with store.locked(self.url, exercise, candidate, question) as conn:
            yield RubricStore(self.course, conn)

    def points(self, exercise: str) -> dict[str, float]:
        t = store.item_points
        with self._db() as db:
            rows = db.execute(select(t.c.item, t.c.points).where(t.c.exercise == exercise))
            return {item: float(p) for item, p in rows}

    def set_points(self, exercise: str, item: str, points: float) -> None:
        with self._db() as db:
            store.upsert(db, store.item_points, {"exercise": exercise, "item": item,
                                                 "points": points, "changed_at": _now()})

    def marks(self, exercise: str, candidate: str | None = None, question: str | None = None,
              grader: str | None = None) -> list[Mark]:
        t = store.marks
        query = select(t).where(t.c.exercise == exercise)
        for column, value in (("candidate", candidate), ("question", question),
                              ("grader", grader)):
            if value is not None:
                query = query.where(t.c[column] == value)
        with self._db() as db:
            rows = db.execute(query.order_by(t.c.candidate, t.c.question, t.c.grader))
            return [_mark(r) for r in rows]

    def save_mark(self, mark: Mark) -> None:
        """Store a mark; the one it replaces goes to ``mark_history``."""
        t = store.marks
        key = {"exercise": mark.exercise, "candidate": mark.candidate,
               "question": mark.question, "grader": mark.grader}
        with self.locked(mark.exercise, mark.candidate, mark.question) as held, \
                held._db() as db:
            old = db.execute(select(t).where(*(t.c[k] == v for k, v in key.items()))).first()
            if old is not None:
                db.execute(insert(store.mark_history).values(
                    **old._mapping, replaced_at=_now()))
            store.upsert(db, t, {**key, "items": json.dumps(sorted(mark.items)),
                                 "comment": mark.comment, "marked_at": mark.marked_at or _now()})

    def retire(self, exercise: str, candidate: str) -> list[Mark]:
        """Move every mark on ``candidate``'s ``exercise`` to ``mark_history``."""
        retired = self.marks(exercise, candidate)
        t, w = store.marks, store.written
        with self._db() as db:
            now = _now()
            for row in db.execute(select(t).where(t.c.exercise == exercise,
                                                  t.c.candidate == candidate)).all():
                db.execute(insert(store.mark_history).values(**row._mapping, replaced_at=now))
            db.execute(delete(t).where(t.c.exercise == exercise, t.c.candidate == candidate))
            db.execute(delete(w).where(w.c.exercise == exercise, w.c.candidate == candidate))
        return retired

    def history(self, exercise: str) -> list[tuple[Mark, str]]:
        t = store.mark_history
        with self._db() as db:
            rows = db.execute(select(t).where(t.c.exercise == exercise).order_by(t.c.id))
            return [(_mark(r), r.replaced_at) for r in rows]

    def written(self, exercise: str, candidate: str, question: str) -> float | None:
        t = store.written
        with self._db() as db:
            score = db.execute(select(t.c.score).where(
                t.c.exercise == exercise, t.c.candidate == candidate,
                t.c.question == question)).scalar()
        return None if score is None else float(score)

    def keep_replaced(self, exercise: str, candidate: str, question: str, score: float,
                      comment: str, replaced_by: str) -> None:
        """Keep a score typed into the formgrader by hand that a rubric score replaces."""
        with self._db() as db:
            db.execute(insert(store.replaced_scores).values(
                exercise=exercise, candidate=candidate, question=question, score=score,
                comment=comment, replaced_by=replaced_by, replaced_at=_now()))

    def replaced(self, exercise: str) -> list[dict[str, Any]]:
        """The scores typed by hand that forced rubric scores replaced, oldest first."""
        t = store.replaced_scores
        with self._db() as db:
            rows = db.execute(select(t).where(t.c.exercise == exercise).order_by(t.c.id))
            return [dict(r._mapping) for r in rows]

    def set_written(self, exercise: str, candidate: str, question: str, score: float) -> None:
        with self._db() as db:
            store.upsert(db, store.written, {"exercise": exercise, "candidate": candidate,
                                             "question": question, "score": score})


# -- applying items and writing the gradebook ----------------------------------------


@dataclass(frozen=True)
class Scored:
    """What the gradebook holds for one written answer after a rubric change."""

    exercise: str
    candidate: str
    question: str
    score: float
    graders: tuple[str, ...]
    conflict: str | None = None  # why the gradebook was left as it was
    replaced: bool = False  # a score typed by hand gave way (forced; kept in the records)
    waiting: int = 0  # graders still to mark before the score goes into the gradebook


def _question(exercise: Exercise, question: str) -> Question:
    for q in exercise.manifest.written_questions:
        if q.id == question:
            return q
    known = ", ".join(q.id for q in exercise.manifest.written_questions) or "none"
    raise RubricError(f"{exercise.slug} has no written question {question!r} (written: {known})")


def current_items(course: Course, exercise: Exercise) -> dict[str, list[RubricItem]]:
    return rubric_items(exercise, RubricStore(course).points(exercise.slug))


def marks_by_grader(course: Course, exercises: Iterable[str]
                    ) -> dict[str, dict[str, list[str]]]:
    """Who marked what: grader -> exercise -> "BLIND-CODE question" per mark, by blind
    code as the grader saw the submission, never the candidate's id."""
    store = RubricStore(course)
    table: dict[str, dict[str, list[str]]] = {}
    for slug in exercises:
        for m in store.marks(slug):
            code = blind_code(course.secret, slug, m.candidate)
            table.setdefault(m.grader, {}).setdefault(slug, []).append(f"{code} {m.question}")
    return table


def course_checklists(course: Course, exercise: Exercise
                      ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The rubric checklist of every marked answer of ``exercise`` (see ``checklists``)."""
    records = RubricStore(course)
    if not records.exists():
        return {}
    return checklists(current_items(course, exercise), records.marks(exercise.slug))


def _comment_text(marks: Sequence[Mark]) -> str | None:
    said = [m for m in marks if m.comment.strip()]
    if not said:
        return None
    if len(marks) == 1:
        return said[0].comment.strip()
    return "\n".join(f"{m.grader}: {m.comment.strip()}" for m in said)


def _by_hand(manual: float | None, last_written: float | None) -> bool:
    """Whether the gradebook's manual score is not the one evalround last wrote there."""
    return manual is not None and (last_written is None or abs(manual - last_written) > 1e-9)


def typed_by_hand(course: Course, exercise: Exercise, candidate: str, question: str) -> bool:
    """Whether the gradebook holds a score for this answer that someone typed into the
    formgrader by hand (one evalround did not write), which a rubric save leaves alone."""
    held = nbgrader_adapter.grade(course.root, exercise.slug, exercise.slug,
                                  course.student_id(candidate), question)
    return held is not None and _by_hand(
        held.manual_score, RubricStore(course).written(exercise.slug, candidate, question))


def rescore(course: Course, exercise: Exercise, candidate: str, question: str,
            force: bool = False, records: RubricStore | None = None,
            forced_by: str = "") -> Scored:
    """Recompute one answer's score from every grader's marks and write the gradebook.

    If the gradebook's manual score differs from what evalround last wrote there (a
    grader typed a score into the formgrader), it is left alone and the result says so,
    unless ``force``; a score typed by hand that ``force`` replaces is kept, with its
    comment and ``forced_by`` (who replaced it), in ``replaced_scores``. The answer stays
    locked from reading the marks to writing the score, so two graders saving at once
    both count.
    """
    slug = exercise.slug
    q = _question(exercise, question)
    with (records or RubricStore(course)).locked(slug, candidate, q.id) as held:
        return _rescore(course, exercise, candidate, q, force, held, forced_by)


def _rescore(course: Course, exercise: Exercise, candidate: str, q: Question, force: bool,
             records: RubricStore, forced_by: str = "") -> Scored:
    slug = exercise.slug
    items = rubric_items(exercise, records.points(slug))[q.id]
    marks = records.marks(slug, candidate, q.id)
    if not marks:
        raise RubricError(f"{candidate}/{slug}/{q.id}: no grader has applied rubric items yet")
    score = consensus([mark_score(items, m.items, q.points) for m in marks])
    graders = tuple(m.grader for m in marks)
    student = course.student_id(candidate)
    held = nbgrader_adapter.grade(course.root, slug, slug, student, q.id)
    if held is None:
        raise RubricError(
            f"{candidate}/{slug}: no graded submission in the gradebook; run `evalround grade`"
        )
    wanted = course.graders_per_answer
    if len(marks) < wanted and records.written(slug, candidate, q.id) is None:
        # Every grader sees the gradebook (the formgrader shows its score and comment): it
        # gets nothing until the graders this course wants have each marked independently.
        return Scored(slug, candidate, q.id, score, graders, waiting=wanted - len(marks))
    by_hand = _by_hand(held.manual_score, records.written(slug, candidate, q.id))
    if by_hand and not force:
        # Says nothing of the graders: neither the score typed by hand nor the rubric's
        # (the mean of every grader's) tells one grader what another gave.
        return Scored(slug, candidate, q.id, score, graders, conflict=(
            f"{candidate}/{slug}/{q.id}: the gradebook holds a score typed into the "
            f"formgrader by hand, so it was left as it is (the marks are saved); replace "
            f"it with the rubric's score by `evalround mark ... --force` or the desk's "
            f"Replace"))
    replaced = by_hand and held.manual_score is not None
    if replaced:
        records.keep_replaced(slug, candidate, q.id, float(held.manual_score or 0.0),
                              held.comment or "", forced_by)
    nbgrader_adapter.set_manual_score(course.root, slug, slug, student, q.id, score,
                                      comment=_comment_text(marks))
    records.set_written(slug, candidate, q.id, score)
    return Scored(slug, candidate, q.id, score, graders, replaced=replaced)


def apply_items(course: Course, exercise: Exercise, candidate: str, question: str,
                grader: str, items: Iterable[str], comment: str = "",
                force: bool = False) -> Scored:
    """Record which items ``grader`` applied to one answer, then rescore it.

    The mark is stored even when the gradebook is left alone because of a conflict; with
    ``force`` a score typed by hand is replaced (and kept in ``replaced_scores``).
    """
    grader = check_grader(grader)
    q = _question(exercise, question)
    if candidate not in course.assigned(exercise.slug):
        raise RubricError(f"candidate {candidate} was never assigned {exercise.slug}")
    known = {i.id for i in current_items(course, exercise)[q.id]}
    chosen = tuple(dict.fromkeys(items))
    unknown = [i for i in chosen if i not in known]
    if unknown:
        raise RubricError(
            f"{candidate}/{exercise.slug}/{q.id}: no rubric item {', '.join(unknown)} "
            f"(items: {', '.join(sorted(known))})"
        )
    with RubricStore(course).locked(exercise.slug, candidate, q.id) as records:
        records.save_mark(Mark(exercise.slug, candidate, q.id, grader, chosen,
                               comment.strip()))
        return rescore(course, exercise, candidate, q.id, force=force, records=records,
                       forced_by=grader)


def set_item_points(course: Course, exercise: Exercise, item: str, points: float
                    ) -> list[Scored]:
    """Change one item's points and rescore every answer a grader applied it to."""
    found = [i for items in rubric_items(exercise).values() for i in items if i.id == item]
    if not found:
        known = ", ".join(i.id for items in rubric_items(exercise).values() for i in items)
        raise RubricError(f"{exercise.slug} has no rubric item {item!r} (items: {known})")
    q = _question(exercise, found[0].question)
    if not 0 <= points <= q.points:
        raise RubricError(
            f"{exercise.slug}/{item}: {points:g} points is outside 0..{q.points:g}, the "
            f"points of {q.id}"
        )
    records = RubricStore(course)
    records.set_points(exercise.slug, item, float(points))
    used = sorted({m.candidate for m in records.marks(exercise.slug, question=q.id)
                   if item in m.items})
    return [rescore(course, exercise, cid, q.id) for cid in used]


def answer_text(course: Course, exercise: Exercise, candidate: str) -> dict[str, str]:
    """Written question id -> what the candidate wrote, from the autograded notebook."""
    import nbformat

    from evalround.assignment import notebook_name
    from evalround.notebook import CANDIDATE_SOURCE, grade_id

    path = course.autograded_dir(candidate, exercise.slug) / notebook_name(exercise.slug)
    if not path.exists():
        raise CourseError(f"{candidate} has no graded {exercise.slug} submission ({path})")
    nb = nbformat.read(path, as_version=4)
    wanted = {q.id for q in exercise.manifest.written_questions}
    # the graders' copy keeps what the candidate wrote beside its inert rendering; the
    # desk shows it escaped, as text
    return {gid: str(cell.metadata.get(CANDIDATE_SOURCE, cell.source))
            for cell in nb.cells
            if (gid := grade_id(cell)) in wanted and cell.cell_type == "markdown"}
