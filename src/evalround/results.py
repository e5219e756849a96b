"""Results: every candidate's score on every question, read from the one source of truth.

Every score comes from nbgrader's gradebook, as stock ``nbgrader export`` and the
formgrader read it: a cell's manual score when a grader gave one, else its autograded
score. evalround's grade record adds what the gradebook does not hold (the run's
failure, the sandbox, the key and submission hashes). A grader's score on an autograded
cell is an *override* and is reported as one.

Each question has a status, in plain words:

- ``graded``: the points are final (autograded, scored by a grader, or left blank);
- ``pending``: a written answer no grader has scored yet; it has no points;
- ``changed since marked``: a written answer of a new version whose marks moved to
  history (``resubmission``); it has no points until a grader marks it again;
- ``not submitted``: no graded submission; the question counts 0 points.

An exercise's status is the first that applies of ``not submitted``, ``run failed``,
``changed since marked``, ``pending`` and ``graded``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from evalround import nbgrader_adapter
from evalround.course import Course
from evalround.deadline import is_late, load_deadlines, received_at
from evalround.exercise import Exercise, Manifest
from evalround.grading import GradeRecord, load_record
from evalround.resubmission import CHANGED, changed_questions
from evalround.rubric import STORE_NAME, Mark, RubricItem, RubricStore, current_items, mark_score

GRADED = "graded"
PENDING = "pending"
CHANGED_SINCE_MARKED = CHANGED
NOT_SUBMITTED = "not submitted"
RUN_FAILED = "run failed"
UNSANDBOXED = "unsandboxed"
# Who gave a question its points.
BY_EVALROUND = "autograded"
BY_GRADER = "grader"
OVERRIDE = "override"  # a grader's score on an autograded cell, typed in the formgrader


@dataclass(frozen=True)
class CandidateResult:
    """One candidate's outcome on one exercise."""

    candidate: str
    name: str
    exercise: str
    variant_id: str
    questions: dict[str, float | None]  # None while pending or changed since marked
    max_points: dict[str, float]
    auto_points: float
    auto_max: float
    manual_points: float | None  # None while any written answer has no points
    manual_max: float
    total: float  # the graded points only
    total_max: float
    skills: dict[str, tuple[float, float]]  # label -> (earned, max) over graded questions
    failure: str | None
    sandbox: str
    key_sha256: str
    submission_sha256: str
    status: str
    # Question id -> the grader's comment on it (nbgrader's manual comment, typed in the
    # formgrader); questions without one are absent.
    comments: dict[str, str] = field(default_factory=dict)
    # Written question id -> one checklist per grader who marked it, each
    # {"grader", "score", "items": [{"id", "points", "criterion", "earned"}]}, with the
    # criteria filled with this candidate's own variant numbers.
    rubric: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Question id -> graded | pending | changed since marked | not submitted.
    question_status: dict[str, str] = field(default_factory=dict)
    # Question id -> autograded | grader | override, for questions that have points.
    scored_by: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # question id -> auto | written
    received_at: str = ""  # when the graded version was received (ISO 8601, UTC)
    late: bool = False  # received after the exercise's due date
    # The points taken for lateness (the gradebook's late penalty, capped at the graded
    # points, as stock nbgrader export caps it); ``total`` is after it.
    late_penalty: float = 0.0
    # Question id -> the known mistakes its wrong answer matches ("looks like: ...").
    diagnoses: dict[str, list[str]] = field(default_factory=dict)
    # Open shared-answer flags on this submission, one line each (evalround integrity).
    flags: list[str] = field(default_factory=list)
    # The exercise version the candidate was assigned (a digest of its files); candidates
    # of different versions had different data and keys and are never ranked together.
    exercise_version: str = ""

    @property
    def graded_max(self) -> float:
        """The points of the questions that have points so far."""
        return round(sum(self.max_points[q] for q, p in self.questions.items()
                         if p is not None), 4)

    @property
    def complete(self) -> bool:
        """Whether every question has its points (nothing pending or changed)."""
        return all(p is not None for p in self.questions.values())


def _variant_info(course: Course, slug: str, candidate: str) -> dict[str, Any]:
    try:
        data = json.loads(course.variant_path(slug, candidate).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _scored(kind: str, grade: nbgrader_adapter.GradebookGrade | None, recorded: float | None,
            changed: bool) -> tuple[float | None, str, str]:
    """(points, status, scored_by) of one question of a graded submission."""
    if kind == "auto":
        if grade is not None and grade.manual_score is not None:
            return float(grade.manual_score), GRADED, OVERRIDE
        if grade is not None and grade.auto_score is not None:
            return float(grade.auto_score), GRADED, BY_EVALROUND
        return float(recorded or 0.0), GRADED, BY_EVALROUND
    if grade is None:
        return None, CHANGED if changed else PENDING, ""
    if grade.manual_score is not None:
        return float(grade.manual_score), GRADED, BY_GRADER
    if changed:
        return None, CHANGED, ""
    if grade.auto_score is not None:  # nbgrader scores an unchanged (blank) answer 0
        return float(grade.auto_score), GRADED, BY_EVALROUND
    return None, PENDING, ""


def _result(
    manifest: Manifest,
    candidate: str,
    name: str,
    record: GradeRecord | None,
    gradebook: Mapping[str, nbgrader_adapter.GradebookGrade],
    variant: Mapping[str, Any],
    changed: set[str] | frozenset[str] = frozenset(),
) -> CandidateResult:
    questions: dict[str, float | None] = {}
    status_of: dict[str, str] = {}
    scored_by: dict[str, str] = {}
    max_points = {q.id: float(q.points) for q in manifest.questions}
    for q in manifest.questions:
        if record is None:
            questions[q.id], status_of[q.id] = 0.0, NOT_SUBMITTED
            continue
        points, status, who = _scored(q.kind, gradebook.get(q.id), record.scores.get(q.id),
                                      q.id in changed)
        questions[q.id], status_of[q.id] = points, status
        if who:
            scored_by[q.id] = who
    auto_ids = [q.id for q in manifest.auto_questions]
    written_ids = [q.id for q in manifest.written_questions]
    auto_points = round(sum(questions[i] or 0.0 for i in auto_ids), 4)
    graded_manual = round(sum(questions[i] or 0.0 for i in written_ids), 4)
    complete = all(questions[i] is not None for i in written_ids)
    skills: dict[str, tuple[float, float]] = {}
    for key, label in manifest.skills.items():
        asked = [q for q in manifest.questions if q.skill == key]
        if not asked:
            continue
        graded = [q for q in asked if questions[q.id] is not None]
        skills[label] = (round(sum(questions[q.id] or 0.0 for q in graded), 4),
                         round(sum(max_points[q.id] for q in graded), 4))
    comments = {}
    for q in manifest.questions:
        grade = gradebook.get(q.id)
        if record is not None and grade is not None and grade.comment and grade.comment.strip():
            comments[q.id] = grade.comment.strip()
    if record is None:
        status = NOT_SUBMITTED
    elif record.failure:
        status = f"{RUN_FAILED}: {record.failure}"
    elif CHANGED in status_of.values():
        status = CHANGED
    elif not complete:
        status = PENDING
    else:
        status = GRADED
    return CandidateResult(
        candidate=candidate,
        name=name,
        exercise=manifest.slug,
        variant_id=record.variant_id if record else str(variant.get("variant_id", "")),
        questions=questions,
        max_points=max_points,
        auto_points=auto_points,
        auto_max=round(sum(max_points[i] for i in auto_ids), 4),
        manual_points=graded_manual if complete else None,
        manual_max=round(sum(max_points[i] for i in written_ids), 4),
        total=round(auto_points + graded_manual, 4),
        total_max=round(sum(max_points.values()), 4),
        skills=skills,
        failure=record.failure if record else None,
        sandbox=record.sandbox if record else "",
        key_sha256=record.key_sha256 if record else str(variant.get("key_sha256", "")),
        submission_sha256=record.submission_sha256 if record else "",
        status=status,
        comments=comments,
        question_status=status_of,
        scored_by=scored_by,
        kinds={q.id: q.kind for q in manifest.questions},
        diagnoses={q: list(d) for q, d in (record.diagnoses if record else {}).items()
                   if scored_by.get(q) == BY_EVALROUND},
        exercise_version=str(variant.get("exercise_version") or ""),
    )


def points_text(value: float | None) -> str:
    """Points as short text: ``2``, ``1.5``; empty for None."""
    if value is None:
        return ""
    rounded = round(float(value), 4)
    if rounded == 0:
        return "0"
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def share(earned: float, most: float) -> float | None:
    """``earned`` as a percentage of ``most``; None when there is nothing to share."""
    return 100.0 * earned / most if most > 0 else None


_PLACEHOLDER = re.compile(r"\{[A-Za-z_][^{}]*\}")


def criterion_text(item: RubricItem, key: Mapping[str, Any]) -> str:
    """A rubric criterion filled with the candidate's own numbers, as the feedback page
    and the desk show it; a placeholder the key cannot fill shows as "…"."""
    return unfilled_as_ellipsis(item.text(key))


def unfilled_as_ellipsis(text: str) -> str:
    """One line, with any ``{placeholder}`` left unfilled shown as "…"."""
    return " ".join(_PLACEHOLDER.sub("…", text).split())


def grader_checklists(items: Mapping[str, Sequence[RubricItem]], marks: Sequence[Mark],
                      most: Mapping[str, float], key: Mapping[str, Any]
                      ) -> dict[str, list[dict[str, Any]]]:
    """Written question -> one checklist per grader, each adding up to that grader's score.

    The gradebook holds the mean of the graders' scores (``rubric.consensus``).
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for m in marks:
        qitems = items.get(m.question, [])
        out.setdefault(m.question, []).append({
            "grader": m.grader,
            "score": mark_score(qitems, m.items, most.get(m.question, 0.0)),
            "items": [{"id": i.id, "points": i.points, "criterion": criterion_text(i, key),
                       "earned": i.id in m.items} for i in qitems],
        })
    return out


def collect_results(course: Course, exercises: list[Exercise]) -> list[CandidateResult]:
    """Every assigned candidate on every exercise, submitted or not, in exercise order."""
    people = course.candidates()
    deadlines = load_deadlines(course)
    out: list[CandidateResult] = []
    for exercise in exercises:
        manifest = exercise.manifest
        slug = exercise.slug
        assigned = course.assigned(slug)
        records = {cid: load_record(course, slug, cid) for cid in assigned}
        gradebook: dict[str, dict[str, nbgrader_adapter.GradebookGrade]] = {}
        penalties: dict[str, float] = {}
        if any(r is not None for r in records.values()):
            gradebook = nbgrader_adapter.grades(course.root, slug, slug)
            penalties = nbgrader_adapter.late_penalties(course.root, slug, slug)
        marks: dict[str, list[Mark]] = {}
        items: dict[str, list[RubricItem]] = {}
        if manifest.written_questions and (course.records / STORE_NAME).exists():
            for m in RubricStore(course).marks(slug):
                marks.setdefault(m.candidate, []).append(m)
            items = current_items(course, exercise)
        most = {q.id: float(q.points) for q in manifest.questions}
        for cid in assigned:
            person = people.get(cid)
            record = records[cid]
            variant = _variant_info(course, slug, cid)
            result = _result(manifest, cid, person.name if person else "", record,
                             gradebook.get(cid, {}), variant,
                             changed_questions(course, slug, cid) if record else set())
            if record is not None:
                when = received_at(course, cid, slug, record.submission_sha256)
                result = replace(result, received_at=when,
                                 late=is_late(when, deadlines.get(slug)))
                taken = round(min(penalties.get(cid, 0.0), result.total), 4)
                if taken:
                    result = replace(result, late_penalty=taken,
                                     total=round(result.total - taken, 4))
                if cid in marks:
                    result = replace(result, rubric=grader_checklists(
                        items, marks[cid], most, variant.get("key") or {}))
            out.append(result)
    return out

