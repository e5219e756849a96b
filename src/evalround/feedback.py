"""Candidate feedback: optional, per hiring team, off until a team turns it on.

When it is on, ``write_feedback`` writes one HTML page per graded submission to
``feedback/<candidate>/<exercise>/<exercise>.html``, the folder nbgrader keeps feedback
in. The page explains each check (what was checked, the
candidate's answer, and the result against their own variant) and the rubric items
their written answers earned, with the graders' comments. It is built from that one
candidate's variant alone, so it can reveal no other variant's key.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalround import nbgrader_adapter
from evalround.course import Course, CourseError, write_atomic
from evalround.exercise import AnswerField, Exercise
from evalround.grading import load_record
from evalround.rubric import RubricItem, course_checklists, current_items
from evalround.scoring import score_answers

SETTINGS = "settings.json"


def feedback_enabled(course: Course) -> bool:
    path = course.records / SETTINGS
    if not path.exists():
        return False
    return bool(json.loads(path.read_text()).get("candidate_feedback", False))


def set_feedback(course: Course, enabled: bool) -> None:
    """Turn candidate feedback on or off for this course (the hiring team's choice)."""
    path = course.records / SETTINGS
    settings = json.loads(path.read_text()) if path.exists() else {}
    settings["candidate_feedback"] = enabled
    write_atomic(path, json.dumps(settings, indent=1, sort_keys=True))


def _shown(value: Any) -> str:
    if value is None:
        return "no answer"
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else repr(value)
    if isinstance(value, dict) and "unsupported" in value:
        return f"not a usable value ({value['unsupported']})"
    return repr(value) if isinstance(value, str) else str(value)


def check_explained(spec: AnswerField) -> str:
    """What the hidden check of one answer variable looks for, in plain words."""
    if spec.type == "float":
        tol = f"within ± {spec.tolerance:g}" if spec.tolerance else "exactly"
        return f"a number, compared with your variant's value {tol}"
    if spec.type == "int":
        return "a whole number, compared with your variant's value exactly"
    if spec.choices:
        return f"one of {', '.join(spec.choices)}, compared with your variant's answer"
    return "text, compared with your variant's answer (case and surrounding spaces ignored)"


@dataclass(frozen=True)
class Written:
    feedback: list[Path]
    skipped: list[str]  # "candidate: reason"


def feedback_page(course: Course, exercise: Exercise, candidate: str) -> str:
    """The feedback page of one graded submission (HTML)."""
    return _page(course, exercise, candidate, *_course_marks(course, exercise))


Marks = tuple[dict[str, dict[str, nbgrader_adapter.GradebookGrade]],
              dict[str, dict[str, list[dict[str, Any]]]], dict[str, list[RubricItem]]]


def _course_marks(course: Course, exercise: Exercise) -> Marks:
    """What every page of ``exercise`` reads: the gradebook, the checklists, the items."""
    slug = exercise.slug
    return (course.by_candidate(nbgrader_adapter.grades(course.root, slug, slug)),
            course_checklists(course, exercise), current_items(course, exercise))


def _page(course: Course, exercise: Exercise, candidate: str,
          grades: dict[str, dict[str, nbgrader_adapter.GradebookGrade]],
          checklists: dict[str, dict[str, list[dict[str, Any]]]],
          items: dict[str, list[RubricItem]]) -> str:
    from evalround.scorecard import _environment

    slug = exercise.slug
    record = load_record(course, slug, candidate)
    if record is None:
        raise CourseError(f"{candidate} has no graded {slug} submission")
    key = course.load_variant(slug, candidate)["key"]
    scores = score_answers(exercise.manifest, key, record.answers)
    checks = []
    for q in exercise.manifest.auto_questions:
        s = scores[q.id]
        checks.append({
            "id": q.id, "title": q.title, "points": s.points, "max": s.max_points,
            "fields": [{"name": f.name, "given": _shown(f.given), "correct": f.correct,
                        "partial": 0 < f.fraction < 1,
                        "expected": _shown(f.expected), "how": check_explained(spec)}
                       for f, spec in zip(s.fields, q.answers, strict=True)],
            "diagnoses": record.diagnoses.get(q.id, []),
        })
    gradebook = grades.get(candidate, {})
    earned = checklists.get(candidate, {})
    written = []
    for q in exercise.manifest.written_questions:
        held = gradebook.get(q.id)
        marks = {i["id"]: i["earned"] for i in earned.get(q.id, [])}
        written.append({
            "id": q.id, "title": q.title, "max": q.points,
            "points": held.score if held else None,
            "items": [{"text": i.text(key), "points": i.points, "earned": marks.get(i.id)}
                      for i in items[q.id]],
            "marked": bool(marks),
            "comment": held.comment if held else None,
        })
    name = course.candidates().get(candidate)
    return _environment().get_template("feedback.html.j2").render(
        title=exercise.manifest.title, candidate=candidate,
        name=name.name if name else "", checks=checks, written=written,
        failure=record.failure,
    )


def write_feedback(course: Course, exercise: Exercise) -> Written:
    """Write feedback for every graded submission of ``exercise``; refuse if it is off."""
    if not feedback_enabled(course):
        raise CourseError(
            f"candidate feedback is off for the course in {course.root}; the hiring team "
            f"turns it on with `evalround feedback --enable`"
        )
    from evalround.assignment import notebook_name

    marks = _course_marks(course, exercise)
    paths, skipped = [], []
    for cid in course.assigned(exercise.slug):
        if load_record(course, exercise.slug, cid) is None:
            skipped.append(f"{cid}: not graded")
            continue
        path = (course.root / "feedback" / cid / exercise.slug /
                Path(notebook_name(exercise.slug)).with_suffix(".html").name)
        write_atomic(path, _page(course, exercise, cid, *marks))
        paths.append(path)
    return Written(paths, skipped)
